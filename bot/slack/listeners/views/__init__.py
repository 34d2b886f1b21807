"""Modal listeners: the "What were you looking for?" form."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.listeners.views import feedback_reason
from bot.slack.runtime import SlackRuntime


def register(app: App, slack: SlackRuntime) -> None:
    feedback_reason.register(app, slack)
