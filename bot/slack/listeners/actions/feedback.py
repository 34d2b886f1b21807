"""Helpful / Not helpful: recorded in the DB, acknowledged privately, nothing re-posted."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import App

from bot.slack.listeners.guard import guarded
from bot.slack.listeners.payload import first_action, where
from bot.slack.messages.answers import feedback_thanks_message
from bot.slack.messages.values import ACTION_HELPFUL, ACTION_NOT_HELPFUL, decode_value
from bot.slack.runtime import SlackRuntime

log = logging.getLogger(__name__)


def register(app: App, slack: SlackRuntime) -> None:
    ids = "|".join(re.escape(a) for a in (ACTION_HELPFUL, ACTION_NOT_HELPFUL))

    @app.action(re.compile(f"^(?:{ids})$"))
    @guarded
    def on_feedback(ack: Callable[..., Any], body: dict[str, Any]) -> None:
        ack()
        record(slack, body, helpful=first_action(body).get("action_id") == ACTION_HELPFUL)


def record(slack: SlackRuntime, body: dict[str, Any], *, helpful: bool) -> None:
    user, channel, message_ts, thread_ts = where(body)
    if not (user and channel and message_ts):
        log.info("feedback click without user/channel/message; ignored")
        return
    value = decode_value(first_action(body).get("value"))
    raw_question, raw_passages = value.get("q"), value.get("p")
    question = raw_question if isinstance(raw_question, str) else ""
    listed = raw_passages if isinstance(raw_passages, list) else []
    slack.feedback.record(
        user_id=user,
        channel=channel,
        message_ts=message_ts,
        helpful=helpful,
        question=question,
        passage_ids=[p for p in listed if isinstance(p, str)],
    )
    message = feedback_thanks_message(helpful)
    slack.submit(slack.ephemeral, channel, user, message, thread_ts)
