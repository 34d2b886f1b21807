"""Events API listeners: questions (mentions, DMs, the assistant panel), the App Home tab
and the welcome when the bot joins a channel."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.listeners.events import (
    app_home_opened,
    app_mention,
    assistant,
    direct_message,
    member_joined_channel,
)
from bot.slack.runtime import SlackRuntime


def register(app: App, slack: SlackRuntime) -> None:
    assistant.register(app, slack)  # first: it takes messages in assistant threads
    app_mention.register(app, slack)
    direct_message.register(app, slack)
    app_home_opened.register(app, slack)
    member_joined_channel.register(app, slack)
