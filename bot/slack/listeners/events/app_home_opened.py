"""App Home: what the coach does, example questions, today's quote and the topics; for
COACH_ADMINS also the content gaps.

The publish is stored before the ack (this listener's middleware, which Bolt runs before
acking; the listener itself runs after) and done by the answer workers (bot.slack.home),
or from memory when the database could not store it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext

from bot.slack.home import publish_home, queue_home
from bot.slack.listeners.guard import guarded
from bot.slack.listeners.payload import text_at
from bot.slack.runtime import SlackRuntime

STORED = "home_stored"  # set in the request's context by the middleware


def _home_of(body: dict[str, Any]) -> str | None:
    """The user whose Home tab opened; None for the Messages tab or a malformed event."""
    event = body.get("event")
    if not isinstance(event, dict) or event.get("tab", "home") != "home":
        return None  # the Messages tab needs nothing from us
    return text_at(event, "user")


def register(app: App, slack: SlackRuntime) -> None:
    def store_first(body: dict[str, Any], context: BoltContext, next: Callable[[], None]) -> None:  # noqa: A002
        user = _home_of(body)
        if user is not None:
            context[STORED] = queue_home(
                slack,
                user,
                text_at(body, "event", "channel") or "",
                text_at(body, "event_id"),
                text_at(body, "event", "event_ts"),
            )
        next()

    @app.event("app_home_opened", middleware=[store_first])
    @guarded
    def on_home_opened(body: dict[str, Any], context: BoltContext) -> None:
        user = _home_of(body)
        if user is not None and not context.get(STORED):
            slack.submit(publish_home, slack, user)  # the database could not store it
