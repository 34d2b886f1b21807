"""How much the curated questions' signals weigh in the fusion once the model is the
library's adapted one (fine-tuned on those very questions), by leave-one-set-out over all
eight question sets (issue 14): the "asked" weight (nearest curated question of the
passage's section) x the "asked_passage" weight (nearest of those given the passage itself),
ranking only (no abstention), with the library's model as `coach` runs it.

    .venv/bin/python bench/quality_weights.py

Then, for each article in turn as if just added (its curated questions taken out), the
answerable questions whose gold phrase is in it, ranked at each "asked" weight: the case
no question set has, where heavier question signals could bury a new article.
"""

from __future__ import annotations

import dataclasses
import itertools
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import quality  # noqa: E402  (first: it sets HF_HUB_OFFLINE and puts the checkout on the path)

from bot.settings import default_model  # noqa: E402
from index.evaluate import QuestionKind, load_questions, normalise  # noqa: E402
from index.library import Library, library_embedder  # noqa: E402

ASKED = (1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0)
ASKED_PASSAGE = (0.5, 1.0, 2.0, 3.0)


def scorer(asked: float, asked_passage: float) -> quality.Scorer:
    def score(r: quality.Row):  # noqa: ANN202 - a numpy array
        text = sum(quality.z(r[n].astype("float64")) for n in quality.FUSED_SIGNALS)
        return (
            text
            + asked * quality.z(r["asked"].astype("float64"))
            + asked_passage * quality.z(r["asked_passage"].astype("float64"))
        )

    return score


def grid(root: Path, tmp: Path) -> None:
    embedder = library_embedder(default_model(), root / "content", tmp / "model")
    searcher, sets = quality.collect(root / "content", embedder)
    names = list(sets)
    table = {}
    for w in itertools.product(ASKED, ASKED_PASSAGE):
        table[w] = [quality.rank_metrics(searcher, sets[n], scorer(*w)) for n in names]
        worst, mean = quality.summary(table[w])
        print(
            f"asked {w[0]:.1f} passage {w[1]:.1f}  "
            + " ".join(quality.cell(c) for c in table[w])
            + f"  worst {quality.cell(worst)}  mean {quality.cell(mean)}",
            flush=True,
        )
    cells, chosen = quality.held_out_choice(table)
    worst, mean = quality.summary(cells)
    print(
        "held out: " + " ".join(f"{n} {quality.cell(c)}" for n, c in zip(names, cells, strict=True))
    )
    print(f"held out worst {quality.cell(worst)} mean {quality.cell(mean)}; chosen {chosen}")


def just_added(root: Path, tmp: Path) -> None:
    library = Library.open(root / "content", tmp / "index", default_model())
    base = library.searcher
    texts = [normalise(p.text) for p in base.passages]
    by_article: dict[str, list[int]] = {}
    for i, p in enumerate(base.passages):
        by_article.setdefault(p.article.id, []).append(i)
    questions = [
        q
        for path in quality.SETS.values()
        for q in load_questions(path)
        if q.kind is QuestionKind.ANSWERABLE
    ]
    totals = {(w, new): [0.0, 0.0, 0.0, 0] for w in ASKED for new in (True, False)}
    for article, rows in by_article.items():
        mine = [q for q in questions if any(normalise(g) in texts[i] for g in q.gold for i in rows)]
        fresh = base.with_asked(base.asked.without(article))
        for w, (searcher, new) in itertools.product(ASKED, ((fresh, True), (base, False))):
            searcher.tuning = dataclasses.replace(searcher.tuning, asked_weight=w)
            for q in mine:
                golds = [normalise(g) for g in q.gold]
                shown = searcher.rank_all(q.question)[:10]
                rank = next(
                    (
                        k
                        for k, h in enumerate(shown, 1)
                        if any(g in normalise(h.passage.text) for g in golds)
                    ),
                    None,
                )
                t = totals[(w, new)]
                t[0] += rank == 1
                t[1] += bool(rank and rank <= 3)
                t[2] += 1 / rank if rank else 0.0
                t[3] += 1
    for w in ASKED:
        row = []
        for new in (True, False):
            a, b, c, n = totals[(w, new)]
            row.append(f"{a / n:.3f}/{b / n:.3f}/{c / n:.3f}")
        print(f"asked {w:.1f}: article just added {row[0]} | described {row[1]} (n={n:.0f})")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        grid(quality.ROOT, Path(tmp))
        just_added(quality.ROOT, Path(tmp))


if __name__ == "__main__":
    main()
