"""Shortcut listeners: "Coach me on this" on any message."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.listeners.shortcuts import coach_me
from bot.slack.runtime import SlackRuntime


def register(app: App, slack: SlackRuntime) -> None:
    coach_me.register(app, slack)
