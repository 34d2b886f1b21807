"""Cross-validated evidence behind index/search.py: every ranking method tried, per held-out
question set, the worst set, and the abstention trade-off curve.

    .venv/bin/python bench/quality.py --cv [--content DIR] [--model library|bundled]

`--model library` (the default) embeds as `coach` does: EMBEDDING_MODEL (the bundled
all-MiniLM-L6-v2 when unset) with the library's adapter applied (CONTENT_DIR/model/,
index/adapter.py); `bundled` leaves the adapter out (the tables of earlier bench notes).

Sets: ../shared/eval/dev.jsonl, ../shared/eval/dev2.jsonl, bench/data/own_questions.jsonl,
bench/data/own2_questions.jsonl, bench/data/own3_questions.jsonl,
bench/data/own4_questions.jsonl, bench/data/own5_questions.jsonl and
bench/data/own6_questions.jsonl (held out: written before any measurement; own3 to own6 each
by two writers who read only the articles; own5 only answerable questions on the five seed
articles; own6 written after every choice, as a measurement). A method with
no free parameter scores the same whether a set is held out or not; a method that learns
(logistic ranker, abstention threshold) is fitted on the other sets and scored on the one
held out, in rotation. "CV-selected" picks, for each held-out set, the method with the best
mean MRR on the others. Tables give each held-out set, the worst and the mean. Abstention counts as
a miss for answerable questions, as in `coach eval`.

Abstention is judged on two libraries, so that a cut-off which only fits one size shows:
the shipped content and the seed library the shared sets were written against (articles
added before GROWN_FROM). A question is answerable for a library when one of its gold
phrases is in it (so own and own2 questions on the newer articles are uncovered in the seed
library); bench/data/dev2_grown_library.jsonl gives the gold phrases, in articles
added since, of dev2 questions written as "uncovered" that those articles now answer.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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
from index.asked import AskedQuestions  # noqa: E402
from index.content import load_articles  # noqa: E402
from index.embedder import Embedder  # noqa: E402
from index.evaluate import EvalQuestion, QuestionKind, load_questions, normalise  # noqa: E402
from index.library import library_embedder  # noqa: E402
from index.passages import split_articles  # noqa: E402
from index.search import FUSED_SIGNALS, HybridSearcher, SearchTuning  # noqa: E402
from index.store import IndexStore  # noqa: E402
from index.vocabulary import load_vocabulary  # noqa: E402

SETS = {
    "dev": ROOT.parent / "shared/eval/dev.jsonl",
    "dev2": ROOT.parent / "shared/eval/dev2.jsonl",
    "own": ROOT / "bench/data/own_questions.jsonl",
    "own2": ROOT / "bench/data/own2_questions.jsonl",
    "own3": ROOT / "bench/data/own3_questions.jsonl",
    "own4": ROOT / "bench/data/own4_questions.jsonl",
    "own5": ROOT / "bench/data/own5_questions.jsonl",
    "own6": ROOT / "bench/data/own6_questions.jsonl",
}
GROWN_GOLD = ROOT / "bench/data/dev2_grown_library.jsonl"
GROWN_FROM = "2026-11-25"  # articles added from this day on grew the five seed articles
Row = dict  # one question's signals over all passages, plus its gold mask
Scorer = Callable[[Row], np.ndarray]
ANSWER, UNCOVERED, OFF = QuestionKind.ANSWERABLE, QuestionKind.UNCOVERED, QuestionKind.OFF_TOPIC


def seed_library(content: Path, into: Path) -> Path:
    """A copy of `content` without the articles added from GROWN_FROM on."""
    shutil.copytree(content, into)
    for article in load_articles(content):
        if article.meta.added and str(article.meta.added) >= GROWN_FROM:
            (into / Path(article.path).resolve().relative_to(content.resolve())).unlink()
    return into


def collect(content: Path, embedder: Embedder) -> tuple[HybridSearcher, dict[str, list[Row]]]:
    passages = split_articles(load_articles(content))
    with tempfile.TemporaryDirectory() as tmp:
        dense = IndexStore(Path(tmp)).build(passages, embedder)
    asked = AskedQuestions.of(load_articles(content))
    searcher = HybridSearcher(
        passages, dense, embedder, vocabulary=load_vocabulary(content), asked=asked
    )
    texts = [normalise(p.text) for p in searcher.passages]
    articles = [normalise(a.body) for a in load_articles(content)]
    grown = {}
    for line in GROWN_GOLD.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            grown[item["id"]] = item["gold"]
    sets: dict[str, list[Row]] = {}
    for name, path in SETS.items():
        questions: list[EvalQuestion] = load_questions(path)
        asked = [q.question for q in questions]
        expanded = embedder.encode([searcher.vocabulary.expand(q) for q in asked])
        rows = []
        for q, f, e in zip(questions, searcher.features_batch(asked), expanded, strict=True):
            phrases = list(q.gold) + (grown.get(q.id, []) if name == "dev2" else [])
            gold = [normalise(g) for g in phrases]
            mask = np.array([any(g and g in t for g in gold) for t in texts])
            # The library decides: a question whose gold is in one of its articles is
            # answerable (even when a passage split cuts the phrase: then it is a miss, as in
            # `coach eval`); an in-domain one whose gold is nowhere in it should abstain.
            if any(g and g in a for g in gold for a in articles):
                kind = ANSWER
            else:
                kind = OFF if q.kind is OFF else UNCOVERED
            rows.append(
                f
                | {
                    "q": q,
                    "kind": kind,
                    "lexical_plain": searcher.lexical.scores(q.question),
                    "dense_vocab": e @ searcher._passage_vectors.T,
                    "gold": mask,
                }
            )
        sets[name] = rows
    return searcher, sets


def both_libraries(
    content: Path, embedder: Embedder
) -> dict[str, tuple[HybridSearcher, dict[str, list[Row]]]]:
    """The shipped library ("grown") and its five seed articles ("seed"), each with its rows."""
    libs = {}
    with tempfile.TemporaryDirectory() as tmp:
        seed = seed_library(content, Path(tmp) / "seed")
        for lib, folder in (("grown", content), ("seed", seed)):
            libs[lib] = collect(folder, embedder)
    return libs


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


def shipped(r: Row) -> np.ndarray:
    """The shipped fusion: SearchTuning's signals, each z-score times its weight."""
    tuning = SearchTuning()
    return sum(tuning.weight(n) * z(r[n].astype("float64")) for n in tuning.signals)


SHIPPED = "z-sum d,s,LI,LIv,BM25v + 2 asked + passage's own (shipped)"


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
    "z-sum d,s,LI,LIv,BM25v (before asked)": zsum(*FUSED_SIGNALS),
    "z-sum d,s,LI,LIv,BM25v + 2 asked (before passage's own)": lambda r: (
        zsum(*FUSED_SIGNALS)(r) + 2 * z(r["asked"].astype("float64"))
    ),
    SHIPPED: shipped,
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

    train = [r for r in rows if r["kind"] is ANSWER]
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
        if r["kind"] is not ANSWER:
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


def summary(
    cells: list[tuple[float, float, float]],
) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """The worst set (lowest MRR@10) and the mean over the sets."""
    worst = min(cells, key=lambda c: c[2])
    mean = (
        float(np.mean([c[0] for c in cells])),
        float(np.mean([c[1] for c in cells])),
        float(np.mean([c[2] for c in cells])),
    )
    return worst, mean


def held_out_choice(
    table: dict[str, list[tuple[float, float, float]]],
) -> tuple[list[tuple[float, float, float]], list[str]]:
    """Cross-validation over the question sets: for each set in turn, the row of `table`
    (candidate -> metrics per set, in SETS order) with the best mean MRR@10 on the other
    sets, and its metrics on the held-out one. So no choice is scored on the set it was made
    on. Returns (held-out metrics per set, the candidate chosen for each)."""
    cells, chosen = [], []
    for held in range(len(next(iter(table.values())))):
        best = max(
            table,
            key=lambda m: float(np.mean([c[2] for j, c in enumerate(table[m]) if j != held])),
        )
        chosen.append(best)
        cells.append(table[best][held])
    return cells, chosen


def chosen_line(chosen: list[str]) -> str:
    """What held_out_choice picked, by held-out set."""
    return "   chosen per held-out set: " + "; ".join(
        f"{held}: {best}" for held, best in zip(SETS, chosen, strict=True)
    )


def ranking_table(searcher: HybridSearcher, sets: dict[str, list[Row]]) -> None:
    names = list(sets)
    print("\n## Ranking (hit@1/hit@3/MRR@10, no abstention), per set; worst = lowest MRR")
    print(f"{'method':38}" + "".join(f"{n:>16}" for n in names + ["worst", "mean"]))
    table: dict[str, list[tuple[float, float, float]]] = {}

    def show(name: str, cells: list[tuple[float, float, float]]) -> None:
        print(f"{name:38}" + "".join(f"{cell(c):>16}" for c in cells + list(summary(cells))))

    for name, scorer in METHODS.items():
        table[name] = [rank_metrics(searcher, sets[n], scorer) for n in names]
        show(name, table[name])
    cells = []
    for held in names:
        train = [r for n in names if n != held for r in sets[n]]
        cells.append(rank_metrics(searcher, sets[held], learned_ranker(train)))
    show("logistic ranker (fit on the others)", cells)
    cells, chosen = held_out_choice(table)
    show("CV-selected (best on the others)", cells)
    print(chosen_line(chosen))


def library_score(r: Row) -> float:
    """What search.should_answer compares with SearchTuning.answer_library."""
    return float(r["sentence"].mean())


def outcome(rows: list[Row], cut: float) -> tuple[float, str, str, list[bool]]:
    """False abstain rate, uncovered and off-topic abstained, and the answers, at `cut`."""
    answers = [library_score(r) >= cut for r in rows]
    fa = [not a for a, r in zip(answers, rows, strict=True) if r["kind"] is ANSWER]
    unc = [not a for a, r in zip(answers, rows, strict=True) if r["kind"] is UNCOVERED]
    off = [not a for a, r in zip(answers, rows, strict=True) if r["kind"] is OFF]
    return (
        sum(fa) / max(len(fa), 1),
        f"{sum(unc)}/{len(unc)}",
        f"{sum(off)}/{len(off)}",
        answers,
    )


def fit_cut(rows: list[Row]) -> float:
    """The cut-off with the fewest errors on `rows`, a false abstain weighing three times an
    answered off-topic question (the issue's hard limits); uncovered questions do not vote:
    no cut-off separates them from paraphrased answerable ones (see the curve)."""
    scores = np.array([library_score(r) for r in rows])
    answerable = np.array([r["kind"] is ANSWER for r in rows])
    off = np.array([r["kind"] is OFF for r in rows])

    def cost(cut: float) -> float:
        return 3 * float((scores[answerable] < cut).mean()) + float((scores[off] >= cut).mean())

    return min(np.unique(scores), key=cost)


def abstention_curve(
    searchers: dict[str, HybridSearcher],
    libraries: dict[str, dict[str, list[Row]]],
    *,
    adapted: bool = False,
) -> None:
    """The library score (mean best-sentence cosine over the passages) at fixed cut-offs on
    both libraries, then the cut-off fitted on three sets (both libraries) and scored on the
    fourth, with the ranking. With the adapted model the shipped gate is not this fixed
    cut-off but the one the library sets from its curated questions (bench/adapt_abstain.py;
    `coach eval` runs it)."""
    names = list(SETS)
    scorer = METHODS[SHIPPED]
    print("\n## Abstention trade-off: cut-off on the library score (false abstain, uncovered")
    print("## abstained, off-topic abstained), per library and set")
    for cut in (0.06, 0.08, 0.09, 0.096, 0.10, 0.11, 0.12, 0.14, 0.16, 0.18, 0.20, 0.24):
        parts = []
        for lib, sets in libraries.items():
            for n in names:
                fa, unc, off, _ = outcome(sets[n], cut)
                parts.append(f"{lib} {n}: FA {fa:.2f} unc {unc:>5} off {off:>5}")
        print(f"cut {cut:.3f}  " + "  ".join(parts))
    print("\n## Cut-off fitted on the other sets (both libraries), scored on the one held out")
    print("   (hit@1/hit@3/MRR@10 with abstention, false abstain, uncovered, off-topic)")
    cells: dict[str, list[tuple[float, float, float]]] = {lib: [] for lib in libraries}
    for held in names:
        train = [r for sets in libraries.values() for n in names if n != held for r in sets[n]]
        cut = float(fit_cut(train))
        for lib, sets in libraries.items():
            fa, unc, off, answers = outcome(sets[held], cut)
            m = rank_metrics(searchers[lib], sets[held], scorer, answers)
            cells[lib].append(m)
            print(f"{lib:6} {held:5} cut {cut:.3f}  {cell(m)}  FA {fa:.2f}  unc {unc}  off {off}")
    for lib, ms in cells.items():
        worst, mean = summary(ms)
        print(f"{lib:6} worst held-out {cell(worst)}   mean {cell(mean)}")
    shipped = SearchTuning().answer_library
    what = "the bundled model's fixed cut (not the adapted model's gate)" if adapted else "cut"
    print(f"\n## Shipped: {what} {shipped:.3f}, z-sum fusion")
    for lib, sets in libraries.items():
        for n in names:
            fa, unc, off, answers = outcome(sets[n], shipped)
            m = rank_metrics(searchers[lib], sets[n], scorer, answers)
            print(f"{lib:6} {n:5} {cell(m)}  false abstain {fa:.2f}  uncovered {unc}  off {off}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cv", action="store_true", help="print the cross-validation tables")
    parser.add_argument("--content", type=Path, default=ROOT / "content")
    parser.add_argument("--model", choices=("library", "bundled"), default="library")
    args = parser.parse_args()
    missing = [str(p) for p in SETS.values() if not p.exists()]
    if missing:
        sys.exit(f"question sets not found: {', '.join(missing)}")
    base = os.environ.get("EMBEDDING_MODEL") or default_model()
    searchers: dict[str, HybridSearcher] = {}
    libraries: dict[str, dict[str, list[Row]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        embedder = (
            library_embedder(base, args.content, Path(tmp) / "model")
            if args.model == "library"
            else Embedder(base)
        )
        print(f"model: {embedder.model_name} ({args.model})")
        seed = seed_library(args.content, Path(tmp) / "seed")
        for lib, content in (("grown", args.content), ("seed", seed)):
            searchers[lib], libraries[lib] = collect(content, embedder)
    searcher, sets = searchers["grown"], libraries["grown"]
    print(
        f"{len(searcher.passages)} passages from {args.content} "
        f"({len(searchers['seed'].passages)} in the seed library); "
        + ", ".join(f"{n}: {len(r)} questions" for n, r in sets.items())
    )
    ranking_table(searcher, sets)
    abstention_curve(searchers, libraries, adapted=embedder.model_name != base)


if __name__ == "__main__":
    main()
