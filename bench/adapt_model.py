"""Domain adaptation of the embedding model on pairs from the library itself: does it help
search by cross-validation, and does it keep the speed? (issue 14)

    .venv/bin/python bench/adapt_model.py [--content DIR] [--keep DIR] [--seed 13] \
        [--variants asked:1,asked:2,asked+ict:1]

Pairs (bench/adapt_pairs.py) come only from the library: its text (inverse cloze, headings)
and the curators' questions (front matter `questions:`, each vs its section's passage
nearest to it), never from a question set or its gold phrases. Training: all-MiniLM-L6-v2,
MultipleNegativesRankingLoss (in-batch negatives), no two pairs of one section in a batch,
AdamW lr 2e-5, 10% linear warm-up then decay, fixed seed, 1 epoch unless told.

The curated questions are also read at query time (the "asked" signals: the question's
cosine to the nearest curated question of a section, and of a passage). A model trained on
them could flatter those signals, so each variant is scored twice with the shipped fusion,
on every set of bench/quality.py (same gold handling, no abstention, as `--cv`'s ranking
table), each model with an index of its own: the adapted model behind every embedding
signal ("all"), and behind dense + best sentence only ("d+s": late interaction and the
curated-question signals on the base model). "CV-selected": for each held-out set, the row
(base included) with the best mean MRR@10 on the other seven. Latency: one question at a
time through `search_many`, base and adapted interleaved, the adapted weights saved two ways
(copied into the bundled folder; sentence-transformers' own save). Results: adapt_model.md.
"""

from __future__ import annotations

import argparse
import os
import pickle
import random
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402
import quality  # noqa: E402
from adapt_pairs import mine_pairs, train  # noqa: E402

from bot.settings import default_model  # noqa: E402
from index.embedder import Embedder  # noqa: E402
from index.search import HybridSearcher  # noqa: E402

FUSION = quality.METHODS[quality.SHIPPED]
# signals "d+s" keeps from the base model: late interaction and the curated questions
BASE_SIGNALS = ("tokens", "tokens_vocab", "asked", "asked_passage", "asked_near")
Metrics = tuple[float, float, float]
Rows = dict[str, list[dict]]


def rows_for(
    model: str, content: Path, onnx: Path, cache: Path | None
) -> tuple[HybridSearcher, Rows]:
    """bench/quality.py's per-question signals with this model (a fresh index); the rows
    are kept in `cache` so a later run can print the tables without embedding again."""
    searcher, rows = quality.collect(content, Embedder(model, onnx_dir=onnx))
    if cache is not None:
        cache.write_bytes(pickle.dumps(rows))
    return searcher, rows


def dense_plus_sentence(adapted: Rows, base: Rows) -> Rows:
    """Adapted dense and best-sentence signals; every other embedding signal the base's."""
    return {
        name: [
            a | {k: b[k] for k in BASE_SIGNALS}
            for a, b in zip(adapted[name], base[name], strict=True)
        ]
        for name in adapted
    }


def mean_of(cells: list[Metrics]) -> Metrics:
    return tuple(float(np.mean([c[k] for c in cells])) for k in range(3))  # type: ignore[return-value]


def print_table(label: str, searcher: HybridSearcher, table: dict[str, Rows], scorer) -> None:
    names = list(quality.SETS)
    print(f"\n## {label}: hit@1/hit@3/MRR@10 per set, worst (lowest MRR), mean")
    print(f"{'model':22}" + "".join(f"{n:>15}" for n in [*names, "worst", "mean"]))
    scores: dict[str, list[Metrics]] = {}

    def show(name: str, cells: list[Metrics]) -> None:
        worst = min(cells, key=lambda c: c[2])
        print(
            f"{name:22}"
            + "".join(f"{quality.cell(c):>15}" for c in [*cells, worst, mean_of(cells)])
        )

    for variant, rows in table.items():
        scores[variant] = [quality.rank_metrics(searcher, rows[n], scorer) for n in names]
        show(variant, scores[variant])
    cells, chosen = quality.held_out_choice(scores)
    show("CV-selected", cells)
    print(quality.chosen_line(chosen))
    answerable = [sum(r["kind"] is quality.ANSWER for r in table["base"][n]) for n in names]
    # the gain in questions: hit@1 questions won, and the MRR@10 gain times the set's size
    gains = [
        ((c[0] - b[0]) * a, (c[2] - b[2]) * a)
        for c, b, a in zip(cells, scores["base"], answerable, strict=True)
    ]
    print(
        "   CV-selected minus base, in questions (hit@1, MRR@10 x answerable): "
        + ", ".join(
            f"{n} ({a}) {g[0]:+.0f}/{g[1]:+.1f}"
            for n, a, g in zip(names, answerable, gains, strict=True)
        )
    )
    worst_set = min(range(len(names)), key=lambda i: cells[i][2])
    base_worst = min(range(len(names)), key=lambda i: scores["base"][i][2])
    print(
        f"   worst held-out set: {names[worst_set]} MRR {cells[worst_set][2]:.3f} vs base's "
        f"worst {names[base_worst]} {scores['base'][base_worst][2]:.3f} "
        f"({(cells[worst_set][2] - scores['base'][base_worst][2]) * answerable[worst_set]:+.1f}"
        f" questions of {names[worst_set]}); mean MRR {mean_of(cells)[2]:.3f} vs "
        f"{mean_of(scores['base'])[2]:.3f} (mean gain {np.mean([g[1] for g in gains]):+.1f}"
        " questions per set)"
    )


def latency_ms(
    searchers: dict[str, HybridSearcher], questions: list[str]
) -> dict[str, tuple[float, float]]:
    """Median and 90th-percentile wall time of one question through `search_many`, per
    model, interleaved question by question (each round in a rotated order) so load from
    elsewhere on the machine hits all alike."""
    for searcher in searchers.values():
        searcher.warm()
    names = list(searchers)
    times: dict[str, list[float]] = {name: [] for name in names}
    for i, q in enumerate([questions[0], *questions]):  # the first round warms up
        for name in names[i % len(names) :] + names[: i % len(names)]:
            started = time.perf_counter()
            searchers[name].search_many([q])
            if i:
                times[name].append(time.perf_counter() - started)
    return {
        name: (1000 * statistics.median(t), 1000 * float(np.percentile(t, 90)))
        for name, t in times.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--content", type=Path, default=ROOT / "content")
    parser.add_argument("--keep", type=Path, default=Path("/tmp/adapted"), help="model folders")
    parser.add_argument("--reuse", action="store_true", help="reuse folders and rows in --keep")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-5)
    parser.add_argument("--latency", type=int, default=60, help="questions timed (0: none)")
    parser.add_argument(
        "--variants", default="asked:1", help="comma-separated <pair kinds joined by +>:<epochs>"
    )
    args = parser.parse_args()
    import torch

    torch.set_num_threads(2)  # results depend slightly on the thread count; keep it fixed
    work = args.keep
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    base_searcher, base = rows_for(default_model(), args.content, work / "onnx-base", None)
    print(
        f"library {args.content}: {len(base_searcher.passages)} passages, "
        f"{len(base_searcher.asked)} curated questions; base scored in "
        f"{time.perf_counter() - started:.0f} s",
        flush=True,
    )
    table: dict[str, Rows] = {"base": base}
    dense: dict[str, Rows] = {"base": base}
    folders: dict[str, tuple[str, dict[str, Path]]] = {}
    for spec in args.variants.split(","):
        kinds_text, epochs = spec.split(":")
        pairs = mine_pairs(base_searcher, set(kinds_text.split("+")))
        name = f"{kinds_text}-e{epochs}-s{args.seed}"
        outs = {"weights": work / name, "st": work / f"{name}-st"}
        cache = work / f"{name}.rows.pickle"
        if args.reuse and cache.exists():
            rows = pickle.loads(cache.read_bytes())
            print(f"reusing {name}: {len(pairs)} pairs", flush=True)
        else:
            seconds, steps = train(
                pairs, outs, seed=args.seed, epochs=int(epochs), size=args.batch, lr=args.lr
            )
            print(
                f"trained {name}: {len(pairs)} pairs, {epochs} epoch(s), {steps} batches, "
                f"{seconds:.0f} s",
                flush=True,
            )
            t0 = time.perf_counter()
            _, rows = rows_for(str(outs["weights"]), args.content, work / f"onnx-{name}", cache)
            print(f"scored {name} in {time.perf_counter() - t0:.0f} s", flush=True)
        label = f"{kinds_text} e{epochs}"
        table[f"{label}, all"] = rows
        table[f"{label}, d+s"] = dense_plus_sentence(rows, base)
        dense[label] = rows
        folders.setdefault("first", (label, outs))

    print_table("dense alone", base_searcher, dense, quality.METHODS["dense"])
    print_table("shipped fusion", base_searcher, table, FUSION)

    if args.latency and folders:
        # the first variant's weights, saved both ways, each with an index of its own
        label, outs = folders["first"]
        searchers = {"base": base_searcher}
        for how, name in (("weights", "weights copied"), ("st", "st save")):
            embedder = Embedder(str(outs[how]), onnx_dir=work / f"onnx-{outs[how].name}")
            searchers[f"{label} ({name})"], _ = quality.collect(args.content, embedder)
            print(f"{label} ({name}): {embedder.encoder.backend}", flush=True)
        texts = list(base_searcher.asked.texts)
        random.Random(args.seed).shuffle(texts)  # curated questions: no eval question timed
        print(
            f"\n## Latency of one question through search_many, {args.latency} questions, "
            "interleaved (ms: median, p90)"
        )
        for name, (median, p90) in latency_ms(searchers, texts[: args.latency]).items():
            print(f"{name:40} {median:8.1f} {p90:8.1f}")


if __name__ == "__main__":
    main()
