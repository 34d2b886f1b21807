"""The sentence-transformers model, loaded once per process, from disk, never from a hub."""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from index.errors import ModelLoadError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)


def use_cpu_threads(n: int) -> None:
    """Threads one forward pass may use (torch's default: one per core). A server answering
    several questions at once, maybe beside other replicas, does better with one: the
    threads of parallel passes otherwise spin against each other for the same cores.
    Applies to numpy's BLAS too."""
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(max(1, n))
    # numpy's BLAS (late interaction, dense scores) keeps its own thread pool, whose idle
    # threads busy-wait: beside torch's they made a 3 ms matrix product take 30-40 ms.
    threadpool_limits(max(1, n), user_api="blas")


class Embedder:
    """Unit-length embeddings, so inner product is cosine similarity.

    The model loads on first use (importing torch takes seconds), then stays loaded.
    """

    def __init__(self, model: str, *, batch_size: int = 32) -> None:
        self.model_name = model
        self.batch_size = batch_size
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()

    @property
    def fingerprint(self) -> str:
        """Changes when the model changes, so a stale index is rebuilt."""
        path = Path(self.model_name)
        weights = [
            p for p in (path / "model.safetensors", path / "pytorch_model.bin") if p.exists()
        ]
        if weights:
            stat = weights[0].stat()
            basis = f"{path.resolve()}|{stat.st_size}"
        else:
            basis = self.model_name
        return hashlib.sha1(basis.encode()).hexdigest()[:16]

    @property
    def model(self) -> SentenceTransformer:
        with self._lock:
            if self._model is None:
                self._model = self._load()
            return self._model

    def _load(self) -> SentenceTransformer:
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        path = Path(self.model_name).expanduser()
        if not path.exists():
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            import transformers
            from sentence_transformers import SentenceTransformer

            transformers.logging.disable_progress_bar()
            model = SentenceTransformer(
                str(path) if path.exists() else self.model_name, device="cpu"
            )
        except Exception as exc:  # noqa: BLE001 - any load failure is the same user error
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelLoadError(self.model_name, first[:300]) from None
        log.info("embedding model loaded: %s", self.model_name)
        return model

    @property
    def dimensions(self) -> int:
        model = self.model
        getter = (
            getattr(model, "get_embedding_dimension", None)
            or model.get_sentence_embedding_dimension
        )
        return int(getter())

    def encode_with_tokens(
        self, texts: list[str], *, progress: bool = False
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Text vectors plus, from the same forward pass, unit-length vectors of each text's
        content tokens (no special tokens, punctuation or stop words) for late interaction."""
        if not texts:
            return np.zeros((0, self.dimensions), dtype="float32"), []
        from index.lexical import STOPWORDS

        model = self.model
        outputs = model.encode(
            texts,
            batch_size=self.batch_size,
            output_value=None,
            convert_to_numpy=False,
            show_progress_bar=progress,
        )
        tokenizer = model.tokenizer
        special = set(getattr(tokenizer, "all_special_ids", []) or [])
        sentence = np.zeros((len(texts), self.dimensions), dtype="float32")
        tokens: list[np.ndarray] = []
        for row, out in enumerate(outputs):
            vector = out["sentence_embedding"].detach().float().cpu().numpy()
            sentence[row] = vector / max(float(np.linalg.norm(vector)), 1e-12)
            ids = out["input_ids"].tolist()
            pieces = tokenizer.convert_ids_to_tokens(ids)
            keep = [
                i
                for i, (tid, piece) in enumerate(zip(ids, pieces, strict=True))
                if tid not in special
                and piece.lstrip("#").isalnum()
                and piece.lower() not in STOPWORDS
            ]
            matrix = out["token_embeddings"].detach().float().cpu().numpy()
            matrix = (
                matrix[keep]
                if keep
                else matrix[[i for i, t in enumerate(ids) if t not in special] or [0]]
            )
            norms = np.linalg.norm(matrix, axis=1, keepdims=True)
            tokens.append(np.ascontiguousarray(matrix / np.maximum(norms, 1e-12), dtype="float32"))
        return sentence, tokens

    def encode(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype="float32")
        vectors = self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype="float32")
