"""All-but-the-top (Mu & Viswanath, 2018) for the dense signal: every passage of the library
is about sales leadership, so MiniLM's vectors share a mean and a few dominant directions
that lift every in-domain cosine alike. Removing them, fitted on the library's own passage
vectors (never on questions), leaves the directions that tell passages apart."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Below this many passages per removed direction, the top components are a few articles'
# topics rather than what the whole library shares: the vectors are left as they are.
PASSAGES_PER_DIRECTION = 20


@dataclass(frozen=True)
class CommonDirections:
    """The library's mean passage vector and its top principal directions."""

    mean: np.ndarray  # (dim,)
    directions: np.ndarray  # (removed, dim), orthonormal rows

    @classmethod
    def fit(cls, passage_vectors: np.ndarray, removed: int) -> CommonDirections | None:
        """None (use the vectors as they are) when nothing is to be removed or the library
        is too small to estimate what its passages share."""
        if removed <= 0 or len(passage_vectors) < removed * PASSAGES_PER_DIRECTION:
            return None
        x = passage_vectors.astype("float64")
        mean = x.mean(axis=0)
        _, _, vt = np.linalg.svd(x - mean, full_matrices=False)
        return cls(mean=mean, directions=vt[:removed])

    def __call__(self, vectors: np.ndarray) -> np.ndarray:
        """Centred, the common directions projected out, back to unit length."""
        x = vectors.astype("float64") - self.mean
        x -= (x @ self.directions.T) @ self.directions
        norms = np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
        return (x / norms).astype("float32")
