"""Events API listeners: questions (mentions, DMs) and the App Home tab."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.listeners.events import app_home_opened, app_mention, direct_message
from bot.slack.runtime import SlackRuntime


def register(app: App, slack: SlackRuntime) -> None:
    app_mention.register(app, slack)
    direct_message.register(app, slack)
    app_home_opened.register(app, slack)
