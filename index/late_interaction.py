"""Late interaction (ColBERT-style MaxSim on MiniLM's token vectors): each question word's
best cosine among a passage's tokens, a soft lexical match that sees "liked" in "like" and
"uncomfortable" in its sentence."""

from __future__ import annotations

import numpy as np

# Question words per matrix product: many questions' words share one product, several times
# cheaper than one product per question.
_WORDS_PER_PRODUCT = 512


class LateInteraction:
    """Best matches of question token vectors among the library's passage token vectors."""

    def __init__(self, token_vectors: np.ndarray, token_offsets: np.ndarray, passages: int):
        self._tokens = token_vectors
        self._offsets = token_offsets
        self._passages = passages

    def scores(self, queries: list[np.ndarray]) -> list[np.ndarray]:
        """Per question, the mean over its words of their best cosine in each passage."""
        return [self.mean_of(best) for best in self.best_matches(queries)]

    def mean_of(self, best: np.ndarray, rows: int | None = None) -> np.ndarray:
        """Mean over the first `rows` words (all by default) of their best match per passage."""
        taken = best[:rows] if rows is not None else best
        if not len(taken):
            return np.zeros(self._passages, dtype="float32")
        return taken.mean(axis=0).astype("float32")

    def best_matches(self, queries: list[np.ndarray]) -> list[np.ndarray]:
        """Per question, (its words x passages): each word's best cosine in each passage."""
        out: list[np.ndarray] = []
        chunk: list[np.ndarray] = []
        rows = 0
        for query in [*queries, None]:
            if query is None or (chunk and rows + len(query) > _WORDS_PER_PRODUCT):
                out.extend(self._chunk(chunk))
                chunk, rows = [], 0
            if query is not None:
                chunk.append(query)
                rows += len(query)
        return out

    def _chunk(self, queries: list[np.ndarray]) -> list[np.ndarray]:
        n = self._passages
        filled = [q for q in queries if len(q)]
        if n == 0 or not filled or not len(self._tokens):
            return [np.zeros((0, n), dtype="float32") for _ in queries]
        sims = np.concatenate(filled) @ self._tokens.T  # (all questions' words, all tokens)
        per_passage = np.maximum.reduceat(sims, self._offsets[:-1], axis=1)
        out: list[np.ndarray] = []
        start = 0
        for query in queries:
            out.append(per_passage[start : start + len(query)])
            start += len(query)
        return out
