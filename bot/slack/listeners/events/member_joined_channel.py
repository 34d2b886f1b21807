"""member_joined_channel: when the member is the bot itself, say hello (once per channel).

The welcome is stored before the ack (this listener's middleware, which Bolt runs before
acking; the listener itself runs after) and posted by the answer workers
(bot.slack.welcome), or from memory when the database could not store it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext

from bot.slack.listeners.guard import guarded
from bot.slack.listeners.payload import text_at
from bot.slack.runtime import SlackRuntime
from bot.slack.welcome import queue_welcome, welcome

STORED = "welcome_stored"  # set in the request's context by the middleware


def register(app: App, slack: SlackRuntime) -> None:
    def bot_joined(body: dict[str, Any]) -> str | None:
        """The channel the bot itself joined; None when someone else joined."""
        if not slack.bot_user_id or text_at(body, "event", "user") != slack.bot_user_id:
            return None  # someone else joined: not ours to greet
        return text_at(body, "event", "channel")

    def store_first(body: dict[str, Any], context: BoltContext, next: Callable[[], None]) -> None:  # noqa: A002
        channel = bot_joined(body)
        if channel is not None:
            context[STORED] = queue_welcome(
                slack, channel, text_at(body, "event_id"), text_at(body, "event", "event_ts")
            )
        next()

    @app.event("member_joined_channel", middleware=[store_first])
    @guarded
    def on_member_joined(body: dict[str, Any], context: BoltContext) -> None:
        channel = bot_joined(body)
        if channel is not None and not context.get(STORED):
            slack.submit(welcome, slack, channel)  # the database could not store it
