"""The sentence-transformers model, loaded once per process, from disk, never from a hub."""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
        self._tokenizer_lock = threading.Lock()  # a fast tokenizer is not safe to share
        self._keep: np.ndarray | None = None
        self._special = np.zeros(0, dtype=bool)

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
        model.eval()
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
        self, texts: list[str], *, progress: bool = False, batch_size: int | None = None
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Text vectors plus, from the same forward pass, unit-length vectors of each text's
        content tokens (no special tokens, punctuation or stop words) for late interaction.

        Texts are run longest first in batches of `batch_size`, each padded only to its own
        longest text, as sentence-transformers' encode() does, without its per-text outputs.
        Several threads may call this at once: only the tokenizer is shared state, so only
        it is locked, and the forward passes run side by side (torch releases the GIL).
        """
        if not texts:
            return np.zeros((0, self.dimensions), dtype="float32"), []
        import torch

        model = self.model
        keep = self._content_token_ids()
        size = max(1, batch_size or self.batch_size)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        sentence = np.zeros((len(texts), self.dimensions), dtype="float32")
        tokens: list[np.ndarray] = [np.zeros((0, self.dimensions), dtype="float32")] * len(texts)
        starts = range(0, len(order), size)
        if progress:
            from tqdm.auto import tqdm

            starts = tqdm(starts, desc="Embedding", unit="batch")
        for start in starts:
            rows = order[start : start + size]
            with self._tokenizer_lock:
                features = self._preprocess(model, [texts[i] for i in rows])
            with torch.inference_mode():
                out = model(features)
            vectors = out["sentence_embedding"].float().numpy()
            norms = np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
            sentence[rows] = vectors / norms
            ids = features["input_ids"].numpy()
            mask = features["attention_mask"].numpy().astype(bool)
            matrices = out["token_embeddings"].float().numpy()
            for j, row in enumerate(rows):
                real = ids[j][mask[j]]
                chosen = np.flatnonzero(keep[real])
                if not len(chosen):  # no content word: every real non-special token
                    chosen = np.flatnonzero(~self._special[real]) if len(real) else chosen
                    chosen = chosen if len(chosen) else np.array([0])
                matrix = matrices[j][: len(real)][chosen]
                token_norms = np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
                tokens[row] = np.ascontiguousarray(matrix / token_norms, dtype="float32")
        return sentence, tokens

    @staticmethod
    def _preprocess(model: SentenceTransformer, texts: list[str]) -> dict[str, Any]:
        """The model's input for `texts`, as its own encode() would make it."""
        preprocess = getattr(model, "preprocess", None) or model.tokenize
        return dict(preprocess(texts))

    def _content_token_ids(self) -> np.ndarray:
        """Per vocabulary id: a content word piece (kept for late interaction), not a special
        token, punctuation or stop word. Worked out once per model."""
        if self._keep is None:
            from index.lexical import STOPWORDS

            tokenizer = self.model.tokenizer
            special = set(getattr(tokenizer, "all_special_ids", []) or [])
            pieces = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
            self._special = np.array([i in special for i in range(len(pieces))], dtype=bool)
            self._keep = np.array(
                [
                    i not in special
                    and str(piece).lstrip("#").isalnum()
                    and str(piece).lower() not in STOPWORDS
                    for i, piece in enumerate(pieces)
                ],
                dtype=bool,
            )
        return self._keep

    def encode(
        self, texts: list[str], *, progress: bool = False, batch_size: int | None = None
    ) -> np.ndarray:
        """Unit-length text vectors (the same forward pass as `encode_with_tokens`)."""
        return self.encode_with_tokens(texts, progress=progress, batch_size=batch_size)[0]
