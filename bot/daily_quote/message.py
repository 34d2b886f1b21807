"""The daily quote as a Slack message: a pure function, so it is easy to test and preview."""

from __future__ import annotations

from typing import Any

from bot.slack.text import blockquote, escape
from index.types import Quote

# Slack caps a section's text at 3000 characters and a context element's at 2000.
MAX_QUOTE_CHARS = 2900
MAX_LINE_CHARS = 1900
HEADING = "Today's leadership quote"


def _clip(text: str, limit: int) -> str:
    """Keep a block within Slack's size limit rather than have the whole post rejected."""
    text = " ".join(text.split()) if "\n" not in text else text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def quote_message(quote: Quote, *, heading: str = HEADING) -> dict[str, Any]:
    """A chat.postMessage payload (`text` fallback + `blocks`) for one quote.

    The fallback carries the same words as the blocks: it is what notifications and
    screen readers show, and what crash recovery matches in the channel history.
    """
    body = escape(_clip(quote.text, MAX_QUOTE_CHARS))
    author = escape(_clip(quote.author or "Unknown", MAX_LINE_CHARS))
    title = escape(_clip(quote.article_title, MAX_LINE_CHARS)) if quote.article_title else None

    fallback = f"“{body}” — {author}"
    if title:
        fallback += f" (From: {title})"

    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": heading, "emoji": True}},
        {"type": "section", "text": {"type": "mrkdwn", "text": blockquote(body)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"— {author}"}]},
    ]
    if title:
        blocks[-1]["elements"].append({"type": "mrkdwn", "text": f"From: {title}"})
    return {"text": fallback, "blocks": blocks}
