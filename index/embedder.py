"""The embedding model, loaded once per process, from disk, never from a hub.

It runs on ONNX Runtime by default (index/onnx_encoder.py), exported once from the local
model, or on sentence-transformers/torch (EMBEDDING_BACKEND=torch, or when ONNX Runtime
cannot reproduce the model); both give the same vectors (tests/test_onnx_encoder.py).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from index.encoders import Batch, EmbeddingBackend, Encoder, TorchEncoder

log = logging.getLogger(__name__)

# What one more forward pass costs, in padded tokens: each pass reads all the model's weights
# (about 40 MB), some 2.5 ms on one core, while each token of each text costs about 0.3 ms
# (bench/embed_batches.py). Cheaper than padding short texts to the longest, dearer than a
# pass per text.
PASS_COST_TOKENS = 8


def plan_batches(
    lengths: Sequence[int], max_size: int, pass_cost: float = PASS_COST_TOKENS
) -> list[list[int]]:
    """Texts (by index) grouped into forward passes, longest group first.

    Each pass is padded to its longest text, so texts of similar token counts go together:
    of the texts sorted by length, the split into runs of at most `max_size` that computes
    the fewest tokens, padding included, counting each pass as `pass_cost` tokens more.
    """
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    best = [0.0] + [float("inf")] * len(order)
    cut = [0] * (len(order) + 1)
    for end in range(1, len(order) + 1):
        longest = lengths[order[end - 1]]
        for start in range(max(0, end - max_size), end):
            cost = best[start] + pass_cost + (end - start) * longest
            if cost < best[end]:
                best[end], cut[end] = cost, start
    groups: list[list[int]] = []
    end = len(order)
    while end > 0:
        groups.append(order[cut[end] : end])
        end = cut[end]
    return groups


def default_onnx_dir() -> Path:
    """Where exported models go when nobody names a folder: the user's cache."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "leadership-coach" / "onnx"


class Embedder:
    """Unit-length embeddings, so inner product is cosine similarity.

    The model loads on first use, then stays loaded. With the ONNX backend the exported
    model lives in `onnx_dir` (the index folder, for the app), exported there if missing.
    """

    def __init__(
        self,
        model: str,
        *,
        batch_size: int = 32,
        backend: EmbeddingBackend | str = EmbeddingBackend.ONNX,
        onnx_dir: Path | None = None,
        threads: int = 0,
    ) -> None:
        self.model_name = model
        self.batch_size = batch_size
        self.backend = EmbeddingBackend(backend)
        self.onnx_dir = Path(onnx_dir) if onnx_dir is not None else default_onnx_dir()
        self.threads = threads
        self._encoder: Encoder | None = None
        self._lock = threading.Lock()
        self._keep: np.ndarray | None = None
        self._special = np.zeros(0, dtype=bool)
        self._side_by_side = 1
        self._pass_pool: ThreadPoolExecutor | None = None

    @functools.cached_property
    def fingerprint(self) -> str:
        """Changes when the model's weights change, so a stale index is rebuilt; by their
        content (0.1 s once per process), so the same weights in another folder (the
        library's adapted model in a copied DATA_DIR) are the same model."""
        path = Path(self.model_name)
        weights = [
            p for p in (path / "model.safetensors", path / "pytorch_model.bin") if p.exists()
        ]
        if not weights:
            return hashlib.sha1(self.model_name.encode()).hexdigest()[:16]
        digest = hashlib.sha1()
        with weights[0].open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()[:16]

    @property
    def encoder(self) -> Encoder:
        with self._lock:
            if self._encoder is None:
                self._encoder = self._load()
                log.info("embedding model loaded: %s (%s)", self.model_name, self._encoder.backend)
            return self._encoder

    def _load(self) -> Encoder:
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        if not Path(self.model_name).expanduser().exists():
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        encoder: Encoder | None = None
        if self.backend is EmbeddingBackend.ONNX:
            encoder = self._load_onnx()
        if encoder is None:
            encoder = TorchEncoder.load(self.model_name)
        if self.threads:
            encoder.set_threads(self.threads)
        return encoder

    def _load_onnx(self) -> Encoder | None:
        """The ONNX Runtime encoder, exporting the model first if needed; None (after one
        log line saying why) when torch has to run the model instead."""
        from index.onnx_encoder import OnnxEncoder, ensure_onnx, read_recipe

        recipe = read_recipe(self.model_name)
        if isinstance(recipe, str):
            log.warning("ONNX Runtime cannot run %s (%s): using torch", self.model_name, recipe)
            return None
        try:
            import onnxruntime  # noqa: F401
        except ImportError:
            log.warning("onnxruntime is not installed: the embedding model runs on torch")
            return None
        for attempt in range(2):
            path = ensure_onnx(self.onnx_dir, recipe, force=attempt > 0)
            if path is None:
                return None
            try:
                return OnnxEncoder(recipe, path, self.threads)
            except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own types
                first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
                log.warning("ONNX encoder %s does not load (%s)", path, first or type(exc))
        log.error("ONNX encoder still does not load after exporting it again: using torch")
        return None

    def use_threads(self, n: int) -> None:
        """CPU threads one forward pass may use (0: the runtime's default, one per core). A
        server answering several questions at once, maybe beside other replicas, does better
        with one: the threads of parallel passes otherwise spin against each other. Applies
        to numpy's BLAS too (late interaction, dense scores): its idle threads busy-wait, and
        beside the model's they made a 3 ms matrix product take 30-40 ms."""
        from threadpoolctl import threadpool_limits

        self.threads = n
        if n > 0:
            threadpool_limits(n, user_api="blas")
        with self._lock:
            if self._encoder is not None:
                self._encoder.set_threads(n)

    def run_passes_side_by_side(self, n: int) -> None:
        """Forward passes of one call (`encode_with_tokens`) that may run at once, each on
        one thread. A burst's batch is several passes (texts grouped by length): on a core
        that is otherwise idle they finish in two thirds of the time for 5% more CPU
        (bench/embed_batches.py), where splitting each pass across threads (`use_threads`)
        cost half as much CPU again. 1: one pass after the other."""
        with self._lock:
            self._side_by_side = max(1, n)
            pool, self._pass_pool = self._pass_pool, None
        if pool is not None:
            pool.shutdown(wait=False)

    def _passes_pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pass_pool is None:
                self._pass_pool = ThreadPoolExecutor(
                    max_workers=self._side_by_side, thread_name_prefix="model-pass"
                )
            return self._pass_pool

    @property
    def dimensions(self) -> int:
        return self.encoder.dimensions

    def encode_with_tokens(
        self, texts: list[str], *, progress: bool = False, batch_size: int | None = None
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Text vectors plus, from the same forward pass, unit-length vectors of each text's
        content tokens (no special tokens, punctuation or stop words) for late interaction.

        Texts are tokenized once and run in passes of similar token counts
        (`plan_batches`), each padded only to its own longest text: padding short questions
        to the length of long ones was most of the work of a burst's batch.
        Several threads may call this at once: only the tokenizer is shared state, so only
        it is locked, and the forward passes run side by side (both runtimes release the GIL);
        so may the passes of one call (`run_passes_side_by_side`).
        """
        if not texts:
            return np.zeros((0, self.dimensions), dtype="float32"), []
        unique = dict.fromkeys(texts)
        if len(unique) < len(texts):  # the same question asked twice in a burst: run it once
            where = {text: i for i, text in enumerate(unique)}
            vectors, matrices = self.encode_with_tokens(
                list(unique), progress=progress, batch_size=batch_size
            )
            rows = [where[text] for text in texts]
            return vectors[rows], [matrices[i] for i in rows]
        encoder = self.encoder
        keep = self._content_token_ids()
        token_ids = encoder.tokenize(texts)
        size = max(1, batch_size or self.batch_size)
        groups = plan_batches([len(row) for row in token_ids], size)
        sentence = np.zeros((len(texts), self.dimensions), dtype="float32")
        tokens: list[np.ndarray] = [np.zeros((0, self.dimensions), dtype="float32")] * len(texts)

        def run(rows: list[int]) -> Batch:
            return encoder.forward([texts[i] for i in rows], [token_ids[i] for i in rows])

        batches: Iterable[Batch] = map(run, groups)
        if self._side_by_side > 1 and len(groups) > 1:
            batches = self._passes_pool().map(run, groups)  # longest first: even finish
        done: Iterable[tuple[list[int], Batch]] = zip(groups, batches, strict=True)
        if progress:
            from tqdm.auto import tqdm

            done = tqdm(done, desc="Embedding", unit="batch", total=len(groups))
        for rows, batch in done:
            vectors = batch.sentence_embeddings
            norms = np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
            sentence[rows] = vectors / norms
            ids, mask, matrices = batch.input_ids, batch.attention_mask, batch.token_embeddings
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

    def _content_token_ids(self) -> np.ndarray:
        """Per vocabulary id: a content word piece (kept for late interaction), not a special
        token, punctuation or stop word. Worked out once per model."""
        if self._keep is None:
            from index.lexical import STOPWORDS

            pieces, special = self.encoder.vocabulary()
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
