"""What one forward pass of the embedding model gives, and the torch way to run it.

Two backends run the same model: ONNX Runtime (index/onnx_encoder.py: small batches cost a
third of torch's, and a serving process never imports torch) and sentence-transformers on
torch (any model it can load). Both hand `Embedder` the same `Batch`.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from index.errors import ModelLoadError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)


class EmbeddingBackend(StrEnum):
    """How the model runs: ONNX Runtime (falls back to torch when it cannot), or torch."""

    ONNX = "onnx"
    TORCH = "torch"


@dataclass(frozen=True)
class Batch:
    """One forward pass over texts padded to the longest: (texts, positions, ...) arrays."""

    input_ids: np.ndarray  # (texts, positions) int64
    attention_mask: np.ndarray  # (texts, positions) bool: real token or padding
    token_embeddings: np.ndarray  # (texts, positions, dim) float32
    sentence_embeddings: np.ndarray  # (texts, dim) float32, pooled, not yet unit length


class Encoder(Protocol):
    """A loaded model: texts in, one `Batch` out; safe to call from several threads."""

    backend: EmbeddingBackend

    @property
    def dimensions(self) -> int: ...

    def tokenize(self, texts: list[str]) -> list[list[int]]:
        """Each text's token ids as the model reads it (truncated, special tokens in, no
        padding): what `Embedder` groups texts of similar length by."""
        ...

    def forward(self, texts: list[str], ids: list[list[int]] | None = None) -> Batch:
        """One pass over `texts`, padded to the longest; `ids` (from `tokenize`), when at
        hand, spare tokenizing them again."""
        ...

    def vocabulary(self) -> tuple[list[str], set[int]]:
        """Each vocabulary id's word piece, and the ids of special tokens."""
        ...

    def set_threads(self, n: int) -> None:
        """CPU threads one forward pass may use (0: the runtime's default)."""
        ...


class TorchEncoder:
    """sentence-transformers on torch: runs any model it can load, at torch's per-op cost."""

    backend = EmbeddingBackend.TORCH

    def __init__(self, model: SentenceTransformer) -> None:
        self.model = model
        self._tokenizer_lock = threading.Lock()  # a fast tokenizer is not safe to share

    @classmethod
    def load(cls, name: str) -> TorchEncoder:
        """The model from a local folder (or the offline hub cache); ModelLoadError if not."""
        path = Path(name).expanduser()
        try:
            import transformers
            from sentence_transformers import SentenceTransformer

            transformers.logging.disable_progress_bar()
            model = SentenceTransformer(str(path) if path.exists() else name, device="cpu")
        except Exception as exc:  # noqa: BLE001 - any load failure is the same user error
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelLoadError(name, first[:300]) from None
        model.eval()
        return cls(model)

    @property
    def dimensions(self) -> int:
        getter = (
            getattr(self.model, "get_embedding_dimension", None)
            or self.model.get_sentence_embedding_dimension
        )
        return int(getter())

    def tokenize(self, texts: list[str]) -> list[list[int]]:
        with self._tokenizer_lock:
            features = self._preprocess(texts)
        mask = features["attention_mask"].numpy().astype(bool)
        ids = features["input_ids"].numpy()
        return [row[keep].tolist() for row, keep in zip(ids, mask, strict=True)]

    def forward(self, texts: list[str], ids: list[list[int]] | None = None) -> Batch:
        """(`ids` unused: sentence-transformers tokenizes as part of its own pass.)"""
        import torch

        with self._tokenizer_lock:
            features = self._preprocess(texts)
        with torch.inference_mode():  # releases the GIL: passes run side by side
            out = self.model(features)
        return Batch(
            features["input_ids"].numpy().astype("int64"),
            features["attention_mask"].numpy().astype(bool),
            out["token_embeddings"].float().numpy(),
            out["sentence_embedding"].float().numpy(),
        )

    def _preprocess(self, texts: list[str]) -> dict[str, Any]:
        """The model's input for `texts`, as its own encode() would make it."""
        preprocess = getattr(self.model, "preprocess", None) or self.model.tokenize
        return dict(preprocess(texts))

    def vocabulary(self) -> tuple[list[str], set[int]]:
        tokenizer = self.model.tokenizer
        pieces = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
        special = set(getattr(tokenizer, "all_special_ids", []) or [])
        return [str(p) for p in pieces], special

    def set_threads(self, n: int) -> None:
        import torch

        if n > 0:
            torch.set_num_threads(n)
