"""Scoring search on a question file, with the rule of shared/eval/README.md."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from index.errors import ContentError
from index.types import Hit, SearchResult

_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " "})


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).lower()
    text = re.sub(r"[^a-z0-9' ]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


class QuestionKind(StrEnum):
    """What the right behaviour is: answer, or abstain because the library does not cover it
    (in-domain) or because it is not about sales leadership at all."""

    ANSWERABLE = "answerable"
    UNCOVERED = "uncovered"
    OFF_TOPIC = "offtopic"


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    question: str
    gold: tuple[str, ...]
    kind: QuestionKind = QuestionKind.ANSWERABLE

    @property
    def off_topic(self) -> bool:
        """Any question the coach should abstain on (off-topic or uncovered)."""
        return not self.gold


def load_questions(path: Path) -> list[EvalQuestion]:
    questions: list[EvalQuestion] = []
    for number, raw in enumerate(path.read_bytes().splitlines(), start=1):
        try:
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            raise ContentError(path, "not UTF-8 text (save the file as UTF-8)", number) from None
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict):  # a list or a bare string was a traceback
                raise ValueError('expected {"question": ..., "gold": [...]}')
            gold = _gold(item.get("gold", []))
            default = QuestionKind.ANSWERABLE if gold else QuestionKind.OFF_TOPIC
            kind = QuestionKind(str(item.get("kind", default)).replace("-", "").replace("_", ""))
            if (kind is QuestionKind.ANSWERABLE) != bool(gold):
                raise ValueError(f"kind {kind} does not fit {len(gold)} gold phrases")
            questions.append(
                EvalQuestion(str(item.get("id", number)), str(item["question"]), gold, kind)
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ContentError(path, f"not a question object ({exc})", number) from None
    return questions


def _gold(value: object) -> tuple[str, ...]:
    """The gold phrases. One phrase written as text, not a list, was read letter by letter:
    every passage holds an "e", so every question scored as found first."""
    if not isinstance(value, list) or not all(isinstance(g, str | int | float) for g in value):
        raise ValueError('gold must be a list of phrases, like ["coach weekly"]')
    return tuple(str(g) for g in value)


@dataclass
class QuestionOutcome:
    question: EvalQuestion
    result: SearchResult
    first_rank: int | None  # 1-based rank of the first answering passage among those shown

    @property
    def abstained(self) -> bool:
        return not self.result.answered or not self.result.hits


@dataclass
class EvalReport:
    outcomes: list[QuestionOutcome] = field(default_factory=list)

    @property
    def answerable(self) -> list[QuestionOutcome]:
        return [o for o in self.outcomes if not o.question.off_topic]

    @property
    def off_topic(self) -> list[QuestionOutcome]:
        """Every question that should abstain (off-topic or uncovered)."""
        return [o for o in self.outcomes if o.question.off_topic]

    def of_kind(self, kind: QuestionKind) -> list[QuestionOutcome]:
        return [o for o in self.outcomes if o.question.kind is kind]

    def _share(
        self, items: list[QuestionOutcome], test: Callable[[QuestionOutcome], bool]
    ) -> float:
        return sum(1 for o in items if test(o)) / len(items) if items else 0.0

    def metrics(self) -> dict[str, float | int]:
        """Ranking figures over answerable questions; abstention by kind. `off_topic` counts
        only questions outside sales leadership; `uncovered` the in-domain ones the library
        does not answer (shared/eval/README.md)."""
        answerable = self.answerable
        uncovered = self.of_kind(QuestionKind.UNCOVERED)
        off_topic = self.of_kind(QuestionKind.OFF_TOPIC)
        mrr = (
            sum(1.0 / o.first_rank for o in answerable if o.first_rank and o.first_rank <= 10)
            / len(answerable)
            if answerable
            else 0.0
        )
        return {
            "questions": len(self.outcomes),
            "answerable": len(answerable),
            "uncovered": len(uncovered),
            "off_topic": len(off_topic),
            "hit@1": self._share(answerable, lambda o: o.first_rank == 1),
            "hit@3": self._share(
                answerable, lambda o: o.first_rank is not None and o.first_rank <= 3
            ),
            "mrr@10": mrr,
            "false_abstain": self._share(answerable, lambda o: o.abstained),
            "uncovered_abstain": self._share(uncovered, lambda o: o.abstained),
            "uncovered_abstained": sum(1 for o in uncovered if o.abstained),
            "off_topic_abstain": self._share(off_topic, lambda o: o.abstained),
            "off_topic_abstained": sum(1 for o in off_topic if o.abstained),
        }


def first_answering_rank(result: SearchResult, gold: Iterable[str]) -> int | None:
    golds = [normalise(g) for g in gold]
    for hit in result.hits:
        text = normalise(hit.passage.text)
        if any(g and g in text for g in golds):
            return hit.rank
    return None


def evaluate(questions: list[EvalQuestion], search: Callable[[str], SearchResult]) -> EvalReport:
    report = EvalReport()
    for q in questions:
        result = search(q.question)
        rank = first_answering_rank(result, q.gold) if q.gold else None
        report.outcomes.append(QuestionOutcome(q, result, rank))
    return report


class MissKind(StrEnum):
    WRONG_FIRST = "right passage not first"
    FALSE_ABSTAIN = "abstained on an answerable question"
    ANSWERED_UNCOVERED = "answered an uncovered question"
    ANSWERED_OFF_TOPIC = "answered an off-topic question"


@dataclass(frozen=True)
class Miss:
    """One question the coach got wrong, and where the right passage ranks when search
    ranks the whole library (ignoring abstention); None when no passage holds a gold
    phrase whole."""

    outcome: QuestionOutcome
    kind: MissKind
    full_rank: int | None = None
    right: Hit | None = None
    gold_in_library: bool = True


def misses(report: EvalReport, rank_all: Callable[[str], list[Hit]]) -> list[Miss]:
    """Every miss of a report; `rank_all` ranks every passage for a question."""
    out: list[Miss] = []
    for o in report.outcomes:
        q = o.question
        if q.off_topic:
            if not o.abstained:
                kind = (
                    MissKind.ANSWERED_UNCOVERED
                    if q.kind is QuestionKind.UNCOVERED
                    else MissKind.ANSWERED_OFF_TOPIC
                )
                out.append(Miss(o, kind))
            continue
        if o.first_rank == 1:
            continue
        kind = MissKind.FALSE_ABSTAIN if o.abstained else MissKind.WRONG_FIRST
        ranked = rank_all(q.question)
        golds = [normalise(g) for g in q.gold]
        right = next(
            (h for h in ranked if any(g and g in normalise(h.passage.text) for g in golds)), None
        )
        if right is None:
            out.append(Miss(o, kind, gold_in_library=False))
        else:
            out.append(Miss(o, kind, right.rank, right))
    return out
