"""The embedding model on ONNX Runtime: the tokenizer from `tokenizers`, the transformer as an
exported .onnx file, pooling in numpy, all as the model's own sentence-transformers config says.

Why: in a burst the model runs on small batches, where torch's per-operation overhead costs
more than the arithmetic (about 21 ms of CPU per question alone vs 9 on ONNX Runtime), and a
process that never imports torch starts faster and holds less memory.

The .onnx file is exported once from the local model by a child process (index/onnx_export.py,
the only place torch is needed), stored under a key that changes with the model's weights,
with a sidecar JSON holding its checksum. A missing or damaged file is exported again.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from index.encoders import Batch, EmbeddingBackend

if TYPE_CHECKING:
    from tokenizers import Tokenizer

log = logging.getLogger(__name__)

EXPORT_FORMAT = 1  # bump when the export changes, so every cached file is exported again
OPSET = 17
MODULES = {"Transformer", "Pooling", "Normalize"}  # sentence-transformers modules reproduced
POOLING = {
    "pooling_mode_mean_tokens": "mean",
    "pooling_mode_cls_token": "cls",
    "pooling_mode_max_tokens": "max",
    "pooling_mode_mean_sqrt_len_tokens": "mean_sqrt_len",
}
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
EXPORT_TIMEOUT_S = 900.0


@dataclass(frozen=True)
class Recipe:
    """What ONNX Runtime needs to reproduce the model's sentence-transformers encode()."""

    model: Path  # the sentence-transformers folder (modules.json)
    folder: Path  # the transformer's folder (config.json, tokenizer.json, weights)
    weights: Path
    max_length: int
    pooling: str  # a value of POOLING
    dimensions: int
    pad_token: str

    @property
    def key(self) -> str:
        """Changes with the weights (path, size, modification time) and the export format."""
        stat = self.weights.stat()
        basis = f"{self.weights.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{EXPORT_FORMAT}"
        return hashlib.sha1(basis.encode()).hexdigest()[:16]


def read_recipe(model: str) -> Recipe | str:
    """The model's own settings (modules.json, 1_Pooling/config.json, sentence_bert_config),
    or why ONNX Runtime cannot reproduce it (then torch runs it)."""
    root = Path(model).expanduser()
    if not (root / "modules.json").is_file():
        return "not a local sentence-transformers folder (no modules.json)"
    try:
        modules = json.loads((root / "modules.json").read_text(encoding="utf-8"))
        kinds = {str(m["type"]).rsplit(".", 1)[-1]: m.get("path", "") for m in modules}
        if set(kinds) - MODULES or "Transformer" not in kinds or "Pooling" not in kinds:
            return f"modules {sorted(kinds)}; only {sorted(MODULES)} are reproduced"
        folder = root / kinds["Transformer"]
        pooling_config = json.loads((root / kinds["Pooling"] / "config.json").read_text())
        modes = [k for k, v in pooling_config.items() if k.startswith("pooling_mode") and v]
        if len(modes) != 1 or modes[0] not in POOLING:
            return f"pooling {modes}; only one of {sorted(POOLING.values())} is reproduced"
        st_config = json.loads((folder / "sentence_bert_config.json").read_text())
        if st_config.get("do_lower_case"):
            return "sentence_bert_config.json sets do_lower_case"
        max_length = int(st_config["max_seq_length"])
        pad = _pad_token(folder)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return f"its configuration is unreadable ({type(exc).__name__}: {exc})"
    weights = [
        p for p in (folder / "model.safetensors", folder / "pytorch_model.bin") if p.exists()
    ]
    if not weights:
        return "no model.safetensors or pytorch_model.bin"
    if not (folder / "tokenizer.json").is_file():
        return "no tokenizer.json (fast tokenizer)"
    dimensions = int(pooling_config["word_embedding_dimension"])
    return Recipe(root, folder, weights[0], max_length, POOLING[modes[0]], dimensions, pad)


def _pad_token(folder: Path) -> str:
    for name in ("special_tokens_map.json", "tokenizer_config.json"):
        path = folder / name
        if path.is_file():
            pad = json.loads(path.read_text(encoding="utf-8")).get("pad_token")
            if isinstance(pad, dict):
                pad = pad.get("content")
            if pad:
                return str(pad)
    return "[PAD]"


def make_tokenizer(recipe: Recipe) -> Tokenizer:
    """The fast tokenizer as sentence-transformers runs it: truncated to max_seq_length, not
    padded (tokenizer.json's own settings are replaced; `OnnxEncoder` pads each batch)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(recipe.folder / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=recipe.max_length)
    tokenizer.no_padding()
    return tokenizer


def pool(hidden: np.ndarray, mask: np.ndarray, mode: str) -> np.ndarray:
    """sentence-transformers' Pooling module, in numpy."""
    if mode == "cls":
        return hidden[:, 0].copy()
    weights = mask[..., None].astype(hidden.dtype)
    if mode == "max":
        return np.where(weights > 0, hidden, -1e9).max(axis=1)
    summed = (hidden * weights).sum(axis=1)
    counts = np.maximum(weights.sum(axis=1), 1e-9)
    return summed / (np.sqrt(counts) if mode == "mean_sqrt_len" else counts)


class OnnxEncoder:
    """One ONNX Runtime session; `forward` may run in several threads at once (the session's
    run() releases the GIL and is thread-safe; only the tokenizer is locked)."""

    backend = EmbeddingBackend.ONNX

    def __init__(self, recipe: Recipe, path: Path, threads: int = 0) -> None:
        self.recipe = recipe
        self.path = path
        self._tokenizer = make_tokenizer(recipe)
        self._tokenizer_lock = threading.Lock()
        pad_id = self._tokenizer.token_to_id(recipe.pad_token)
        self._pad_id = 0 if pad_id is None else pad_id
        self._threads = threads
        self._session = self._open(threads)
        self._inputs = [i.name for i in self._session.get_inputs()]

    def _open(self, threads: int) -> Any:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = max(0, threads)
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        # idle pool threads that spin take the CPU that acks and other replicas need
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])

    @property
    def dimensions(self) -> int:
        return self.recipe.dimensions

    def set_threads(self, n: int) -> None:
        if n != self._threads:
            self._session, self._threads = self._open(n), n

    def tokenize(self, texts: list[str]) -> list[list[int]]:
        with self._tokenizer_lock:
            encode = getattr(self._tokenizer, "encode_batch_fast", None)  # no offsets: faster
            encodings = (encode or self._tokenizer.encode_batch)(texts)
        return [e.ids for e in encodings]

    def forward(self, texts: list[str], ids: list[list[int]] | None = None) -> Batch:
        rows = self.tokenize(texts) if ids is None else ids
        width = max((len(r) for r in rows), default=0)
        input_ids = np.full((len(rows), width), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for i, row in enumerate(rows):
            input_ids[i, : len(row)] = row
            mask[i, : len(row)] = 1
        arrays = {  # one text per row: every token's type is 0, as the tokenizer gives it
            "input_ids": input_ids,
            "attention_mask": mask,
            "token_type_ids": np.zeros_like(input_ids),
        }
        hidden = self._session.run(None, {name: arrays[name] for name in self._inputs})[0]
        hidden = np.asarray(hidden, dtype=np.float32)
        return Batch(input_ids, mask.astype(bool), hidden, pool(hidden, mask, self.recipe.pooling))

    def vocabulary(self) -> tuple[list[str], set[int]]:
        tokenizer = self._tokenizer
        size = tokenizer.get_vocab_size(with_added_tokens=True)
        pieces = [tokenizer.id_to_token(i) or "" for i in range(size)]
        added = tokenizer.get_added_tokens_decoder()
        return pieces, {i for i, token in added.items() if token.special}


# ---- the cached .onnx file ---------------------------------------------------------------
def onnx_paths(directory: Path, recipe: Recipe) -> tuple[Path, Path]:
    """The model file and its sidecar (checksum, versions; or why it cannot be exported)."""
    stem = Path(directory) / f"encoder-{recipe.key}"
    return stem.with_suffix(".onnx"), stem.with_suffix(".json")


def file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def check_onnx(directory: Path, recipe: Recipe) -> str | None:
    """None when the exported file is there and whole; otherwise what is wrong with it."""
    path, sidecar = onnx_paths(directory, recipe)
    if not sidecar.is_file():
        return "not exported yet"
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return f"{sidecar.name} unreadable"
    if not isinstance(meta, dict):
        return f"{sidecar.name} unreadable"
    if meta.get("unsupported"):
        return f"unsupported: {meta['unsupported']}"
    if not path.is_file():
        return f"{path.name} missing"
    try:
        if path.stat().st_size != meta.get("bytes") or file_sha256(path) != meta.get("sha256"):
            return f"{path.name} damaged (checksum mismatch)"
    except OSError as exc:
        return f"{path.name} unreadable ({exc.strerror})"
    return None


def ensure_onnx(directory: Path, recipe: Recipe, *, force: bool = False) -> Path | None:
    """The exported model's path, exporting it first when missing or damaged (or `force`);
    None, with one log line, when it cannot be exported (the caller then runs torch)."""
    path, _ = onnx_paths(directory, recipe)
    problem = "export requested" if force else check_onnx(directory, recipe)
    if problem is None:
        return path
    if problem.startswith("unsupported: "):
        log.warning("ONNX Runtime cannot run %s (%s): using torch", recipe.model, problem[13:])
        return None
    try:
        with _locked(Path(directory) / ".encoder.lock"):
            if not force:  # another process may have exported it while this one waited
                problem = check_onnx(directory, recipe)
                if problem is None:
                    return path
            log.warning("ONNX encoder %s: %s; exporting it from %s", path, problem, recipe.folder)
            failure = _run_export(recipe, path)
    except OSError as exc:
        failure = f"{directory}: {exc.strerror or exc}"
    if failure is not None and failure.startswith("unsupported: "):
        log.warning("ONNX Runtime cannot run %s (%s): using torch", recipe.model, failure[13:])
        return None
    if failure is not None:
        log.error("ONNX encoder export failed (%s): using torch", failure)
        return None
    problem = check_onnx(directory, recipe)
    if problem is not None:
        log.warning("ONNX Runtime cannot run %s (%s): using torch", recipe.model, problem)
        return None
    _remove_other_exports(Path(directory), path)
    return path


def _run_export(recipe: Recipe, path: Path) -> str | None:
    """Export in a child process, so this one never imports torch; None on success."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    command = [sys.executable, "-m", "index.onnx_export", str(recipe.model), str(path)]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, env=env, timeout=EXPORT_TIMEOUT_S
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{type(exc).__name__}: {exc}"
    if done.returncode == 0:
        return None
    lines = [line for line in (done.stderr or "").splitlines() if line.strip()]
    return lines[-1][:300] if lines else f"exit code {done.returncode}"


def _remove_other_exports(directory: Path, keep: Path) -> None:
    """Exports of earlier weights: 90 MB each, never read again."""
    for old in directory.glob("encoder-*.*"):
        if old.stem != keep.stem and old.suffix in (".onnx", ".json"):
            with contextlib.suppress(OSError):
                old.unlink()


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One exporter at a time per folder (replicas starting together export once)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
