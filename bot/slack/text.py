"""Turning Slack message text into a plain question, and plain text back into safe mrkdwn.

Slack sends text with its own markup (`<@U123>`, `<!channel>`, `<http://x|label>`, `&amp;`).
Search wants plain words; anything we echo back must never become a ping or a link the user
did not write, so it is escaped and special mentions are neutralised.
"""

from __future__ import annotations

import re
from typing import Any

_ANGLE = re.compile(r"<([^<>]*)>")
_SPECIAL_WORDS = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
_BROADCAST_WORD = re.compile(r"(?<![\w@.])@(?:channel|here|everyone)\b", re.IGNORECASE)
_FENCE = re.compile(r"```")
_INLINE_CODE = re.compile(r"`([^`]*)`")
_EMPHASIS = re.compile(r"(?<![\w*_~])([*_~])(?=\S)(.+?)(?<=\S)\1(?![\w*_~])")
_QUOTE_PREFIX = re.compile(r"^\s*(?:&gt;|>)+\s?", re.MULTILINE)
_WS = re.compile(r"\s+")
_SPECIAL_MENTION = re.compile(r"<![^<>]*>")
# an emoji as Slack writes it in message text (`:thinking_face:`, `:+1::skin-tone-2:`)
_EMOJI = re.compile(r"(?<![\w:]):[a-z0-9_+'-]+:(?::skin-tone-\d:)?(?![\w])")
_SURROGATE = re.compile("[\ud800-\udfff]")  # after json.loads, only lone ones remain
ZWSP = "\u200b"


def well_formed(value: Any) -> Any:
    """`value` with each lone surrogate (half an emoji: JSON can carry one, UTF-8 cannot, so
    the database and Slack would refuse the text) replaced by U+FFFD; dicts and lists are
    changed in place."""
    if isinstance(value, str):
        return value if value.isascii() else _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        for key, item in value.items():
            value[key] = well_formed(item)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            value[i] = well_formed(item)
    return value


def unescape(text: str) -> str:
    """Slack escapes exactly these three in message text."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def escape(text: str) -> str:
    """Text shown as written inside mrkdwn: &, < and > escaped so it forms no Slack link or
    mention, and a literal @channel/@here/@everyone broken so it notifies no one (an
    article's title or tag, a quote, a curated question: mrkdwn parses those words)."""
    return neutralise_mentions(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def neutralise_mentions(text: str) -> str:
    """Break literal @channel/@here/@everyone with a zero-width space so they never notify."""
    return _SPECIAL_WORDS.sub(lambda m: "@" + ZWSP + m.group(1), text)


def no_broadcasts(text: str) -> str:
    """Mrkdwn made safe to post whatever its source: special mentions (`<!channel>`,
    `<!here>`, `<!subteam^…>`) shown as text, literal @channel words broken."""
    return neutralise_mentions(_SPECIAL_MENTION.sub(lambda m: escape(m.group(0)), text))


def safe_echo(text: str, limit: int = 200) -> str:
    """Plain text made safe to show inside mrkdwn: escaped, neutralised, shortened."""
    text = _WS.sub(" ", text).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return neutralise_mentions(escape(text))


def blockquote(text: str) -> str:
    """Prefix every line with '>' so multi-line mrkdwn stays one quotation."""
    lines = [line.strip() for line in text.splitlines()]
    return "\n".join(f">{line}" if line else ">" for line in lines)


def _replace_angle(match: re.Match[str], bot_user_id: str | None) -> str:
    inner = match.group(1)
    if not inner:
        return " "
    target, _, label = inner.partition("|")
    if target.startswith("@"):  # user mention <@U123> or <@U123|name>
        user = target[1:]
        if bot_user_id and user == bot_user_id:
            return " "
        return " "  # other people are not part of the question
    if target.startswith("#"):  # channel <#C123|general>
        return f" #{label} " if label else " "
    if target.startswith("!"):  # <!channel>, <!here>, <!subteam^S1|@team>, <!date^...|fb>
        if target.startswith("!date") and label:
            return label
        return " "
    # a link: <http://x|label> -> label, <mailto:a@b> -> a@b, and a pasted <http://x> is left
    # out: its address is no words of the question, and searched it made short questions
    # abstain ("how do I set territories fairly? <https://zoom.us/j/98765>")
    if label:
        return label
    if target.startswith("mailto:"):
        return target.removeprefix("mailto:")
    return " "


def clean_question(text: str | None, bot_user_id: str | None = None) -> str:
    """The question a person asked: mentions, links and formatting reduced to plain words;
    emoji left out (searched, `:wave:` found passages on anything with "wave" nearby)."""
    if not text:
        return ""
    text = _FENCE.sub(" ", text)
    text = _QUOTE_PREFIX.sub("", text)
    text = _ANGLE.sub(lambda m: _replace_angle(m, bot_user_id), text)
    text = unescape(text)
    text = _INLINE_CODE.sub(r"\1", text)
    text = _EMOJI.sub(" ", text)  # an emoji's name is not part of the question
    for _ in range(2):  # nested *_bold italic_*
        text = _EMPHASIS.sub(r"\2", text)
    # anything that still looks like Slack markup is dropped, never echoed as markup
    text = text.replace("<", " ").replace(">", " ")
    # a typed @here (left as text in a DM or the panel) addresses people, as <!here> does:
    # searched, it made the coach abstain ("@here how do I set territories fairly?")
    text = _BROADCAST_WORD.sub(" ", text)
    text = neutralise_mentions(text)  # what is left, e.g. bob@here.com, never pings
    return _WS.sub(" ", text).strip()


def mentions_user(text: str | None, user_id: str | None) -> bool:
    """Whether the raw Slack text mentions `user_id` (e.g. the bot, in a DM)."""
    if not text or not user_id:
        return False
    return f"<@{user_id}>" in text or f"<@{user_id}|" in text
