"""Compare retrieval methods on question files (default: shared/eval/dev.jsonl and our own
bench/data/own_questions.jsonl) and print a table: the evidence behind index/search.py.

    .venv/bin/python bench/quality.py [FILE.jsonl ...]

Each passage design is embedded once; scoring variants then reuse the same features.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bot.settings import default_model  # noqa: E402
from index.content import load_articles  # noqa: E402
from index.embedder import Embedder  # noqa: E402
from index.evaluate import evaluate, load_questions  # noqa: E402
from index.passages import split_articles  # noqa: E402
from index.search import HybridSearcher  # noqa: E402
from index.store import IndexStore  # noqa: E402
from index.types import Hit, SearchResult  # noqa: E402

DESIGNS = {
    "paragraphs (blank-line split)": {"max_chars": 100_000, "min_chars": 0, "overlap": 0},
    "windows 600/min200/ov1": {"max_chars": 600, "min_chars": 200, "overlap": 1},
    "windows 600/min100/ov1": {"max_chars": 600, "min_chars": 100, "overlap": 1},
    "windows 600/min0/ov1": {"max_chars": 600, "min_chars": 0, "overlap": 1},
    "windows 800/min200/ov1": {"max_chars": 800, "min_chars": 200, "overlap": 1},
    "windows 400/min120/ov1": {"max_chars": 400, "min_chars": 120, "overlap": 1},
}


def rrf(*scores: np.ndarray, k: int = 60) -> np.ndarray:
    total = np.zeros_like(scores[0])
    for s in scores:
        ranks = np.empty(len(s))
        ranks[np.argsort(-s, kind="stable")] = np.arange(1, len(s) + 1)
        total += 1.0 / (k + ranks)
    return total


def norm(s: np.ndarray) -> np.ndarray:
    top = float(s.max()) if len(s) else 0.0
    return s / top if top > 0 else s


SCORERS = {
    "BM25": lambda f: f["lexical"],
    "dense passage": lambda f: f["dense"],
    "RRF dense+BM25": lambda f: rrf(f["dense"], f["lexical"]),
    "best sentence": lambda f: f["sentence"],
    "dense+sentence": lambda f: f["dense"] + f["sentence"],
    "dense+sentence+0.3 BM25": lambda f: f["dense"] + f["sentence"] + 0.3 * norm(f["lexical"]),
    "dense+sentence+0.5 BM25": lambda f: f["dense"] + f["sentence"] + 0.5 * norm(f["lexical"]),
    "RRF dense+sentence+BM25": lambda f: rrf(f["dense"], f["sentence"], f["lexical"]),
    "late interaction (LI)": lambda f: f["tokens"],
    "LI+0.5 BM25": lambda f: f["tokens"] + 0.5 * norm(f["lexical"]),
    "dense+sentence+LI+0.5 BM25": lambda f: (
        f["dense"] + f["sentence"] + f["tokens"] + 0.5 * norm(f["lexical"])
    ),
    "dense+sentence+2LI+0.8 BM25": lambda f: (
        f["dense"] + f["sentence"] + 2 * f["tokens"] + 0.8 * norm(f["lexical"])
    ),
}


def run(files: list[Path]) -> None:
    embedder = Embedder(os.environ.get("EMBEDDING_MODEL") or default_model())
    articles = load_articles(ROOT / "content")
    question_sets = {f.name: load_questions(f) for f in files}
    print(
        f"{'design':32} {'scoring':26} "
        + " ".join(f"{name[:14]:>14}" for name in question_sets)
        + "   (hit@1/hit@3/MRR, off-topic abstained)"
    )
    for design, options in DESIGNS.items():
        passages = split_articles(articles, **options)
        with tempfile.TemporaryDirectory() as tmp:
            dense = IndexStore(Path(tmp)).build(passages, embedder)
        base = HybridSearcher(passages, dense, embedder)
        cache: dict[str, dict[str, np.ndarray]] = {}
        for name, scorer in SCORERS.items():
            cells = []
            for questions in question_sets.values():

                def search(
                    q: str, scorer=scorer, cache=cache, base=base, passages=passages
                ) -> SearchResult:
                    if q not in cache:
                        cache[q] = base.features(q)
                    f = cache[q]
                    if not base.should_answer(q, f):
                        return SearchResult(q, False)
                    fused = scorer(f)
                    order = base._diverse_order(
                        [int(i) for i in np.argsort(-fused, kind="stable")], fused
                    )[:10]
                    hits = tuple(Hit(r + 1, 0.0, passages[i], "") for r, i in enumerate(order))
                    return SearchResult(q, True, hits)

                m = evaluate(questions, search).metrics()
                cells.append(
                    f"{m['hit@1']:.2f}/{m['hit@3']:.2f}/{m['mrr@10']:.2f} "
                    f"{m['off_topic_abstained']}/{m['off_topic']}"
                )
            print(f"{design[:32]:32} {name:26} " + "   ".join(cells), flush=True)


if __name__ == "__main__":
    args = [Path(a) for a in sys.argv[1:]] or [
        ROOT.parent / "shared/eval/dev.jsonl",
        ROOT / "bench/data/own_questions.jsonl",
    ]
    run([a for a in args if a.exists()])
