"""What of a question is searched: a link's address and a call to everyone left out, and a
cap on its length (a 40,000-character paste is cut, not refused)."""

from __future__ import annotations

import re

_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_EVERYONE = re.compile(r"(?:<!|(?<![\w@.])@)(?:channel|here|everyone)\b(?:\|[^>]*)?>?", re.I)


def truncate_question(question: str, max_chars: int) -> tuple[str, bool]:
    """The words searched: a link's address and a call to everyone (`<!channel>`, `@here`)
    left out, as the Slack app leaves them out, then cut to `max_chars`; True when cut."""
    question = re.sub(r"\s+", " ", _EVERYONE.sub(" ", _URL.sub(" ", question))).strip()
    if len(question) <= max_chars:
        return question, False
    cut = question[:max_chars]
    space = cut.rfind(" ")
    if space > max_chars * 0.6:
        cut = cut[:space]
    return cut.strip(), True
