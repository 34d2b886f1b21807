"""A message Slack refused for its blocks, as plain text: what the reader still gets.

Slack refuses a whole message (`invalid_blocks`, `msg_too_long`, ...) for Block Kit it will
not take; the same words as mrkdwn text without blocks are taken, so a refused answer, tip
or quote is re-sent once that way rather than lost. What the blocks say was escaped when
they were built; special mentions are defused again here all the same, so a re-send can
never ping a channel. Buttons and images have no plain-text form and are left out.
"""

from __future__ import annotations

import re
from typing import Any

from bot.slack.text import escape, no_broadcasts

Message = dict[str, Any]

# chat.postMessage / response_url errors that refuse the message for its blocks
BLOCK_REFUSALS = frozenset(
    {
        "invalid_blocks",
        "invalid_blocks_format",
        "msg_too_long",
        "msg_blocks_too_long",
        "invalid_attachments",
    }
)
TEXT_LIMIT = 39_000  # Slack cuts (or refuses) a message's text beyond 40,000 characters
_BLANK_LINES = re.compile(r"\n{3,}")


def refused_for_blocks(error: str | None, message: Message) -> bool:
    """Whether Slack's `error` refused `message` for what plain text would leave out."""
    return error in BLOCK_REFUSALS and bool(message.get("blocks") or message.get("attachments"))


def plain_text(message: Message) -> Message:
    """The message's blocks as one mrkdwn text (sections, fields, context lines, headers;
    a divider a blank line), no blocks, within TEXT_LIMIT; its `text` if the blocks say
    nothing readable."""
    lines: list[str] = []
    for block in message.get("blocks") or []:
        lines.extend(_lines(block))
    text = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
    text = no_broadcasts(text or str(message.get("text") or ""))
    if len(text) > TEXT_LIMIT:
        text = text[: TEXT_LIMIT - 1].rstrip() + "…"
    return {"text": text}


def _lines(block: Any) -> list[str]:
    if not isinstance(block, dict):
        return []
    kind = block.get("type")
    if kind == "divider":
        return [""]
    if kind == "header":
        title = _text(block.get("text"))
        return [f"*{title}*"] if title else []
    if kind == "section":
        fields = block.get("fields") if isinstance(block.get("fields"), list) else []
        return [t for t in (_text(block.get("text")), *map(_text, fields)) if t]
    if kind == "context":
        elements = block.get("elements") if isinstance(block.get("elements"), list) else []
        line = " · ".join(t for t in map(_text, elements) if t)
        return [line] if line else []
    return []  # actions, images, inputs: nothing to read without Block Kit


def _text(obj: Any) -> str:
    """A text object's words as mrkdwn (plain_text escaped, as Slack would show it)."""
    if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
        return ""
    text = obj["text"]
    return escape(text) if obj.get("type") == "plain_text" else text
