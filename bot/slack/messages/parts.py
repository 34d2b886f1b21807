"""The pieces every Slack message is built from: sections, buttons, citations, passages as
mrkdwn. Pure functions within Slack's limits (50 blocks, 3000 chars per section, 2000 per
button value); anything that came from a user or an article is escaped before it goes into
mrkdwn."""

from __future__ import annotations

import re
from typing import Any

from bot.slack.messages.values import BUTTON_VALUE_LIMIT
from bot.slack.text import blockquote, escape, neutralise_mentions, no_broadcasts
from index.types import ArticleMeta, Passage

Block = dict[str, Any]
Message = dict[str, Any]

MAX_BLOCKS = 50
SECTION_LIMIT = 3000
PASSAGE_LIMIT = 2400
TEXT_FALLBACK_LIMIT = 3000

_MD_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")
_MD_BOLD = re.compile(r"\*\*(.+?)\*\*")
_MD_HEADING = re.compile(r"^#{1,6}\s*", re.MULTILINE)
_SAFE_URL = re.compile(r"^https?://[^\s<>|]+$")


# Slack's errors for "not allowed to post there": the fix is an invitation, not a retry.
CANNOT_POST = frozenset({"not_in_channel", "channel_not_found", "is_archived", "restricted_action"})


def share_failed(error: str | None, *, where: str, what: str) -> str:
    """What a person whose share failed is told: invite the bot there, or try again."""
    if error in CANNOT_POST:
        return (
            f"I can't post in {where} — invite me with `/invite @Leadership Coach` and try again."
        )
    return f"Sorry, I couldn't share {what} just now. Please try again."


# ---- small pieces ---------------------------------------------------------------------
def mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def plain(text: str, limit: int = 75) -> dict[str, Any]:
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return {"type": "plain_text", "text": text, "emoji": True}


def _fit(text: str) -> str:
    return text if len(text) <= SECTION_LIMIT else text[: SECTION_LIMIT - 1] + "…"


def section(text: str) -> Block:
    return {"type": "section", "text": mrkdwn(_fit(text))}


def context(text: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(_fit(text))]}


def button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": plain(text),
        "action_id": action_id,
        "value": value[:BUTTON_VALUE_LIMIT],
    }
    if style:
        element["style"] = style
    return element


def text_message(text: str) -> Message:
    """A one-section message whose fallback is the same text."""
    return {"text": text, "blocks": [section(text)]}


def passage_mrkdwn(text: str) -> str:
    """Article Markdown as Slack mrkdwn: escaped, **bold** -> *bold*, [a](url) -> <url|a>."""
    return _md(text.strip())


def _md(text: str) -> str:
    text = escape(text)
    text = _MD_HEADING.sub("", text)
    text = _MD_LINK.sub(lambda m: f"<{m.group(2)}|{m.group(1).replace('|', '/')}>", text)
    text = _MD_BOLD.sub(r"*\1*", text)
    return neutralise_mentions(text)


def _bold(sentence: str) -> str:
    """Bold a sentence line by line (Slack bold cannot cross a newline)."""
    parts = []
    for line in sentence.split("\n"):
        core = line.strip().strip("*_~").strip()
        parts.append(f"*{core}*" if core else line)
    return "\n".join(parts)


def highlight(passage_text: str, key_sentence: str | None) -> str:
    """The passage as a quote with its key sentence in bold (when it is found verbatim)."""
    text = passage_text.strip()
    if len(text) > PASSAGE_LIMIT:
        text = text[: PASSAGE_LIMIT - 1].rstrip() + "…"
    key = (key_sentence or "").strip()
    if key and key in text:
        before, _, after = text.partition(key)
        plain_key = key.replace("**", "").replace("*", "")
        body = _md(before) + _bold(_md(plain_key)) + _md(after)
    else:
        body = _md(text)
    return blockquote(body)


def passage_blocks(passage: Passage, key_sentence: str | None) -> list[Block]:
    """One passage: the quote with its key sentence bold, then the citation."""
    return [
        section(highlight(passage.text, key_sentence)),
        context(citation(passage.article, passage.section)),
    ]


def source_link(source: str | None) -> str | None:
    if source and _SAFE_URL.match(source.strip()):
        return source.strip()
    return None


def citation(meta: ArticleMeta, section: str | None = None) -> str:
    """'— *Title* · Author · <url|Read the article>' with whatever the article states."""
    parts = [f"*{escape(meta.title)}*"]
    if section:
        parts[0] += f" ({escape(section)})"
    if meta.author:
        parts.append(escape(meta.author))
    url = source_link(meta.source)
    if url:
        parts.append(f"<{url}|Read the article>")
    elif meta.source:
        parts.append(escape(meta.source))
    return neutralise_mentions("— " + " · ".join(parts))


def citation_plain(meta: ArticleMeta) -> str:
    bits = [meta.title]
    if meta.author:
        bits.append(meta.author)
    return " — ".join(bits)


def fallback(text: str) -> str:
    """A message's `text`: one line within Slack's limit that pings no one (suggestions
    phrased from the library's tags go into it as they are)."""
    text = no_broadcasts(re.sub(r"\s+", " ", text).strip())
    return text if len(text) <= TEXT_FALLBACK_LIMIT else text[: TEXT_FALLBACK_LIMIT - 1] + "…"


def check(message: Message) -> Message:
    blocks = message.get("blocks", [])
    if len(blocks) > MAX_BLOCKS:
        message["blocks"] = blocks[: MAX_BLOCKS - 1] + [context("_(shortened)_")]
    return message
