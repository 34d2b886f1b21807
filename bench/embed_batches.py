"""How to group a burst's texts into forward passes of the embedding model: CPU per text and
per question on one thread, for the grouping the search uses (`plan_batches`: by token
count) against the former one (longest first, 32 texts a pass, each padded to its longest),
and for other pass costs than the shipped one.

The texts are what a burst's searches embed: questions in batches of 16 (the coach's
`max_batch`), each as typed and, when the manager's vocabulary adds words, expanded
(index/search.py `features_batch`). Vectors must not depend on the grouping: the least
cosine between the groupings' sentence vectors is printed too.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/embed_batches.py [--repeat 5] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import burst  # noqa: E402

from bot.settings import default_model  # noqa: E402
from index.embedder import PASS_COST_TOKENS, Embedder, plan_batches  # noqa: E402
from index.encoders import Encoder  # noqa: E402
from index.vocabulary import Vocabulary, load_vocabulary  # noqa: E402

OWN_QUESTIONS = burst.OWN_QUESTIONS
CYCLED = burst.QUESTIONS  # the burst's eight short questions
Plan = Callable[[Sequence[int]], list[list[int]]]


def longest_first(lengths: Sequence[int], size: int = 32) -> list[list[int]]:
    """The former grouping: sorted longest first (by characters), `size` texts a pass."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    return [order[i : i + size] for i in range(0, len(order), size)]


def burst_batches(questions: list[str], vocabulary: Vocabulary, per: int = 16) -> list[list[str]]:
    """The texts each search batch of a burst embeds: typed questions, then expanded ones."""
    out = []
    for start in range(0, len(questions), per):
        typed = questions[start : start + per]
        expanded = [vocabulary.expand(q) for q in typed]
        out.append(typed + [e for q, e in zip(typed, expanded, strict=True) if e != q])
    return out


def run(encoder: Encoder, batches: list[list[str]], plan: Plan, repeat: int) -> dict[str, float]:
    """Best of `repeat` runs over all batches: CPU ms, passes and padded tokens; vectors."""
    best = float("inf")
    vectors: list[np.ndarray] = []
    passes = padded = real = 0
    for attempt in range(repeat):
        vectors, passes, padded, real = [], 0, 0, 0
        started = time.process_time()
        for texts in batches:
            ids = encoder.tokenize(texts)
            lengths = (
                [len(row) for row in ids] if plan is not longest_first else list(map(len, texts))
            )
            out = np.zeros((len(texts), encoder.dimensions), dtype="float32")
            for rows in plan(lengths):
                batch = encoder.forward([texts[i] for i in rows], [ids[i] for i in rows])
                out[rows] = batch.sentence_embeddings
                passes += 1
                padded += batch.attention_mask.size
                real += int(batch.attention_mask.sum())
            vectors.append(out / np.linalg.norm(out, axis=1, keepdims=True))
        best = min(best, time.process_time() - started)
        del attempt
    texts_n = sum(len(b) for b in batches)
    return {
        "ms": best * 1000,
        "ms_per_text": best * 1000 / texts_n,
        "passes": passes,
        "tokens_computed_per_text": padded / texts_n,
        "real_tokens_per_text": real / texts_n,
        "vectors": np.concatenate(vectors),  # type: ignore[dict-item]
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each; the best counts")
    parser.add_argument("--threads", type=int, default=1, help="threads of one forward pass")
    parser.add_argument("-n", type=int, default=100, help="questions per set")
    args = parser.parse_args()

    embedder = Embedder(default_model())
    embedder.use_threads(args.threads)
    encoder = embedder.encoder
    vocabulary = load_vocabulary(ROOT / "content")
    lines = OWN_QUESTIONS.read_text(encoding="utf-8").splitlines()
    own = [json.loads(line)["question"] for line in lines if line.strip()]
    sets = {
        "distinct": [own[i % len(own)] for i in range(args.n)],
        "cycled": [CYCLED[i % len(CYCLED)] for i in range(args.n)],
    }
    plans: dict[str, Plan] = {"longest first, 32 a pass (before)": longest_first}
    for cost in sorted({0, 4, PASS_COST_TOKENS, 16, 32}):
        shipped = " (shipped)" if cost == PASS_COST_TOKENS else ""
        plans[f"by token count, pass = {cost} tokens{shipped}"] = lambda lengths, c=cost: (
            plan_batches(lengths, 32, c)
        )
    print(f"threads {args.threads}, best of {args.repeat}, load {os.getloadavg()[0]:.2f}")
    for name, questions in sets.items():
        batches = burst_batches(questions, vocabulary)
        n_texts = sum(len(b) for b in batches)
        print(f"\n{name}: {len(questions)} questions, {n_texts} texts, batches of 16 questions")
        print(
            f"{'grouping':<44} {'ms/text':>8} {'ms/question':>12} {'passes':>7} "
            f"{'tokens/text':>12} {'cos vs before':>14}"
        )
        before: np.ndarray | None = None
        for label, plan in plans.items():
            r = run(encoder, batches, plan, args.repeat)
            vectors = r.pop("vectors")
            before = vectors if before is None else before
            cosine = float((vectors * before).sum(axis=1).min())
            print(
                f"{label:<44} {r['ms_per_text']:>8.2f} {r['ms'] / len(questions):>12.2f} "
                f"{r['passes']:>7} {r['tokens_computed_per_text']:>6.1f} "
                f"({r['real_tokens_per_text']:.1f}) {cosine:>14.7f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
