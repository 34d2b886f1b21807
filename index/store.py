"""The index on disk: a FAISS index of passages, sentence vectors, and a manifest.

A stale index (content or model changed) is rebuilt; a corrupt or truncated one is detected
by checksum and rebuilt; unchanged passages keep their vectors, so one edited article
re-embeds only its own passages.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from index.embedder import Embedder
from index.errors import IndexCorruptError, IndexWriteError
from index.passages import split_sentences
from index.types import Passage

log = logging.getLogger(__name__)

FORMAT = 3
MANIFEST = "manifest.json"
PASSAGE_INDEX = "passages.faiss"
SENTENCE_VECTORS = "sentences.npy"
TOKEN_VECTORS = "tokens.npy"
PASSAGE_META = "passages.json"
LOCK = ".lock"


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def content_hash(passages: list[Passage]) -> str:
    digest = hashlib.sha256()
    for p in passages:
        digest.update(f"{p.id}\x00{p.embed_text}\x00".encode())
    return digest.hexdigest()


@dataclass
class DenseIndex:
    """Passage vectors in FAISS, plus each passage's sentence vectors for re-ranking."""

    faiss_index: faiss.Index
    passage_ids: list[str]
    sentence_vectors: np.ndarray  # (sentences, dim), unit length
    sentence_offsets: np.ndarray  # (passages + 1,): passage i owns rows [o[i], o[i+1])
    token_vectors: np.ndarray  # (tokens, dim): content tokens of each passage's text
    token_offsets: np.ndarray  # (passages + 1,) likewise
    embedded: int = 0  # texts embedded by the last build (0 when loaded as is)
    reused: int = 0  # texts whose vectors were kept from the previous build
    manifest: dict[str, Any] = field(default_factory=dict)

    def sentences_of(self, i: int) -> np.ndarray:
        return self.sentence_vectors[self.sentence_offsets[i] : self.sentence_offsets[i + 1]]

    def tokens_of(self, i: int) -> np.ndarray:
        return self.token_vectors[self.token_offsets[i] : self.token_offsets[i + 1]]


class IndexStore:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    # ---- reading -------------------------------------------------------------------------
    def read_manifest(self) -> dict[str, Any] | None:
        path = self.directory / MANIFEST
        if not path.exists():
            return None
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            raise IndexCorruptError(path, f"manifest unreadable: {exc}") from None
        if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
            raise IndexCorruptError(path, "manifest is not an index manifest")
        return manifest

    def _verify(self, manifest: dict[str, Any]) -> None:
        for name, expected in manifest.get("files", {}).items():
            path = self.directory / name
            if not path.exists():
                raise IndexCorruptError(path, "file missing")
            if _sha256(path) != expected:
                raise IndexCorruptError(path, "checksum mismatch")

    def load(self) -> DenseIndex:
        """The index as it is on disk; IndexCorruptError if any file is damaged."""
        manifest = self.read_manifest()
        if manifest is None:
            raise IndexCorruptError(self.directory / MANIFEST, "no index built yet")
        self._verify(manifest)
        try:
            index = faiss.read_index(str(self.directory / PASSAGE_INDEX))
            sentences = np.load(self.directory / SENTENCE_VECTORS, allow_pickle=False)
            tokens = np.load(self.directory / TOKEN_VECTORS, allow_pickle=False).astype("float32")
            meta = json.loads((self.directory / PASSAGE_META).read_text(encoding="utf-8"))
            ids = [m["id"] for m in meta["passages"]]
            offsets = np.asarray(meta["sentence_offsets"], dtype="int64")
            token_offsets = np.asarray(meta["token_offsets"], dtype="int64")
        except (RuntimeError, OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexCorruptError(self.directory, str(exc)[:200]) from None
        if (
            index.ntotal != len(ids)
            or len(offsets) != len(ids) + 1
            or offsets[-1] != len(sentences)
            or len(token_offsets) != len(ids) + 1
            or token_offsets[-1] != len(tokens)
        ):
            raise IndexCorruptError(self.directory, "files disagree on the number of passages")
        return DenseIndex(index, ids, sentences, offsets, tokens, token_offsets, manifest=manifest)

    def _previous_vectors(
        self, embedder: Embedder
    ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Vectors of the last good build by text key, to skip re-embedding what is unchanged:
        (text vectors, token matrices). Nothing is reused across a change of model."""
        try:
            old = self.load()
            if old.manifest.get("model_fingerprint") != embedder.fingerprint:
                return {}, {}
            meta = json.loads((self.directory / PASSAGE_META).read_text(encoding="utf-8"))
        except (IndexCorruptError, OSError, ValueError):
            return {}, {}
        vectors: dict[str, np.ndarray] = {}
        tokens: dict[str, np.ndarray] = {}
        passage_vectors = old.faiss_index.reconstruct_n(0, old.faiss_index.ntotal)
        for i, item in enumerate(meta["passages"]):
            vectors[item["key"]] = passage_vectors[i]
            tokens[item["token_key"]] = old.tokens_of(i)
            for key, vector in zip(item["sentence_keys"], old.sentences_of(i), strict=True):
                vectors[key] = vector
        return vectors, tokens

    # ---- freshness -----------------------------------------------------------------------
    def stale_reason(self, passages: list[Passage], embedder: Embedder) -> str | None:
        """Why the index on disk cannot serve these passages, or None when it can."""
        try:
            manifest = self.read_manifest()
        except IndexCorruptError as exc:
            return str(exc)
        if manifest is None:
            return "no index built yet"
        if manifest.get("format") != FORMAT:
            return "index format changed"
        if manifest.get("model_fingerprint") != embedder.fingerprint:
            return f"model changed (index built with {manifest.get('model')})"
        if manifest.get("content_hash") != content_hash(passages):
            return "content changed"
        return None

    def ensure(
        self,
        passages: list[Passage],
        embedder: Embedder,
        *,
        progress: bool = False,
        rebuild: bool = False,
    ) -> DenseIndex:
        """A loaded index matching these passages: the one on disk if fresh, else rebuilt.

        Several processes (replicas, a CLI beside a server) share one index folder: the
        check-then-build runs under an exclusive file lock, so one process builds while the
        others wait and then load what it wrote, never a mix of two builds.
        """
        with self._locked():
            reason = "rebuild requested" if rebuild else self.stale_reason(passages, embedder)
            if reason is None:
                try:
                    return self.load()
                except IndexCorruptError as exc:
                    reason = str(exc)
            log.warning("building the index: %s", reason)
            try:
                return self.build(passages, embedder, progress=progress)
            except OSError as exc:
                raise IndexWriteError(self.directory, exc.strerror or str(exc)) from None

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """An exclusive flock on <index>/.lock; none when the folder cannot be written (a
        read-only index still loads, and a needed build then fails with IndexWriteError)."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            handle = open(self.directory / LOCK, "a+b")  # noqa: SIM115 - held for the block
        except OSError:
            yield
            return
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            yield
        finally:
            with contextlib.suppress(OSError):
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            handle.close()

    # ---- writing -------------------------------------------------------------------------
    def build(
        self, passages: list[Passage], embedder: Embedder, *, progress: bool = False
    ) -> DenseIndex:
        started = time.perf_counter()
        self.directory.mkdir(parents=True, exist_ok=True)
        previous, previous_tokens = self._previous_vectors(embedder)

        sentence_lists = [split_sentences(p.text) or [p.text] for p in passages]
        texts: list[str] = [p.embed_text for p in passages]
        for sentences in sentence_lists:
            texts.extend(sentences)
        keys = [_key(t) for t in texts]
        missing = sorted(
            {k: t for k, t in zip(keys, texts, strict=True) if k not in previous}.items()
        )
        fresh: dict[str, np.ndarray] = {}
        if missing:
            vectors = embedder.encode([t for _, t in missing], progress=progress)
            fresh = {k: v for (k, _), v in zip(missing, vectors, strict=True)}
        dim = embedder.dimensions
        token_keys = [_key("tokens\x00" + p.text) for p in passages]
        token_missing = sorted(
            {
                k: p.text
                for k, p in zip(token_keys, passages, strict=True)
                if k not in previous_tokens
            }.items()
        )
        token_matrices = dict(previous_tokens)
        if token_missing:
            _, matrices = embedder.encode_with_tokens([t for _, t in token_missing])
            token_matrices.update({k: m for (k, _), m in zip(token_missing, matrices, strict=True)})
        token_rows = [token_matrices[k] for k in token_keys]
        token_offsets = [0]
        for matrix in token_rows:
            token_offsets.append(token_offsets[-1] + len(matrix))
        # Stored as float16; round here too so the building process scores exactly as
        # every process that loads the index later.
        token_matrix = (
            np.concatenate(token_rows).astype("float16").astype("float32")
            if token_rows
            else np.zeros((0, dim), dtype="float32")
        )

        def vector(key: str) -> np.ndarray:
            return fresh[key] if key in fresh else previous[key]

        passage_matrix = np.zeros((len(passages), dim), dtype="float32")
        for i in range(len(passages)):
            passage_matrix[i] = vector(keys[i])
        sentence_keys: list[list[str]] = []
        offsets = [0]
        cursor = len(passages)
        for sentences in sentence_lists:
            sentence_keys.append(keys[cursor : cursor + len(sentences)])
            cursor += len(sentences)
            offsets.append(offsets[-1] + len(sentences))
        flat_keys = [k for group in sentence_keys for k in group]
        sentence_matrix = np.zeros((len(flat_keys), dim), dtype="float32")
        for i, key in enumerate(flat_keys):
            sentence_matrix[i] = vector(key)

        index = faiss.IndexFlatIP(dim)
        if len(passages):
            index.add(passage_matrix)

        meta = {
            "passages": [
                {
                    "id": p.id,
                    "key": keys[i],
                    "sentence_keys": sentence_keys[i],
                    "token_key": token_keys[i],
                }
                for i, p in enumerate(passages)
            ],
            "sentence_offsets": offsets,
            "token_offsets": token_offsets,
        }
        files = {
            PASSAGE_INDEX: lambda tmp: faiss.write_index(index, tmp),
            SENTENCE_VECTORS: lambda tmp: _save_npy(tmp, sentence_matrix),
            TOKEN_VECTORS: lambda tmp: _save_npy(tmp, token_matrix.astype("float16")),
            PASSAGE_META: lambda tmp: Path(tmp).write_text(json.dumps(meta), encoding="utf-8"),
        }
        checksums = {name: self._write_atomic(name, writer) for name, writer in files.items()}
        manifest = {
            "format": FORMAT,
            "model": embedder.model_name,
            "model_fingerprint": embedder.fingerprint,
            "dimensions": dim,
            "content_hash": content_hash(passages),
            "articles": len({p.article.id for p in passages}),
            "passages": len(passages),
            "sentences": len(flat_keys),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "build_seconds": round(time.perf_counter() - started, 3),
            "embedded": len(missing) + len(token_missing),
            "reused": len(set(keys)) - len(missing) + len(set(token_keys)) - len(token_missing),
            "files": checksums,
        }
        self._write_atomic(
            MANIFEST,
            lambda tmp: Path(tmp).write_text(json.dumps(manifest, indent=2), encoding="utf-8"),
        )
        log.info(
            "index built: %d passages, %d texts embedded, %d reused",
            len(passages),
            manifest["embedded"],
            manifest["reused"],
        )
        return DenseIndex(
            index,
            [p.id for p in passages],
            sentence_matrix,
            np.asarray(offsets, dtype="int64"),
            token_matrix,
            np.asarray(token_offsets, dtype="int64"),
            embedded=manifest["embedded"],
            reused=manifest["reused"],
            manifest=manifest,
        )

    def _write_atomic(self, name: str, writer: Any) -> str:
        """Write beside the target then rename, so a reader never sees half a file."""
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=self.directory)
        os.close(fd)
        try:
            writer(tmp)
            checksum = _sha256(Path(tmp))
            os.replace(tmp, self.directory / name)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return checksum


def _save_npy(path: str, array: np.ndarray) -> None:
    with open(path, "wb") as handle:
        np.save(handle, array, allow_pickle=False)
