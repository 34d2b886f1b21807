"""Posting a claimed row's message into its conversation, once, and settling the row by how
it went: what an answer to a question (bot.slack.answering), a "More like this" click
(bot.slack.more_like_this), the assistant panel's greeting (bot.slack.assistant_panel) and
a channel's welcome (bot.slack.welcome) share; storing a request for them before its
ack, which the tips, the clicks, the "Coach me" requests, greetings and welcomes share; and
delivering what replaces what a person sees (`deliver_replacement`: the Home tab,
bot.slack.home, and the feedback note, bot.slack.feedback_note).

The message is delivered by bot.slack.delivery (marked with the row's key, looked for in
the conversation first after an ambiguous failure). Slack failing as a whole holds every
replica's rows (bot.slack.outage); anything else is retried alone with backoff; a row older
than ANSWER_MAX_AGE_MINUTES is given up with one line rather than posted late.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from slack_sdk import WebClient
from sqlalchemy.exc import SQLAlchemyError

from bot.daily_quote.slack_calls import FailureKind, classify
from bot.slack.client import retry_delay
from bot.slack.delivery import TRANSIENT_ERRORS, Delivery, Verdict, deliver, tried_once
from bot.slack.runtime import Message, SlackRuntime
from bot.store.answer_queue import Job
from bot.store.tables import AnswerState

log = logging.getLogger(__name__)


def stored_before_ack(
    slack: SlackRuntime, store: Callable[[], bool], what: str, fallback: str, again: str
) -> bool:
    """Run `store` (a queue insert; False when the request was stored before) and wake the
    answer workers. False when the database could not take it: the caller then serves the
    request from memory (`fallback` says how, in the one line logged), as before the queue."""
    try:
        stored = store()
    except SQLAlchemyError as err:
        log.warning(
            "could not store %s: the database is unavailable (%s); %s from memory",
            what,
            type(getattr(err, "orig", None) or err).__name__,
            fallback,
        )
        return False
    if stored:
        slack.wake_answers()
    else:
        log.info("%s", again)
    return True


def too_old(slack: SlackRuntime, job: Job, now: datetime, what: str | None = None) -> bool:
    """Give the row up if it waited past ANSWER_MAX_AGE_MINUTES (Slack on hold meanwhile,
    see bot.slack.outage): True when it was dropped and nothing is to be posted."""
    max_age = timedelta(minutes=slack.settings.answer_max_age_minutes)
    if job.created_at + max_age >= now:
        return False
    slack.outage.skipped(job)
    drop(slack, job, job.last_error or "Slack on hold", what)
    return True


def post_once(
    slack: SlackRuntime,
    job: Job,
    message: Message,
    thread_ts: str | None,
    *,
    now: datetime,
    record: Callable[[str | None], None],
    waiting: Callable[[float | None], None] | None = None,
    what: str | None = None,
) -> Verdict | None:
    """Deliver `message` for the claimed row and settle it: `record(ts)` once Slack has it
    (it must settle the row), given up if Slack refused it, put back with backoff if Slack
    did not take it. `waiting(held)` runs before a retry when Slack certainly did not take
    the post and is not down as a whole (`held`: seconds of a shared hold, else None);
    `what` names the row in the log lines (default: the answer to its question). The
    verdict; None when posted and not recorded (the next claim finds it and records it)."""
    settings = slack.settings
    lease = timedelta(seconds=settings.answer_lease_seconds)
    with slack.signs.posting(job.key):  # written: no :eyes: now unless the post fails
        done = deliver(slack.client, slack.answers, job, message, thread_ts, lease)
        if done.verdict == Verdict.DELIVERED:
            try:
                record(done.ts)
            except SQLAlchemyError as err:
                # posted, not recorded: the lease runs out and the next claim finds the
                # answer in the thread (its metadata) and records it, posting nothing
                log.warning(
                    "the answer to %s in %s is in Slack but could not be recorded (%s); the "
                    "next claim finds it in the thread and records it",
                    job.ts,
                    job.channel,
                    type(err).__name__,
                )
                return None
    if done.verdict in (Verdict.DELIVERED, Verdict.REFUSED):
        slack.outage.answered(job)  # Slack answers: a hold on every replica ends
    if done.verdict == Verdict.REFUSED:
        slack.answers.give_up(job, AnswerState.FAILED, done.detail)
        what = what or f"the answer to {job.ts}"
        log.warning("Slack refused %s in %s: %s", what, job.channel, done.detail)
    elif done.verdict == Verdict.LOST:
        slack.outage.skipped(job)
    elif done.verdict == Verdict.RETRY:
        later_or_drop(slack, job, now, done, what, waiting=waiting)
    return done.verdict


def deliver_replacement(
    slack: SlackRuntime,
    job: Job,
    now: datetime,
    what: str,
    call: Callable[[WebClient], object],
    on_refused: Callable[[str], None],
) -> None:
    """Make the claimed row's one Slack call, `call(client)`, whose result replaces what the
    person sees (views.publish, chat.update), and settle the row: recorded when Slack took
    it; given up when Slack refused it (an API error not in TRANSIENT_ERRORS), then
    `on_refused(error)` says so (and may do more); else put back (`later_or_drop`, `what`
    names it), since doing it again shows nothing twice. Slack answering either way ends a
    hold on every replica. Anything but a Slack or network failure propagates."""
    once = tried_once(slack.client, timedelta(seconds=slack.settings.answer_lease_seconds))
    try:
        call(once)
    except Exception as err:
        failure = classify(err)  # anything but a Slack or network failure propagates
        if failure.kind == FailureKind.API and failure.detail not in TRANSIENT_ERRORS:
            slack.answers.give_up(job, AnswerState.FAILED, failure.detail)
            slack.outage.answered(job)  # Slack answered, if not with what was asked
            on_refused(failure.detail)
            return
        retry = Delivery(
            Verdict.RETRY, wait=failure.retry_after, detail=str(failure), failure=failure.kind
        )  # doing it again replaces it again: tried again whatever Slack may have done
        later_or_drop(slack, job, now, retry, what)
        return
    slack.answers.answered(job, None)
    slack.outage.answered(job)  # Slack answers: a hold on every replica's answers ends


def later_or_drop(
    slack: SlackRuntime,
    job: Job,
    now: datetime,
    done: Delivery,
    what: str | None = None,
    *,
    waiting: Callable[[float | None], None] | None = None,
) -> None:
    """Slack did not take it: held with every replica's rows while Slack fails as a whole
    (said once, not per row), else tried again alone with backoff; given up with one line
    when the next try would come after ANSWER_MAX_AGE_MINUTES. `waiting`: as in post_once."""
    settings = slack.settings
    held = slack.outage.failed(job, done)
    age = (now - job.created_at).total_seconds()
    delay = (
        held if held is not None else retry_delay(age, done.wait, settings.answer_retry_max_seconds)
    )
    max_age = timedelta(minutes=settings.answer_max_age_minutes)
    if job.created_at + max_age < now + timedelta(seconds=delay):
        drop(slack, job, done.detail, what)
        return
    # a sign of life only when Slack certainly did not take the post: after an ambiguous
    # failure it could land below a post that did get through; into an outage nothing
    if waiting is not None and done.not_posted and not slack.outage.is_down():
        waiting(held)
    slack.answers.retry_later(job, now + timedelta(seconds=delay), done.detail)
    log.log(
        logging.DEBUG if held is not None else logging.INFO,
        "could not deliver %s in %s (%s); next try in %.1fs",
        what or f"the answer to {job.ts}",
        job.channel,
        done.detail,
        delay,
    )


def drop(slack: SlackRuntime, job: Job, why: str, what: str | None = None) -> None:
    """Give the row up, with one line: Slack did not take it in ANSWER_MAX_AGE_MINUTES.
    `what` names it in that line (default: the answer to its question)."""
    minutes = slack.settings.answer_max_age_minutes
    slack.answers.give_up(job, AnswerState.DROPPED, why)
    log.warning(
        "dropped %s in %s: Slack unreachable for %d minutes (%s)",
        what or f"the answer to {job.ts}",
        job.channel,
        minutes,
        why,
    )
