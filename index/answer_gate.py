"""When to answer at all: cut-offs the library sets itself from its curated questions.

A fixed cosine cut-off fits one model: the bundled model's 0.096 on the library score (the
mean over passages of the best-sentence cosine) declined almost every answerable question
once the model was fine-tuned on the library, whose cosines sit about half as high. The
curated questions (front matter `questions:`) are what the library answers, in leaders'
words; scoring them as a leader's question is scored and declining a small share of them
gives cut-offs that follow the model and the library (bench/adapt_abstain.py; the shares
chosen by leave-one-set-out over every question set, bench/adapt_model.md):

- the library score, and
- the mean cosine to the three nearest curated questions (each curated question's own
  section left out, as a leader's question is not one of the curator's).

A question at least as near the curated questions as most of them are to each other
(`sure`) is answered whatever its library score: a short question in a leader's words
("my team is exhausted after a brutal quarter") averages low against every passage while
sitting among the questions the library answers (bench/gate_near_override.md).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np


def nearest_elsewhere(vectors: np.ndarray, sections: Sequence[Hashable], k: int = 3) -> np.ndarray:
    """Per curated question, the mean cosine of its `k` nearest curated questions of other
    sections."""
    keys = {s: i for i, s in enumerate(dict.fromkeys(sections))}
    owner = np.array([keys[s] for s in sections])
    sims = vectors @ vectors.T
    sims[owner[:, None] == owner[None, :]] = -1.0
    return np.sort(sims, axis=1)[:, -k:].mean(axis=1)


@dataclass(frozen=True)
class AnswerGate:
    """Answer when the library score reaches `library` and, when set, the nearest curated
    questions reach `near`."""

    library: float
    near: float | None = None
    # Passages with no curated questions yet (an article just added) have no questions to be
    # near: a question whose best sentence among them scores like a curated question's best
    # sentence in the library (all but `near_share` of them) is near enough too.
    text: float | None = None
    # Near enough the curated questions to answer whatever the library score.
    sure: float | None = None

    @classmethod
    def fit(
        cls,
        asked: np.ndarray,
        sections: Sequence[Hashable],
        sentence_vectors: np.ndarray,
        offsets: np.ndarray,
        *,
        library_share: float,
        near_share: float,
        sure_share: float | None = None,
        fallback: float,
    ) -> AnswerGate:
        """Cut-offs declining `library_share` and `near_share` of the curated questions, and
        answering whatever the library score for a question nearer them than `sure_share`
        of them are to the others; the fixed `fallback` library cut-off (the bundled
        model's) when there are too few questions (or sections) for those shares to mean
        anything."""
        enough = min(library_share, near_share) * len(asked) >= 1 and len(set(sections)) > 3
        if not enough or not len(sentence_vectors):
            return cls(fallback)
        best = np.maximum.reduceat(asked @ sentence_vectors.T, offsets[:-1], axis=1)
        near = nearest_elsewhere(asked, sections)
        return cls(
            float(np.quantile(best.mean(axis=1), library_share)),
            float(np.quantile(near, near_share)),
            float(np.quantile(best.max(axis=1), near_share)),
            None if sure_share is None else float(np.quantile(near, sure_share)),
        )

    def admits(
        self, library_score: float, near: float | None, undescribed_best: float | None = None
    ) -> bool:
        """`undescribed_best`: the question's best sentence among the passages without
        curated questions (None when every passage has some)."""
        if self.sure is not None and near is not None and near >= self.sure:
            return True
        if library_score < self.library:
            return False
        if self.near is None or near is None or near >= self.near:
            return True
        return (
            undescribed_best is not None
            and self.text is not None
            and (undescribed_best >= self.text)
        )

    def in_domain(self, near: float | None) -> bool:
        """Near the curated questions by the library's own cut-off (not by the fixed
        fallback): a question the library score declines may still be one the curator's
        out-of-scope map knows who to ask about."""
        return self.near is not None and near is not None and near >= self.near
