"""Abstention with the adapted model (issue 14): the shipped cut-off on the library score
(mean over passages of the best-sentence cosine) was fitted on the bundled model's scores.
Where do the curated questions' own library scores sit for each model, and what does a
cut-off fitted by leave-one-set-out (bench/quality.py's fit_cut), or one set as a share of
the curated questions, give on every set?

    .venv/bin/python bench/adapt_abstain.py --adapted DIR
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402
import quality  # noqa: E402

from bot.settings import default_model  # noqa: E402
from index.embedder import Embedder  # noqa: E402
from index.search import HybridSearcher, SearchTuning  # noqa: E402


def curated_scores(searcher: HybridSearcher) -> np.ndarray:
    """Each curated question's library score, as search would give it."""
    vectors = searcher.embedder.encode(list(searcher.asked.texts))
    sims = vectors @ searcher.dense.sentence_vectors.T
    best = np.maximum.reduceat(sims, searcher.dense.sentence_offsets[:-1], axis=1)
    return best.mean(axis=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adapted", type=Path, required=True)
    parser.add_argument("--content", type=Path, default=ROOT / "content")
    args = parser.parse_args()
    names = list(quality.SETS)
    shipped = SearchTuning().answer_library
    models = {"base": default_model(), "adapted": str(args.adapted)}
    data = {}
    for label, model in models.items():
        with tempfile.TemporaryDirectory() as onnx:
            searcher, sets = quality.collect(args.content, Embedder(model, onnx_dir=Path(onnx)))
            data[label] = (searcher, sets, curated_scores(searcher))
    base_curated = data["base"][2]
    share = float((base_curated < shipped).mean())
    print(f"shipped cut {shipped}: {share:.4f} of the curated questions below it (base model)")
    for label, (_, sets, curated) in data.items():
        qs = np.quantile(curated, [0.001, 0.005, 0.01, 0.05, 0.5])
        quantiles = " ".join(f"{q:.3f}" for q in qs)
        print(f"{label}: curated library scores q0.1%/0.5%/1%/5%/50% {quantiles}")
        for kind in (quality.ANSWER, quality.UNCOVERED, quality.OFF):
            s = [quality.library_score(r) for n in names for r in sets[n] if r["kind"] is kind]
            print(
                f"   {kind}: n {len(s)}, median {np.median(s):.3f}, 5% {np.quantile(s, 0.05):.3f}"
            )
    scorer = quality.METHODS[quality.SHIPPED]
    for label, (searcher, sets, curated) in data.items():
        rules = {"shipped cut": lambda held: shipped}
        rules["same share of curated"] = lambda held, c=curated: float(np.quantile(c, share))
        rules["fit on the others"] = lambda held, s=sets: float(
            quality.fit_cut([r for n in names if n != held for r in s[n]])
        )
        for rule, cut_for in rules.items():
            cells, parts = [], []
            for held in names:
                cut = cut_for(held)
                fa, unc, off, answers = quality.outcome(sets[held], cut)
                m = quality.rank_metrics(searcher, sets[held], scorer, answers)
                cells.append(m)
                parts.append(
                    f"{held} {quality.cell(m)} FA {fa:.2f} unc {unc} off {off} (cut {cut:.3f})"
                )
            worst = min(cells, key=lambda c: c[2])
            mean = tuple(float(np.mean([c[k] for c in cells])) for k in range(3))
            print(f"\n## {label}, {rule}: worst {quality.cell(worst)} mean {quality.cell(mean)}")
            for p in parts:
                print("   " + p)
    print("\n## trade-off, adapted model: cut as a share of curated questions below it")
    searcher, sets, curated = data["adapted"]
    for q in (0.0, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05):
        cut = float(np.quantile(curated, q))
        parts = []
        for n in names:
            fa, unc, off, _ = quality.outcome(sets[n], cut)
            parts.append(f"{n}: FA {fa:.2f} unc {unc} off {off}")
        print(f"share {q:.3f} cut {cut:.3f}  " + "  ".join(parts))


if __name__ == "__main__":
    main()
