"""Helpful / Not helpful and "What were you looking for?": the work behind the feedback
listeners. A click is counted the moment it arrives, before its ack, so closing the form
without writing anything still counts, and a replica killed after the ack loses no vote
(before, the vote was written after the ack); the form only adds the reason. The note under
the answer goes through the answer queue (bot.slack.feedback_note)."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot.slack.client import slack_error
from bot.slack.feedback_note import queue_note
from bot.slack.listeners.payload import dig, first_action, text_at, where
from bot.slack.messages.answers import feedback_thanks_message
from bot.slack.messages.gaps import REASON_ACTION, REASON_BLOCK, reason_modal, with_feedback_note
from bot.slack.messages.values import decode_value, encode_value
from bot.slack.runtime import SlackRuntime
from bot.store.feedback import AnswerRef

log = logging.getLogger(__name__)


def _about(user: str, channel: str, message_ts: str, data: dict[str, Any]) -> AnswerRef:
    """The answer a click or form is about, with the question and passage ids that a button
    value or the form's private_metadata carries."""
    question = data.get("q") if isinstance(data.get("q"), str) else ""
    listed = data.get("p") if isinstance(data.get("p"), list) else []
    return {
        "user_id": user,
        "channel": channel,
        "message_ts": message_ts,
        "question": str(question),
        "passage_ids": [p for p in listed if isinstance(p, str)],  # type: ignore[union-attr]
    }


def _clicked(body: dict[str, Any]) -> AnswerRef | None:
    """The answer a button click is about (its value carries the question and passages);
    None when the click names no user, channel or message."""
    user, channel, message_ts, _ = where(body)
    if not (user and channel and message_ts):
        return None
    return _about(user, channel, message_ts, decode_value(first_action(body).get("value")))


def record_click(slack: SlackRuntime, body: dict[str, Any], *, helpful: bool) -> bool | None:
    """Count the vote and store the "feedback received" note for the answer workers; call
    it before the ack, so a replica killed after the ack loses neither. True when the note
    was stored, False when it is to be sent from memory (`after_click`), None when the
    click says nothing to count."""
    about = _clicked(body)
    if about is None:
        log.info("feedback click without user/channel/message; ignored")
        return None
    user, channel, message_ts, thread_ts = where(body)
    try:
        slack.feedback.record(helpful=helpful, **about)
    except SQLAlchemyError as err:  # the leader still sees the note, and the form opens
        kind = type(getattr(err, "orig", None) or err).__name__
        log.warning("could not count a feedback click: the database is unavailable (%s)", kind)
    blocks = dig(body, "message", "blocks")
    if not (isinstance(blocks, list) and blocks and all(isinstance(b, dict) for b in blocks)):
        return False  # no answer at hand to put the note under: a private thanks instead
    message = {"text": text_at(body, "message", "text"), "blocks": blocks}
    click = text_at(body, "trigger_id")
    return queue_note(slack, click, (user, channel, message_ts, thread_ts), message, helpful)


def after_click(
    slack: SlackRuntime, body: dict[str, Any], *, helpful: bool, stored: bool | None
) -> None:
    """After the ack: "Not helpful" opens the reason form (its trigger_id is valid for 3
    seconds); a note not stored (`record_click`) is sent from memory."""
    if stored is None:
        return
    if not helpful and (about := _clicked(body)) is not None:
        open_reason_form(slack, body, about)
    user, channel, message_ts, thread_ts = where(body)
    if not stored and user and channel and message_ts:
        slack.submit(mark_received, slack, body, channel, message_ts, user, thread_ts, helpful)


def reopen_reason_form(slack: SlackRuntime, body: dict[str, Any]) -> None:
    """ "Say what was missing" under a Not helpful note: the form for the answer the button
    sits under, with this click's own trigger_id (the vote was counted already)."""
    about = _clicked(body)
    if about is None:
        log.info("reason button without user/channel/message; ignored")
        return
    open_reason_form(slack, body, about)


def open_reason_form(slack: SlackRuntime, body: dict[str, Any], about: AnswerRef) -> bool:
    trigger_id = text_at(body, "trigger_id")
    if not trigger_id:
        log.info("Not helpful click without a trigger_id; no reason form")
        return False
    metadata = encode_value(
        {
            "c": about["channel"],
            "ts": about["message_ts"],
            "q": about.get("question", "")[:300],
            "p": about.get("passage_ids"),
        }
    )
    try:
        slack.client.views_open(trigger_id=trigger_id, view=reason_modal(metadata))
    except Exception as err:  # an expired trigger must not lose the vote
        log.warning("views.open for the reason form failed: %s", slack_error(err))
        return False
    return True


def mark_received(
    slack: SlackRuntime,
    body: dict[str, Any],
    channel: str,
    message_ts: str,
    user: str,
    thread_ts: str | None,
    helpful: bool,
) -> None:
    """A note under the answer's buttons; a private thanks when the message is not at hand.
    The memory path: the database could not store the note, or the answer was not at hand."""
    blocks = dig(body, "message", "blocks")
    if isinstance(blocks, list) and all(isinstance(b, dict) for b in blocks) and blocks:
        text = text_at(body, "message", "text") or "Feedback received."
        try:
            slack.client.chat_update(
                channel=channel,
                ts=message_ts,
                text=text,
                blocks=with_feedback_note(blocks, helpful),
            )
            return
        except Exception as err:
            log.warning("could not mark feedback on %s: %s", message_ts, slack_error(err))
    slack.ephemeral(channel, user, feedback_thanks_message(helpful), thread_ts)


def store_reason(slack: SlackRuntime, body: dict[str, Any]) -> None:
    """What the person wrote in the form (nothing to store when they left it empty)."""
    user = text_at(body, "user", "id")
    view = body.get("view") if isinstance(body.get("view"), dict) else {}
    meta = decode_value(view.get("private_metadata"))  # type: ignore[union-attr]
    channel, message_ts = meta.get("c"), meta.get("ts")
    raw = dig(view, "state", "values", REASON_BLOCK, REASON_ACTION, "value")
    reason = raw.strip() if isinstance(raw, str) else ""
    if not (user and isinstance(channel, str) and isinstance(message_ts, str)):
        log.info("reason form without user or answer; ignored")
        return
    if not reason:
        return  # the click was counted when it happened
    slack.feedback.record_reason(reason=reason, **_about(user, channel, message_ts, meta))
