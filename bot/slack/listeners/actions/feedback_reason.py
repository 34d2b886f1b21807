""" "Say what was missing", the button in a Not helpful note: opens the reason form again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App

from bot.slack.feedback import reopen_reason_form
from bot.slack.listeners.guard import guarded
from bot.slack.messages.values import ACTION_REASON
from bot.slack.runtime import SlackRuntime


def register(app: App, slack: SlackRuntime) -> None:
    @app.action(ACTION_REASON)
    @guarded
    def on_reason_button(ack: Callable[..., Any], body: dict[str, Any]) -> None:
        ack()
        reopen_reason_form(slack, body)  # its trigger_id is valid for 3 seconds
