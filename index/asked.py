"""The questions each section answers, as the curator wrote them (front matter `questions:`).

MiniLM matches a question to another question far better than to the prose that answers it:
"my reps keep padding the forecast with deals that never close" is near "how do I stop my AEs
padding the forecast with deals that won't close?", and far from a heading like "Coach for
truth, not optimism". So each passage also scores by the nearest question its section answers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.embedder import Embedder
from index.types import Article, Passage
from index.vector_cache import kept_vectors

Section = tuple[str, str | None]  # (article id, heading; None = before the first heading)


@dataclass(frozen=True)
class AskedQuestions:
    """Every curated question, grouped by the section that answers it."""

    texts: tuple[str, ...] = ()
    sections: tuple[Section, ...] = ()  # one per text, texts of a section together

    @classmethod
    def of(cls, articles: Iterable[Article]) -> AskedQuestions:
        texts: list[str] = []
        sections: list[Section] = []
        for article in articles:
            for heading, asked in article.questions:
                texts.extend(asked)
                sections.extend([(article.meta.id, heading)] * len(asked))
        return cls(tuple(texts), tuple(sections))

    def __len__(self) -> int:
        return len(self.texts)

    def without(self, article_id: str) -> AskedQuestions:
        """These questions but one article's: as if it had just been added."""
        kept = [
            (t, s) for t, s in zip(self.texts, self.sections, strict=True) if s[0] != article_id
        ]
        return AskedQuestions(tuple(t for t, _ in kept), tuple(s for _, s in kept))

    def vectors(self, embedder: Embedder, cache_dir: Path | None) -> np.ndarray:
        return kept_vectors(list(self.texts), embedder, cache_dir, "asked")


class AskedSignal:
    """Per passage, the cosine of the question to the nearest question its section answers,
    and to the nearest of the section's questions that are given to the passage itself (each
    curated question goes to the passage of its section nearest to it): the first finds
    the section, the second the passage within it, where the passage's own text often
    cannot (bench/quality_asked_passage.py)."""

    def __init__(
        self,
        asked: AskedQuestions,
        vectors: np.ndarray,
        passages: list[Passage],
        passage_vectors: np.ndarray,
    ):
        self._vectors = vectors
        order = {s: i for i, s in enumerate(dict.fromkeys(asked.sections))}
        owner = np.array([order[s] for s in asked.sections], dtype="int64")
        # A section's texts are together (AskedQuestions.of), so section i starts here.
        self._starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]]) if len(owner) else owner
        if len(self._starts) != len(order):
            raise ValueError("AskedQuestions must keep each section's questions together")
        self._of_passage = np.array(
            [order.get((p.article.id, p.section), -1) for p in passages], dtype="int64"
        )
        self._sections = len(order)
        self._give(passage_vectors)

    def _give(self, passage_vectors: np.ndarray) -> None:
        """Each curated question to the passage of its section nearest to it."""
        members: dict[int, list[int]] = {}
        for i, section in enumerate(self._of_passage):
            if section >= 0:
                members.setdefault(int(section), []).append(i)
        section_of = np.repeat(
            np.arange(len(self._starts)), np.diff(np.r_[self._starts, len(self._vectors)])
        )
        given = np.full(len(self._vectors), -1, dtype="int64")
        for k, section in enumerate(section_of):
            candidates = members.get(int(section))
            if candidates:
                given[k] = candidates[
                    int(np.argmax(passage_vectors[candidates] @ self._vectors[k]))
                ]
        kept = np.flatnonzero(given >= 0)
        self._by_passage = kept[np.argsort(given[kept], kind="stable")]  # questions, by passage
        runs = given[self._by_passage]
        self._passage_starts = (
            np.flatnonzero(np.r_[True, runs[1:] != runs[:-1]]) if len(runs) else runs
        )
        self._given_passages = runs[self._passage_starts] if len(runs) else runs
        # the passages given questions, by section: a described passage given none ranks as
        # the least of its section's on this signal
        sections = self._of_passage[self._given_passages]
        self._given_by_section = np.argsort(sections, kind="stable")
        ordered = sections[self._given_by_section]
        self._section_starts = (
            np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]]) if len(ordered) else ordered
        )
        column = np.full(max(self._sections, 1), -1, dtype="int64")
        if len(ordered):
            column[ordered[self._section_starts]] = np.arange(len(self._section_starts))
        self._least_column = column

    def __bool__(self) -> bool:
        return bool(self._sections) and bool((self._of_passage >= 0).any())

    @property
    def described(self) -> np.ndarray:
        """Per passage, whether its section has curated questions."""
        return self._of_passage >= 0

    def similarities(self, query_vectors: np.ndarray) -> np.ndarray:
        """(questions x curated questions) cosines, which `scores` and `nearest` share."""
        if not len(self._vectors):
            return np.zeros((len(query_vectors), 0), dtype="float32")
        return query_vectors @ self._vectors.T

    @staticmethod
    def nearest(sims: np.ndarray, k: int = 3) -> np.ndarray:
        """Per question, the mean cosine of its `k` nearest curated questions."""
        if not sims.size:
            return np.full(len(sims), -1.0, dtype="float32")
        k = min(k, sims.shape[1])
        return np.partition(sims, -k, axis=1)[:, -k:].mean(axis=1)

    def scores(self, sims: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(questions x passages) twice: by the section's questions, and by the passage's
        own. A passage whose section has no curated question yet (an article just added)
        gets the curated scores' mean here; the fusion puts the passage's standing on its
        own text in its place (HybridSearcher.fused)."""
        n = len(self._of_passage)
        if not self or not len(sims):
            empty = np.zeros((len(sims), n), dtype="float32")
            return empty, empty.copy()
        best = np.maximum.reduceat(sims, self._starts, axis=1)  # (questions x sections)
        covered = self._of_passage >= 0
        out = np.empty((len(sims), n), dtype="float32")
        out[:, covered] = best[:, self._of_passage[covered]]
        own = np.empty_like(out)
        mine = np.maximum.reduceat(sims[:, self._by_passage], self._passage_starts, axis=1)
        least = np.minimum.reduceat(mine[:, self._given_by_section], self._section_starts, axis=1)
        own[:, covered] = least[:, self._least_column[self._of_passage[covered]]]
        own[:, self._given_passages] = mine
        for signal in (out, own):
            signal[:, ~covered] = signal[:, covered].mean(axis=1, keepdims=True)
        return out, own
