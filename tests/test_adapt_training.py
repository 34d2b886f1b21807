"""The training behind `coach index adapt` (index/adapt_training.py): batches whose in-batch
negatives are never right answers, and a run that the same seed repeats exactly (so the
shipped adapter can be made again from the library)."""

from __future__ import annotations

import random
from dataclasses import astuple
from pathlib import Path

import numpy as np

from bot.settings import default_model
from index.adapt_training import Pair, batches, fine_tune, plan_steps, tuned_weights


def _pairs() -> list[Pair]:
    pairs = [
        Pair(f"question {i} of section {g}", f"passage text of section {g}, part {i % 2}", str(g))
        for g in range(12)
        for i in range(g % 4 + 1)
    ]
    # a query found word for word in another section's passage: never in its batch
    pairs.append(Pair("passage text of section 3", "an unrelated passage", "quoted"))
    return pairs


def test_no_batch_holds_two_pairs_of_a_section_or_a_query_inside_another_document() -> None:
    pairs = _pairs()
    plan = batches(pairs, 5, random.Random(13))
    assert sorted(astuple(p) for b in plan for p in b) == sorted(map(astuple, pairs))  # once each
    for batch in plan:
        assert len(batch) <= 5
        assert len({p.group for p in batch}) == len(batch)
        for a in batch:
            assert not any(a is not b and a.query in b.document for b in batch)
    assert plan == batches(pairs, 5, random.Random(13))  # the seed fixes the plan
    assert plan != batches(pairs, 5, random.Random(14))
    assert plan_steps(pairs, seed=13, epochs=2, size=5) == 2 * len(plan)


def test_the_same_seed_trains_the_same_weights() -> None:
    pairs = [p for p in _pairs() if p.query.startswith("question 0 ")][:3]  # one batch
    base = Path(default_model())

    def run(seed: int) -> dict[str, np.ndarray]:
        return tuned_weights(fine_tune(pairs, str(base), seed=seed, epochs=1, size=4), base)

    first, again, other = run(13), run(13), run(14)
    name = "encoder.layer.0.attention.self.query.weight"
    assert all(np.array_equal(first[k], again[k]) for k in first)
    assert not np.array_equal(first[name], other[name])
