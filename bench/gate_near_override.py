"""Issue 14: should a question very near the curated questions be answered even when its
library score (mean best-sentence cosine over every passage) is under the gate's cut-off?

A short in-domain question ("my team is exhausted after a brutal quarter") can sit far
above the near cut-off and just under the library one: its few words average low against
240 passages. The rule measured: answer also when the mean cosine to the three nearest
curated questions reaches the curated questions' own quantile `share` (set by the library,
like the gate's cut-offs); the out-of-scope map still declines what it declines. Kinds as
`coach eval` reads them; the share chosen by leave-one-set-out, cost = 3 x false-abstain
rate + uncovered answered rate + off-topic answered rate (the shares' rule,
bench/adapt_model.md).

    .venv/bin/python bench/gate_near_override.py
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import numpy as np  # noqa: E402
from quality import SETS  # noqa: E402  (the eight question sets)

from bot.settings import default_model  # noqa: E402
from index.answer_gate import nearest_elsewhere  # noqa: E402
from index.evaluate import QuestionKind, load_questions  # noqa: E402
from index.library import Library  # noqa: E402
from index.search import _near  # noqa: E402

SHARES: tuple[float | None, ...] = (None, 0.75, 0.5, 0.4, 0.3, 0.25, 0.2, 0.1, 0.05)
Row = tuple[QuestionKind, bool, bool, float]  # kind, gate admits, map declines, near


def rows_per_set(library: Library) -> dict[str, list[Row]]:
    s = library.searcher
    # the gate as it was before the rule: the override is what is measured here
    s.__dict__["_gate"] = replace(s._gate, sure=None)
    out: dict[str, list[Row]] = {}
    for name, path in SETS.items():
        questions = load_questions(path)
        features = s.features_batch([q.question for q in questions])
        out[name] = [
            (q.kind, s.should_answer(q.question, f), s.out_of_scope(f) is not None, _near(f))
            for q, f in zip(questions, features, strict=True)
        ]
    return out


def tally(outcomes: Iterable[tuple[QuestionKind, bool]]) -> tuple[int, int, int, int, int, int]:
    """From (kind, answered) pairs: false abstains of answerable, uncovered answered,
    off-topic answered (each of n)."""
    fa = na = ua = nu = oa = no = 0
    for kind, answered in outcomes:
        if kind is QuestionKind.ANSWERABLE:
            fa, na = fa + (not answered), na + 1
        elif kind is QuestionKind.UNCOVERED:
            ua, nu = ua + answered, nu + 1
        else:
            oa, no = oa + answered, no + 1
    return fa, na, ua, nu, oa, no


def counts(rows: list[Row], override: float | None) -> tuple[int, int, int, int, int, int]:
    return tally(
        (kind, (admits or (override is not None and near >= override)) and not declined)
        for kind, admits, declined, near in rows
    )


def cost_of(c: tuple[int, int, int, int, int, int]) -> float:
    """The shares' cost: 3 x false-abstain rate + uncovered and off-topic answered rates."""
    fa, na, ua, nu, oa, no = c
    return 3 * fa / max(na, 1) + ua / max(nu, 1) + oa / max(no, 1)


def cost(rows: list[Row], override: float | None) -> float:
    return cost_of(counts(rows, override))


def shown(c: tuple[int, int, int, int, int, int]) -> str:
    return "FA {}/{}, uncovered answered {}/{}, off-topic answered {}/{}".format(*c)


def main() -> None:
    with tempfile.TemporaryDirectory() as data:
        library = Library.open(ROOT / "content", Path(data), default_model())
        s = library.searcher
        curated = nearest_elsewhere(s._asked_vectors, s.asked.sections)
        sets = rows_per_set(library)
    cut = {sh: None if sh is None else float(np.quantile(curated, sh)) for sh in SHARES}
    print("## pooled over the eight sets, per share (None: shipped, no override)")
    for share, h in cut.items():
        pooled = [r for rows in sets.values() for r in rows]
        at = "-" if h is None else f"{h:.3f}"
        print(f"share {share} (near >= {at}): {shown(counts(pooled, h))}")
    print("\n## leave-one-set-out (ties: the higher share, the fewer answers overridden)")
    held_total = [0] * 6
    shipped_total = [0] * 6
    for held in sets:
        train = [r for n, rows in sets.items() if n != held for r in rows]
        best = min(SHARES, key=lambda sh: (round(cost(train, cut[sh]), 9), -(sh or 1.0)))
        c, base = counts(sets[held], cut[best]), counts(sets[held], None)
        held_total = [a + b for a, b in zip(held_total, c, strict=True)]
        shipped_total = [a + b for a, b in zip(shipped_total, base, strict=True)]
        print(f"{held:5} chose {best}: {shown(c)}   shipped: {shown(base)}")
    print(f"pooled held-out: {shown(tuple(held_total))}")  # type: ignore[arg-type]
    print(f"pooled shipped:  {shown(tuple(shipped_total))}")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
