"""Token vectors of the manager's vocabulary, each entry embedded once, as a phrase.

Late interaction with the vocabulary needs token vectors for the words a question gains.
Embedding every question a second time with those words appended doubled the model's work
per question, the largest share of a burst's CPU. Instead each entry is embedded once per
loaded library as its term followed by its words ("crew team people"), and every question
that uses the term gains those vectors, the term's own included (dropping them, or embedding
the words without their term, measured worse). Cross-validated against the second pass on four
question sets and two libraries (bench/vocabulary_tokens.md): as good or better on each.
"""

from __future__ import annotations

import threading

import numpy as np

from index.embedder import Embedder
from index.vocabulary import Expansion, Vocabulary

_MAX_CACHED = 20_000  # entries cut short by words a question already has, besides the entries


class VocabularyTokens:
    """Token vectors per expansion, embedded when first met, or every entry's at once by
    `prepare` (a replica's warm-up)."""

    def __init__(self, vocabulary: Vocabulary, embedder: Embedder) -> None:
        self._vocabulary = vocabulary
        self._embedder = embedder
        self._table: dict[Expansion, np.ndarray] = {}
        self._prepared = False
        self._lock = threading.Lock()

    def prepare(self) -> None:
        """Embed every entry now (one batch, about a second and a half), not on a question's
        time."""
        with self._lock:
            if not self._prepared:
                self._table.update(self._embedded(self._vocabulary.every_expansion()))
                self._prepared = True

    def _embedded(self, expansions: list[Expansion]) -> dict[Expansion, np.ndarray]:
        wanted = list(dict.fromkeys(expansions))
        if not wanted:
            return {}
        _, matrices = self._embedder.encode_with_tokens([e.phrase for e in wanted])
        return dict(zip(wanted, matrices, strict=True))

    def with_expansions(
        self, questions: list[np.ndarray], gained: list[list[Expansion]]
    ) -> list[np.ndarray]:
        """Each question's token vectors followed by those of the expansions it gains (one
        not embedded yet costs a small pass, once)."""
        local = self._embedded([e for each in gained for e in each if e not in self._table])
        if local and len(self._table) < _MAX_CACHED:
            with self._lock:
                self._table.update(local)
        out: list[np.ndarray] = []
        for tokens, expansions in zip(questions, gained, strict=True):
            parts = [self._table.get(e, local.get(e)) for e in expansions]
            kept = [p for p in parts if p is not None]
            out.append(np.concatenate([tokens, *kept]) if kept else tokens)
        return out
