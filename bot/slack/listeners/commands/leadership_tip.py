"""/leadership-tip [topic]: a short private tip with its citation, shareable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App

from bot.slack.listeners.guard import guarded
from bot.slack.messages.answers import busy_message
from bot.slack.messages.tips import tip_help_message
from bot.slack.runtime import SlackRuntime
from bot.slack.tips import queue_tip, send_tip

HELP_WORDS = {"help", "?", "-h", "--help", "usage"}


def register(app: App, slack: SlackRuntime) -> None:
    @app.command("/leadership-tip")
    @guarded
    def on_tip(ack: Callable[..., Any], body: dict[str, Any]) -> None:
        """Store the request, then ack (help goes in the ack itself); the tip follows on the
        response_url, from whichever replica's answer workers take it."""
        raw = body.get("text")
        text = raw if isinstance(raw, str) else ""
        topic = " ".join(text.split())  # cut to its first part (and told so) by the reply
        if topic.lower() in HELP_WORDS:
            ack(**tip_help_message(slack.coach.topics), response_type="ephemeral")
            return
        user = body.get("user_id")
        if not isinstance(user, str) or not user:
            ack()
            return
        response_url = body.get("response_url")
        response_url = response_url if isinstance(response_url, str) else None
        channel, trigger = body.get("channel_id"), body.get("trigger_id")
        stored = queue_tip(
            slack,
            user,
            topic or None,
            response_url,
            channel=channel if isinstance(channel, str) else None,
            trigger_id=trigger if isinstance(trigger, str) else None,
        )  # before the ack: a replica gone after it leaves the tip to the others
        ack()
        if not stored and slack.submit(send_tip, slack, user, topic or None, response_url) is None:
            slack.respond(response_url, busy_message(), response_type="ephemeral")
