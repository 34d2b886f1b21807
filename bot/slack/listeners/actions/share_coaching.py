"""The "Share in thread" button under private coaching: post it in the message's thread."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App

from bot.slack.coach_me import share_in_thread
from bot.slack.listeners.guard import guarded
from bot.slack.listeners.payload import first_action, text_at, where
from bot.slack.messages.values import ACTION_SHARE_COACHING, decode_value
from bot.slack.runtime import SlackRuntime


def register(app: App, slack: SlackRuntime) -> None:
    @app.action(ACTION_SHARE_COACHING)
    @guarded
    def on_share(ack: Callable[..., Any], body: dict[str, Any]) -> None:
        ack()
        user, _, _, _ = where(body)
        if not user:
            return
        value = decode_value(first_action(body).get("value"))
        slack.submit(share_in_thread, slack, user, value, text_at(body, "response_url"))
