"""The "Coach me on this" message shortcut: stored, acked, then coached privately by the
answer workers of whichever replica is free (bot.slack.coach_me_queue)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App

from bot.slack.coach_me import coach_on_message, parse_shortcut
from bot.slack.coach_me_queue import queue_coach_me
from bot.slack.listeners.guard import guarded
from bot.slack.messages.coach_me import SHORTCUT_COACH_ME
from bot.slack.runtime import SlackRuntime

log = logging.getLogger(__name__)


def register(app: App, slack: SlackRuntime) -> None:
    @app.message_shortcut(SHORTCUT_COACH_ME)
    @guarded
    def on_coach_me(ack: Callable[..., Any], body: dict[str, Any]) -> None:
        request = parse_shortcut(body)
        if request is None:
            ack()
            log.info("coach-me payload without user/channel/message; ignored")
            return
        trigger = body.get("trigger_id")
        trigger_id = trigger if isinstance(trigger, str) and trigger else None
        stored = queue_coach_me(slack, request, trigger_id)  # before the ack: see its doc
        ack()
        if not stored:
            slack.submit(coach_on_message, slack, request)
