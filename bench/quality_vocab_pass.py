"""Can the vocabulary-expanded question skip its own forward pass? (issues 10 and 14)

Search used to run each question through MiniLM twice: as typed (dense, best sentence, late
interaction) and with the manager's vocabulary appended (late interaction + vocabulary), the
second pass about 40% of the model's CPU per question in a burst. Shipped now: each
vocabulary entry embedded once as a phrase, term then words (index/vocabulary_tokens.py;
bench/vocabulary_tokens.md). Scored here beside it, on the shared table of bench/quality.py:

- second pass (before): the question with its added words appended, embedded again;

- words alone: each added word encoded on its own, once, and cached (no per-question pass);
- words as one text: the added words of a question encoded together, without the question;
- one pass: only the expanded text runs; the typed question's vectors are read from its
  own token positions in that pass (dense = their mean, as MiniLM pools).

    .venv/bin/python bench/quality_vocab_pass.py --cv

Results: bench/quality_ideas.md ("Skipping the second forward pass").
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402
import quality  # noqa: E402

from index.embedder import Embedder  # noqa: E402
from index.search import HybridSearcher  # noqa: E402

Row = quality.Row


def unit(m: np.ndarray) -> np.ndarray:
    return m / np.maximum(np.linalg.norm(m, axis=-1, keepdims=True), 1e-12)


def cheap_vocabulary(searcher: HybridSearcher, embedder: Embedder, rows: list[Row]) -> None:
    """Late interaction + vocabulary with the added words encoded apart from the question."""
    cache: dict[str, np.ndarray] = {}

    def encoded(texts: list[str]) -> list[np.ndarray]:
        missing = [t for t in dict.fromkeys(texts) if t not in cache]
        if missing:
            cache.update(zip(missing, embedder.encode_with_tokens(missing)[1], strict=True))
        return [cache[t] for t in texts]

    asked = [r["q"].question for r in rows]
    _, typed = embedder.encode_with_tokens(asked)
    expanded = [searcher.vocabulary.expand(q) for q in asked]
    _, second = embedder.encode_with_tokens(expanded)
    for r, late in zip(rows, searcher.late_interaction.scores(second), strict=True):
        r["tokens_second_pass"] = late
    alone, together = [], []
    for q, t in zip(asked, typed, strict=True):
        words = searcher.vocabulary.expansions(q)
        alone.append(np.concatenate([t, *encoded(words)]) if words else t)
        together.append(np.concatenate([t, *encoded([" ".join(words)])]) if words else t)
    for r, a, b in zip(
        rows,
        searcher.late_interaction.scores(alone),
        searcher.late_interaction.scores(together),
        strict=True,
    ):
        r["tokens_words"], r["tokens_phrase"] = a, b


def one_pass(searcher: HybridSearcher, embedder: Embedder, rows: list[Row]) -> None:
    """Dense, best sentence and late interaction read from the expanded text's pass."""
    encoder, keep = embedder.encoder, embedder._content_token_ids()
    vectors, typed_tokens = [], []
    for r in rows:
        q = r["q"].question
        full = encoder.forward([searcher.vocabulary.expand(q)])
        typed_length = int(encoder.forward([q]).attention_mask[0].sum())  # CLS, words, SEP
        ids, hidden = full.input_ids[0], full.token_embeddings[0]
        positions = [*range(typed_length - 1), int(full.attention_mask[0].sum()) - 1]
        vectors.append(unit(hidden[positions].mean(axis=0)))
        content = [i for i in range(1, typed_length - 1) if keep[ids[i]]] or [0]
        typed_tokens.append(unit(hidden[content]).astype("float32"))
    v = np.array(vectors, dtype="float32")
    dense = (searcher._common(v) if searcher._common else v) @ searcher._dense_passages.T
    sentences = v @ searcher.dense.sentence_vectors.T
    offsets = searcher.dense.sentence_offsets[:-1]
    late = searcher.late_interaction.scores(typed_tokens)
    for r, d, s, t in zip(rows, dense, sentences, late, strict=True):
        r["op_dense"], r["op_sentence"], r["op_tokens"] = d, np.maximum.reduceat(s, offsets), t


def collect(content: Path, embedder: Embedder) -> tuple[HybridSearcher, dict[str, list[Row]]]:
    searcher, sets = ORIGINAL_COLLECT(content, embedder)
    for rows in sets.values():
        cheap_vocabulary(searcher, embedder, rows)
        one_pass(searcher, embedder, rows)
    return searcher, sets


ORIGINAL_COLLECT = quality.collect
zsum = quality.zsum
VARIANTS = {
    "LI + vocabulary, second pass (before)": lambda r: r["tokens_second_pass"],
    "z-sum d,s,LI,LIv(second pass, before),BM25v": zsum(
        "dense", "sentence", "tokens", "tokens_second_pass", "lexical"
    ),
    "LI + vocabulary words alone": lambda r: r["tokens_words"],
    "LI + vocabulary words as one text": lambda r: r["tokens_phrase"],
    "z-sum d,s,LI,LIv(words alone),BM25v": zsum(
        "dense", "sentence", "tokens", "tokens_words", "lexical"
    ),
    "z-sum d,s,LI,LIv(one text),BM25v": zsum(
        "dense", "sentence", "tokens", "tokens_phrase", "lexical"
    ),
    "one pass: dense": lambda r: r["op_dense"],
    "one pass: z-sum d,s,LI,LIv,BM25v": zsum(
        "op_dense", "op_sentence", "op_tokens", "tokens_vocab", "lexical"
    ),
    "one-pass dense, rest shipped": zsum(
        "op_dense", "sentence", "tokens", "tokens_vocab", "lexical"
    ),
}

if __name__ == "__main__":
    quality.collect = collect
    quality.METHODS.update(VARIANTS)
    quality.abstention_curve = lambda *_: None
    quality.main()
