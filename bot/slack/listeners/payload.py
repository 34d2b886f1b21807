"""Reading payloads (block_actions, events) defensively: they come from outside and may be
odd."""

from __future__ import annotations

from typing import Any


def dig(data: Any, *keys: str) -> Any:
    """data[k1][k2]... or None as soon as something is missing or not a dict."""
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def text_at(data: Any, *keys: str) -> str | None:
    value = dig(data, *keys)
    return value if isinstance(value, str) and value else None


def first_action(body: dict[str, Any]) -> dict[str, Any]:
    actions = body.get("actions")
    if isinstance(actions, list) and actions and isinstance(actions[0], dict):
        return actions[0]
    return {}


def where(body: dict[str, Any]) -> tuple[str | None, str | None, str | None, str | None]:
    """(user, channel, message ts, thread ts) of a button click."""
    user = text_at(body, "user", "id")
    channel = text_at(body, "channel", "id") or text_at(body, "container", "channel_id")
    message_ts = text_at(body, "message", "ts") or text_at(body, "container", "message_ts")
    thread_ts = text_at(body, "message", "thread_ts") or text_at(body, "container", "thread_ts")
    return user, channel, message_ts, thread_ts
