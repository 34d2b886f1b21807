"""Block Kit for the curator's loop, built by pure functions: the "What were you looking for?"
modal, the "Content gaps" section admins see on App Home, the weekly summary post, and the
note an answer gets once its feedback was received.

Every question and reason shown here was typed by someone in Slack: it is escaped and its
@channel/@here broken, and the asker is never named.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from bot.gaps.report import GapReport
from bot.slack.messages.parts import MAX_BLOCKS, Block, Message, button, context, plain, section
from bot.slack.messages.values import ACTION_NOT_HELPFUL, ACTION_REASON
from bot.slack.text import safe_echo

REASON_CALLBACK = "feedback_reason"  # the modal's callback_id (view_submission / view_closed)
REASON_BLOCK = "reason"
REASON_ACTION = "reason_text"
REASON_MAX_CHARS = 1000
FEEDBACK_NOTE_BLOCK = "feedback_note"
ANSWER_ACTIONS_BLOCK = "answer_actions"  # where answers.answer_message puts its buttons


def reason_modal(private_metadata: str) -> dict[str, Any]:
    """The view opened by a "Not helpful" click; `private_metadata` says which answer."""
    return {
        "type": "modal",
        "callback_id": REASON_CALLBACK,
        "title": plain("Not helpful", 24),
        "submit": plain("Send", 24),
        "close": plain("Skip", 24),
        "notify_on_close": False,  # the click was counted already; closing changes nothing
        "private_metadata": private_metadata[:3000],
        "blocks": [
            section(
                "Thanks for telling me. Your answer goes to the person who curates the "
                "library, so they can add what is missing."
            ),
            {
                "type": "input",
                "block_id": REASON_BLOCK,
                "optional": True,
                "label": plain("What were you looking for?", 2000),
                "element": {
                    "type": "plain_text_input",
                    "action_id": REASON_ACTION,
                    "multiline": True,
                    "max_length": REASON_MAX_CHARS,
                    "placeholder": plain("e.g. how to set quotas for a new territory", 150),
                },
            },
        ],
    }


def _percent(rate: float | None) -> str:
    return "n/a" if rate is None else f"{round(rate * 100)}%"


def rates_line(report: GapReport, days: int) -> str:
    """'Last 7 days: 12 questions, 75% answered; 80% helpful (5 votes).'"""
    votes = report.helpful + report.not_helpful
    return (
        f"Last {days} day{'s' if days != 1 else ''}: {report.questions} question"
        f"{'s' if report.questions != 1 else ''}, {_percent(report.answered_rate)} answered; "
        f"{_percent(report.helpful_rate)} helpful ({votes} vote{'s' if votes != 1 else ''})."
    )


def gap_lines(report: GapReport, top: int) -> list[str]:
    return [f"• {safe_echo(g.question, 200)} — asked {g.count}×" for g in list(report.gaps)[:top]]


def gaps_section(report: GapReport, *, days: int, top: int = 5, reasons: int = 3) -> list[Block]:
    """Top gaps with counts, the answered/helpful rates, and the latest reasons."""
    blocks: list[Block] = [
        {"type": "header", "text": plain("Content gaps", 150)},
        context(rates_line(report, days)),
    ]
    lines = gap_lines(report, top)
    if lines:
        blocks.append(
            section(
                "*Asked but not answered (or not helpful), most frequent first:*\n"
                + "\n".join(lines)
            )
        )
    else:
        blocks.append(section("Nothing unanswered: every question found a helpful passage."))
    said = [
        f"• _{safe_echo(r.reason, 200)}_ (on “{safe_echo(r.question, 100)}”)"
        for r in list(report.reasons)[:reasons]
    ]
    if said:
        blocks.append(section("*What leaders said they were looking for:*\n" + "\n".join(said)))
    others = [f"{safe_echo(t, 100)} ({n})" for t, n in list(report.left_to_others)[:top]]
    if others:
        blocks.append(
            context("Left to others by `content/scope.yaml` (not gaps): " + ", ".join(others))
        )
    blocks.append(
        context(
            "Add an article that covers a gap (`coach content add`), then check it with "
            "`coach report --eval-out gaps.jsonl` and `coach eval gaps.jsonl`."
        )
    )
    return blocks


def admin_home(view: dict[str, Any], report: GapReport, *, days: int = 7) -> dict[str, Any]:
    """The Home view with the "Content gaps" section added (for COACH_ADMINS only)."""
    blocks = [*view.get("blocks", []), {"type": "divider"}, *gaps_section(report, days=days)]
    return {**view, "blocks": blocks[:100]}


def weekly_message(report: GapReport, *, days: int = 7, top: int = 10) -> Message:
    """The Monday summary for REPORT_CHANNEL: the same section admins see on Home."""
    lines = gap_lines(report, top)
    text = "Content gaps this week. " + rates_line(report, days)
    if lines:
        text += " Top: " + "; ".join(line.removeprefix("• ") for line in lines[:3])
    return {"text": text[:3000], "blocks": gaps_section(report, days=days, top=top)}


REASON_BUTTON_TEXT = "Say what was missing"


def _not_helpful_value(blocks: Sequence[Block]) -> str | None:
    """The Not helpful button's value (which answer: question, passages), if it is there."""
    for block in blocks:
        for element in block.get("elements") or ():
            if isinstance(element, dict) and element.get("action_id") == ACTION_NOT_HELPFUL:
                value = element.get("value")
                return value if isinstance(value, str) else None
    return None


def with_feedback_note(blocks: Sequence[Block], helpful: bool) -> list[Block]:
    """The answer's blocks with a note under its buttons saying the click was received
    (an earlier note is replaced, so clicking again changes it rather than adding one).

    A Not helpful note carries a button that opens the "What were you looking for?" form
    again: the form the click opened may never have shown (its trigger lives 3 seconds,
    and a Slack outage outlasts it) or been closed before the leader knew what to say."""
    note = (
        ":white_check_mark: Thanks, feedback received: helpful."
        if helpful
        else ":white_check_mark: Thanks, feedback received: not helpful. It goes to the "
        "library's curator."
    )
    out = [copy.deepcopy(b) for b in blocks if b.get("block_id") != FEEDBACK_NOTE_BLOCK]
    value = None if helpful else _not_helpful_value(out)
    if value is None:
        block = {**context(note), "block_id": FEEDBACK_NOTE_BLOCK}
    else:
        block = {
            **section(note),
            "block_id": FEEDBACK_NOTE_BLOCK,
            "accessory": button(REASON_BUTTON_TEXT, ACTION_REASON, value),
        }
    at = next(
        (i + 1 for i, b in enumerate(out) if b.get("block_id") == ANSWER_ACTIONS_BLOCK),
        len(out),
    )
    out.insert(at, block)
    return out[:MAX_BLOCKS]
