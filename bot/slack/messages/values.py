"""Button ids and the state a button carries in its value (compact JSON, read defensively:
values come back from outside)."""

from __future__ import annotations

import json
from typing import Any

BUTTON_VALUE_LIMIT = 2000

ACTION_HELPFUL = "feedback_helpful"
ACTION_NOT_HELPFUL = "feedback_not_helpful"
ACTION_REASON = "feedback_reason_open"  # "Say what was missing", in the Not helpful note
ACTION_MORE = "more_like_this"
ACTION_SHARE_TIP = "tip_share"
ACTION_ANOTHER_TIP = "tip_another"
ACTION_SHARE_COACHING = "coach_me_share"  # "Share in thread" under private coaching


def encode_value(data: dict[str, Any]) -> str:
    """A button value: compact JSON, shortened field by field to fit Slack's 2000 chars."""
    data = dict(data)
    value = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    for key in ("c", "q"):  # shed context first, then shorten the question
        while len(value) > BUTTON_VALUE_LIMIT and isinstance(data.get(key), str) and data[key]:
            data[key] = data[key][: max(0, len(data[key]) - (len(value) - BUTTON_VALUE_LIMIT) - 8)]
            value = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return value[:BUTTON_VALUE_LIMIT]


def decode_value(value: Any) -> dict[str, Any]:
    """The dict a button carried; {} for anything unexpected (values come from outside)."""
    if not isinstance(value, str) or not value:
        return {}
    try:
        data = json.loads(value)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
