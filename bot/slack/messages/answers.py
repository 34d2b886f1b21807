"""Replies to a question: the cited answer, "nothing relevant", help, busy and error."""

from __future__ import annotations

from collections.abc import Sequence

from bot.coach import suggest_questions
from bot.slack.messages.parts import (
    Block,
    Message,
    button,
    check,
    citation_plain,
    context,
    fallback,
    passage_blocks,
    section,
    text_message,
)
from bot.slack.messages.values import ACTION_HELPFUL, ACTION_MORE, ACTION_NOT_HELPFUL
from bot.slack.text import escape, safe_echo
from index.types import Hit, OutOfScope, SearchResult

# under the last page "More like this" can carry (bot.slack.messages.values.MORE_SHOWN_MAX)
CHAIN_FULL = (
    "That's as far as *More like this* goes in one thread: ask again in other words for more."
)


def hit_blocks(hit: Hit) -> list[Block]:
    """One passage: the quote with its key sentence bold, then the citation."""
    return passage_blocks(hit.passage, hit.key_sentence)


def passages_with_lines(
    hits: Sequence[Hit], *, numbered: bool = True
) -> tuple[list[Block], list[str]]:
    """Each passage's blocks after a divider, and its line for the plain-text fallback (what
    a notification shows)."""
    blocks: list[Block] = []
    lines: list[str] = []
    for hit in hits:
        blocks += [{"type": "divider"}, *hit_blocks(hit)]
        number = f"{hit.rank}. " if numbered else ""
        lines.append(
            f"{number}\u201c{safe_echo(hit.key_sentence or hit.passage.text, 200)}\u201d"
            f" ({safe_echo(citation_plain(hit.passage.article), 120)})"
        )
    return blocks, lines


def truncated_note(searched: int) -> Block:
    return context(
        f":scissors: Your question was long, so I searched only its first {searched} characters."
    )


def answer_message(
    result: SearchResult,
    *,
    asked: str,
    button_value: str,
    more_value: str | None = None,
    follow_up_of: str | None = None,
    end_note: str | None = None,
) -> Message:
    """The reply to a question with at least one relevant passage; `end_note`, a line
    above the buttons (why "More like this" is not offered when the library has more)."""
    echo = safe_echo(asked, 150)
    intro = f"Here's what the library says about _{echo}_:"
    if follow_up_of:
        intro = f"Following up on _{safe_echo(follow_up_of, 100)}_ — {intro[0].lower()}{intro[1:]}"
    blocks: list[Block] = [section(intro)]
    searched = result.searched_chars
    if searched is not None:
        blocks.append(truncated_note(searched))
    passages, lines = passages_with_lines(result.hits[:10])
    blocks += passages
    heading = f"Here's what the library says about {safe_echo(asked, 100)}:"
    if follow_up_of:  # the notification says so too, not only the blocks
        heading = f"Following up on {safe_echo(follow_up_of, 100)} — h{heading[1:]}"
    summary = [heading, *lines]
    if searched is not None:
        summary.append(f"(Your question was long; I searched its first {searched} characters.)")
    elements = [
        button(":thumbsup: Helpful", ACTION_HELPFUL, button_value),
        button(":thumbsdown: Not helpful", ACTION_NOT_HELPFUL, button_value),
    ]
    if result.more and more_value:
        elements.append(button("More like this", ACTION_MORE, more_value, style="primary"))
    if end_note:
        blocks.append(context(end_note))
        summary.append(end_note)
    blocks.append({"type": "divider"})
    blocks.append({"type": "actions", "block_id": "answer_actions", "elements": elements})
    return check({"text": fallback(" ".join(summary)), "blocks": blocks})


def no_answer_message(
    *,
    asked: str,
    topics: Sequence[str],
    searched: int | None = None,
    suggestions: Sequence[str] | None = None,
    out_of_scope: OutOfScope | None = None,
) -> Message:
    """Nothing relevant: say so kindly, cite nothing, suggest questions that do work. A
    question on a topic the curator marked as not the library's says who to ask instead.
    `searched`: the characters of a cut question searched (`SearchResult.searched_chars`)."""
    echo = safe_echo(asked, 150)
    suggestions = list(suggestions if suggestions is not None else suggest_questions(topics, 3))
    if out_of_scope is not None:
        topic, ask = safe_echo(out_of_scope.topic, 100), safe_echo(out_of_scope.ask, 100)
        lines = [
            f"_{echo}_ sounds like a question about *{topic}*, which the coaching library "
            f"leaves to others: {ask} is the place to ask. I'd rather say so than guess."
        ]
    else:
        lines = [
            f"I looked, but the library doesn't have anything that really answers _{echo}_ "
            "yet — I'd rather say so than guess."
        ]
    blocks: list[Block] = [section(lines[0])]
    if searched is not None:
        blocks.append(truncated_note(searched))
    if suggestions:
        bullet = "\n".join(f"• {escape(s)}" for s in suggestions)
        blocks.append(section(f"Here are a few things I can help with:\n{bullet}"))
        lines.append("Try asking: " + " / ".join(suggestions))
    if searched is not None:
        lines.append(f"(Your question was long; I searched its first {searched} characters.)")
    return check({"text": fallback(" ".join(lines)), "blocks": blocks})


HELP_OPENING = {
    "mention": "Mention me with a question about leading a sales team and I'll answer in a "
    "thread with passages from our article library, each cited.",
    "dm": "Ask me a question about leading a sales team right here and I'll answer with "
    "passages from our article library, each cited. A reply in an answer's thread follows "
    "up on its question.",
    "assistant": "Ask me a question about leading a sales team here and I'll answer with "
    "passages from our article library, each cited. Follow-up questions in this thread "
    "build on the first one.",
}
HELP_ELSEWHERE = {
    "mention": "Message me directly — I answer DMs too",
    "dm": "In a channel, mention me (@Leadership Coach) and I'll answer in a thread",
    "assistant": "In a channel, mention me (@Leadership Coach) and I'll answer in a thread",
}


def help_message(
    topics: Sequence[str],
    *,
    where: str = "mention",
    daily_quote: bool = True,
    examples: Sequence[str] | None = None,
) -> Message:
    """What to ask, the slash command and the daily quote: for a bare mention, a greeting or
    "help". `where` is where it was asked ("mention", "dm" or "assistant"): a DM or the
    assistant panel is answered right there, so "mention me ... in a thread" would be wrong."""
    where = where if where in HELP_OPENING else "mention"
    examples = list(examples or suggest_questions(topics, 3) or ["How do I motivate my reps?"])
    prefix = "@Leadership Coach " if where == "mention" else ""
    example_text = "\n".join(f"• {prefix}{escape(q)}" for q in examples)
    blocks: list[Block] = [
        section(f":wave: I'm *Leadership Coach*. {HELP_OPENING[where]}"),
        section(f"*Try:*\n{example_text}"),
        section(
            "*Also:*\n• `/leadership-tip` for a quick tip (or `/leadership-tip coaching` "
            f"for one on a topic)\n• {HELP_ELSEWHERE[where]}"
            + ("\n• A leadership quote is posted every weekday morning" if daily_quote else "")
        ),
    ]
    ask = "mention me with" if where == "mention" else "ask me"
    text = (
        f"I'm Leadership Coach: {ask} a question about sales leadership, "
        "or use /leadership-tip for a quick tip."
    )
    return check({"text": text, "blocks": blocks})


def busy_message() -> Message:
    text = "I'm answering a lot of questions right now — please ask me again in a minute."
    return text_message(text)


def welcome_message() -> Message:
    """The reply to a message that only says thanks."""
    text = (
        "You're welcome! Ask me anything else about leading your team, "
        "or try `/leadership-tip` for a quick tip."
    )
    return text_message(text)


def error_message() -> Message:
    text = "Sorry, something went wrong while I was looking that up. Please try again."
    return text_message(text)


def feedback_thanks_message(helpful: bool) -> Message:
    """The private reply to a Helpful / Not helpful click."""
    if helpful:
        return text_message("Thanks — glad it helped! :raised_hands:")
    return text_message(
        "Thanks for telling me — I'll use that to get better. "
        "Try rephrasing, or ask about a more specific situation."
    )
