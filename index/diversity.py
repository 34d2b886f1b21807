"""Which of the ranked passages to show: best first, no near-duplicates, and not one article
filling the answer while others are about as relevant."""

from __future__ import annotations

import re
from typing import Protocol

import numpy as np

from index.types import Passage


class DiversityTuning(Protocol):
    per_article: int
    near_duplicate: float
    relevant_ratio: float


class Diversity:
    def __init__(
        self, passages: list[Passage], sentences: list[list[str]], tuning: DiversityTuning
    ) -> None:
        self._passages = passages
        self.tuning = tuning
        self._words = [set(re.findall(r"[a-z]+", p.text.lower())) for p in passages]
        self._sentence_sets = [set(each) for each in sentences]

    def _near_duplicate(self, i: int, chosen: list[int]) -> bool:
        """Shares a sentence with a passage already shown (overlapping windows), or most of
        its words (the same point made twice)."""
        for j in chosen:
            if self._sentence_sets[i] & self._sentence_sets[j]:
                return True
            a, b = self._words[i], self._words[j]
            if a and b and len(a & b) / min(len(a), len(b)) > 1 - self.tuning.near_duplicate / 2:
                return True
        return False

    def order(self, ranked: list[int], score: np.ndarray, limit: int | None = None) -> list[int]:
        """Best first, no near-duplicates, and at most `per_article` passages of one article
        while passages of other articles are still about as relevant; a capped passage
        comes back as soon as the next candidate is clearly weaker than it."""
        chosen: list[int] = []
        deferred: list[int] = []
        per_article: dict[str, int] = {}
        best = float(score[ranked[0]]) if ranked else 0.0
        floor = best * self.tuning.relevant_ratio

        def take(i: int) -> None:
            article = self._passages[i].article.id
            per_article[article] = per_article.get(article, 0) + 1
            chosen.append(i)

        for i in ranked:
            if limit is not None and len(chosen) >= limit:
                return chosen  # enough to show, and to know whether there is more
            if self._near_duplicate(i, chosen):
                continue
            if deferred and float(score[i]) < floor:
                for j in deferred:
                    if not self._near_duplicate(j, chosen):
                        take(j)
                deferred = []
            if per_article.get(self._passages[i].article.id, 0) >= self.tuning.per_article:
                if float(score[i]) >= floor:
                    deferred.append(i)
                    continue
            take(i)
        for j in deferred:
            if not self._near_duplicate(j, chosen):
                take(j)
        return chosen
