"""The curator's out-of-scope map (content/scope.yaml): topics sales leaders ask about that
the library does not cover, each with who to ask instead and a few example questions.

Similarity to what the library says cannot tell "not covered" from "paraphrased": a question
on severance pay shares words with the coaching articles and gets passages about performance
plans. Similarity to examples of what the library does *not* say can: a question closer to
those than to the questions the library's sections answer (front matter `questions:`) is
declined with a pointer, not answered. Question against question on both sides: MiniLM
compares two questions far better than a question and prose.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from index.answer_gate import nearest_elsewhere
from index.embedder import Embedder
from index.errors import ContentError
from index.types import OutOfScope
from index.vector_cache import kept_vectors
from index.yaml_file import compose_file

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

    def decline(
        self,
        sims: np.ndarray,
        asked: float | None,
        text: float | None,
        asked_margin: float | None,
        text_margin: float,
    ) -> OutOfScope | None:
        """The topic to decline a question for, when the mean cosine of its three nearest
        examples (`sims`, one per example) beats both what the library says it answers: the
        mean cosine of its three nearest curated questions (`asked`) by more than
        `asked_margin`, and its best sentence among the passages whose section has no
        curated question yet (`text`; an article just added) by more than `text_margin`.
        None for a side the library does not have. Named by the topic whose own three
        nearest examples are closest."""
        if len(sims) == 0 or (asked is None and text is None):
            return None
        near = float(np.sort(sims)[-3:].mean())
        if asked is not None and asked_margin is not None and near - asked <= asked_margin:
            return None
        if text is not None and near - text <= text_margin:
            return None
        owner = np.array(self.examples()[1], dtype="int64")
        nearest = [float(np.sort(sims[owner == t])[-3:].mean()) for t in range(len(self))]
        return self.topics[int(np.argmax(nearest))].declined

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
    root = compose_file(path)
    if root is None:
        return ScopeMap()
    entries = None
    if isinstance(root, yaml.MappingNode):
        entries = next((v for k, v in root.value if k.value == "out_of_scope"), None)
    if not isinstance(entries, yaml.SequenceNode):
        raise ContentError(path, "expected `out_of_scope:` followed by a list of topics", 1)
    return ScopeMap(tuple(_topic(path, node) for node in entries.value))


def own_margin(
    asked: np.ndarray, sections: Sequence[Hashable], examples: np.ndarray, share: float
) -> float | None:
    """The margin this library sets itself: score each curated question as a leader's
    question would be, its whole section's questions left out (a leader's words are further
    from the curator's than a writer's siblings are), and decline `share` of them. It
    follows the library's size and its writers, where a fixed margin fitted one library
    (bench/quality_asked_scope.py). None when there are too few questions for that share
    to mean one question, or no examples."""
    if len(examples) == 0 or len(asked) * share < 1 or len(set(sections)) < 2:
        return None
    return float(
        np.quantile(_nearest(asked, examples) - nearest_elsewhere(asked, sections), 1 - share)
    )


def text_margin(
    asked: np.ndarray, own_text: np.ndarray, examples: np.ndarray, share: float
) -> float | None:
    """The margin on the side of passages without curated questions (an article just
    added), set the same way: each curated question scored as if its article had just been
    added, by its best sentence in that article (`own_text`), and `share` of them declined.
    It follows the model: the fixed cosine it replaces was fitted to the bundled model, and
    an adapted model sits its cosines elsewhere (bench/scope_text_margin.py). None when
    there are too few questions for that share, or no examples."""
    if len(examples) == 0 or len(asked) * share < 1:
        return None
    return float(np.quantile(_nearest(asked, examples) - own_text, 1 - share))


def best_in_own_article(
    asked: np.ndarray,
    articles: Sequence[str],
    sentence_vectors: np.ndarray,
    offsets: np.ndarray,
    passage_articles: Sequence[str],
) -> np.ndarray:
    """Per curated question (of article `articles[i]`), its best sentence cosine among its
    own article's passages (`offsets`: each passage's first sentence, then the end)."""
    own = np.full(len(asked), -1.0)
    by_article = np.array(passage_articles)
    of_question = np.array(articles)
    for article in dict.fromkeys(articles):
        rows = np.flatnonzero(of_question == article)
        passages = np.flatnonzero(by_article == article)
        if not len(passages):
            continue
        columns = np.concatenate([np.arange(offsets[j], offsets[j + 1]) for j in passages])
        own[rows] = (asked[rows] @ sentence_vectors[columns].T).max(axis=1)
    return own


def _nearest(vectors: np.ndarray, examples: np.ndarray, k: int = 3) -> np.ndarray:
    """Per vector, the mean cosine of its `k` nearest out-of-scope examples."""
    return np.sort(vectors @ examples.T, axis=1)[:, -k:].mean(axis=1)


def example_vectors(scope: ScopeMap, embedder: Embedder, cache_dir: Path | None) -> np.ndarray:
    """The examples' unit vectors, kept in `cache_dir` (the index folder)."""
    return kept_vectors(scope.examples()[0], embedder, cache_dir, "scope")
