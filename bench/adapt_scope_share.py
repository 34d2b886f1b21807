"""The abstention shares with the library's adapted model, judged through what `coach eval`
runs (the shipped library, search_many, index.evaluate): the out-of-scope map's share
(`SearchTuning.out_of_scope_share`), the answer gate's near share and library share, on a
grid, and the triple chosen on the other seven sets scored on the one held out (issue 14).

    .venv/bin/python bench/adapt_scope_share.py

Choice rule: lowest 3 x false-abstain rate + uncovered answered rate + off-topic answered
rate, the other seven sets pooled; ties to the shipped triple.
"""

from __future__ import annotations

import dataclasses
import itertools
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
from index.evaluate import QuestionKind, evaluate, load_questions  # noqa: E402
from index.library import Library  # noqa: E402

SCOPE_SHARES = (0.005, 0.01, 0.02, 0.03, 0.05)
NEAR_SHARES = (0.002, 0.005, 0.01)
LIBRARY_SHARES = (0.001, 0.002, 0.005, 0.01)
Counts = tuple[int, int, int, int, int, int, float, int]  # fa, n, unc, n, off, n, hit1 sum, n


def counts(report) -> Counts:  # noqa: ANN001 - index.evaluate.EvalReport
    ans = report.of_kind(QuestionKind.ANSWERABLE)
    unc = report.of_kind(QuestionKind.UNCOVERED)
    off = report.of_kind(QuestionKind.OFF_TOPIC)
    m = report.metrics()
    return (
        sum(o.abstained for o in ans),
        len(ans),
        sum(o.abstained for o in unc),
        len(unc),
        sum(o.abstained for o in off),
        len(off),
        float(m.get("hit@1") or 0) * len(ans),
        len(ans),
    )


def cost(cells: list[Counts]) -> float:
    fa, n, unc, nu, off, no = (sum(c[i] for c in cells) for i in range(6))
    return 3 * fa / max(n, 1) + (nu - unc) / max(nu, 1) + (no - off) / max(no, 1)


def main() -> None:
    with tempfile.TemporaryDirectory() as data:
        library = Library.open(ROOT / "content", Path(data) / "index", default_model())
        searcher = library.searcher
        shipped = searcher.tuning
        sets = {n: load_questions(p) for n, p in quality.SETS.items()}
        table: dict[tuple[float, float, float], dict[str, Counts]] = {}
        for scope, near, whole in itertools.product(SCOPE_SHARES, NEAR_SHARES, LIBRARY_SHARES):
            searcher.tuning = dataclasses.replace(
                shipped, out_of_scope_share=scope, near_share=near, library_share=whole
            )
            for cached in ("_own_margin", "_text_margin", "_gate"):
                searcher.__dict__.pop(cached, None)
            row = {}
            for name, questions in sets.items():
                texts = [q.question for q in questions]
                results = dict(zip(texts, library.search_many(texts, 10), strict=False))
                row[name] = counts(evaluate(questions, lambda q, r=results: r[q]))
            table[(scope, near, whole)] = row
            total = [sum(c[i] for c in row.values()) for i in range(8)]
            print(
                f"scope {scope:.3f} near {near:.3f} library {whole:.3f}: FA {total[0]}/{total[1]} "
                f"uncovered {total[2]}/{total[3]} off-topic {total[4]}/{total[5]} "
                f"hit@1 {total[6]:.0f} | "
                + "  ".join(f"{n} {c[0]} {c[2]}/{c[3]} {c[4]}/{c[5]}" for n, c in row.items()),
                flush=True,
            )
    print("\n## chosen on the other seven, scored on the held-out set (FA, uncovered, off-topic)")
    key0 = (shipped.out_of_scope_share, shipped.near_share, shipped.library_share)
    for held in sets:
        best = min(
            table,
            key=lambda k: (cost([c for n, c in table[k].items() if n != held]), k != key0),
        )
        c = table[best][held]
        print(
            f"{held:5} chose scope {best[0]} near {best[1]} library {best[2]}: FA {c[0]}/{c[1]} "
            f"uncovered {c[2]}/{c[3]} off-topic {c[4]}/{c[5]}"
        )


if __name__ == "__main__":
    main()
