"""Curator-written texts (out-of-scope examples, the questions a section answers) embedded
once and kept in the index folder: a few hundred texts are seconds of model time that
`coach ask` should not pay at every start."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path

import numpy as np

from index.embedder import Embedder

log = logging.getLogger(__name__)


def kept_vectors(
    texts: list[str], embedder: Embedder, cache_dir: Path | None, prefix: str
) -> np.ndarray:
    """The texts' unit vectors, kept in `cache_dir` as `<prefix>-<hash>.npy` under a name that
    changes with the texts and the model (older files of the same prefix are removed)."""
    if not texts:
        return np.zeros((0, 1), dtype="float32")
    basis = "\0".join([embedder.fingerprint, *texts])
    path = None
    if cache_dir is not None:
        digest = hashlib.sha256(basis.encode()).hexdigest()[:16]
        path = Path(cache_dir) / f"{prefix}-{digest}.npy"
        try:
            kept = np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError):
            kept = None  # absent or unreadable: embed again
        if kept is not None and _sound(kept, len(texts)):
            return kept
        if kept is not None:
            log.warning("%s is damaged (not %d unit vectors): embedding again", path, len(texts))
    vectors = embedder.encode(texts).astype("float32")
    if path is not None:
        try:
            _save(path, vectors, prefix)
        except OSError as exc:
            log.warning("could not keep the %s vectors in %s: %s", prefix, path.parent, exc)
    return vectors


def _sound(kept: np.ndarray, rows: int) -> bool:
    """Whether a kept file holds what was saved: one finite unit vector per text. A file
    scribbled over in place keeps its header and size, so np.load reads it: its damaged
    rows were searched as they were, and every question was declined."""
    if kept.ndim != 2 or kept.shape[0] != rows or kept.dtype.kind != "f":
        return False
    with np.errstate(all="ignore"):
        norms = np.linalg.norm(kept.astype("float64"), axis=1)
    return bool(np.all(np.isfinite(norms)) and np.allclose(norms, 1.0, atol=1e-3))


def _save(path: Path, vectors: np.ndarray, prefix: str) -> None:
    """Beside the target then renamed (a reader never sees half a file); older ones go."""
    fd, tmp = tempfile.mkstemp(prefix=f".{prefix}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            np.save(handle, vectors, allow_pickle=False)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    for old in path.parent.glob(f"{prefix}-*.npy"):
        if old != path:
            old.unlink(missing_ok=True)
