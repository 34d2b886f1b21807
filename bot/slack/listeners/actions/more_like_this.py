"""More like this: the next passages for the same question, posted in the same thread."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App

from bot.slack.listeners.guard import guarded
from bot.slack.listeners.payload import first_action, text_at, where
from bot.slack.messages.values import ACTION_MORE, decode_value, shown_fingerprints
from bot.slack.more_like_this import MoreClick, queue_more, send_more
from bot.slack.runtime import SlackRuntime

log = logging.getLogger(__name__)


def register(app: App, slack: SlackRuntime) -> None:
    @app.action(ACTION_MORE)
    @guarded
    def on_more(ack: Callable[..., Any], body: dict[str, Any]) -> None:
        """Store the click, then ack; the passages follow from whichever replica's answer
        workers take it."""
        user, channel, message_ts, thread_ts = where(body)
        value = decode_value(first_action(body).get("value"))
        question = value.get("q")
        if not channel or not isinstance(question, str) or not question.strip():
            ack()
            log.info("'More like this' click without a channel or question; ignored")
            return
        shown = shown_fingerprints(value)  # None: an old button, paged by its offset
        offset = len(shown) if shown is not None else value.get("o")
        offset = offset if isinstance(offset, int) and 0 <= offset <= 1000 else slack.settings.top_k
        context = value.get("c") if isinstance(value.get("c"), str) and value.get("c") else None
        thread = value.get("th") if isinstance(value.get("th"), str) else None
        click = MoreClick(
            channel=channel,
            message_ts=message_ts,
            thread=thread or thread_ts,
            user=user or "",
            question=question,
            context=context,
            offset=offset,
            shown=shown,
            trigger_id=text_at(body, "trigger_id"),
        )
        stored = queue_more(slack, click)  # before the ack: a replica gone after it loses nothing
        ack()
        if not stored:
            send_more(slack, click)
