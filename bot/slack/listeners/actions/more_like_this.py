"""More like this: the next passages for the same question, posted in the same thread."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App

from bot.slack.answering import more
from bot.slack.listeners.guard import guarded
from bot.slack.listeners.payload import first_action, where
from bot.slack.messages.values import ACTION_MORE, decode_value
from bot.slack.runtime import SlackRuntime

log = logging.getLogger(__name__)


def register(app: App, slack: SlackRuntime) -> None:
    @app.action(ACTION_MORE)
    @guarded
    def on_more(ack: Callable[..., Any], body: dict[str, Any]) -> None:
        ack()
        _, channel, message_ts, thread_ts = where(body)
        value = decode_value(first_action(body).get("value"))
        question = value.get("q")
        if not channel or not isinstance(question, str) or not question.strip():
            log.info("'More like this' click without a channel or question; ignored")
            return
        offset = value.get("o")
        offset = offset if isinstance(offset, int) and 0 <= offset <= 1000 else slack.settings.top_k
        context = value.get("c") if isinstance(value.get("c"), str) and value.get("c") else None
        thread = value.get("th") if isinstance(value.get("th"), str) else None
        if message_ts and not slack.events.claim_once(
            f"{channel}:{message_ts}:{offset}", kind="more", channel=channel, ts=message_ts
        ):
            log.info("'More like this' on %s clicked again; already answered", message_ts)
            return
        slack.submit(more, slack, channel, thread or thread_ts, question, context, offset)
