"""An article just added (no curated questions yet): does the abstention still answer the
questions it answers, and still decline the rest? Each shipped article in turn is searched
as if just added (its `questions:` taken out: `AskedQuestions.without`), on every question
set: the answerable questions whose gold phrase is in it (false abstain), and every
uncovered and off-topic question (declined). Compared: the out-of-scope map's share (1%,
3%) and its margin on the new article's side, fixed (0.07, fitted to the bundled model) or
set by the library itself (`index/scope.py text_margin`), issue 14.

    .venv/bin/python bench/scope_text_margin.py
"""

from __future__ import annotations

import dataclasses
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import quality  # noqa: E402

from bot.settings import default_model  # noqa: E402
from index.evaluate import QuestionKind, load_questions, normalise  # noqa: E402
from index.library import Library  # noqa: E402
from index.search import HybridSearcher  # noqa: E402

VARIANTS = {  # name: (out_of_scope_share, self-set text margin)
    "1%, fixed 0.07": (0.01, False),
    "1%, self-set": (0.01, True),
    "3%, fixed 0.07": (0.03, False),
    "3%, self-set": (0.03, True),
}


def variant(searcher: HybridSearcher, share: float, self_set: bool) -> None:
    searcher.tuning = dataclasses.replace(searcher.tuning, out_of_scope_share=share)
    for cached in ("_own_margin", "_text_margin", "_gate"):
        searcher.__dict__.pop(cached, None)
    if not self_set:
        searcher.__dict__["_text_margin"] = searcher.tuning.out_of_scope_margin


def main() -> None:
    with tempfile.TemporaryDirectory() as data:
        library = Library.open(ROOT / "content", Path(data) / "index", default_model())
        base = library.searcher
        texts = {p.article.id: normalise(p.text) for p in library.passages}
        by_article: dict[str, list[str]] = {}
        for p in library.passages:
            by_article.setdefault(p.article.id, []).append(normalise(p.text))
        answerable: dict[str, list[str]] = {a: [] for a in by_article}
        declinable: list[tuple[str, str]] = []
        for questions in (load_questions(p) for p in quality.SETS.values()):
            for q in questions:
                if q.kind is QuestionKind.ANSWERABLE:
                    golds = [normalise(g) for g in q.gold]
                    for article, passages in by_article.items():
                        if any(g and g in t for g in golds for t in passages):
                            answerable[article].append(q.question)
                else:
                    declinable.append((q.kind, q.question))
        del texts
        totals = {name: [0, 0, 0, 0, 0, 0] for name in VARIANTS}
        for article in by_article:
            searcher = base.with_asked(base.asked.without(article))
            for name, (share, self_set) in VARIANTS.items():
                variant(searcher, share, self_set)
                ask = searcher.search_many(answerable[article], 3) if answerable[article] else []
                rest = searcher.search_many([q for _, q in declinable], 3)
                t = totals[name]
                t[0] += sum(not r.answered for r in ask)
                t[1] += len(ask)
                for (kind, _), r in zip(declinable, rest, strict=True):
                    i = 2 if kind == QuestionKind.UNCOVERED else 4
                    t[i] += not r.answered
                    t[i + 1] += 1
                print(
                    f"{article[:40]:40} {name:15} text margin {searcher._text_margin:.3f}: "
                    f"declined {sum(not r.answered for r in ask)}/{len(ask)} of its own",
                    flush=True,
                )
    print("\n| variant | false abstain (new article's) | uncovered declined | off-topic declined |")
    print("| --- | --- | --- | --- |")
    for name, t in totals.items():
        print(f"| {name} | {t[0]}/{t[1]} | {t[2]}/{t[3]} | {t[4]}/{t[5]} |")


if __name__ == "__main__":
    main()
