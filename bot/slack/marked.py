"""Finding a message the bot already posted, among messages Slack returned.

Every post that must not be doubled (what the answer queue delivers by chat.postMessage,
the daily quote, its reflection question, the weekly report) carries a metadata marker: an
`event_type` and a payload naming what it answers. When a post's reply was lost, the caller
reads the thread or the channel's history and asks these functions whether the post is
already there; where metadata does not come back (some workspace stand-ins drop it), a bot
message without metadata carrying the post's exact text counts too. Reading Slack stays
with the callers, which differ in where they look and what a failed read means.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

Payload = Mapping[str, Any]


def marked(
    messages: Iterable[object], event_type: str, wanted: Callable[[Payload], bool]
) -> str | None:
    """The ts of the first message whose marker is `event_type` with a payload `wanted`."""
    for message in _dicts(messages):
        meta = message.get("metadata") or {}
        if meta.get("event_type") == event_type and wanted(meta.get("event_payload") or {}):
            return str(message.get("ts"))
    return None


def unmarked_with_text(messages: Iterable[object], texts: Collection[str]) -> str | None:
    """The ts of the first bot message without metadata whose text is one of `texts`."""
    for message in _dicts(messages):
        if not message.get("metadata") and message.get("bot_id") and message.get("text") in texts:
            return str(message.get("ts"))
    return None


def _dicts(messages: Iterable[object]) -> Iterable[dict[str, Any]]:
    return (message for message in messages if isinstance(message, dict))
