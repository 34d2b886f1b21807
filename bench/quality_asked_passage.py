"""Issue 14 (shipped at weight 1): the curated questions lift a whole section; the right
passage of a section is then found by the passage's own text, and misses there (section
right, passage wrong) are 8-18 points of hit@1. Does giving each curated question to the
passage of its section it is nearest to, and scoring a passage also by its own questions,
help? Weight by cross-validation over the five sets and both libraries, as
bench/quality_asked.py. Shipped at weight 1 (bench/quality_asked.md); what stands in for an
article without questions is bench/quality_new_article.py's.

    .venv/bin/python bench/quality_asked_passage.py
"""

from __future__ import annotations

import numpy as np
import quality  # first: it sets HF_HUB_OFFLINE and puts the checkout on the path

from index.embedder import Embedder

WEIGHTS = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0)


def passage_asked(searcher, embedder: Embedder, sets: dict, fill: str) -> None:
    """Adds r["asked_passage"]: per passage, the cosine of the question to the nearest
    curated question given to that passage (each question goes to the passage of its
    section whose vector is nearest); a passage given none gets its section's lowest such
    score ("min") or the question's mean over passages ("mean")."""
    asked = searcher.asked
    vectors = asked.vectors(embedder, None)
    passages = searcher.passages
    pv = searcher._passage_vectors
    of_section: dict = {}
    for i, p in enumerate(passages):
        of_section.setdefault((p.article.id, p.section), []).append(i)
    owner = np.full(len(vectors), -1)
    for k, s in enumerate(asked.sections):
        cands = of_section.get(s, [])
        if cands:
            owner[k] = cands[int(np.argmax(pv[cands] @ vectors[k]))]
    for rows in sets.values():
        q = embedder.encode([r["q"].question for r in rows])
        sims = q @ vectors.T
        for r, s in zip(rows, sims, strict=True):
            out = np.full(len(passages), -np.inf)
            for k in np.flatnonzero(owner >= 0):
                out[owner[k]] = max(out[owner[k]], s[k])
            given = np.isfinite(out)
            for members in of_section.values():
                m = [i for i in members if given[i]]
                low = min(out[i] for i in m) if m else None
                for i in members:
                    if not given[i]:
                        out[i] = low if (fill == "min" and low is not None) else np.nan
            out[np.isnan(out)] = np.nanmean(out) if np.isfinite(out).any() else 0.0
            r["asked_passage"] = out


def scorer(w: float, key: str = "asked_passage", base_asked: float = 2.0) -> quality.Scorer:
    def score(r: quality.Row) -> np.ndarray:
        base = sum(quality.z(r[n].astype("float64")) for n in quality.FUSED_SIGNALS)
        base = base + base_asked * quality.z(r["asked"].astype("float64"))
        return base + w * quality.z(r[key].astype("float64"))

    return score


def main() -> None:
    embedder = Embedder(quality.default_model())
    libs = quality.both_libraries(quality.ROOT / "content", embedder)
    names = list(quality.SETS)
    for fill in ("min", "mean"):
        for searcher, sets in libs.values():
            passage_asked(searcher, embedder, sets, fill)
            for rows in sets.values():
                for r in rows:
                    r["asked_within"] = r["asked_passage"] - r["asked"]
        for variant, base_asked, key in (
            ("added to shipped", 2.0, "asked_passage"),
            ("instead of asked", 0.0, "asked_passage"),
            ("within (passage - section), added to shipped", 2.0, "asked_within"),
        ):
            print(f"\n## passage questions {variant}, fill {fill}")
            cells = {
                (lib, w): [
                    quality.rank_metrics(s, sets[n], scorer(w, key=key, base_asked=base_asked))
                    for n in names
                ]
                for lib, (s, sets) in libs.items()
                for w in WEIGHTS
            }
            for lib in libs:
                for w in WEIGHTS:
                    worst, mean = quality.summary(cells[(lib, w)])
                    print(
                        f"{lib:5} w {w}: "
                        + " ".join(quality.cell(c) for c in cells[(lib, w)])
                        + f"  worst {quality.cell(worst)} mean {quality.cell(mean)}"
                    )
            held_cells: dict[str, list] = {lib: [] for lib in libs}
            picks = []
            for h in range(len(names)):
                best = max(
                    WEIGHTS,
                    key=lambda w: float(
                        np.mean(
                            [
                                cells[(lib, w)][j][2]
                                for lib in libs
                                for j in range(len(names))
                                if j != h
                            ]
                        )
                    ),
                )
                picks.append(best)
                for lib in libs:
                    held_cells[lib].append(cells[(lib, best)][h])
            print("CV picks", dict(zip(names, picks, strict=True)))
            for lib, cs in held_cells.items():
                worst, mean = quality.summary(cs)
                print(f"{lib}: held-out worst {quality.cell(worst)} mean {quality.cell(mean)}")


if __name__ == "__main__":
    main()
