"""Issue 14, session 3: abstention features that know the library's topics (section
centroids against how tight each section is, hubness-corrected best sentence, agreement
between signals), as a second gate after the shipped library-mean cut-off; AUCs, the
cut-off fitted on the other sets and scored on the held-out one, and the trade-off curves.

    .venv/bin/python bench/quality_abstain.py [--content DIR]

Results: bench/quality_methods.md.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import quality  # first: it sets HF_HUB_OFFLINE and puts the checkout on the path
from quality_methods import (
    NAMES,
    SHIPPED,
    Extras,
    Row,
    collect,
    content_and_embedder,
    zsum,
)

from index.search import HybridSearcher

ANSWER, UNCOVERED, OFF = quality.ANSWER, quality.UNCOVERED, quality.OFF
Library = tuple[HybridSearcher, dict[str, list[Row]], Extras]


# ---- abstention: features that know the library's topics --------------------------------
def top_article(extras: Extras, s: np.ndarray) -> int:
    return int(extras.article_of[int(np.argmax(s))])


def abstention_features(extras: Extras, r: Row) -> dict[str, float]:
    """Per question, higher = more inside what the library covers."""
    q = r["qvec"]
    sec = extras.centroids @ q
    fused = zsum(r, SHIPPED)
    top = top_article(extras, fused)
    agree = sum(top_article(extras, r[n]) == top for n in SHIPPED)
    best = int(np.argmax(fused))
    return {
        "library mean (shipped)": float(r["sentence"].mean()),
        "best sentence": float(r["sentence"].max()),
        "section centroid - tightness": float((sec - extras.tightness).max()),
        "section centroid / tightness": float((sec / extras.tightness).max()),
        "CSLS best sentence k=10": float(r["sentence_csls10"].max()),
        "CSLS best passage k=10": float(r["dense_csls10"].max()),
        "signals agreeing on top article": float(agree),
        "lexical and dense top article agree": float(
            top_article(extras, r["lexical"]) == top_article(extras, r["dense"])
        ),
        "top passage: best sentence - library mean": float(
            r["sentence"][best] - r["sentence"].mean()
        ),
    }


def abstained_by_kind(
    rows: list[tuple[dict[str, float], object]], shipped_cut: float, feature: str, cut: float
) -> tuple[list[bool], list[bool], list[bool]]:
    """Which answerable, uncovered and off-topic questions the shipped cut-off plus a second
    gate on `feature` at `cut` abstains on (the three columns of every curve and CV line)."""
    answered = [d["library mean (shipped)"] >= shipped_cut and d[feature] >= cut for d, _ in rows]
    pairs = list(zip(answered, (kind for _, kind in rows), strict=True))
    return tuple([not a for a, k in pairs if k is kind] for kind in (ANSWER, UNCOVERED, OFF))  # type: ignore[return-value]


def auc(pos: list[float], neg: list[float]) -> float:
    if not pos or not neg:
        return float("nan")
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def abstention_report(
    libraries: dict[str, Library],
) -> None:
    feats: dict[str, dict[str, list[tuple[dict[str, float], object]]]] = {}
    for lib, (_, sets, extras) in libraries.items():
        feats[lib] = {
            n: [(abstention_features(extras, r), r["kind"]) for r in sets[n]] for n in NAMES
        }
    names = list(next(iter(feats["grown"].values()))[0][0])
    print("\n## Abstention features: AUC answerable vs uncovered / answerable vs off-topic,")
    print("## all sets pooled, per library")
    for f in names:
        parts = []
        for lib in feats:
            pooled = [x for n in NAMES for x in feats[lib][n]]
            a = [d[f] for d, k in pooled if k is ANSWER]
            u = [d[f] for d, k in pooled if k is UNCOVERED]
            o = [d[f] for d, k in pooled if k is OFF]
            parts.append(f"{lib}: unc {auc(a, u):.2f} off {auc(a, o):.2f}")
        print(f"  {f:42} " + "   ".join(parts))
    # Second gate after the shipped one: answer when library mean >= shipped cut AND feature >= t.
    shipped_cut = quality.SearchTuning().answer_library
    print("\n## Two gates: shipped library-mean cut, then feature >= t (t fitted on the others,")
    print("## both libraries, cost = 3 x false abstain rate + uncovered answered rate),")
    print("## scored on the held-out one: FA, uncovered abstained, off-topic abstained")
    for f in names[1:]:
        line = []
        for held in NAMES:
            train = [(d, k) for lib in feats for n in NAMES if n != held for d, k in feats[lib][n]]
            cand = sorted({d[f] for d, _ in train})
            cand = [float("-inf"), *cand]

            def cost(t: float, rows=train, f=f) -> float:
                ok = [d["library mean (shipped)"] >= shipped_cut and d[f] >= t for d, _ in rows]
                fa = [not a for a, (_, k) in zip(ok, rows, strict=True) if k is ANSWER]
                un = [a for a, (_, k) in zip(ok, rows, strict=True) if k is UNCOVERED]
                return 3 * np.mean(fa) + np.mean(un)

            t = min(cand, key=cost)
            for lib in feats:
                rows = feats[lib][held]
                fa, un, of = abstained_by_kind(rows, shipped_cut, f, t)
                line.append(
                    f"{lib[0]}{held}: t={t:.3g} FA {np.mean(fa):.2f} unc {sum(un)}/{len(un)} "
                    f"off {sum(of)}/{len(of)}"
                )
        print(f"  {f}\n     " + "\n     ".join(line))


def curve(
    libraries: dict[str, Library],
    f: str,
    cuts: list[float],
) -> None:
    shipped_cut = quality.SearchTuning().answer_library
    print(f"\n## Trade-off curve, second gate '{f}' after the shipped cut (FA / unc / off)")
    for t in cuts:
        parts = []
        for lib, (_, sets, extras) in libraries.items():
            for n in NAMES:
                ds = [(abstention_features(extras, r), r["kind"]) for r in sets[n]]
                fa, un, of = abstained_by_kind(ds, shipped_cut, f, t)
                parts.append(
                    f"{lib} {n}: {np.mean(fa):.2f} {sum(un)}/{len(un)} {sum(of)}/{len(of)}"
                )
        print(f"  t={t:<6} " + " | ".join(parts))


def main() -> None:
    content_dir, embedder = content_and_embedder(__doc__ or "")
    libraries: dict[str, Library] = {}
    with tempfile.TemporaryDirectory() as tmp:
        seed = quality.seed_library(content_dir, Path(tmp) / "seed")
        for label, content in (("grown", content_dir), ("seed", seed)):
            libraries[label] = collect(content, embedder)
    abstention_report(libraries)
    for feature, cuts in (
        ("section centroid - tightness", [-1.0, -0.35, -0.3, -0.27, -0.25, -0.22, -0.2]),
        ("best sentence", [0.0, 0.3, 0.33, 0.36, 0.38, 0.4, 0.45]),
        ("CSLS best sentence k=10", [-1.0, 0.2, 0.25, 0.3, 0.35, 0.4]),
    ):
        curve(libraries, feature, cuts)


if __name__ == "__main__":
    main()
