"""The App Home tab: what the coach does, example questions, today's quote, the topics."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.coach import suggest_questions, topic_label
from bot.slack.messages.parts import Block, passage_mrkdwn, plain, section
from bot.slack.text import escape, neutralise_mentions
from index.types import Quote


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
        {"type": "header", "text": plain("Leadership Coach", 150)},
        section(
            "I answer sales leaders' questions with passages from a curated article library, "
            "always with the article they came from. Mention me in a channel, message me "
            "here, or use `/leadership-tip`."
        ),
        {"type": "divider"},
        section("*Ask me things like:*\n" + "\n".join(f"• {escape(e)}" for e in examples)),
    ]
    if quote is not None:
        blocks.append({"type": "divider"})
        blocks.append(section("*Today's quote*\n" + quote_mrkdwn(quote)))
    if topics:
        blocks.append({"type": "divider"})
        labels = ", ".join(escape(topic_label(t)) for t in list(topics)[:30])
        blocks.append(section(f"*Topics in the library:* {labels}"))
    return {"type": "home", "blocks": blocks[:100]}
