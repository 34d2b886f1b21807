"""The /leadership-tip messages: the private tip, the shared one, and help."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.coach import cut_sentence
from bot.slack.messages import parts
from bot.slack.messages.values import ACTION_ANOTHER_TIP, ACTION_SHARE_TIP, encode_value
from bot.slack.text import escape, safe_echo
from index.types import Passage


def topic_cut_note(topic: str | None, cut: bool) -> tuple[list[parts.Block], str]:
    """What a topic longer than TOPIC_MAX_CHARS is told (`topic`: the part used): a context
    line under the heading, and the same sentence for the notification's text."""
    if not cut or not topic:
        return [], ""
    sentence = safe_echo(cut_sentence(topic), 300)
    return [parts.context(f":scissors: {sentence}")], f" {sentence}"


def tip_message(
    passage: Passage,
    *,
    topic: str | None,
    key_sentence: str | None = None,
    topic_cut: bool = False,
) -> parts.Message:
    """A private tip with buttons to share it or get another (`topic_cut`: the person's
    topic was longer than this one, which is its first part)."""
    head = ":bulb: *Leadership tip*"
    if topic:
        head += f" on _{safe_echo(topic, 60)}_"
    value = encode_value({"p": passage.id, "f": passage.fingerprint, "t": topic or ""})
    note, said = topic_cut_note(topic, topic_cut)
    blocks: list[parts.Block] = [
        parts.section(head),
        *note,
        *parts.passage_blocks(passage, key_sentence),
        {
            "type": "actions",
            "block_id": "tip_actions",
            "elements": [
                parts.button("Share in channel", ACTION_SHARE_TIP, value, style="primary"),
                parts.button("Another tip", ACTION_ANOTHER_TIP, value),
            ],
        },
    ]
    cite = safe_echo(parts.citation_plain(passage.article), 120)
    text = f"Leadership tip: {safe_echo(passage.text, 300)} ({cite}){said}"
    return parts.check({"text": parts.fallback(text), "blocks": blocks})


def shared_tip_message(
    passage: Passage, *, shared_by: str, key_sentence: str | None = None
) -> parts.Message:
    """The tip as posted publicly, attributed to the person who shared it."""
    who = re.sub(r"[^A-Za-z0-9]", "", shared_by)
    blocks: list[parts.Block] = [
        parts.section(":bulb: *Leadership tip*"),
        *parts.passage_blocks(passage, key_sentence),
        parts.context(f"Shared by <@{who}> with /leadership-tip"),
    ]
    text = (
        f"Leadership tip shared by <@{who}>: {safe_echo(passage.text, 300)} "
        f"({safe_echo(parts.citation_plain(passage.article), 120)})"
    )
    return parts.check({"text": parts.fallback(text), "blocks": blocks})


def no_tip_message(topic: str, topics: Sequence[str], *, topic_cut: bool = False) -> parts.Message:
    labels = ", ".join(f"`{escape(t)}`" for t in list(topics)[:8])
    text = f"I don't have a tip on _{safe_echo(topic, 60)}_ yet."
    if labels:
        text += f" Try one of: {labels} — or `/leadership-tip` with no topic for a surprise."
    note, said = topic_cut_note(topic, topic_cut)
    return {"text": parts.fallback(text + said), "blocks": [parts.section(text), *note]}


def tip_help_message(topics: Sequence[str]) -> parts.Message:
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
        "blocks": [parts.section(text)],
    }
