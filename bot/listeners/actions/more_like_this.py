"""More like this: the next passages for the same question, posted in the same thread."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App

from bot import blocks
from bot.app import Coach
from bot.listeners._guard import guarded
from bot.listeners.actions._payload import first_action, where
from bot.listeners.events.questions import answer_blocks
from bot.slack.text import safe_echo

log = logging.getLogger(__name__)


def register(app: App, coach: Coach) -> None:
    @app.action(blocks.ACTION_MORE)
    @guarded
    def on_more(ack: Callable[..., Any], body: dict[str, Any]) -> None:
        ack()
        _, channel, message_ts, thread_ts = where(body)
        value = blocks.decode_value(first_action(body).get("value"))
        question = value.get("q")
        if not channel or not isinstance(question, str) or not question.strip():
            log.info("'More like this' click without a channel or question; ignored")
            return
        offset = value.get("o")
        offset = offset if isinstance(offset, int) and 0 <= offset <= 1000 else coach.settings.top_k
        context = value.get("c") if isinstance(value.get("c"), str) and value.get("c") else None
        thread = value.get("th") if isinstance(value.get("th"), str) else None
        if message_ts and not coach.events.claim_once(
            f"{channel}:{message_ts}:{offset}", kind="more", channel=channel, ts=message_ts
        ):
            log.info("'More like this' on %s clicked again; already answered", message_ts)
            return
        coach.submit(more, coach, channel, thread or thread_ts, question, context, offset)


def more(
    coach: Coach, channel: str, thread: str | None, question: str, context: str | None, offset: int
) -> None:
    result = coach.search(question, context=context, offset=offset)
    if result.answered and result.hits:
        message = answer_blocks(coach, question, result, context, thread, offset=offset)
        message["blocks"][0] = {
            "type": "section",
            "text": {"type": "mrkdwn", "text": f"More on _{safe_echo(question, 150)}_:"},
        }
    else:
        text = f"That's everything the library has on _{safe_echo(question, 150)}_ for now."
        message = {
            "text": text,
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
        }
    coach.post(channel, message, thread)
