"""A direct message to the coach: answered where it was asked."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.slack.answering import take
from bot.slack.listeners.guard import guarded
from bot.slack.runtime import SlackRuntime


def register(app: App, slack: SlackRuntime) -> None:
    @app.event("message")
    @guarded
    def on_message(body: dict[str, Any]) -> None:
        """Only direct messages are questions; channel chatter is not ours to answer."""
        event = body.get("event")
        if isinstance(event, dict) and event.get("channel_type") == "im":
            take(slack, body, kind="dm")
