"""Domain adaptation of the embedding model on pairs mined from the library itself: does it
help search by cross-validation, and does it keep the speed? (issue 14, item 2)

    .venv/bin/python bench/adapt_model.py [--content DIR] [--keep DIR] [--seed 13]

Pairs come only from the library's text, never from a question set or its gold phrases:
- inverse cloze (ICT): one sentence of a passage vs the rest of that passage;
- heading: a section heading (or the article title, for text before the first heading)
  vs that section's text.
Training: all-MiniLM-L6-v2, MultipleNegativesRankingLoss (in-batch negatives), batches that
never hold two pairs from the same passage or section, AdamW, linear warm-up and decay,
fixed seed, 1 epoch unless told. The library's sentences are also what search retrieves:
the model sees the retrieval targets (not the questions) while training. That is ordinary
unsupervised domain adaptation, but it flatters questions that paraphrase one sentence.

Each variant is scored with the shipped fusion (z-sum of the five signals) on
../shared/eval/dev.jsonl, dev2.jsonl and bench/data/own_questions.jsonl, either with the
adapted model behind every embedding signal ("all") or behind dense + best sentence only,
the late-interaction token signals staying on the base model ("d+s"). "CV-selected" picks,
for each held-out set, the variant with the best mean MRR on the other sets. Latency:
per-question search time in this process, base vs adapted, beside a bare
sentence-transformers + FAISS query. Results and the decision: bench/adapt_model.md.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402
import quality  # noqa: E402

from bot.settings import default_model  # noqa: E402
from index.content import load_articles  # noqa: E402
from index.embedder import Embedder  # noqa: E402
from index.passages import split_articles, split_sentences  # noqa: E402
from index.search import HybridSearcher  # noqa: E402

FUSION = quality.METHODS[quality.SHIPPED]
TOKEN_SIGNALS = ("tokens", "tokens_vocab")
Metrics = tuple[float, float, float]


@dataclass(frozen=True)
class Pair:
    query: str
    document: str
    group: str  # pairs of one group never share a batch (they would be false negatives)


def mine_pairs(content: Path, kinds: set[str]) -> list[Pair]:
    """Training pairs from the library's own text, in a fixed order."""
    articles = load_articles(content)
    pairs: list[Pair] = []
    if "ict" in kinds:
        for p in split_articles(articles):
            sentences = split_sentences(p.text)
            if len(sentences) < 2:
                continue
            for i, sentence in enumerate(sentences):
                if len(sentence.split()) < 6:
                    continue  # "Why?" says nothing about its passage
                rest = " ".join(sentences[:i] + sentences[i + 1 :])
                pairs.append(Pair(sentence, rest, p.id))
    if "heading" in kinds:
        for article in articles:
            sections: dict[str, list[str]] = {}
            heading = article.meta.title
            for para in article.body.split("\n\n"):
                para = para.strip()
                if para.startswith("#"):
                    heading = para.lstrip("#").strip()
                elif para:
                    sections.setdefault(heading, []).append(para)
            for heading, paras in sections.items():
                pairs.append(Pair(heading, " ".join(paras), f"{article.meta.id}/{heading}"))
    return pairs


def batches(pairs: list[Pair], size: int, rng: random.Random) -> list[list[Pair]]:
    """Shuffled batches in which no query appears inside another pair's document and no
    group repeats: both would teach the model that a right answer is wrong."""
    order = pairs[:]
    rng.shuffle(order)
    out: list[list[Pair]] = []
    for pair in order:
        for batch in out:
            if len(batch) < size and all(
                b.group != pair.group
                and pair.query not in b.document
                and b.query not in pair.document
                for b in batch
            ):
                batch.append(pair)
                break
        else:
            out.append([pair])
    return out


def train(pairs: list[Pair], out: Path, *, seed: int, epochs: int, size: int, lr: float) -> float:
    """Fine-tune the base model on pairs; the model folder is written to `out`. Seconds."""
    import torch
    from sentence_transformers import SentenceTransformer

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from sentence_transformers.losses import MultipleNegativesRankingLoss

    started = time.perf_counter()
    rng = random.Random(seed)
    torch.manual_seed(seed)
    model = SentenceTransformer(default_model(), device="cpu")
    loss = MultipleNegativesRankingLoss(model)
    plan = [b for _ in range(epochs) for b in batches(pairs, size, rng)]
    warm = max(1, len(plan) // 10)
    decay = max(1, len(plan) - warm)
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser,
        lambda s: (s + 1) / warm if s < warm else max(0.0, (len(plan) - s) / decay),
    )
    model.train()
    for batch in plan:
        features = [
            model.tokenize([p.query for p in batch]),
            model.tokenize([p.document for p in batch]),
        ]
        value = loss(features, None)
        value.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        schedule.step()
        optimiser.zero_grad()
    model.eval()
    model.save(str(out))
    return time.perf_counter() - started


def rows_for(model: str, content: Path) -> tuple[HybridSearcher, dict[str, list[dict]]]:
    """bench/quality.py's per-question signals, computed with this model."""
    return quality.collect(content, Embedder(model))


def dense_plus_sentence(adapted: dict, base: dict) -> dict:
    """Adapted dense and best-sentence signals, base late-interaction tokens."""
    return {
        name: [
            a | {k: b[k] for k in TOKEN_SIGNALS}
            for a, b in zip(adapted[name], base[name], strict=True)
        ]
        for name in adapted
    }


def latency_ms(
    searchers: dict[str, HybridSearcher], base_searcher: HybridSearcher, questions: list[str]
) -> dict[str, float]:
    """Median wall time of one question, per way of answering it, interleaved question by
    question so load from elsewhere on the machine hits all alike: the coach's search with
    each model, and a bare sentence-transformers encode + FAISS inner-product query."""
    import faiss
    from sentence_transformers import SentenceTransformer

    bare_model = SentenceTransformer(default_model(), device="cpu")
    flat = faiss.IndexFlatIP(base_searcher._passage_vectors.shape[1])
    flat.add(base_searcher._passage_vectors)

    def bare(q: str) -> None:
        vector = bare_model.encode([q], normalize_embeddings=True, convert_to_numpy=True)
        flat.search(vector.astype("float32"), 3)

    ways = {"bare sentence-transformers + FAISS": bare} | {
        f"coach search, {name}": searcher.search for name, searcher in searchers.items()
    }
    times: dict[str, list[float]] = {name: [] for name in ways}
    for q in [questions[0], *questions]:  # the first round warms up and is dropped
        for name, answer in ways.items():
            started = time.perf_counter()
            answer(q)
            times[name].append(time.perf_counter() - started)
    return {name: 1000 * statistics.median(t[1:]) for name, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--content", type=Path, default=ROOT / "content")
    parser.add_argument("--keep", type=Path, help="write the trained model folders here")
    parser.add_argument(
        "--reuse", action="store_true", help="score model folders already in --keep as they are"
    )
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-5)
    parser.add_argument(
        "--variants",
        default="ict:1,heading:1,ict+heading:1,ict+heading:2",
        help="comma-separated <pair kinds joined by +>:<epochs>",
    )
    args = parser.parse_args()
    import torch

    torch.set_num_threads(2)  # results depend slightly on the thread count; keep it fixed

    base_searcher, base = rows_for(default_model(), args.content)
    table: dict[str, dict[str, list[dict]]] = {"base": base}
    searchers: dict[str, HybridSearcher] = {"base": base_searcher}
    work = args.keep or Path(tempfile.mkdtemp(prefix="adapt-"))
    print(f"library {args.content}: {len(base_searcher.passages)} passages")
    for spec in args.variants.split(","):
        kinds_text, epochs = spec.split(":")
        kinds = set(kinds_text.split("+"))
        pairs = mine_pairs(args.content, kinds)
        out = work / f"{kinds_text}-e{epochs}-s{args.seed}"
        if args.reuse and (out / "modules.json").exists():
            print(f"reusing {out}: {len(pairs)} pairs, {epochs} epoch(s)")
        else:
            seconds = train(
                pairs, out, seed=args.seed, epochs=int(epochs), size=args.batch, lr=args.lr
            )
            print(f"trained {out.name}: {len(pairs)} pairs, {epochs} epoch(s), {seconds:.0f} s")
        searcher, rows = rows_for(str(out), args.content)
        table[f"{kinds_text} e{epochs}, all"] = rows
        table[f"{kinds_text} e{epochs}, d+s"] = dense_plus_sentence(rows, base)
        searchers[f"{kinds_text} e{epochs}, all"] = searcher

    names = list(quality.SETS)
    for label, scorer in (("dense alone", quality.METHODS["dense"]), ("shipped fusion", FUSION)):
        print(f"\n## {label}: hit@1/hit@3/MRR@10 per set, mean, worst (lowest MRR)")
        print(f"{'model':28}" + "".join(f"{n:>16}" for n in names) + f"{'mean':>16}{'worst':>16}")
        scores: dict[str, list[Metrics]] = {}
        for variant, rows in table.items():
            cells = [quality.rank_metrics(base_searcher, rows[n], scorer) for n in names]
            scores[variant] = cells
            mean = tuple(float(np.mean([c[k] for c in cells])) for k in range(3))
            worst = min(cells, key=lambda c: c[2])
            print(
                f"{variant:28}"
                + "".join(f"{quality.cell(c):>16}" for c in cells)
                + f"{quality.cell(mean):>16}{quality.cell(worst):>16}"
            )
        cells, chosen = quality.held_out_choice(scores)
        mean = tuple(float(np.mean([c[k] for c in cells])) for k in range(3))
        print(
            f"{'CV-selected':28}"
            + "".join(f"{quality.cell(c):>16}" for c in cells)
            + f"{quality.cell(mean):>16}{quality.cell(min(cells, key=lambda c: c[2])):>16}"
        )
        print(quality.chosen_line(chosen))

    questions = [r["q"].question for n in names for r in base[n]][:120]
    print(f"\n## Latency, median of {len(questions)} single-question searches (ms)")
    for name, ms in latency_ms(searchers, base_searcher, questions).items():
        print(f"{name:40} {ms:8.1f}")


if __name__ == "__main__":
    main()
