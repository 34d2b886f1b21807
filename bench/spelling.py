"""Issue 14: questions typed with typos, with and without the correction of index/spelling.py.

No question set has many typos, so they are made: in each question, `n` content words of
five letters or more each get one keyboard slip (two letters swapped, one dropped, one
doubled, or one replaced by a neighbouring key), at random with a fixed seed. Every set is
scored as typed (n = 0), and with one and two slips per question, over several seeds. The
correction's two knobs (`MIN_LETTERS`, `LONG_WORD`) are chosen by leave-one-set-out on the
mean MRR@10 of the slipped questions. Clean questions must not move.

    .venv/bin/python bench/spelling.py            # about 8 minutes

Results: bench/spelling.md.
"""

from __future__ import annotations

import os
import random
import re
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import numpy as np  # noqa: E402
from quality import SETS  # noqa: E402  (the eight question sets)

import index.spelling as spelling  # noqa: E402
from bot.settings import default_model  # noqa: E402
from index.evaluate import EvalQuestion, evaluate, load_questions  # noqa: E402
from index.lexical import STOPWORDS  # noqa: E402
from index.library import Library  # noqa: E402
from index.search import HybridSearcher  # noqa: E402

SEEDS = (7, 11)
KEYS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
GRID = [(m, long) for m in (4, 5, 6) for long in (7, 8, 99)]  # 99: never two edits


def neighbour(c: str, rng: random.Random) -> str:
    for row in KEYS:
        i = row.find(c)
        if i >= 0:
            return rng.choice([row[j] for j in (i - 1, i + 1) if 0 <= j < len(row)])
    return c


def slip(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("swap", "drop", "double", "key"))
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    return word[:i] + neighbour(word[i], rng) + word[i + 1 :]


def with_slips(question: str, n: int, rng: random.Random) -> str:
    found = re.finditer(r"[A-Za-z]{5,}", question)
    words = [m for m in found if m.group().lower() not in STOPWORDS]
    rng.shuffle(words)
    for m in sorted(words[:n], key=lambda m: -m.start()):
        question = question[: m.start()] + slip(m.group(), rng) + question[m.end() :]
    return question


class AsTyped:
    def correct(self, text: str) -> str:
        return text


def score(s: HybridSearcher, questions: list[EvalQuestion]) -> dict[str, float]:
    texts = [q.question for q in questions]
    found = dict(zip(texts, s.search_many(texts, k=10), strict=True))
    m = evaluate(questions, lambda t: found[t]).metrics()
    return {k: float(m[k] or 0) for k in ("hit@1", "mrr@10", "false_abstain")}


def main() -> None:
    with tempfile.TemporaryDirectory() as data:
        s = Library.open(ROOT / "content", Path(data), default_model()).searcher
        corrector = s._speller
        sets = {name: load_questions(path) for name, path in SETS.items()}
        slipped = {
            (name, n, seed): [
                replace(q, question=with_slips(q.question, n, random.Random(f"{seed}{q.id}")))
                for q in qs
            ]
            for name, qs in sets.items()
            for n in (1, 2)
            for seed in SEEDS
        }

        def run(label: str) -> dict[tuple[str, int], dict[str, float]]:
            out = {(name, 0): score(s, qs) for name, qs in sets.items()}
            for n in (1, 2):
                for name in sets:
                    runs = [score(s, slipped[(name, n, seed)]) for seed in SEEDS]
                    out[(name, n)] = {k: float(np.mean([r[k] for r in runs])) for k in runs[0]}
            print(f"done {label}", file=sys.stderr)
            return out

        s.__dict__["_speller"] = AsTyped()
        results = {"as typed": run("as typed")}
        for m, long in GRID:
            spelling.MIN_LETTERS, spelling.LONG_WORD = m, long
            s.__dict__["_speller"] = corrector
            results[f"{m}/{long}"] = run(f"{m}/{long}")

    def cell(r: dict[tuple[str, int], dict[str, float]], name: str, n: int) -> str:
        x = r[(name, n)]
        return f"{x['hit@1']:.2f}/{x['mrr@10']:.2f}/{x['false_abstain']:.2f}"

    print("hit@1/MRR@10/false abstain; slips per question 0 | 1 | 2 (mean of seeds)")
    for label, r in results.items():
        print(f"\n## {label}")
        for name in sets:
            print(f"{name:5} " + " | ".join(cell(r, name, n) for n in (0, 1, 2)))
        for n in (0, 1, 2):
            mean = np.mean([r[(name, n)]["mrr@10"] for name in sets])
            worst = min(sets, key=lambda name: r[(name, n)]["mrr@10"])
            print(f"slips {n}: mean MRR {mean:.3f}, worst {worst} {cell(r, worst, n)}")
    print("\n## leave-one-set-out over the grid (mean MRR@10 of 1 and 2 slips)")
    grid = [f"{m}/{long}" for m, long in GRID]

    def slipped_mrr(label: str, names: list[str]) -> float:
        r = results[label]
        return float(np.mean([r[(name, n)]["mrr@10"] for name in names for n in (1, 2)]))

    for held in sets:
        others = [name for name in sets if name != held]
        best = max(grid, key=lambda g: slipped_mrr(g, others))
        base, chosen = results["as typed"], results[best]
        print(
            f"{held:5} chose {best}: slips 1 {cell(chosen, held, 1)} (as typed "
            f"{cell(base, held, 1)}), slips 2 {cell(chosen, held, 2)} (as typed "
            f"{cell(base, held, 2)}), clean {cell(chosen, held, 0)} (as typed "
            f"{cell(base, held, 0)})"
        )


if __name__ == "__main__":
    main()
