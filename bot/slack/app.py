"""Building the Bolt app: the coach service, the Slack runtime around it, every listener."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.coach import Coach
from bot.settings import Settings
from bot.slack.client import make_client, slack_error
from bot.slack.listeners import register_listeners
from bot.slack.runtime import SlackRuntime
from index.library import Library
from index.reload import LibraryReloader

log = logging.getLogger(__name__)


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
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret,
        request_verification_enabled=not socket_mode,
        process_before_response=False,
        listener_executor=slack.workers.listener_executor,
        raise_error_for_unhandled_request=False,
        token_verification_enabled=False,  # serve() runs auth.test itself, with a clear error
    )
    try:
        auth = client.auth_test()
        slack.bot_user_id = auth.get("user_id")
        slack.bot_id = auth.get("bot_id")
    except Exception as err:
        log.warning("auth.test failed while building the app: %s", slack_error(err))
    slack.submit(slack.coach.suggestions)  # warm: the first "no answer" should not pay for it
    register_listeners(app, slack)
    return app, slack
