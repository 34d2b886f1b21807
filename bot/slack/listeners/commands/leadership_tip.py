"""/leadership-tip [topic]: a short private tip with its citation, shareable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App

from bot.slack.listeners.guard import guarded
from bot.slack.messages.answers import busy_message
from bot.slack.messages.tips import tip_help_message
from bot.slack.runtime import SlackRuntime
from bot.slack.tips import send_tip

HELP_WORDS = {"help", "?", "-h", "--help", "usage"}


def register(app: App, slack: SlackRuntime) -> None:
    @app.command("/leadership-tip")
    @guarded
    def on_tip(ack: Callable[..., Any], body: dict[str, Any]) -> None:
        """Ack at once (help goes in the ack itself); the tip follows on the response_url."""
        raw = body.get("text")
        text = raw if isinstance(raw, str) else ""
        topic = " ".join(text.split())[:200]
        if topic.lower() in HELP_WORDS:
            ack(**tip_help_message(slack.coach.topics), response_type="ephemeral")
            return
        ack()
        user = body.get("user_id")
        if not isinstance(user, str) or not user:
            return
        response_url = body.get("response_url")
        if slack.submit(send_tip, slack, user, topic or None, response_url) is None:
            slack.respond(response_url, busy_message(), response_type="ephemeral")
