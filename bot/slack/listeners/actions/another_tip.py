"""Another tip: a new tip on the same topic replaces the one shown."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App

from bot.slack.listeners.guard import guarded
from bot.slack.listeners.payload import first_action, text_at, where
from bot.slack.messages.values import ACTION_ANOTHER_TIP, decode_value
from bot.slack.runtime import SlackRuntime
from bot.slack.tips import queue_tip, send_tip


def register(app: App, slack: SlackRuntime) -> None:
    @app.action(ACTION_ANOTHER_TIP)
    @guarded
    def on_another(ack: Callable[..., Any], body: dict[str, Any]) -> None:
        user, channel, _, _ = where(body)
        if not user:
            ack()
            return
        value = decode_value(first_action(body).get("value"))
        topic = value.get("t") if isinstance(value.get("t"), str) and value.get("t") else None
        response_url = text_at(body, "response_url")
        trigger = text_at(body, "trigger_id")
        stored = queue_tip(
            slack, user, topic, response_url, channel=channel, trigger_id=trigger, replace=True
        )  # before the ack, as /leadership-tip
        ack()
        if not stored:
            slack.submit(send_tip, slack, user, topic, response_url, replace=True)
