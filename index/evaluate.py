"""Scoring search on a question file, with the rule of shared/eval/README.md."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from index.errors import ContentError
from index.types import SearchResult

_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " "})


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).lower()
    text = re.sub(r"[^a-z0-9' ]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    question: str
    gold: tuple[str, ...]

    @property
    def off_topic(self) -> bool:
        return not self.gold


def load_questions(path: Path) -> list[EvalQuestion]:
    questions: list[EvalQuestion] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            questions.append(
                EvalQuestion(
                    str(item.get("id", number)),
                    str(item["question"]),
                    tuple(str(g) for g in item.get("gold", [])),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ContentError(path, f"not a question object ({exc})", number) from None
    return questions


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
        return [o for o in self.outcomes if o.question.off_topic]

    def _share(
        self, items: list[QuestionOutcome], test: Callable[[QuestionOutcome], bool]
    ) -> float:
        return sum(1 for o in items if test(o)) / len(items) if items else 0.0

    def metrics(self) -> dict[str, float | int]:
        answerable = self.answerable
        mrr = (
            sum(1.0 / o.first_rank for o in answerable if o.first_rank and o.first_rank <= 10)
            / len(answerable)
            if answerable
            else 0.0
        )
        return {
            "questions": len(self.outcomes),
            "answerable": len(answerable),
            "off_topic": len(self.off_topic),
            "hit@1": self._share(answerable, lambda o: o.first_rank == 1),
            "hit@3": self._share(
                answerable, lambda o: o.first_rank is not None and o.first_rank <= 3
            ),
            "mrr@10": mrr,
            "false_abstain": self._share(answerable, lambda o: o.abstained),
            "off_topic_abstain": self._share(self.off_topic, lambda o: o.abstained),
            "off_topic_abstained": sum(1 for o in self.off_topic if o.abstained),
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
