"""The "Coach me on this" messages: private coaching on a message, and its shared copy.
Pure functions of the search result, like every other message builder."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.slack.messages.answers import passages_with_lines, truncated_note
from bot.slack.messages.parts import (
    Block,
    Message,
    button,
    check,
    context,
    fallback,
    section,
)
from bot.slack.messages.values import ACTION_SHARE_COACHING, encode_value
from bot.slack.text import escape, safe_echo
from index.types import SearchResult

SHORTCUT_COACH_ME = "coach_me"  # the message shortcut's callback_id (manifest.yaml)
MAX_SHARED = 5  # passages a coaching message shows (and its button can carry)


def _user(user_id: str) -> str:
    """A user mention built only from an ID's safe characters (never @channel)."""
    return "<@" + re.sub(r"[^A-Za-z0-9]", "", user_id) + ">"


def share_value(
    *,
    asked: str,
    passage_ids: Sequence[str],
    key_sentences: Sequence[str],
    fingerprints: Sequence[str] = (),
    channel: str,
    thread_ts: str,
) -> str:
    """What the "Share in thread" button carries: enough to post the same passages again
    (ids, key sentences and the fingerprints of the words shown, so the shared copy reads
    exactly like the private one, even after an edit of an article moved its passages)."""
    return encode_value(
        {
            "p": list(passage_ids)[:MAX_SHARED],
            "k": [(k or "")[:150] for k in key_sentences][:MAX_SHARED],
            "f": list(fingerprints)[:MAX_SHARED],
            "ch": channel,
            "th": thread_ts,
            "q": asked[:500],
        }
    )


def cut_note(cut_at: int | None) -> tuple[list[Block], str]:
    """What a message longer than MAX_QUESTION_CHARS is told: only its start was searched
    (`cut_at` the characters searched; None: the whole message was)."""
    if cut_at is None:
        return [], ""
    return [
        truncated_note(cut_at)
    ], f" (The message was long; I searched its first {cut_at} characters.)"


def coach_me_message(
    result: SearchResult, *, asked: str, share: str | None, cut_at: int | None = None
) -> Message:
    """The private answer to the shortcut: cited passages and a "Share in thread" button."""
    echo = safe_echo(asked, 150)
    blocks: list[Block] = [section(f":eyes: Only you can see this. On _{echo}_, the library says:")]
    note, said = cut_note(cut_at)
    blocks += note
    passages, lines = passages_with_lines(result.hits[:MAX_SHARED])
    blocks += passages
    lines.insert(0, f"On {safe_echo(asked, 100)}, the library says:")
    lines[-1] += said
    if share:
        blocks.append(
            {
                "type": "actions",
                "block_id": "coach_me_actions",
                "elements": [
                    button("Share in thread", ACTION_SHARE_COACHING, share, style="primary")
                ],
            }
        )
    return check({"text": fallback(" ".join(lines)), "blocks": blocks})


def coach_me_nothing(
    *, asked: str, suggestions: Sequence[str], cut_at: int | None = None
) -> Message:
    """Off-topic message: say kindly, and privately, that the library has nothing on it."""
    text = (
        f"There's nothing in the library on _{safe_echo(asked, 150)}_ — I'd rather say so "
        "than guess."
    )
    note, said = cut_note(cut_at)
    blocks: list[Block] = [section(f":eyes: Only you can see this. {text}"), *note]
    if suggestions:
        bullet = "\n".join(f"• {escape(s)}" for s in suggestions)
        blocks.append(section(f"I can help with things like:\n{bullet}"))
    plain = f"There's nothing in the library on {safe_echo(asked, 100)}.{said}"
    return check({"text": fallback(plain), "blocks": blocks})


def coach_me_empty() -> Message:
    """The shortcut was used on a message with no words (an image, a file)."""
    text = "That message has no text I can look up — try it on a message with words in it."
    return {"text": text, "blocks": [section(text)]}


def coach_me_small_talk() -> Message:
    """The shortcut was used on a greeting or a thanks: nothing to search for."""
    text = (
        "That message is only a greeting or a thanks, so there's nothing to coach on — "
        "try it on a message that asks something or describes a situation."
    )
    return {"text": text, "blocks": [section(text)]}


def coach_me_shared(result: SearchResult, *, asked: str, shared_by: str) -> Message:
    """The coaching as posted publicly in the message's thread, attributed to its sharer."""
    who = _user(shared_by)
    blocks: list[Block] = [
        section(f"{who} asked Leadership Coach about this message. The library says:")
    ]
    passages, lines = passages_with_lines(result.hits[:MAX_SHARED], numbered=False)
    blocks += passages
    lines.insert(0, f"{who} shared coaching on this message:")
    blocks.append(context(f"Shared by {who} with *Coach me on this*"))
    return check({"text": fallback(" ".join(lines)), "blocks": blocks})
