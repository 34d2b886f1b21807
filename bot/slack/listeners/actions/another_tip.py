"""Another tip: a new tip on the same topic replaces the one shown."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App

from bot.slack.listeners.guard import guarded
from bot.slack.listeners.payload import first_action, text_at, where
from bot.slack.messages.values import ACTION_ANOTHER_TIP, decode_value
from bot.slack.runtime import SlackRuntime
from bot.slack.tips import send_tip


def register(app: App, slack: SlackRuntime) -> None:
    @app.action(ACTION_ANOTHER_TIP)
    @guarded
    def on_another(ack: Callable[..., Any], body: dict[str, Any]) -> None:
        ack()
        user, _, _, _ = where(body)
        if not user:
            return
        value = decode_value(first_action(body).get("value"))
        topic = value.get("t") if isinstance(value.get("t"), str) and value.get("t") else None
        slack.submit(send_tip, slack, user, topic, text_at(body, "response_url"), replace=True)
