"""Plain-text rendering of answers and quotes, for the terminal (`coach ask`, the console)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from bot.small_talk import SmallTalk
from index.types import ArticleMeta, Hit, Quote, SearchResult


def citation(meta: ArticleMeta) -> str:
    parts = [f"“{meta.title}”"]
    if meta.author:
        parts.append(meta.author)
    if meta.published:
        parts.append(meta.published)
    if meta.source:
        parts.append(meta.source)
    return " · ".join(parts)


def render_hit(hit: Hit, width: int = 88) -> str:
    body = textwrap.fill(
        hit.passage.text, width=width, initial_indent="   ", subsequent_indent="   "
    )
    return f"{hit.rank}. {body.strip()}\n   — {citation(hit.passage.article)}"


def cut_note(searched: int) -> str:
    """What a reply says of a question cut before searching (`SearchResult.searched_chars`)."""
    return f"(Your question was long, so I searched its first {searched} characters.)"


def render_result(result: SearchResult, suggestions: list[str] | None = None) -> str:
    lines: list[str] = []
    if result.searched_chars is not None:
        lines.append(cut_note(result.searched_chars))
    declined = result.out_of_scope
    if not result.answered:
        lines.append(
            f"That sounds like a question about {declined.topic}, which the coaching library "
            f"leaves to others: {declined.ask} is the place to ask."
            if declined
            else "I couldn't find anything in the coaching library that answers that. "
            "It covers sales leadership: motivating a team, coaching and feedback, "
            "leading change, and how leading differs from managing and selling."
        )
        if suggestions:
            lines.append("Try asking about: " + ", ".join(suggestions) + ".")
        return "\n".join(lines)
    lines.extend(render_hit(hit) for hit in result.hits)
    return "\n\n".join(lines)


ASK_WELCOME = "You're welcome! Ask me anything else about leading your team."


def render_small_talk(talk: SmallTalk, examples: Sequence[str]) -> str:
    """`coach ask`'s reply to a message that is no question (a greeting, "help", only emoji or
    punctuation; or a thanks), as the Slack app replies to it: the usage help with example
    questions, or "you're welcome". Searched, it got "I couldn't find anything"."""
    if talk is SmallTalk.THANKS:
        return ASK_WELCOME
    lines = [
        "I'm Leadership Coach: ask me a question about sales leadership and I'll answer "
        "with passages from the article library, each cited.",
        "Try:",
        *(f'  coach ask "{question}"' for question in examples),
        "Also: coach console, to keep asking, with /leadership-tip for a quick tip.",
    ]
    return "\n".join(lines)


def render_quote(quote: Quote) -> str:
    source = f"\n   from “{quote.article_title}”" if quote.article_title else ""
    return f"“{quote.text}”\n   — {quote.author}{source}"
