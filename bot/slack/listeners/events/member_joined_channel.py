"""member_joined_channel: when the member is the bot itself, say hello (once per channel)."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.slack.listeners.guard import guarded
from bot.slack.runtime import SlackRuntime
from bot.slack.welcome import welcome


def register(app: App, slack: SlackRuntime) -> None:
    @app.event("member_joined_channel")
    @guarded
    def on_member_joined(body: dict[str, Any]) -> None:
        event = body.get("event")
        if not isinstance(event, dict) or not slack.bot_user_id:
            return
        if event.get("user") != slack.bot_user_id:
            return  # someone else joined: not ours to greet
        channel = event.get("channel")
        if isinstance(channel, str) and channel:
            slack.submit(welcome, slack, channel)
