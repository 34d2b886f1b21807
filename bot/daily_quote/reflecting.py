"""Posting a quote's reflection question in its thread: at most once per channel and day.

The said-once claim is taken before chat.postMessage and released if Slack refuses, so two
replicas never both post it and a failed post is tried again by a later tick; a crash
between the two loses the question rather than doubling it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.slack.text import neutralise_mentions
from bot.store.said_once import SaidOnce
from bot.store.tables import SaidKind
from index.types import Quote

log = logging.getLogger(__name__)

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
        response = client.chat_postMessage(
            channel=channel,
            thread_ts=thread_ts,
            text=text,
            blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": text[:2900]}}],
            unfurl_links=False,
            unfurl_media=False,
        )
    except Exception as err:
        said.release(SaidKind.REFLECTION, key)
        error = getattr(getattr(err, "response", None), "get", lambda _k: None)("error")
        log.warning("Reflection question for %s in %s failed: %s", day, channel, error or err)
        return False
    said.done(SaidKind.REFLECTION, key, response.get("ts"))
    log.info("Posted the reflection question for %s in %s.", day, channel)
    return True
