"""Building the Bolt app: the coach service, the Slack runtime around it, every listener."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from slack_bolt import App
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.logger.messages import (
    warning_client_prioritized_and_token_skipped,
    warning_token_skipped,
)
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.coach import Coach
from bot.settings import Settings
from bot.slack.answer_workers import AnswerWorkers
from bot.slack.answering import answer_job
from bot.slack.assistant_panel import GREETING_KIND, greeting_job
from bot.slack.client import make_client, slack_error
from bot.slack.coach_me_queue import COACH_ME, coach_me_job
from bot.slack.feedback_note import NOTE_KIND, note_job
from bot.slack.home import HOME_KIND, home_job
from bot.slack.intake import store_questions_first
from bot.slack.listeners import register_listeners
from bot.slack.more_like_this import MORE, more_job
from bot.slack.runtime import SlackRuntime
from bot.slack.tips import TIP_KINDS, tip_job
from bot.slack.welcome import WELCOME_KIND, welcome_job
from bot.store.answer_queue import Job
from index.library import Library
from index.reload import LibraryReloader

log = logging.getLogger(__name__)

# Bolt's notes that its own `token` argument goes unused because a client and `authorize`
# are given (on purpose: see build_app). At start-up they read as "SLACK_BOT_TOKEN will be
# ignored", which is false: every Web API call uses it.
_BOLT_TOKEN_NOTES = frozenset(
    {warning_client_prioritized_and_token_skipped(), warning_token_skipped()}
)


def _not_a_token_note(record: logging.LogRecord) -> bool:
    return record.getMessage() not in _BOLT_TOKEN_NOTES


# What an answer worker does with a claimed row, by its kind: deliver a tip, post the
# passages of a "More like this" click, coach on a message ("Coach me on this"), greet an
# assistant thread, welcome a channel, publish a Home tab, mark a vote under its answer;
# any other kind is a question, answered.
_JOBS: dict[str, Callable[[SlackRuntime, Job], None]] = {
    **dict.fromkeys(TIP_KINDS, tip_job),
    MORE: more_job,
    COACH_ME: coach_me_job,
    GREETING_KIND: greeting_job,
    WELCOME_KIND: welcome_job,
    HOME_KIND: home_job,
    NOTE_KIND: note_job,
}


def work_on(slack: SlackRuntime, job: Job) -> None:
    """Hand a claimed row to its kind's job (`_JOBS`); a question's is `answer_job`."""
    _JOBS.get(job.kind, answer_job)(slack, job)


def build_app(
    settings: Settings,
    library: Library,
    engine: Engine,
    client: WebClient | None = None,
    *,
    socket_mode: bool = False,
    workers: int = 8,
    reloader: LibraryReloader | None = None,
) -> tuple[App, SlackRuntime]:
    """A Bolt app with every listener registered, and the runtime they share (whose
    `.coach` is the Slack-free service); auth.test runs once here."""
    client = client or make_client(settings)
    coach = Coach(settings, library, engine, reloader=reloader)
    slack = SlackRuntime(coach, client, engine, workers=workers)
    try:
        auth = client.auth_test()
        slack.bot_user_id = auth.get("user_id")
        slack.bot_id = auth.get("bot_id")
    except Exception as err:
        log.warning("auth.test failed while building the app: %s", slack_error(err))
    bolt_log = logging.getLogger("slack_bolt.App")
    if _not_a_token_note not in bolt_log.filters:
        bolt_log.addFilter(_not_a_token_note)
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret,
        request_verification_enabled=not socket_mode,
        process_before_response=False,
        listener_executor=slack.workers.listener_executor,
        raise_error_for_unhandled_request=False,
        # who the bot is, from the auth.test above: Bolt then never calls auth.test while
        # handling a request, so requests (and questions) are taken in a Slack outage too
        authorize=lambda enterprise_id, team_id: AuthorizeResult(
            enterprise_id=enterprise_id,
            team_id=team_id,
            bot_user_id=slack.bot_user_id,
            bot_id=slack.bot_id,
            bot_token=client.token,
        ),
        before_authorize=store_questions_first(slack),
    )
    slack.submit(slack.coach.suggestions)  # warm: the first "no answer" should not pay for it
    register_listeners(app, slack)
    slack.answer_workers = AnswerWorkers(
        slack.answers,
        lambda job: work_on(slack, job),
        workers=settings.answer_workers,
        lease=timedelta(seconds=settings.answer_lease_seconds),
        poll=min(1.0, settings.answer_lease_seconds / 4),
        gate=slack.outage,
    ).start()
    return app, slack
