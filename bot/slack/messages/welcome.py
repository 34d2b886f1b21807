"""The welcome said once when the bot joins a channel, and the "still working" note."""

from __future__ import annotations

from collections.abc import Sequence

from bot.coach import suggest_questions
from bot.slack.messages.parts import Message, section
from bot.slack.text import escape


def welcome_message(topics: Sequence[str], examples: Sequence[str]) -> Message:
    """Said once when the bot is added to a channel: what it does and how to ask."""
    examples = list(examples) or suggest_questions(topics, 2)
    lines = "\n".join(f"• @Leadership Coach {escape(q)}" for q in examples[:2])
    text = (
        ":wave: Thanks for adding me! I'm *Leadership Coach*: I answer questions about "
        "leading a sales team with cited passages from our article library.\n"
        "*Ask me* by mentioning me — I reply in a thread:\n"
        f"{lines}\n"
        "Or use *Coach me on this* from any message's ⋯ menu for private coaching on it, "
        "and `/leadership-tip` for a quick tip."
    )
    fallback = (
        "Thanks for adding me! I'm Leadership Coach: mention me with a question about "
        "leading a sales team and I'll reply in a thread with cited passages."
    )
    return {"text": fallback, "blocks": [section(text)]}


def still_working_message() -> Message:
    text = (
        ":hourglass_flowing_sand: Still working on this — Slack is having trouble right now, "
        "so your answer is queued and will appear here as soon as it can be posted."
    )
    return {"text": text.replace(":hourglass_flowing_sand: ", ""), "blocks": [section(text)]}
