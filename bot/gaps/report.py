"""What the coach could not answer, summed up for the person who curates the library.

One computation serves `coach report`, the admins' App Home section and the weekly post, so
the three never disagree. It reads questions, votes and reasons, never who asked: nothing
here can show a user id, an e-mail or a token.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from bot.gaps.cluster import DEFAULT_THRESHOLD, Encode, Gap, merge_gaps
from bot.log_safety import redact
from bot.small_talk import small_talk
from bot.store.tables import AskOutcome

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def is_chatter(question: str) -> bool:
    """A greeting, thanks or a call for help: the bot answers these itself (the usage help,
    "you're welcome"), so none is a need the library missed. Versions before that, and
    *Coach me on this* on such a message until 2026-11-27, recorded them as abstentions;
    the curator's top gaps were "hi" and "thanks!"."""
    return small_talk(question) is not None


def scrub(text: str) -> str:
    """A question or reason as a report may show it: no token, no e-mail address (a leader
    may paste either into a question; the curator needs neither)."""
    return _EMAIL.sub("[e-mail]", redact(text))


@dataclass(frozen=True)
class Reason:
    """What a leader said they were looking for after clicking "Not helpful"."""

    question: str
    reason: str
    at: datetime


class GapSource(Protocol):
    """The reads a report needs (bot.store.gaps.GapStore implements them)."""

    def asked(self, since: datetime) -> list[tuple[str, str, datetime]]:
        """(question, outcome, when) for each question asked since `since`; the outcome is
        a bot.store.tables.AskOutcome value."""
        ...

    def declined_topics(self, since: datetime) -> list[tuple[str, int]]:
        """(out-of-scope topic, questions) left to others since `since`, most first."""
        ...

    def vote_counts(self, since: datetime) -> tuple[int, int]:
        """(helpful, not helpful) votes cast since `since`."""
        ...

    def not_helpful(self, since: datetime) -> list[tuple[str, datetime]]:
        """Each question voted "Not helpful" since `since`, once per vote, with when."""
        ...

    def reasons(self, since: datetime) -> list[Reason]:
        """Reasons given since `since`, newest first."""
        ...


@dataclass(frozen=True)
class GapReport:
    since: datetime
    answered: int
    abstained: int
    helpful: int
    not_helpful: int
    gaps: Sequence[Gap] = ()
    reasons: Sequence[Reason] = field(default_factory=tuple)
    # questions on topics the curator's out-of-scope map leaves to others (content/scope.yaml):
    # not content gaps, but what leaders keep asking there, in case the library should cover it
    left_to_others: Sequence[tuple[str, int]] = ()

    @property
    def questions(self) -> int:
        return self.answered + self.abstained

    @property
    def answered_rate(self) -> float | None:
        return self.answered / self.questions if self.questions else None

    @property
    def helpful_rate(self) -> float | None:
        votes = self.helpful + self.not_helpful
        return self.helpful / votes if votes else None

    def to_json(self) -> dict[str, object]:
        """The `coach report --json` contract; other tools rely on these keys."""
        return {
            "since": self.since.isoformat(timespec="seconds"),
            "questions": self.questions,
            "answered": self.answered,
            "abstained": self.abstained,
            "helpful": self.helpful,
            "not_helpful": self.not_helpful,
            "gaps": [
                {
                    "question": g.question,
                    "count": g.count,
                    "last_asked": g.last_asked.isoformat(timespec="seconds")
                    if g.last_asked
                    else None,
                }
                for g in self.gaps
            ],
            "reasons": [{"question": r.question, "reason": r.reason} for r in self.reasons],
            "left_to_others": [{"topic": t, "count": n} for t, n in self.left_to_others],
        }


def build_report(
    source: GapSource,
    *,
    days: int,
    encode: Encode | None,
    now: datetime | None = None,
    threshold: float = DEFAULT_THRESHOLD,
) -> GapReport:
    """The last `days` days: counts, gaps merged by meaning (most asked first), reasons."""
    since = (now or datetime.now(UTC)) - timedelta(days=days)
    # one test for the counts and the gaps: "thanks!" an older version recorded as an
    # abstention was hidden from the gaps but counted among the questions not answered
    asked = [(q, outcome, at) for q, outcome, at in source.asked(since) if not is_chatter(q)]
    answered = sum(outcome == AskOutcome.ANSWERED for _, outcome, _ in asked)
    abstained = [(q, at) for q, outcome, at in asked if outcome == AskOutcome.ABSTAINED]
    voted_down = [(q, at) for q, at in source.not_helpful(since) if not is_chatter(q)]
    helpful, not_helpful = source.vote_counts(since)
    missed = [(scrub(q), at) for q, at in [*abstained, *voted_down]]
    gaps = merge_gaps([q for q, _ in missed], encode, threshold, asked_at=[at for _, at in missed])
    reasons = [Reason(scrub(r.question), scrub(r.reason), r.at) for r in source.reasons(since)]
    return GapReport(
        since=since,
        answered=answered,
        abstained=len(asked) - answered,  # abstained, or declined as out of scope
        helpful=helpful,
        not_helpful=not_helpful,
        gaps=tuple(gaps),
        reasons=tuple(reasons),
        left_to_others=tuple(source.declined_topics(since)),
    )


def gap_id(question: str) -> str:
    """Stable across exports, so a curator's gold phrases stay with their question."""
    return "gap-" + hashlib.sha1(" ".join(question.lower().split()).encode()).hexdigest()[:10]


def eval_lines(gaps: Sequence[Gap]) -> list[str]:
    """The gaps in shared/eval's format: empty `gold` (the library does not answer them yet)
    and kind "uncovered"; the curator adds gold phrases once an article covers them."""
    return [
        json.dumps(
            {"id": gap_id(g.question), "question": g.question, "gold": [], "kind": "uncovered"},
            ensure_ascii=False,
        )
        for g in gaps
    ]


def write_eval(path: Path, gaps: Sequence[Gap]) -> int:
    """Write `eval_lines` to `path`; returns how many questions were written."""
    lines = eval_lines(gaps)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return len(lines)
