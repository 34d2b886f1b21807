"""Block Kit messages built from library results: pure functions, no Slack calls.

Every builder returns a dict with `text` (the notification / accessibility fallback) and
`blocks`, within Slack's limits (50 blocks, 3000 chars per section, 2000 per button value).
Anything that came from a user or an article is escaped before it goes into mrkdwn.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from bot.slack.text import escape, neutralise_mentions, safe_echo
from index.types import ArticleMeta, Hit, Passage, Quote, SearchResult

Block = dict[str, Any]
Message = dict[str, Any]

MAX_BLOCKS = 50
SECTION_LIMIT = 3000
PASSAGE_LIMIT = 2400
BUTTON_VALUE_LIMIT = 2000
TEXT_FALLBACK_LIMIT = 3000

ACTION_HELPFUL = "feedback_helpful"
ACTION_NOT_HELPFUL = "feedback_not_helpful"
ACTION_MORE = "more_like_this"
ACTION_SHARE_TIP = "tip_share"
ACTION_ANOTHER_TIP = "tip_another"

_MD_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")
_MD_BOLD = re.compile(r"\*\*(.+?)\*\*")
_MD_HEADING = re.compile(r"^#{1,6}\s*", re.MULTILINE)
_SAFE_URL = re.compile(r"^https?://[^\s<>|]+$")


# ---- small pieces ---------------------------------------------------------------------
def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def _plain(text: str, limit: int = 75) -> dict[str, Any]:
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return {"type": "plain_text", "text": text, "emoji": True}


def _section(text: str) -> Block:
    if len(text) > SECTION_LIMIT:
        text = text[: SECTION_LIMIT - 1] + "…"
    return {"type": "section", "text": _mrkdwn(text)}


def _context(text: str) -> Block:
    if len(text) > SECTION_LIMIT:
        text = text[: SECTION_LIMIT - 1] + "…"
    return {"type": "context", "elements": [_mrkdwn(text)]}


def _button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": _plain(text),
        "action_id": action_id,
        "value": value[:BUTTON_VALUE_LIMIT],
    }
    if style:
        button["style"] = style
    return button


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


def passage_mrkdwn(text: str) -> str:
    """Article Markdown as Slack mrkdwn: escaped, **bold** -> *bold*, [a](url) -> <url|a>."""
    return _md(text.strip())


def _md(text: str) -> str:
    text = escape(text)
    text = _MD_HEADING.sub("", text)
    text = _MD_LINK.sub(lambda m: f"<{m.group(2)}|{m.group(1).replace('|', '/')}>", text)
    text = _MD_BOLD.sub(r"*\1*", text)
    return neutralise_mentions(text)


def _quote_lines(text: str) -> str:
    """Prefix every non-empty line with '>' so the passage renders as one block quote."""
    lines = [line.strip() for line in text.splitlines()]
    return "\n".join(f">{line}" if line else ">" for line in lines)


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
    return _quote_lines(body)


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


def topic_label(topic: str) -> str:
    return topic.replace("-", " ").replace("_", " ").strip()


SUGGESTION_TEMPLATES = (  # phrasings that read well with any topic noun
    "Any advice on {t}?",
    "What should I know about {t}?",
)


def suggest_questions(topics: Sequence[str], n: int = 3) -> list[str]:
    """Questions phrased from the library's own topics (never canned answers).

    The app keeps only those the library really answers (Coach.suggestions).
    """
    out: list[str] = []
    for i, topic in enumerate(t for t in topics if t.strip()):
        if len(out) >= n:
            break
        out.append(SUGGESTION_TEMPLATES[i % len(SUGGESTION_TEMPLATES)].format(t=topic_label(topic)))
    return out


def _fallback(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= TEXT_FALLBACK_LIMIT else text[: TEXT_FALLBACK_LIMIT - 1] + "…"


def _check(message: Message) -> Message:
    blocks = message.get("blocks", [])
    if len(blocks) > MAX_BLOCKS:
        message["blocks"] = blocks[: MAX_BLOCKS - 1] + [_context("_(shortened)_")]
    return message


# ---- answers --------------------------------------------------------------------------
def hit_blocks(hit: Hit) -> list[Block]:
    """One passage: the quote with its key sentence bold, then the citation."""
    p = hit.passage
    return [
        _section(highlight(p.text, hit.key_sentence)),
        _context(citation(p.article, p.section)),
    ]


def answer_message(
    result: SearchResult,
    *,
    asked: str,
    max_chars: int,
    button_value: str,
    more_value: str | None = None,
    follow_up_of: str | None = None,
) -> Message:
    """The reply to a question with at least one relevant passage."""
    echo = safe_echo(asked, 150)
    intro = f"Here's what the library says about _{echo}_:"
    if follow_up_of:
        intro = f"Following up on _{safe_echo(follow_up_of, 100)}_ — {intro[0].lower()}{intro[1:]}"
    blocks: list[Block] = [_section(intro)]
    if result.truncated:
        blocks.append(
            _context(
                f":scissors: Your question was long, so I searched only its first "
                f"{max_chars} characters."
            )
        )
    fallback = [f"Here's what the library says about {safe_echo(asked, 100)}:"]
    for hit in result.hits[:10]:
        blocks.append({"type": "divider"})
        blocks.extend(hit_blocks(hit))
        fallback.append(
            f"{hit.rank}. \u201c{safe_echo(hit.key_sentence or hit.passage.text, 200)}\u201d"
            f" ({safe_echo(citation_plain(hit.passage.article), 120)})"
        )
    if result.truncated:
        fallback.append(f"(Your question was long; I searched its first {max_chars} characters.)")
    elements = [
        _button(":thumbsup: Helpful", ACTION_HELPFUL, button_value),
        _button(":thumbsdown: Not helpful", ACTION_NOT_HELPFUL, button_value),
    ]
    if result.more and more_value:
        elements.append(_button("More like this", ACTION_MORE, more_value, style="primary"))
    blocks.append({"type": "divider"})
    blocks.append({"type": "actions", "block_id": "answer_actions", "elements": elements})
    return _check({"text": _fallback(" ".join(fallback)), "blocks": blocks})


def no_answer_message(
    *,
    asked: str,
    topics: Sequence[str],
    max_chars: int,
    truncated: bool = False,
    suggestions: Sequence[str] | None = None,
) -> Message:
    """Nothing relevant: say so kindly, cite nothing, suggest questions that do work."""
    echo = safe_echo(asked, 150)
    suggestions = list(suggestions if suggestions is not None else suggest_questions(topics, 3))
    lines = [
        f"I looked, but the library doesn't have anything that really answers _{echo}_ yet — "
        "I'd rather say so than guess."
    ]
    blocks: list[Block] = [_section(lines[0])]
    if truncated:
        blocks.append(
            _context(
                f":scissors: Your question was long, so I searched only its first "
                f"{max_chars} characters."
            )
        )
    if suggestions:
        bullet = "\n".join(f"• {escape(s)}" for s in suggestions)
        blocks.append(_section(f"Here are a few things I can help with:\n{bullet}"))
        lines.append("Try asking: " + " / ".join(suggestions))
    if truncated:
        lines.append(f"(Your question was long; I searched its first {max_chars} characters.)")
    return _check({"text": _fallback(" ".join(lines)), "blocks": blocks})


def help_message(
    topics: Sequence[str], *, daily_quote: bool = True, examples: Sequence[str] | None = None
) -> Message:
    """What to ask, the slash command and the daily quote: for a bare mention."""
    examples = list(examples or suggest_questions(topics, 3) or ["How do I motivate my reps?"])
    example_text = "\n".join(f"• @Leadership Coach {escape(q)}" for q in examples)
    blocks: list[Block] = [
        _section(
            ":wave: I'm *Leadership Coach*. Mention me with a question about leading a "
            "sales team and I'll answer in a thread with passages from our article library, "
            "each cited."
        ),
        _section(f"*Try:*\n{example_text}"),
        _section(
            "*Also:*\n• `/leadership-tip` for a quick tip (or `/leadership-tip coaching` "
            "for one on a topic)\n• Message me directly — I answer DMs too"
            + ("\n• A leadership quote is posted every weekday morning" if daily_quote else "")
        ),
    ]
    text = (
        "I'm Leadership Coach: mention me with a question about sales leadership, "
        "or use /leadership-tip for a quick tip."
    )
    return _check({"text": text, "blocks": blocks})


def busy_message() -> Message:
    text = "I'm answering a lot of questions right now — please ask me again in a minute."
    return {"text": text, "blocks": [_section(text)]}


def error_message() -> Message:
    text = "Sorry, something went wrong while I was looking that up. Please try again."
    return {"text": text, "blocks": [_section(text)]}


# ---- tips -----------------------------------------------------------------------------
def tip_message(passage: Passage, *, topic: str | None, key_sentence: str | None = None) -> Message:
    """A private tip with buttons to share it or get another."""
    head = ":bulb: *Leadership tip*"
    if topic:
        head += f" on _{safe_echo(topic, 60)}_"
    value = encode_value({"p": passage.id, "t": topic or ""})
    blocks: list[Block] = [
        _section(head),
        _section(highlight(passage.text, key_sentence)),
        _context(citation(passage.article, passage.section)),
        {
            "type": "actions",
            "block_id": "tip_actions",
            "elements": [
                _button("Share in channel", ACTION_SHARE_TIP, value, style="primary"),
                _button("Another tip", ACTION_ANOTHER_TIP, value),
            ],
        },
    ]
    cite = safe_echo(citation_plain(passage.article), 120)
    text = f"Leadership tip: {safe_echo(passage.text, 300)} ({cite})"
    return _check({"text": _fallback(text), "blocks": blocks})


def shared_tip_message(
    passage: Passage, *, shared_by: str, key_sentence: str | None = None
) -> Message:
    """The tip as posted publicly, attributed to the person who shared it."""
    who = re.sub(r"[^A-Za-z0-9]", "", shared_by)
    blocks: list[Block] = [
        _section(":bulb: *Leadership tip*"),
        _section(highlight(passage.text, key_sentence)),
        _context(citation(passage.article, passage.section)),
        _context(f"Shared by <@{who}> with /leadership-tip"),
    ]
    text = (
        f"Leadership tip shared by <@{who}>: {safe_echo(passage.text, 300)} "
        f"({safe_echo(citation_plain(passage.article), 120)})"
    )
    return _check({"text": _fallback(text), "blocks": blocks})


def no_tip_message(topic: str, topics: Sequence[str]) -> Message:
    labels = ", ".join(f"`{escape(t)}`" for t in list(topics)[:8])
    text = f"I don't have a tip on _{safe_echo(topic, 60)}_ yet."
    if labels:
        text += f" Try one of: {labels} — or `/leadership-tip` with no topic for a surprise."
    return {"text": _fallback(text), "blocks": [_section(text)]}


def tip_help_message(topics: Sequence[str]) -> Message:
    labels = ", ".join(f"`{escape(t)}`" for t in list(topics)[:10])
    text = (
        "*/leadership-tip* — a short leadership tip, just for you.\n"
        "• `/leadership-tip` — a tip picked for variety\n"
        "• `/leadership-tip <topic>` — a tip on a topic, e.g. `/leadership-tip coaching`\n"
        "• `/leadership-tip help` — this message\n"
        "Use *Share in channel* to post a tip for everyone, or *Another tip* for a new one."
    )
    if labels:
        text += f"\nTopics: {labels}"
    return {
        "text": "Usage: /leadership-tip [topic] — a short leadership tip; "
        "/leadership-tip help for this message.",
        "blocks": [_section(text)],
    }


# ---- quotes and App Home --------------------------------------------------------------
def quote_mrkdwn(quote: Quote) -> str:
    text = f">{passage_mrkdwn(quote.text)}\n— {escape(quote.author)}"
    if quote.article_title:
        text += f", _{escape(quote.article_title)}_"
    return neutralise_mentions(text)


def home_view(
    *, topics: Sequence[str], quote: Quote | None, examples: Sequence[str] | None = None
) -> dict[str, Any]:
    """The App Home tab: what the coach does, example questions, today's quote, topics."""
    examples = list(examples or suggest_questions(topics, 4) or ["How do I motivate my reps?"])
    blocks: list[Block] = [
        {"type": "header", "text": _plain("Leadership Coach", 150)},
        _section(
            "I answer sales leaders' questions with passages from a curated article library, "
            "always with the article they came from. Mention me in a channel, message me "
            "here, or use `/leadership-tip`."
        ),
        {"type": "divider"},
        _section("*Ask me things like:*\n" + "\n".join(f"• {escape(e)}" for e in examples)),
    ]
    if quote is not None:
        blocks.append({"type": "divider"})
        blocks.append(_section("*Today's quote*\n" + quote_mrkdwn(quote)))
    if topics:
        blocks.append({"type": "divider"})
        labels = ", ".join(escape(topic_label(t)) for t in list(topics)[:30])
        blocks.append(_section(f"*Topics in the library:* {labels}"))
    return {"type": "home", "blocks": blocks[:100]}
