"""Session 5 of issue 14, abstention: can agreement between the signals, the fused score's
margin, or a question word nothing in the library matches tell an uncovered in-domain
question from an answerable paraphrase? Run through bench/quality_ideas.py (it collects the
rows, including the MaxSim matrices "li_mat"); results in bench/quality_ideas.md.

Each score gets a trade-off curve (pooled quantile cuts: false abstain on answerable,
uncovered and off-topic abstained, per library) and a cut fitted on the other sets (both
libraries) and scored on the held-out one. The second-rule curves keep the shipped rule and add
one more condition.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import quality  # noqa: E402
import quality_methods as qm  # noqa: E402

Row = quality.Row
Scorer = qm.Scorer
ANSWER, UNCOVERED, OFF = quality.ANSWER, quality.UNCOVERED, quality.OFF


def fused(r: Row) -> np.ndarray:
    return qm.zsum(r, qm.SHIPPED)


def top_overlap(r: Row, k: int) -> float:
    """Share of the top-k passages that dense, late interaction and BM25 agree on (mean
    pairwise Jaccard)."""
    tops = [set(np.argsort(-r[n])[:k].tolist()) for n in ("dense", "tokens_vocab", "lexical")]
    pairs = [(0, 1), (0, 2), (1, 2)]
    return float(np.mean([len(tops[a] & tops[b]) / len(tops[a] | tops[b]) for a, b in pairs]))


ABSTAIN_SCORES = {
    "library mean best-sentence (shipped)": quality.library_score,
    "fused top z": lambda r: float(fused(r).max()),
    "fused top minus 10th": lambda r: float(np.sort(fused(r))[-1] - np.sort(fused(r))[-10]),
    "top-5 agreement": lambda r: top_overlap(r, 5),
    "top-10 agreement": lambda r: top_overlap(r, 10),
    "top-20 agreement": lambda r: top_overlap(r, 20),
    "library mean dense": lambda r: float(r["dense"].mean()),
    "library mean LI": lambda r: float(r["tokens"].mean()),
    "top best-sentence": lambda r: float(r["sentence"].max()),
    "library mean + top-10 agreement": lambda r: (
        quality.library_score(r) + 0.1 * top_overlap(r, 10)
    ),
}


def worst_word(r: Row, k: int = 1) -> float:
    """Mean, over the question's k least-covered content words, of each word's best cosine
    anywhere in the library (its token vectors): a question about something the library
    never mentions has a word nothing matches."""
    best = np.sort(r["li_mat"].max(axis=1))
    return float(best[:k].mean()) if len(best) else 0.0


ABSTAIN_SCORES |= {
    "least-covered word (token MaxSim over library)": lambda r: worst_word(r, 1),
    "2 least-covered words": lambda r: worst_word(r, 2),
}


def two_rule_curve(libraries: dict[str, dict[str, list[Row]]]) -> None:
    """The shipped rule (library mean best-sentence >= .096) plus a second one: abstain when
    the fused top score stands less than `m` above the 10th (no passage stands out)."""
    shipped = 0.096

    def margin(r: Row) -> float:
        f = np.sort(fused(r))
        return float(f[-1] - f[-10])

    for label, second, cuts in (
        ("fused margin (top minus 10th)", margin, (0.0, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5)),
        ("least-covered word", worst_word, (0.0, 0.20, 0.22, 0.24, 0.26, 0.28, 0.30)),
    ):
        two_rule(libraries, shipped, label, second, cuts)


def two_rule(
    libraries: dict[str, dict[str, list[Row]]],
    shipped: float,
    label: str,
    second: Scorer,
    cuts: tuple[float, ...],
) -> None:
    print(f"\n### shipped rule + {label} >= m")
    for m in cuts:
        parts = []
        for lib, sets in libraries.items():
            for n in qm.NAMES:
                rows = sets[n]
                ok = [quality.library_score(r) >= shipped and second(r) >= m for r in rows]
                fa = np.mean([not a for a, r in zip(ok, rows, strict=True) if r["kind"] is ANSWER])
                u = [not a for a, r in zip(ok, rows, strict=True) if r["kind"] is UNCOVERED]
                parts.append(f"{lib} {n}: FA {fa:.2f} unc {sum(u)}/{len(u)}")
        print(f"  m {m:.2f}  " + "  ".join(parts))


def curve(libraries: dict[str, dict[str, list[Row]]], name: str) -> None:
    """Trade-off per score: at each quantile cut of the pooled scores, false abstain on
    answerable and share of uncovered abstained, pooled over sets, per library; then the
    cut fitted on the other sets (both libraries; quality.fit_cut's cost with uncovered voting)
    and scored on the held-out one."""
    score = ABSTAIN_SCORES[name]
    pooled = np.array([score(r) for sets in libraries.values() for rs in sets.values() for r in rs])
    print(f"\n### {name}")
    for q in (0.02, 0.05, 0.1, 0.15, 0.2, 0.3):
        cut = float(np.quantile(pooled, q))
        parts = []
        for lib, sets in libraries.items():
            rows = [r for rs in sets.values() for r in rs]
            fa = np.mean([score(r) < cut for r in rows if r["kind"] is ANSWER])
            unc = [score(r) < cut for r in rows if r["kind"] is UNCOVERED]
            off = [score(r) < cut for r in rows if r["kind"] is OFF]
            parts.append(f"{lib}: FA {fa:.2f} unc {sum(unc)}/{len(unc)} off {sum(off)}/{len(off)}")
        print(f"  cut q{q:.2f} ({cut:+.3f})  " + "   ".join(parts))
    for held in qm.NAMES:
        train = [r for sets in libraries.values() for n in qm.NAMES if n != held for r in sets[n]]
        s = np.array([score(r) for r in train])
        kinds = [r["kind"] for r in train]
        ans = np.array([k is ANSWER for k in kinds])
        unc = np.array([k is UNCOVERED for k in kinds])
        off = np.array([k is OFF for k in kinds])

        def cost(c: float, s: np.ndarray = s, ans=ans, off=off, unc=unc) -> float:  # noqa: ANN001
            return (
                3 * float((s[ans] < c).mean())
                + float((s[off] >= c).mean())
                + float((s[unc] >= c).mean())
            )

        cut = float(min(np.unique(s), key=cost))
        parts = []
        for lib, sets in libraries.items():
            rows = sets[held]
            fa = np.mean([score(r) < cut for r in rows if r["kind"] is ANSWER])
            u = [score(r) < cut for r in rows if r["kind"] is UNCOVERED]
            o = [score(r) < cut for r in rows if r["kind"] is OFF]
            parts.append(f"{lib}: FA {fa:.2f} unc {sum(u)}/{len(u)} off {sum(o)}/{len(o)}")
        print(f"  held {held:5} cut {cut:+.3f}  " + "   ".join(parts))


def report(libraries: dict[str, dict[str, list[Row]]]) -> None:
    print("\n## Abstention: trade-off per score (pooled quantile cuts), then fitted on the others")
    for name in ABSTAIN_SCORES:
        curve(libraries, name)
    two_rule_curve(libraries)
