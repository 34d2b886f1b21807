"""/leadership-tip [topic]: a short private tip with its citation, shareable."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App

from bot import blocks
from bot.app import Coach
from bot.listeners._guard import guarded

log = logging.getLogger(__name__)

HELP_WORDS = {"help", "?", "-h", "--help", "usage"}


def register(app: App, coach: Coach) -> None:
    @app.command("/leadership-tip")
    @guarded
    def on_tip(ack: Callable[..., Any], body: dict[str, Any]) -> None:
        """Ack at once (help goes in the ack itself); the tip follows on the response_url."""
        raw = body.get("text")
        text = raw if isinstance(raw, str) else ""
        topic = " ".join(text.split())[:200]
        if topic.lower() in HELP_WORDS:
            ack(**blocks.tip_help_message(coach.topics), response_type="ephemeral")
            return
        ack()
        user = body.get("user_id")
        if not isinstance(user, str) or not user:
            return
        response_url = body.get("response_url")
        if coach.submit(send_tip, coach, user, topic or None, response_url) is None:
            coach.respond(response_url, blocks.busy_message(), response_type="ephemeral")


def send_tip(
    coach: Coach, user: str, topic: str | None, response_url: str | None, *, replace: bool = False
) -> None:
    """Pick a tip (never the one this person saw last) and answer privately."""
    picked = coach.pick_tip(user, topic)
    if picked is None:
        message = blocks.no_tip_message(topic or "", coach.topics)
    else:
        passage, key = picked
        message = blocks.tip_message(passage, topic=topic, key_sentence=key)
    coach.respond(response_url, message, response_type="ephemeral", replace_original=replace)
