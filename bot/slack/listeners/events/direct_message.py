"""A direct message to the coach: answered where it was asked."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.slack.listeners.guard import guarded
from bot.slack.runtime import SlackRuntime


def register(app: App, slack: SlackRuntime) -> None:
    @app.event("message")
    @guarded
    def on_message(body: dict[str, Any]) -> None:
        """Acked by Bolt. A direct message was stored as a question by bot.slack.intake
        before the ack (channel chatter was not); the answer workers take it from there."""
        event = body.get("event")
        if isinstance(event, dict) and event.get("channel_type") == "im":
            slack.wake_answers()
