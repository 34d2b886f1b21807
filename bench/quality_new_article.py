"""Issue 14: an article just added has no curated questions (`questions:`) yet. What stands
in for its passages' question signals decides whether it is buried below every section a
curator has described, and whether it steals other articles' questions.

Each article in turn loses its questions (as if just added with `coach content add`); every
answerable question of the five sets is asked of that library, on both libraries. Reported
apart: the questions whose right passage is in the article without questions, and all the
others.

    .venv/bin/python bench/quality_new_article.py
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import quality  # first: it sets HF_HUB_OFFLINE and puts the checkout on the path

from index.embedder import Embedder
from index.search import HybridSearcher

Fusion = Callable[[HybridSearcher, dict, np.ndarray], np.ndarray]


def z_over(signal: np.ndarray, over: np.ndarray) -> np.ndarray:
    signal = signal.astype("float64")
    spread = float(signal[over].std())
    return (signal - signal[over].mean()) / spread if spread > 1e-9 else signal * 0.0


def text_sum(f: dict) -> np.ndarray:
    return sum(quality.z(f[n].astype("float64")) for n in quality.FUSED_SIGNALS)


def standing(f: dict, d: np.ndarray, name: str, stand_in: np.ndarray) -> np.ndarray:
    """The question signal's z-score over the described passages; `stand_in`'s elsewhere."""
    return np.where(d, z_over(f[name], d), z_over(stand_in, d))


VARIANTS: dict[str, Fusion] = {
    "section's questions x2, best sentence stands in (before)": lambda s, f, d: (
        text_sum(f) + 2 * standing(f, d, "asked", f["sentence"])
    ),
    "+ passage's own x1, best sentence stands in": lambda s, f, d: (
        text_sum(f)
        + 2 * standing(f, d, "asked", f["sentence"])
        + standing(f, d, "asked_passage", f["sentence"])
    ),
    "section's questions x2, text stands in": lambda s, f, d: (
        text_sum(f) + 2 * standing(f, d, "asked", text_sum(f))
    ),
    "+ passage's own x1, text stands in (shipped)": lambda s, f, d: s.fused(f),
}


def rank(searcher: HybridSearcher, score: np.ndarray, gold: np.ndarray) -> int | None:
    ranked = [int(j) for j in np.argsort(-score, kind="stable")]
    order = searcher._diverse_order(ranked, score, limit=10)[:10]
    return next((i + 1 for i, j in enumerate(order) if gold[j]), None)


def metrics(ranks: list[int | None]) -> str:
    hit1 = np.mean([r == 1 for r in ranks])
    hit3 = np.mean([r is not None and r <= 3 for r in ranks])
    mrr = np.mean([1 / r if r else 0.0 for r in ranks])
    return f"{hit1:.3f}/{hit3:.3f}/{mrr:.3f}"


def main() -> None:
    embedder = Embedder(quality.default_model())
    libs = quality.both_libraries(quality.ROOT / "content", embedder)
    print("hit@1/hit@3/MRR@10, no abstention")
    for lib, (searcher, sets) in libs.items():
        rows = [r for rs in sets.values() for r in rs if r["kind"] is quality.ANSWER]
        rows = [r for r in rows if r["gold"].any()]
        home = [searcher.passages[int(np.flatnonzero(r["gold"])[0])].article.id for r in rows]
        mine: dict[str, list] = {v: [] for v in VARIANTS}
        others: dict[str, list] = {v: [] for v in VARIANTS}
        for article in sorted(set(home)):
            fresh = searcher.with_asked(searcher.asked.without(article))
            described = fresh._asked_signal().described
            features = fresh.features_batch([r["q"].question for r in rows])
            for r, f, at in zip(rows, features, home, strict=True):
                for name, fusion in VARIANTS.items():
                    found = rank(fresh, fusion(fresh, f, described), r["gold"])
                    (mine if at == article else others)[name].append(found)
        for name in VARIANTS:
            print(
                f"{lib:5} {name:58} its own questions ({len(mine[name])}) "
                f"{metrics(mine[name])}  the others ({len(others[name])}) {metrics(others[name])}",
                flush=True,
            )


if __name__ == "__main__":
    main()
