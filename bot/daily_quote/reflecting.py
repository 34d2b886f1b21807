"""Posting a quote's reflection question in its thread: at most once per channel and day.

The said-once claim is taken before chat.postMessage and released if the post fails, so two
replicas never both post it and a failed post is tried again by a later tick; a crash
between the two loses the question rather than doubling it. A failed post may still have
reached Slack (a reset or a 5xx after Slack took it), so the thread is read before every
post and a question already there is recorded, not posted again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.daily_quote.slack_calls import FailureKind, SlackFailure, classify
from bot.slack.marked import marked, unmarked_with_text
from bot.slack.text import neutralise_mentions
from bot.store.said_once import SaidOnce
from bot.store.tables import SaidKind
from index.types import Quote

log = logging.getLogger(__name__)

EVENT_TYPE = "daily_quote_reflection"  # message metadata marker the look in the thread finds
Reflections = Callable[[Quote], str | None]  # the question for a quote (None: no question)


def post_reflection(
    client: WebClient,
    engine: Engine,
    channel: str,
    day: date,
    thread_ts: str,
    quote: Quote,
    reflections: Reflections,
) -> bool:
    """True if this call posted the question."""
    said = SaidOnce(engine)
    key = f"{channel}/{day.isoformat()}"
    if said.said(SaidKind.REFLECTION, key):
        return False
    text = reflections(quote)
    if not text:
        return False
    if not said.claim(SaidKind.REFLECTION, key):
        return False
    text = neutralise_mentions(text)
    try:
        found = _in_thread(client, channel, thread_ts, text)
    except SlackFailure as failure:
        if failure.kind != FailureKind.API:  # Slack away: a later tick looks again
            said.release(SaidKind.REFLECTION, key)
            log.warning("Reflection question for %s in %s waits: %s", day, channel, failure)
            return False
        found = None  # the thread cannot be read (a missing scope): post, as before
    if found is not None:
        said.done(SaidKind.REFLECTION, key, found)
        log.info("The reflection question for %s was already in %s.", day, channel)
        return False
    try:
        response = client.chat_postMessage(
            channel=channel,
            thread_ts=thread_ts,
            text=text,
            blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": text[:2900]}}],
            unfurl_links=False,
            unfurl_media=False,
            metadata={"event_type": EVENT_TYPE, "event_payload": {"reflection": key}},
        )
    except Exception as err:
        said.release(SaidKind.REFLECTION, key)
        error = getattr(getattr(err, "response", None), "get", lambda _k: None)("error")
        log.warning("Reflection question for %s in %s failed: %s", day, channel, error or err)
        return False
    said.done(SaidKind.REFLECTION, key, response.get("ts"))
    log.info("Posted the reflection question for %s in %s.", day, channel)
    return True


def _in_thread(client: WebClient, channel: str, thread_ts: str, text: str) -> str | None:
    """The ts of the question in the quote's thread (its marker, or where metadata does not
    come back a bot reply with its text): an earlier post whose answer was lost. Raises
    SlackFailure when the thread cannot be read."""
    try:
        response = client.conversations_replies(
            channel=channel, ts=thread_ts, limit=50, include_all_metadata=True
        )
    except Exception as exc:  # classify() re-raises what it doesn't know
        raise classify(exc) from None
    replies = [
        m
        for m in response.get("messages") or []
        if isinstance(m, dict) and m.get("ts") != thread_ts
    ]
    return marked(replies, EVENT_TYPE, lambda _payload: True) or unmarked_with_text(replies, {text})
