"""Every listener, one module each, grouped by Slack surface. A listener parses, acks and
calls one function; it gets what it needs through `register(app, slack)`."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.listeners.actions import register as register_actions
from bot.slack.listeners.commands import register as register_commands
from bot.slack.listeners.events import register as register_events
from bot.slack.listeners.shortcuts import register as register_shortcuts
from bot.slack.listeners.views import register as register_views
from bot.slack.runtime import SlackRuntime


def register_listeners(app: App, slack: SlackRuntime) -> None:
    register_events(app, slack)
    register_commands(app, slack)
    register_actions(app, slack)
    register_shortcuts(app, slack)
    register_views(app, slack)
