"""The embedding model fine-tuned on the library's own curated questions, kept as a small
file beside the articles: its difference from the bundled all-MiniLM-L6-v2.

The whole fine-tuned model is 90 MB, too big to keep with the content; its difference,
each transformer matrix's as a truncated SVD (a low-rank product), the word-embedding rows
training touched and the few small tensors whole, is a few MB. At start the difference is
added back to the bundled weights into a model folder in the index folder (a copy of the
bundled folder with only `model.safetensors` replaced, so ONNX Runtime runs it at the
bundled model's speed), named by the adapter file's content: a new adapter, a new folder,
a new index. numpy only: serving never imports torch for this.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from index.errors import AdapterError

if TYPE_CHECKING:
    from index.asked import AskedQuestions

log = logging.getLogger(__name__)

ADAPTER_DIR = "model"  # in CONTENT_DIR
ADAPTER_FILE = "adapter.safetensors"
WEIGHTS = "model.safetensors"
WEIGHTS_SUM = "model.safetensors.sha1"  # beside an adapted model's weights: what they were
# tensors kept as low-rank products; the word embeddings as touched rows; the rest whole
LOW_RANK_PREFIX = "encoder.layer."
WORD_EMBEDDINGS = "embeddings.word_embeddings.weight"
ROW_CHANGE = 1e-4  # an embedding row that moved less than this was not in any training pair


def extract(base: dict[str, np.ndarray], tuned: dict[str, np.ndarray], rank: int) -> dict:
    """The tuned model's difference from `base`, compact: `name.a @ name.b` for each
    transformer matrix (rank `rank`), `name.rows`/`name.delta` for the word embeddings, and
    `name.full` for everything else that changed."""
    out: dict[str, np.ndarray] = {}
    for name, weight in base.items():
        delta = tuned[name].astype(np.float32) - weight.astype(np.float32)
        if not delta.any():
            continue
        if name.startswith(LOW_RANK_PREFIX) and delta.ndim == 2 and rank < min(delta.shape):
            u, s, vt = np.linalg.svd(delta, full_matrices=False)
            out[f"{name}.a"] = (u[:, :rank] * s[:rank]).astype(np.float16)
            out[f"{name}.b"] = vt[:rank].astype(np.float16)
        elif name == WORD_EMBEDDINGS:
            rows = np.flatnonzero(np.linalg.norm(delta, axis=1) > ROW_CHANGE)
            out[f"{name}.rows"] = rows.astype(np.int32)
            out[f"{name}.delta"] = delta[rows].astype(np.float16)
        else:
            out[f"{name}.full"] = delta.astype(np.float16)
    return out


def apply(base: dict[str, np.ndarray], adapter: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """`base` with the adapter's difference added back (each tensor in its own dtype)."""
    known = {key.rsplit(".", 1)[0] for key in adapter}
    unknown = sorted(known - set(base))
    if unknown:
        raise ValueError(f"tensors the model does not have: {', '.join(unknown[:3])}")
    out = dict(base)
    for name in known:
        weight = base[name].astype(np.float32)
        if f"{name}.a" in adapter:
            weight = weight + adapter[f"{name}.a"].astype(np.float32) @ adapter[f"{name}.b"].astype(
                np.float32
            )
        elif f"{name}.rows" in adapter:
            weight = weight.copy()
            weight[adapter[f"{name}.rows"]] += adapter[f"{name}.delta"].astype(np.float32)
        else:
            weight = weight + adapter[f"{name}.full"].astype(np.float32)
        out[name] = weight.astype(base[name].dtype)
    return out


def save_adapter(adapter: dict[str, np.ndarray], path: Path, about: dict[str, str]) -> None:
    """Write the adapter file atomically; `about` (what it was trained on, how) goes in its
    metadata, which `adapter_about` reads back."""
    from safetensors.numpy import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as handle:
        tmp = Path(handle.name)
    try:
        save_file(adapter, str(tmp), metadata={"about": json.dumps(about, sort_keys=True)})
        tmp.chmod(0o644)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def adapter_about(path: Path) -> dict[str, str]:
    """What the adapter file says of itself (empty when it says nothing)."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), "np") as handle:
            return json.loads((handle.metadata() or {}).get("about", "{}"))
    except Exception as exc:  # noqa: BLE001 - safetensors raises its own types
        raise AdapterError(path, str(exc)) from exc


def questions_fingerprint(asked: AskedQuestions) -> str:
    """The curated questions (with their sections) an adapter is trained on: when they
    change, the adapter is older than the library (`coach index status` says so)."""
    lines = (f"{a}|{h or ''}|{t}" for t, (a, h) in zip(asked.texts, asked.sections, strict=True))
    return hashlib.sha1("\n".join(lines).encode()).hexdigest()[:12]


def _sha1(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha1").hexdigest()


def _damage(folder: Path, made: Callable[[], bytes]) -> str | None:
    """What is wrong with an adapted model folder made earlier, or None. Its weights are
    checked against the checksum written beside them when they were made; a folder made
    before there was one is checked once against the weights made again (`made`), then
    gets it. Before, a truncated file stopped every start with a message blaming
    EMBEDDING_MODEL, and one scribbled over was embedded with (the index rebuilt on it)."""
    weights, kept = folder / WEIGHTS, folder / WEIGHTS_SUM
    try:
        found = _sha1(weights)
        if kept.exists():
            expected = kept.read_text(encoding="utf-8").strip()
        else:
            expected = hashlib.sha1(made()).hexdigest()
            if found == expected:
                _write_sum(found, kept)
    except OSError as exc:
        return f"{WEIGHTS}: {exc.strerror or exc}"
    return None if found == expected else f"{WEIGHTS}: checksum mismatch"


def _write_sum(digest: str, kept: Path) -> None:
    """The weights' checksum (`digest`, their SHA-1) beside them, written in one step (a
    reader never sees half)."""
    fd, tmp = tempfile.mkstemp(prefix=".sum-", dir=kept.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(digest + "\n")
        os.replace(tmp, kept)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """An exclusive flock on <folder>/.adapted.lock (none when it cannot be made)."""
    try:
        handle = (folder / ".adapted.lock").open("a")
    except OSError:
        yield
        return
    with handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _set_aside(folder: Path) -> None:
    """A damaged folder out of the way (renamed, then removed), so it is made again."""
    aside = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".damaged-"))
    try:
        os.replace(folder, aside / folder.name)
    except OSError:
        pass  # another process moved it first
    shutil.rmtree(aside, ignore_errors=True)


def _fingerprint(path: Path) -> str:
    return hashlib.sha1(path.read_bytes()).hexdigest()[:12]


def weights_fingerprint(model_folder: Path) -> str:
    """The model's weights by content (an adapter fits only the weights it was made from)."""
    return _fingerprint(model_folder / WEIGHTS)


def adapter_path(content_dir: Path | str) -> Path:
    """Where the library keeps its adapter: CONTENT_DIR/model/adapter.safetensors."""
    return Path(content_dir) / ADAPTER_DIR / ADAPTER_FILE


def check_adapter(path: Path, model: str) -> None:
    """AdapterError when the adapter at `path` cannot be applied to `model`: unreadable, or
    made from other weights (a body damaged past its header is found when applied)."""
    if not (Path(model) / WEIGHTS).exists():
        raise AdapterError(path, f"EMBEDDING_MODEL={model} is no folder with {WEIGHTS}")
    if adapter_about(path).get("base") != weights_fingerprint(Path(model)):
        raise AdapterError(path, f"made for other weights than EMBEDDING_MODEL={model}")


def library_model(model: str, content_dir: Path, index_dir: Path, *, make: bool = True) -> str:
    """The model the library searches with: `model`, or, when the library has an adapter
    (CONTENT_DIR/model/adapter.safetensors) made from these very weights, a folder in
    `index_dir` with it applied (with `make=False`, where that folder is or would be). An
    adapter that cannot be used is one log line, and the search runs on `model` as it is."""
    path = adapter_path(content_dir)
    if not path.exists():
        return model
    folder = Path(model)
    try:
        check_adapter(path, model)
        if not make:
            return str(adapted_folder(path, Path(index_dir)))
        return str(adapted_model(folder, path, Path(index_dir)))
    except AdapterError as exc:
        log.error("%s", str(exc))  # its text in the key: two problems are two lines
        return model


def adapted_folder(adapter_path: Path, out_root: Path) -> Path:
    """Where `adapted_model` puts the model this adapter makes."""
    return out_root / f"model-{_fingerprint(adapter_path)}"


def adapted_model(base_folder: Path, adapter_path: Path, out_root: Path) -> Path:
    """The model folder with the adapter applied, made in `out_root` the first time (a
    second process finds it there); named by the adapter's content. One made earlier whose
    weights are damaged is made again (one warning line)."""
    target = adapted_folder(adapter_path, out_root)
    if not (target / WEIGHTS).exists():
        return _make(base_folder, adapter_path, out_root, target)
    with _locked(out_root):  # one process checks, and makes it again, at a time
        damage = _damage(target, lambda: _weights_bytes(*_merged(base_folder, adapter_path)))
        if damage is None:
            return target
        log.warning("%s is damaged (%s): making it again from %s", target, damage, adapter_path)
        _set_aside(target)
        return _make(base_folder, adapter_path, out_root, target)


def _merged(base_folder: Path, adapter_path: Path) -> tuple[dict[str, np.ndarray], dict]:
    """The adapted weights, and the base file's metadata they are saved with."""
    from safetensors import safe_open
    from safetensors.numpy import load_file

    try:
        adapter = load_file(str(adapter_path))
        base = load_file(str(base_folder / WEIGHTS))
        merged = apply(base, adapter)
    except AdapterError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged file raises safetensors' own types
        raise AdapterError(adapter_path, str(exc)) from exc
    with safe_open(str(base_folder / WEIGHTS), "np") as handle:
        return merged, handle.metadata() or {}


def _weights_bytes(merged: dict[str, np.ndarray], metadata: dict) -> bytes:
    from safetensors.numpy import save

    return save(merged, metadata=metadata or None)


def _make(base_folder: Path, adapter_path: Path, out_root: Path, target: Path) -> Path:
    from safetensors.numpy import save_file

    merged, metadata = _merged(base_folder, adapter_path)
    out_root.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(dir=out_root, prefix=".model-"))
    try:
        shutil.copytree(
            base_folder, building, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".*")
        )
        save_file(merged, str(building / WEIGHTS), metadata=metadata or None)
        _write_sum(_sha1(building / WEIGHTS), building / WEIGHTS_SUM)
        try:
            os.replace(building, target)
        except OSError:
            if not (target / WEIGHTS).exists():  # not another process's finished copy
                raise
    finally:
        shutil.rmtree(building, ignore_errors=True)
    log.info("embedding model adapted by %s: %s", adapter_path, target)
    return target
