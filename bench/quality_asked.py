"""Issue 14: does a signal from the questions each section answers (front matter
`questions:`, written by curators who never saw the question sets) improve ranking and the
out-of-scope decision, by cross-validation over four question sets and two libraries?

    .venv/bin/python bench/quality_asked.py [--content DIR] [--scope FILE]

Ranking: the shipped z-sum plus w times the z-score of the "asked" signal (the cosine of the
question to the nearest curated question of the passage's section), w chosen on three sets
by mean MRR@10 and scored on the fourth. Abstention: the shipped library gate and
out-of-scope margin, with the library's side of the out-of-scope comparison either its best
sentence (shipped) or the better of that and its best curated question.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import quality  # first: it sets HF_HUB_OFFLINE and puts the checkout on the path
import quality_scope

from index.embedder import Embedder

WEIGHTS = (0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0)
SHIPPED = quality.FUSED_SIGNALS  # the passage's own text


def with_asked(w: float) -> quality.Scorer:
    def score(r: quality.Row) -> np.ndarray:
        base = sum(quality.z(r[n].astype("float64")) for n in SHIPPED)
        return base + w * quality.z(r["asked"].astype("float64"))

    return score


def pooled_cv(libs: dict) -> None:
    """The weight chosen on three sets of both libraries (mean MRR@10 over those six
    cells), scored on the held-out set of each library."""
    names = list(quality.SETS)
    cells = {
        (lib, w): [quality.rank_metrics(s, sets[n], with_asked(w)) for n in names]
        for lib, (s, sets) in libs.items()
        for w in WEIGHTS
    }
    print("\n## Weight chosen on three sets of both libraries, scored on the fourth")
    held_cells: dict[str, list] = {lib: [] for lib in libs}
    for h, held in enumerate(names):
        best = max(
            WEIGHTS,
            key=lambda w: float(
                np.mean(
                    [cells[(lib, w)][j][2] for lib in libs for j in range(len(names)) if j != h]
                )
            ),
        )
        for lib in libs:
            held_cells[lib].append(cells[(lib, best)][h])
        print(
            f"held out {held}: w = {best}  "
            + "  ".join(f"{lib} {quality.cell(cells[(lib, best)][h])}" for lib in libs)
        )
    for lib, cs in held_cells.items():
        worst, mean = quality.summary(cs)
        print(f"{lib}: worst held-out {quality.cell(worst)}  mean {quality.cell(mean)}")


def ranking(libs: dict) -> None:
    names = list(quality.SETS)
    for lib, (searcher, sets) in libs.items():
        print(f"\n## Ranking, {lib} library (hit@1/hit@3/MRR@10, no abstention)")
        print(f"{'method':30}" + "".join(f"{n:>16}" for n in [*names, "worst", "mean"]))
        table = {}
        for w in WEIGHTS:
            cells = [quality.rank_metrics(searcher, sets[n], with_asked(w)) for n in names]
            table[f"z-sum + {w} asked"] = cells
        alone = [quality.rank_metrics(searcher, sets[n], lambda r: r["asked"]) for n in names]
        table["asked alone"] = alone
        for name, cells in table.items():
            worst, mean = quality.summary(cells)
            print(f"{name:30}" + "".join(f"{quality.cell(c):>16}" for c in [*cells, worst, mean]))
        cells, chosen = quality.held_out_choice(table)
        worst, mean = quality.summary(cells)
        print(
            f"{'CV-selected':30}" + "".join(f"{quality.cell(c):>16}" for c in [*cells, worst, mean])
        )
        print(quality.chosen_line(chosen))


def abstention(libs: dict, scope_file: Path, embedder: Embedder, w: float) -> None:
    scope, topics = quality_scope.scope_vectors(scope_file, embedder)
    owners = np.array([sorted(set(topics)).index(t) for t in topics])
    margin = quality.SearchTuning().out_of_scope_margin
    print(f"\n## Abstention at the shipped margin {margin}, ranking z-sum + {w} asked")
    print("   (ranking with abstention, false abstain, uncovered declined, off-topic)")
    for lib, (searcher, sets) in libs.items():
        for n, rows in sets.items():
            feats = quality_scope.features(rows, embedder, scope, owners)
            for f, r in zip(feats, rows, strict=True):
                f["library_asked"] = max(f["library"], float(r["asked"].max()))
            parts = []
            for side in ("library", "library_asked"):
                for f in feats:
                    f["side"] = f[side]
                answers = [
                    bool(f["gate"]) and not (f["scope3"] - f["side"] > margin) for f in feats
                ]
                kinds = [r["kind"] for r in rows]
                fa = [not a for a, k in zip(answers, kinds, strict=True) if k is quality.ANSWER]
                unc = [not a for a, k in zip(answers, kinds, strict=True) if k is quality.UNCOVERED]
                off = [not a for a, k in zip(answers, kinds, strict=True) if k is quality.OFF]
                m = quality.rank_metrics(searcher, rows, with_asked(w), answers)
                parts.append(
                    f"{side}: {quality.cell(m)} FA {sum(fa) / max(len(fa), 1):.2f}"
                    f" unc {sum(unc)}/{len(unc)} off {sum(off)}/{len(off)}"
                )
            print(f"{lib:5} {n:5} " + " | ".join(parts))


def margin_cv(libs: dict, scope_file: Path, embedder: Embedder, w: float) -> None:
    """quality_scope's rule (most uncovered declined with false abstain <= 5% on three sets,
    both libraries pooled) for each side of the comparison, scored on the fourth."""
    scope, topics = quality_scope.scope_vectors(scope_file, embedder)
    owners = np.array([sorted(set(topics)).index(t) for t in topics])
    feats = {}
    for lib, (_, sets) in libs.items():
        for n, rows in sets.items():
            f = quality_scope.features(rows, embedder, scope, owners)
            for x, r in zip(f, rows, strict=True):
                x["sentence_side"] = x["library"]
                x["asked_side"] = max(x["library"], float(r["asked"].max()))
            feats[(lib, n)] = f
    for side in ("sentence_side", "asked_side"):
        for f in feats.values():
            for x in f:
                x["library"] = x[side]
        print(f"\n## Out-of-scope margin by CV, library side = {side}")
        print("   m | fixed-margin curve (FA, uncovered) per library-set")
        for m in quality_scope.MARGINS[::3]:
            parts = []
            for (lib, n), f in feats.items():
                fa, _, _, u, nu, _, _, _ = quality_scope.outcome(libs[lib][1][n], f, m, "scope3")
                parts.append(f"{lib[0]}-{n} {fa:.2f} {u}/{nu}")
            print(f"{m:+.2f} " + " | ".join(parts))
        for held in quality.SETS:
            pool = [(libs[lib][1][n], f) for (lib, n), f in feats.items() if n != held]
            m = quality_scope.choose(pool, "scope3")
            for lib, (searcher, sets) in libs.items():
                fa, _, _, u, nu, o, no, answers = quality_scope.outcome(
                    sets[held], feats[(lib, held)], m, "scope3"
                )
                ranked = quality.rank_metrics(searcher, sets[held], with_asked(w), answers)
                print(
                    f"{lib:5} {held:5} m {m}  {quality.cell(ranked)}  FA {fa:.2f}"
                    f"  unc {u}/{nu}  off {o}/{no}"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--content", type=Path, default=quality.ROOT / "content")
    parser.add_argument("--scope", type=Path, default=quality.ROOT / "content/scope.yaml")
    parser.add_argument("--weight", type=float, default=1.0, help="for the abstention table")
    args = parser.parse_args()
    embedder = Embedder(quality.default_model())
    libs = quality.both_libraries(args.content, embedder)
    for lib, (searcher, _) in libs.items():
        print(f"{lib}: {len(searcher.passages)} passages, {len(searcher.asked)} curated questions")
    ranking(libs)
    pooled_cv(libs)
    abstention(libs, args.scope, embedder, args.weight)
    margin_cv(libs, args.scope, embedder, args.weight)


if __name__ == "__main__":
    main()
