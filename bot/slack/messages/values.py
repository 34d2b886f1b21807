"""Button ids and the state a button carries in its value (compact JSON, read defensively:
values come back from outside)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from typing import Any

BUTTON_VALUE_LIMIT = 2000

ACTION_HELPFUL = "feedback_helpful"
ACTION_NOT_HELPFUL = "feedback_not_helpful"
ACTION_REASON = "feedback_reason_open"  # "Say what was missing", in the Not helpful note
ACTION_MORE = "more_like_this"
ACTION_SHARE_TIP = "tip_share"
ACTION_ANOTHER_TIP = "tip_another"
ACTION_SHARE_COACHING = "coach_me_share"  # "Share in thread" under private coaching

# A "More like this" button carries the fingerprints of every passage its thread showed (13
# characters each in its JSON), so a click leaves those very passages out whatever the
# library ranks where by then; past this many the button is not offered (30: about 400 of
# the value's 2000 characters, the question and context keep the rest).
MORE_SHOWN_MAX = 30
_FINGERPRINT = re.compile(r"[0-9a-f]{10}")  # Passage.fingerprint


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


def shown_fingerprints(value: dict[str, Any]) -> tuple[str, ...] | None:
    """The fingerprints a "More like this" button says its thread showed (at most one past
    MORE_SHOWN_MAX: enough to tell it is full); None for a button made before buttons
    carried them (its offset `o` alone) or one carrying none."""
    shown = value.get("x")
    if not isinstance(shown, list):
        return None
    valid = (s for s in shown if isinstance(s, str) and _FINGERPRINT.fullmatch(s))
    return tuple(dict.fromkeys(valid))[: MORE_SHOWN_MAX + 1] or None


def shown_digest(shown: Sequence[str]) -> str:
    """A short name for a set of shown passages: the same click twice (a double click,
    Slack's retry, on any replica) gives the same one, whatever their order."""
    return hashlib.sha1(" ".join(sorted(set(shown))).encode()).hexdigest()[:10]
