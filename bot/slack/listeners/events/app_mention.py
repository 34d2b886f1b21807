"""@Leadership Coach in a channel: answered in the message's thread."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.slack.listeners.guard import guarded
from bot.slack.runtime import SlackRuntime


def register(app: App, slack: SlackRuntime) -> None:
    @app.event("app_mention")
    @guarded
    def on_mention(body: dict[str, Any]) -> None:
        """Acked by Bolt. bot.slack.intake stored the question before the ack; this tells
        the answer workers to look at once (a no-op if another event woke them already)."""
        slack.wake_answers()
