"""Issue 14, session 3: passage granularity (window size, overlap) and context in the
embedded text (title and heading with each sentence; the passage vector without them), each
a rebuilt library scored with the shipped fusion; the config is chosen by cross-validation.

    .venv/bin/python bench/quality_granularity.py [--content DIR]   (about 11 minutes)

Results: bench/quality_methods.md.
"""

from __future__ import annotations

import functools
from pathlib import Path

import quality  # first: it sets HF_HUB_OFFLINE and puts the checkout on the path
from quality_methods import (
    NAMES,
    SHIPPED,
    Metrics,
    content_and_embedder,
    metrics_of,
    summary,
    zsum,
)

from index.embedder import Embedder
from index.passages import split_articles
from index.search import HybridSearcher


# ---- passage granularity and context (each a rebuilt library) ---------------------------
def contextual_searcher(
    sentence_context: bool, passage_context: bool = True
) -> type[HybridSearcher]:
    """A searcher whose sentence vectors embed "Title - Heading: sentence" and/or whose
    passage vectors embed the bare text (the shipped passage vector has title and heading)."""

    class Contextual(HybridSearcher):
        def __init__(self, passages, dense, embedder, **kw):  # type: ignore[no-untyped-def]
            super().__init__(passages, dense, embedder, **kw)
            if sentence_context:
                texts = []
                for p, sentences in zip(self.passages, self._sentences, strict=True):
                    head = p.article.title + (f" - {p.section}" if p.section else "")
                    texts += [f"{head}: {s}" for s in sentences]
                self.dense.sentence_vectors = embedder.encode(texts)
            if not passage_context:
                self._passage_vectors = embedder.encode([p.text for p in self.passages])

    return Contextual


def granularity_report(content: Path, embedder: Embedder) -> None:
    configs: dict[str, tuple[dict[str, int], bool, bool]] = {
        "600/200/1 (shipped)": ({}, False, True),
        "400/150/1": ({"max_chars": 400, "min_chars": 150}, False, True),
        "800/300/1": ({"max_chars": 800, "min_chars": 300}, False, True),
        "1000/400/1": ({"max_chars": 1000, "min_chars": 400}, False, True),
        "600/200/0": ({"overlap": 0}, False, True),
        "sentences with title+heading": ({}, True, True),
        "passage vector without title+heading": ({}, False, False),
        "800/300/1 + sentences with title+heading": (
            {"max_chars": 800, "min_chars": 300},
            True,
            True,
        ),
    }
    table: dict[str, list[Metrics]] = {}
    original_split, original_searcher = quality.split_articles, quality.HybridSearcher
    print("\n## Passage granularity and context, grown library (shipped z-sum fusion)")
    print(f"{'config':46}" + "".join(f"{n:>16}" for n in NAMES))
    try:
        for name, (opts, sentence_context, passage_context) in configs.items():
            quality.split_articles = functools.partial(split_articles, **opts)
            quality.HybridSearcher = contextual_searcher(sentence_context, passage_context)
            searcher, sets = quality.collect(content, embedder)
            table[name] = metrics_of(searcher, sets, lambda r: zsum(r, SHIPPED))
            print(
                f"{name:46}"
                + "".join(f"{quality.cell(c):>16}" for c in table[name])
                + f"   ({len(searcher.passages)} passages)"
            )
    finally:
        quality.split_articles, quality.HybridSearcher = original_split, original_searcher
    cells, chosen = quality.held_out_choice(table)
    print(
        f"{'CV-selected config':46}"
        + "".join(f"{quality.cell(c):>16}" for c in cells)
        + f"  {summary(cells)}  [{'; '.join(chosen)}]"
    )


def main() -> None:
    granularity_report(*content_and_embedder(__doc__ or ""))


if __name__ == "__main__":
    main()
