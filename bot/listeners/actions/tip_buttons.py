"""Tip buttons: Share in channel (public, attributed) and Another tip (replaces the tip)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk.errors import SlackApiError

from bot import blocks
from bot.app import Coach
from bot.listeners._guard import guarded
from bot.listeners.actions._payload import first_action, text_at, where
from bot.listeners.commands.leadership_tip import send_tip

log = logging.getLogger(__name__)

CANNOT_POST = {"not_in_channel", "channel_not_found", "is_archived", "restricted_action"}


def register(app: App, coach: Coach) -> None:
    @app.action(blocks.ACTION_SHARE_TIP)
    @guarded
    def on_share(ack: Callable[..., Any], body: dict[str, Any]) -> None:
        ack()
        user, channel, _, _ = where(body)
        value = blocks.decode_value(first_action(body).get("value"))
        passage_id = value.get("p") if isinstance(value.get("p"), str) else None
        if not (user and channel and passage_id):
            log.info("'Share in channel' click missing user/channel/tip; ignored")
            return
        coach.submit(share, coach, user, channel, passage_id, text_at(body, "response_url"))

    @app.action(blocks.ACTION_ANOTHER_TIP)
    @guarded
    def on_another(ack: Callable[..., Any], body: dict[str, Any]) -> None:
        ack()
        user, _, _, _ = where(body)
        if not user:
            return
        value = blocks.decode_value(first_action(body).get("value"))
        topic = value.get("t") if isinstance(value.get("t"), str) and value.get("t") else None
        coach.submit(send_tip, coach, user, topic, text_at(body, "response_url"), replace=True)


def share(coach: Coach, user: str, channel: str, passage_id: str, response_url: str | None) -> None:
    passage = coach.passage(passage_id)
    if passage is None:
        coach.respond(
            response_url,
            {"text": "That tip is no longer in the library — try `/leadership-tip` again."},
            response_type="ephemeral",
            replace_original=False,
        )
        return
    message = blocks.shared_tip_message(passage, shared_by=user)
    try:
        coach.client.chat_postMessage(
            channel=channel,
            text=message["text"],
            blocks=message["blocks"],
            unfurl_links=False,
            unfurl_media=False,
        )
    except SlackApiError as err:
        error = err.response.get("error") if err.response is not None else None
        log.warning("sharing a tip in %s failed: %s", channel, error)
        hint = (
            "I can't post in this conversation — invite me with `/invite @Leadership Coach` "
            "and try again."
            if error in CANNOT_POST
            else "Sorry, I couldn't share that tip just now. Please try again."
        )
        coach.respond(
            response_url, {"text": hint}, response_type="ephemeral", replace_original=False
        )
        return
    except Exception as err:
        log.warning("sharing a tip in %s failed: %s", channel, err)
        return
    coach.respond(
        response_url,
        {"text": ":white_check_mark: Shared in the channel."},
        response_type="ephemeral",
        replace_original=True,
    )
