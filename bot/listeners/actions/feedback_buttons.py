"""Helpful / Not helpful: recorded in the DB, acknowledged privately, nothing re-posted."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App

from bot import blocks
from bot.app import Coach
from bot.listeners._guard import guarded
from bot.listeners.actions._payload import first_action, where

log = logging.getLogger(__name__)


def register(app: App, coach: Coach) -> None:
    @app.action(blocks.ACTION_HELPFUL)
    @guarded
    def on_helpful(ack: Callable[..., Any], body: dict[str, Any]) -> None:
        ack()
        record(coach, body, helpful=True)

    @app.action(blocks.ACTION_NOT_HELPFUL)
    @guarded
    def on_not_helpful(ack: Callable[..., Any], body: dict[str, Any]) -> None:
        ack()
        record(coach, body, helpful=False)


def record(coach: Coach, body: dict[str, Any], *, helpful: bool) -> None:
    user, channel, message_ts, thread_ts = where(body)
    if not (user and channel and message_ts):
        log.info("feedback click without user/channel/message; ignored")
        return
    value = blocks.decode_value(first_action(body).get("value"))
    raw_question, raw_passages = value.get("q"), value.get("p")
    question = raw_question if isinstance(raw_question, str) else ""
    listed = raw_passages if isinstance(raw_passages, list) else []
    passages = [p for p in listed if isinstance(p, str)]
    coach.feedback.record(
        user_id=user,
        channel=channel,
        message_ts=message_ts,
        helpful=helpful,
        question=question,
        passage_ids=passages,
    )
    text = (
        "Thanks — glad it helped! :raised_hands:"
        if helpful
        else "Thanks for telling me — I'll use that to get better. "
        "Try rephrasing, or ask about a more specific situation."
    )
    coach.submit(
        coach.ephemeral,
        channel,
        user,
        {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]},
        thread_ts,
    )
