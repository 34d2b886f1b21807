"""The reason form's submission: acked at once (the modal closes), stored on a worker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App

from bot.slack.feedback import store_reason
from bot.slack.listeners.guard import guarded
from bot.slack.messages.gaps import REASON_CALLBACK
from bot.slack.runtime import SlackRuntime


def register(app: App, slack: SlackRuntime) -> None:
    @app.view(REASON_CALLBACK)
    @guarded
    def on_reason(ack: Callable[..., Any], body: dict[str, Any]) -> None:
        ack()
        slack.submit(store_reason, slack, body)
