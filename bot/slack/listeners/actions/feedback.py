"""Helpful / Not helpful: counted, and the "feedback received" note stored, before the
ack; "Not helpful" also opens the reason form."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from slack_bolt import App

from bot.slack.feedback import after_click, record_click
from bot.slack.listeners.guard import guarded
from bot.slack.listeners.payload import first_action
from bot.slack.messages.values import ACTION_HELPFUL, ACTION_NOT_HELPFUL
from bot.slack.runtime import SlackRuntime


def register(app: App, slack: SlackRuntime) -> None:
    ids = "|".join(re.escape(a) for a in (ACTION_HELPFUL, ACTION_NOT_HELPFUL))

    @app.action(re.compile(f"^(?:{ids})$"))
    @guarded
    def on_feedback(ack: Callable[..., Any], body: dict[str, Any]) -> None:
        helpful = first_action(body).get("action_id") == ACTION_HELPFUL
        stored = record_click(slack, body, helpful=helpful)  # before the ack: see its doc
        ack()
        after_click(slack, body, helpful=helpful, stored=stored)
