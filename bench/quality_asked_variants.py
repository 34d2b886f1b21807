"""Issue 14: variants of the curated-questions signal (bench/quality_asked.py), each with its
weight chosen by cross-validation over four sets and both libraries.

    .venv/bin/python bench/quality_asked_variants.py [--content DIR]

Variants: the section's nearest question (shipped), the mean of its two nearest, a soft
maximum (log-sum-exp, temperature .05), the nearest with the curated questions' common
directions removed (all-but-the-top, 2), and "doc2query" BM25: the passage's BM25 text with
its section's questions appended, replacing BM25 or added to the shipped sum.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import quality  # first: it sets HF_HUB_OFFLINE and puts the checkout on the path

from index.anisotropy import CommonDirections
from index.embedder import Embedder
from index.lexical import LexicalIndex

WEIGHTS = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0)
TEXT = quality.FUSED_SIGNALS


def section_of(searcher: quality.HybridSearcher) -> tuple[np.ndarray, np.ndarray]:
    """Per curated question its section index; per passage its section index (-1: none)."""
    order = {s: i for i, s in enumerate(dict.fromkeys(searcher.asked.sections))}
    owner = np.array([order[s] for s in searcher.asked.sections])
    of_passage = np.array([order.get((p.article.id, p.section), -1) for p in searcher.passages])
    return owner, of_passage


def per_section(sims: np.ndarray, owner: np.ndarray, how: str) -> np.ndarray:
    out = np.empty(owner.max() + 1)
    for s in range(len(out)):
        v = np.sort(sims[owner == s])
        if how == "max":
            out[s] = v[-1]
        elif how == "top2":
            out[s] = v[-2:].mean()
        else:  # log-sum-exp, temperature .05
            out[s] = 0.05 * np.log(np.exp((v - v.max()) / 0.05).sum()) + v.max()
    return out


def add_signals(searcher: quality.HybridSearcher, sets: dict, embedder: Embedder) -> None:
    owner, of_passage = section_of(searcher)
    asked_vectors = searcher.asked.vectors(embedder, None)
    common = CommonDirections.fit(asked_vectors, 2)
    asked_abtt = common(asked_vectors)
    questions_of: dict[int, list[str]] = {}
    for text, s in zip(searcher.asked.texts, owner, strict=True):
        questions_of.setdefault(int(s), []).append(text)
    docq = LexicalIndex(
        [
            p.embed_text + " " + " ".join(questions_of.get(int(s), []))
            for p, s in zip(searcher.passages, of_passage, strict=True)
        ]
    )
    for rows in sets.values():
        qv = embedder.encode([r["q"].question for r in rows])
        for r, v in zip(rows, qv, strict=True):
            sims = asked_vectors @ v
            for how in ("max", "top2", "lse"):
                r[f"asked_{how}"] = per_section(sims, owner, how)[of_passage]
            r["asked_abtt"] = per_section(asked_abtt @ common(v[None])[0], owner, "max")[of_passage]
            gained = searcher.vocabulary.expansion_groups(r["q"].question)
            words = [w for found in gained for w in found.words]
            r["lexical_docq"] = docq.scores(" ".join([r["q"].question, *words]))


def family(name: str, w: float) -> quality.Scorer:
    def score(r: quality.Row) -> np.ndarray:
        z = quality.z
        if name == "docq replaces BM25":
            base = sum(z(r[n].astype("float64")) for n in TEXT if n != "lexical")
            return base + z(r["lexical_docq"]) + 2.0 * z(r["asked_max"]) if w else base
        base = sum(z(r[n].astype("float64")) for n in TEXT)
        if name == "docq added":
            return base + 2.0 * z(r["asked_max"]) + w * z(r["lexical_docq"])
        return base + w * z(r[name])

    return score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--content", type=Path, default=quality.ROOT / "content")
    args = parser.parse_args()
    embedder = Embedder(quality.default_model())
    libs = quality.both_libraries(args.content, embedder)
    for searcher, sets in libs.values():
        add_signals(searcher, sets, embedder)
    names = list(quality.SETS)
    families = ["asked_max", "asked_top2", "asked_lse", "asked_abtt", "docq added"]
    candidates = {(f, w): family(f, w) for f in families for w in WEIGHTS}
    candidates[("docq replaces BM25", 2.0)] = family("docq replaces BM25", 2.0)
    cells = {
        (lib, key): [quality.rank_metrics(s, sets[n], scorer) for n in names]
        for lib, (s, sets) in libs.items()
        for key, scorer in candidates.items()
    }
    print("## Fixed weights: worst / mean per library (hit@1/hit@3/MRR@10, no abstention)")
    for key in candidates:
        parts = []
        for lib in libs:
            worst, mean = quality.summary(cells[(lib, key)])
            parts.append(f"{lib} {quality.cell(worst)} {quality.cell(mean)}")
        print(f"{key[0]:20} w {key[1]:<4} " + "  ".join(parts))
    print("\n## Per family: weight chosen on three sets of both libraries, scored on the fourth")
    for f in [*families, "docq replaces BM25"]:
        keys = [k for k in candidates if k[0] == f]
        held = {lib: [] for lib in libs}
        chosen = []
        for h in range(len(names)):
            best = max(
                keys,
                key=lambda k: float(
                    np.mean([cells[(lib, k)][j][2] for lib in libs for j in range(4) if j != h])
                ),
            )
            chosen.append(best[1])
            for lib in libs:
                held[lib].append(cells[(lib, best)][h])
        parts = []
        for lib, cs in held.items():
            worst, mean = quality.summary(cs)
            parts.append(f"{lib} worst {quality.cell(worst)} mean {quality.cell(mean)}")
        print(f"{f:20} w {chosen}  " + "  ".join(parts))


if __name__ == "__main__":
    main()
