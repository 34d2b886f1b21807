"""Share in channel: the tip posted publicly, attributed to the person who shared it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App

from bot.slack.listeners.guard import guarded
from bot.slack.listeners.payload import first_action, text_at, where
from bot.slack.messages.values import ACTION_SHARE_TIP, decode_value
from bot.slack.runtime import SlackRuntime
from bot.slack.tips import share_tip

log = logging.getLogger(__name__)


def register(app: App, slack: SlackRuntime) -> None:
    @app.action(ACTION_SHARE_TIP)
    @guarded
    def on_share(ack: Callable[..., Any], body: dict[str, Any]) -> None:
        ack()
        user, channel, tip_ts, _ = where(body)
        value = decode_value(first_action(body).get("value"))
        passage_id = value.get("p") if isinstance(value.get("p"), str) else None
        if not (user and channel and passage_id):
            log.info("'Share in channel' click missing user/channel/tip; ignored")
            return
        response_url = text_at(body, "response_url")
        shown = value.get("f") if isinstance(value.get("f"), str) else None
        slack.submit(share_tip, slack, user, channel, passage_id, response_url, tip_ts, shown)
