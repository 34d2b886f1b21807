"""Questions are stored before Slack gets its ack.

Bolt acks an event before its listener runs, so a question handed to a listener could be
lost with the process. This middleware runs before any listener: a mention, a direct
message or a message in the assistant side panel is written to the answer queue (or
recognised as a retry) and only then is the request acked. The listeners (Bolt's Assistant
middleware for the panel) only wake the answer workers, so no message is answered twice.
If the database cannot take it, the request is answered 503 and Slack delivers the
event again later. Text with a lone surrogate (which JSON allows and UTF-8 does not) is
mended first, for this and every later listener: unmended, storing it failed and Slack's
every retry was refused the same way, so the question was never answered.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from slack_bolt import BoltResponse
from slack_bolt.request.payload_utils import is_user_message_event_in_assistant_thread
from sqlalchemy.exc import SQLAlchemyError

from bot.slack.answering import store_question
from bot.slack.assistant_panel import is_assistant_thread
from bot.slack.runtime import SlackRuntime
from bot.slack.sign_of_life import SIGN_OF_LIFE_KINDS
from bot.slack.text import well_formed
from bot.store.answer_queue import question_key

log = logging.getLogger(__name__)


def question_kind(body: dict[str, Any]) -> str | None:
    """'mention', 'assistant' or 'dm' for an event that may be a question; else None.

    A threaded direct message is what Bolt's Assistant middleware takes as a message in an
    assistant thread; its own predicate decides, so the two never disagree."""
    if body.get("type") != "event_callback":
        return None
    event = body.get("event")
    if not isinstance(event, dict):
        return None
    if event.get("type") == "app_mention":
        return "mention"
    if event.get("type") != "message" or event.get("channel_type") != "im":
        return None
    return "assistant" if is_user_message_event_in_assistant_thread(body) else "dm"


def store_questions_first(slack: SlackRuntime) -> Callable[..., BoltResponse]:
    """Bolt's `before_authorize` middleware: it runs once the request's signature is
    verified and before anything that may call Slack, so a question is stored even while
    Slack's Web API is down."""

    def store_questions(body: dict[str, Any], next: Callable[[], BoltResponse]) -> BoltResponse:  # noqa: A002
        well_formed(body)
        kind = question_kind(body)
        try:
            question = store_question(slack, body, kind) if kind is not None else None
        except SQLAlchemyError as err:  # not stored, so not acked: Slack delivers it again
            log.warning(
                "could not store a %s: the database is unavailable (%s); answered 503, so "
                "Slack delivers it again",
                kind,
                type(getattr(err, "orig", None) or err).__name__,
            )
            return BoltResponse(status=503, body="database unavailable")
        if question is not None:
            slack.wake_answers()
            key = question_key(question.channel, question.ts)
            if kind in SIGN_OF_LIFE_KINDS:
                slack.signs.watch(key, question.channel, question.ts)
            elif kind == "assistant" and question.thread_ts:  # or a plain DM thread's reply
                in_panel = partial(is_assistant_thread, slack, question.channel, question.thread_ts)
                slack.signs.watch(key, question.channel, question.ts, unless=in_panel)
        return next()

    return store_questions
