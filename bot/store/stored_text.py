"""Slack text cut to fit its column without cutting Slack's markup in two."""

from __future__ import annotations

import re

TEXT_LIMIT = 8000  # the stored text of a question or a request (Slack allows 40,000)
# what a cut may leave at the end: an unclosed `<!channel`, `<@U12`, `<https://ex`, or half
# of one of the three entities Slack escapes in message text (`&amp;`, `&lt;`, `&gt;`)
_OPEN_TAIL = re.compile(r"<[^<>]*\Z|&[a-z]{0,3}\Z")


def stored_text(text: str, limit: int = TEXT_LIMIT) -> str:
    """`text` cut to at most `limit` characters. A cut inside `<!channel>` left `<!c`, which
    reading the question could no longer tell for a call to everyone: the reply said the
    library had nothing that "really answers _!c_". The markup cut in two is left out."""
    if len(text) <= limit:
        return text
    return _OPEN_TAIL.sub("", text[:limit])
