"""Cross-validated evidence behind index/search.py: every ranking method tried, per held-out
question set, the worst set, and the abstention trade-off curve.

    .venv/bin/python bench/quality.py --cv [--content DIR]

Sets: ../shared/eval/dev.jsonl, ../shared/eval/dev2.jsonl, bench/data/own_questions.jsonl.
A method with no free parameter scores the same whether a set is held out or not; a method
that learns (logistic ranker, abstention threshold) is fitted on two sets and scored on the
third, in rotation. "CV-selected" picks, for each held-out set, the method with the best mean
MRR on the other two. Abstention counts as a miss for answerable questions, as in
`coach eval`.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from bot.settings import default_model  # noqa: E402
from index.content import load_articles  # noqa: E402
from index.embedder import Embedder  # noqa: E402
from index.evaluate import EvalQuestion, QuestionKind, load_questions, normalise  # noqa: E402
from index.passages import split_articles  # noqa: E402
from index.search import HybridSearcher, SearchTuning  # noqa: E402
from index.store import IndexStore  # noqa: E402
from index.vocabulary import load_vocabulary  # noqa: E402

SETS = {
    "dev": ROOT.parent / "shared/eval/dev.jsonl",
    "dev2": ROOT.parent / "shared/eval/dev2.jsonl",
    "own": ROOT / "bench/data/own_questions.jsonl",
}
Row = dict  # one question's signals over all passages, plus its gold mask
Scorer = Callable[[Row], np.ndarray]


def collect(content: Path) -> tuple[HybridSearcher, dict[str, list[Row]]]:
    embedder = Embedder(os.environ.get("EMBEDDING_MODEL") or default_model())
    passages = split_articles(load_articles(content))
    with tempfile.TemporaryDirectory() as tmp:
        dense = IndexStore(Path(tmp)).build(passages, embedder)
    searcher = HybridSearcher(passages, dense, embedder, vocabulary=load_vocabulary(content))
    texts = [normalise(p.text) for p in searcher.passages]
    sets: dict[str, list[Row]] = {}
    for name, path in SETS.items():
        questions: list[EvalQuestion] = load_questions(path)
        asked = [q.question for q in questions]
        expanded = embedder.encode([searcher.vocabulary.expand(q) for q in asked])
        rows = []
        for q, f, e in zip(questions, searcher.features_batch(asked), expanded, strict=True):
            gold = [normalise(g) for g in q.gold]
            rows.append(
                f
                | {
                    "q": q,
                    "lexical_plain": searcher.lexical.scores(q.question),
                    "dense_vocab": e @ searcher._passage_vectors.T,
                    "gold": np.array([any(g and g in t for g in gold) for t in texts]),
                }
            )
        sets[name] = rows
    return searcher, sets


def z(s: np.ndarray) -> np.ndarray:
    sd = float(s.std())
    return (s - s.mean()) / sd if sd > 1e-9 else s * 0.0


def rrf(*signals: np.ndarray, k: int = 60) -> np.ndarray:
    total = np.zeros(len(signals[0]))
    for s in signals:
        ranks = np.empty(len(s))
        ranks[np.argsort(-s, kind="stable")] = np.arange(1, len(s) + 1)
        total += 1.0 / (k + ranks)
    return total


def top_norm(s: np.ndarray) -> np.ndarray:
    top = float(s.max())
    return s / top if top > 0 else s


def zsum(*names: str) -> Scorer:
    return lambda r: sum(z(r[n].astype("float64")) for n in names)


METHODS: dict[str, Scorer] = {
    "dense": lambda r: r["dense"],
    "best sentence": lambda r: r["sentence"],
    "late interaction (LI)": lambda r: r["tokens"],
    "LI + vocabulary": lambda r: r["tokens_vocab"],
    "BM25": lambda r: r["lexical_plain"],
    "BM25 + vocabulary": lambda r: r["lexical"],
    "dense, vocabulary-expanded q": lambda r: r["dense_vocab"],
    "hand weights d+s+2LI+.8BM25 (before)": lambda r: (
        r["dense"] + r["sentence"] + 2 * r["tokens"] + 0.8 * top_norm(r["lexical_plain"])
    ),
    "hand weights, + vocabulary": lambda r: (
        r["dense"] + r["sentence"] + 2 * r["tokens_vocab"] + 0.8 * top_norm(r["lexical"])
    ),
    "RRF d,s,LI,BM25": lambda r: rrf(r["dense"], r["sentence"], r["tokens"], r["lexical_plain"]),
    "RRF d,s,LIv,BM25v": lambda r: rrf(r["dense"], r["sentence"], r["tokens_vocab"], r["lexical"]),
    "RRF d,s,LIv,BM25v k=10": lambda r: rrf(
        r["dense"], r["sentence"], r["tokens_vocab"], r["lexical"], k=10
    ),
    "RRF d,s,LI,LIv,BM25v": lambda r: rrf(
        r["dense"], r["sentence"], r["tokens"], r["tokens_vocab"], r["lexical"]
    ),
    "z-sum d,s,LI,BM25": zsum("dense", "sentence", "tokens", "lexical_plain"),
    "z-sum d,s,LIv,BM25v": zsum("dense", "sentence", "tokens_vocab", "lexical"),
    "z-sum d,s,LI,LIv,BM25v (shipped)": zsum(*SearchTuning().signals),
    "z-sum dv,s,LI,LIv,BM25v": zsum("dense_vocab", "sentence", "tokens", "tokens_vocab", "lexical"),
}
LEARNED = ("dense", "sentence", "tokens", "tokens_vocab", "lexical")


def learned_ranker(rows: list[Row]) -> Scorer:
    """Logistic regression over the signals' z-scores and reciprocal ranks."""

    def x(r: Row) -> np.ndarray:
        cols = []
        for n in LEARNED:
            s = r[n].astype("float64")
            ranks = np.empty(len(s))
            ranks[np.argsort(-s, kind="stable")] = np.arange(1, len(s) + 1)
            cols += [z(s), 10.0 / (10 + ranks)]
        return np.stack(cols, 1)

    train = [r for r in rows if r["q"].gold]
    model = LogisticRegression(C=0.1, max_iter=3000, class_weight="balanced")
    model.fit(np.concatenate([x(r) for r in train]), np.concatenate([r["gold"] for r in train]))
    return lambda r: model.decision_function(x(r))


def rank_metrics(
    searcher: HybridSearcher, rows: list[Row], scorer: Scorer, answers: list[bool] | None = None
) -> tuple[float, float, float]:
    """hit@1, hit@3, MRR@10 over answerable questions, with the shipped diversification;
    a question the abstention rule (answers) declines counts as a miss."""
    firsts = []
    for i, r in enumerate(rows):
        if not r["q"].gold:
            continue
        if answers is not None and not answers[i]:
            firsts.append(None)
            continue
        score = scorer(r)
        ranked = [int(j) for j in np.argsort(-score, kind="stable")]
        shown = searcher._diverse_order(ranked, score, limit=10)[:10]
        firsts.append(next((k for k, j in enumerate(shown, 1) if r["gold"][j]), None))
    n = max(len(firsts), 1)
    return (
        sum(f == 1 for f in firsts) / n,
        sum(f is not None and f <= 3 for f in firsts) / n,
        sum(1 / f for f in firsts if f) / n,
    )


def cell(m: tuple[float, float, float]) -> str:
    return f"{m[0]:.2f}/{m[1]:.2f}/{m[2]:.2f}"


def ranking_table(searcher: HybridSearcher, sets: dict[str, list[Row]]) -> None:
    names = list(sets)
    print("\n## Ranking (hit@1/hit@3/MRR@10, no abstention), per set; worst = lowest MRR")
    print(f"{'method':38}" + "".join(f"{n:>16}" for n in names) + f"{'worst':>16}")
    table: dict[str, list[tuple[float, float, float]]] = {}

    def show(name: str, cells: list[tuple[float, float, float]]) -> None:
        worst = min(cells, key=lambda c: c[2])
        print(f"{name:38}" + "".join(f"{cell(c):>16}" for c in cells) + f"{cell(worst):>16}")

    for name, scorer in METHODS.items():
        table[name] = [rank_metrics(searcher, sets[n], scorer) for n in names]
        show(name, table[name])
    cells = []
    for held in names:
        train = [r for n in names if n != held for r in sets[n]]
        cells.append(rank_metrics(searcher, sets[held], learned_ranker(train)))
    show("logistic ranker (fit on other two)", cells)
    cells, chosen = [], []
    for i, held in enumerate(names):
        others = [j for j in range(len(names)) if j != i]
        best = max(table, key=lambda m: float(np.mean([table[m][j][2] for j in others])))
        chosen.append(f"{held}: {best}")
        cells.append(table[best][i])
    show("CV-selected (best on other two)", cells)
    print("   chosen per held-out set: " + "; ".join(chosen))


def abstention_curve(searcher: HybridSearcher, sets: dict[str, list[Row]]) -> None:
    """Best-sentence cosine cut-off (and a word shared with the library): fixed cut-offs
    (no fitting), then the cut-off fitted on two sets (highest that keeps their false
    abstain <= the budget) scored on the third."""
    names = list(sets)
    scorer = METHODS["z-sum d,s,LI,LIv,BM25v (shipped)"]

    def outcome(rows: list[Row], cut: float) -> tuple[float, str, str, list[bool]]:
        answers = [
            float(r["sentence"].max()) >= cut and float(r["lexical"].max()) > 0 for r in rows
        ]
        kinds = [r["q"].kind for r in rows]
        fa = [not a for a, r in zip(answers, rows, strict=True) if r["q"].gold]
        unc = [not a for a, k in zip(answers, kinds, strict=True) if k is QuestionKind.UNCOVERED]
        off = [not a for a, k in zip(answers, kinds, strict=True) if k is QuestionKind.OFF_TOPIC]
        return (
            sum(fa) / max(len(fa), 1),
            f"{sum(unc)}/{len(unc)}",
            f"{sum(off)}/{len(off)}",
            answers,
        )

    print("\n## Abstention: best-sentence cut-off (false abstain, uncovered, off-topic abstained)")
    for cut in (0.20, 0.24, 0.26, 0.28, 0.30, 0.32, 0.34, 0.36, 0.40):
        parts = []
        for n in names:
            fa, unc, off, _ = outcome(sets[n], cut)
            parts.append(f"{n}: FA {fa:.2f} unc {unc:>5} off {off:>5}")
        print(f"cut {cut:.2f}   " + "   ".join(parts))
    print("\n## Abstention cut-off fitted on two sets, scored on the third (with ranking)")
    for budget in (0.0, 0.03, 0.05, 0.10):
        parts = []
        for held in names:
            train = [r for n in names if n != held for r in sets[n] if r["q"].gold]
            best = np.sort([float(r["sentence"].max()) for r in train])
            cut = float(best[int(np.floor(budget * len(best)))])
            fa, unc, off, answers = outcome(sets[held], cut)
            m = rank_metrics(searcher, sets[held], scorer, answers)
            parts.append(f"{held}: cut {cut:.2f} {cell(m)} FA {fa:.2f} unc {unc} off {off}")
        print(f"budget {budget:.2f}   " + "   ".join(parts))
    shipped = SearchTuning().answer_sentence
    print(f"\n## Shipped: cut {shipped:.2f}, z-sum fusion (through the same code as coach eval)")
    for n in names:
        fa, unc, off, answers = outcome(sets[n], shipped)
        m = rank_metrics(searcher, sets[n], scorer, answers)
        print(f"{n:5} {cell(m)}  false abstain {fa:.2f}  uncovered {unc}  off-topic {off}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cv", action="store_true", help="print the cross-validation tables")
    parser.add_argument("--content", type=Path, default=ROOT / "content")
    args = parser.parse_args()
    missing = [str(p) for p in SETS.values() if not p.exists()]
    if missing:
        sys.exit(f"question sets not found: {', '.join(missing)}")
    searcher, sets = collect(args.content)
    print(
        f"{len(searcher.passages)} passages from {args.content}; "
        + ", ".join(f"{n}: {len(r)} questions" for n, r in sets.items())
    )
    ranking_table(searcher, sets)
    abstention_curve(searcher, sets)


if __name__ == "__main__":
    main()
