"""The curator's out-of-scope map (content/scope.yaml): topics sales leaders ask about that
the library does not cover, each with who to ask instead and a few example questions.

Similarity to what the library says cannot tell "not covered" from "paraphrased": a question
on severance pay shares words with the coaching articles and gets passages about performance
plans. Similarity to examples of what the library does *not* say can: a question closer to
those than to any sentence of the library is declined with a pointer, not answered.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from index.embedder import Embedder
from index.errors import ContentError
from index.types import OutOfScope

log = logging.getLogger(__name__)

SCOPE_FILE = "scope.yaml"


@dataclass(frozen=True)
class ScopeTopic:
    """One topic the library leaves to someone else."""

    topic: str
    ask: str  # who to ask instead, e.g. "your HR team"
    examples: tuple[str, ...]

    @property
    def declined(self) -> OutOfScope:
        return OutOfScope(topic=self.topic, ask=self.ask)


@dataclass(frozen=True)
class ScopeMap:
    topics: tuple[ScopeTopic, ...] = ()

    def __len__(self) -> int:
        return len(self.topics)

    def examples(self) -> tuple[list[str], list[int]]:
        """Every example, with the index of its topic."""
        texts: list[str] = []
        owners: list[int] = []
        for i, topic in enumerate(self.topics):
            texts.extend(topic.examples)
            owners.extend([i] * len(topic.examples))
        return texts, owners


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _text(path: Path, node: yaml.Node, what: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        raise ContentError(path, f"{what}: expected some text", _line(node))
    return " ".join(str(node.value).split())


def _topic(path: Path, node: yaml.Node) -> ScopeTopic:
    if not isinstance(node, yaml.MappingNode):
        raise ContentError(path, "expected an entry with topic, ask and examples", _line(node))
    fields = {str(k.value): v for k, v in node.value}
    missing = [name for name in ("topic", "ask", "examples") if name not in fields]
    if missing:
        raise ContentError(path, f"entry without {', '.join(missing)}", _line(node))
    examples = fields["examples"]
    if not isinstance(examples, yaml.SequenceNode) or not examples.value:
        raise ContentError(path, "examples: expected a list of questions", _line(examples))
    return ScopeTopic(
        topic=_text(path, fields["topic"], "topic"),
        ask=_text(path, fields["ask"], "ask"),
        examples=tuple(_text(path, e, "example") for e in examples.value),
    )


def load_scope(content_dir: Path) -> ScopeMap:
    """content/scope.yaml, or an empty map (nothing declined) when the file is absent."""
    path = Path(content_dir) / SCOPE_FILE
    if not path.exists():
        return ScopeMap()
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise ContentError(path, f"not valid YAML ({getattr(exc, 'problem', exc)})", line) from None
    except UnicodeDecodeError:
        raise ContentError(path, "not UTF-8 text") from None
    if root is None:
        return ScopeMap()
    entries = None
    if isinstance(root, yaml.MappingNode):
        entries = next((v for k, v in root.value if k.value == "out_of_scope"), None)
    if not isinstance(entries, yaml.SequenceNode):
        raise ContentError(path, "expected `out_of_scope:` followed by a list of topics", 1)
    return ScopeMap(tuple(_topic(path, node) for node in entries.value))


def example_vectors(scope: ScopeMap, embedder: Embedder, cache_dir: Path | None) -> np.ndarray:
    """The examples' unit vectors, kept in `cache_dir` (the index folder) under a name that
    changes with the examples and the model: a few hundred texts are seconds of model time
    that `coach ask` should not pay at every start."""
    texts, _ = scope.examples()
    if not texts:
        return np.zeros((0, 1), dtype="float32")
    basis = "\0".join([embedder.fingerprint, *texts])
    path = None
    if cache_dir is not None:
        path = Path(cache_dir) / f"scope-{hashlib.sha256(basis.encode()).hexdigest()[:16]}.npy"
        try:
            kept = np.load(path, allow_pickle=False)
            if kept.ndim == 2 and kept.shape[0] == len(texts):
                return kept
        except (OSError, ValueError):
            pass  # absent or unreadable: embed again
    vectors = embedder.encode(texts).astype("float32")
    if path is not None:
        try:
            _save(path, vectors)
        except OSError as exc:
            log.warning("could not keep the out-of-scope vectors in %s: %s", path.parent, exc)
    return vectors


def _save(path: Path, vectors: np.ndarray) -> None:
    """Beside the target then renamed (a reader never sees half a file); older ones go."""
    fd, tmp = tempfile.mkstemp(prefix=".scope.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            np.save(handle, vectors, allow_pickle=False)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    for old in path.parent.glob("scope-*.npy"):
        if old != path:
            old.unlink(missing_ok=True)
