"""Slash command listeners."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.listeners.commands import leadership_tip
from bot.slack.runtime import SlackRuntime


def register(app: App, slack: SlackRuntime) -> None:
    leadership_tip.register(app, slack)
