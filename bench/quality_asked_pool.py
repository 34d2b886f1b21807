"""How a section's curated questions pool into its "asked" signal, by leave-one-set-out
over all eight question sets (issue 14): the nearest one (shipped: max), the mean of its
nearest two or three, or a soft maximum (temperature T: T log sum exp(cos / T)), each at
the fusion weights 2, 4 and 8, with the library's model as `coach` runs it. Ranking only.

    .venv/bin/python bench/quality_asked_pool.py

A pool of several questions might hold better for a question in words no single curated
question used; the soft maximum lets a section many of whose questions are near win over
one with a single near question.
"""

from __future__ import annotations

import itertools
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import quality  # noqa: E402  (first: it sets HF_HUB_OFFLINE and puts the checkout on the path)

from bot.settings import default_model  # noqa: E402
from index.library import library_embedder  # noqa: E402

WEIGHTS = (2.0, 4.0, 8.0)
Pool = Callable[[np.ndarray], float]


def top_mean(k: int) -> Pool:
    return lambda s: float(np.sort(s)[-k:].mean())


def soft_max(t: float) -> Pool:
    return lambda s: float(t * np.log(np.exp((s - s.max()) / t).sum()) + s.max())


POOLS: dict[str, Pool] = {
    "max": lambda s: float(s.max()),
    "top2": top_mean(2),
    "top3": top_mean(3),
    "soft0.02": soft_max(0.02),
    "soft0.05": soft_max(0.05),
}


def pooled(signal, sims: np.ndarray, pool: Pool) -> np.ndarray:  # noqa: ANN001 - AskedSignal
    """Per passage, its section's pooled score; a passage of no section gets the mean."""
    ends = np.r_[signal._starts[1:], sims.shape[0]]
    sections = np.array([pool(sims[a:b]) for a, b in zip(signal._starts, ends, strict=True)])
    of = signal._of_passage
    out = np.empty(len(of))
    out[of >= 0] = sections[of[of >= 0]]
    out[of < 0] = out[of >= 0].mean()
    return out


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        embedder = library_embedder(default_model(), quality.ROOT / "content", Path(tmp))
        searcher, sets = quality.collect(quality.ROOT / "content", embedder)
    signal = searcher._asked_signal()
    names = list(sets)
    for rows in sets.values():
        vectors = embedder.encode([r["q"].question for r in rows])
        for r, sims in zip(rows, signal.similarities(vectors), strict=True):
            for name, pool in POOLS.items():
                r[f"pool_{name}"] = pooled(signal, sims, pool)
    table = {}
    for name, w in itertools.product(POOLS, WEIGHTS):

        def score(r: quality.Row, name: str = name, w: float = w) -> np.ndarray:
            text = sum(quality.z(r[n].astype("float64")) for n in quality.FUSED_SIGNALS)
            return (
                text
                + w * quality.z(r[f"pool_{name}"])
                + quality.z(r["asked_passage"].astype("float64"))
            )

        table[(name, w)] = [quality.rank_metrics(searcher, sets[n], score) for n in names]
        worst, mean = quality.summary(table[(name, w)])
        print(
            f"{name:9} w{w:.0f}  "
            + " ".join(quality.cell(c) for c in table[(name, w)])
            + f"  worst {quality.cell(worst)}  mean {quality.cell(mean)}",
            flush=True,
        )
    cells, chosen = quality.held_out_choice(table)
    worst, mean = quality.summary(cells)
    print("sets: " + " ".join(names))
    print(
        "held out: " + " ".join(f"{n} {quality.cell(c)}" for n, c in zip(names, cells, strict=True))
    )
    print(f"held out worst {quality.cell(worst)} mean {quality.cell(mean)}; chosen {chosen}")


if __name__ == "__main__":
    main()
