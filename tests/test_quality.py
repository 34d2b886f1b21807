"""Search quality is pinned: `coach eval` on the shared dev set and on our own questions
must stay at or above the figures we reached, so a change cannot silently make it worse."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from index.evaluate import normalise
from index.library import Library
from tests.library_fixtures import REPO_ROOT

DEV_SET = REPO_ROOT.parent / "shared" / "eval" / "dev.jsonl"
OWN_SET = REPO_ROOT / "bench" / "data" / "own_questions.jsonl"

# The targets (the method reaches 0.917 / 0.958 / 0.942 on dev).
DEV_FLOOR = {"hit@1": 0.85, "hit@3": 0.95, "mrr@10": 0.90}
OWN_FLOOR = {"hit@1": 0.78, "hit@3": 0.93, "mrr@10": 0.85}

BOILERPLATE = (
    "guarantee",
    "best wishes",
    "about the author",
    "e-book",
    "thesaleshunter",
    "all rights reserved",
    "share some of your favorite",
    "one-day session",
    "sell well",
)


def _eval(run_coach: Callable[..., CompletedProcess[str]], path: Path) -> dict[str, float]:
    done = run_coach("eval", str(path), "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not DEV_SET.exists(), reason="shared/eval/dev.jsonl is not beside the repo")
def test_dev_set_meets_the_pinned_targets(
    shipped_library: Library, run_coach: Callable[..., CompletedProcess[str]]
) -> None:
    metrics = _eval(run_coach, DEV_SET)
    for key, floor in DEV_FLOOR.items():
        assert metrics[key] >= floor, f"{key} fell to {metrics[key]:.3f} (< {floor})"
    assert metrics["false_abstain"] == 0
    assert metrics["off_topic_abstained"] == metrics["off_topic"] == 4


def test_own_questions_meet_the_pinned_targets(
    shipped_library: Library, run_coach: Callable[..., CompletedProcess[str]]
) -> None:
    metrics = _eval(run_coach, OWN_SET)
    for key, floor in OWN_FLOOR.items():
        assert metrics[key] >= floor, f"{key} fell to {metrics[key]:.3f} (< {floor})"
    assert metrics["false_abstain"] == 0
    assert metrics["off_topic_abstain"] == 1.0


def test_no_shown_passage_is_boilerplate(shipped_library: Library) -> None:
    questions = [
        json.loads(line)["question"]
        for line in OWN_SET.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    questions += ["who wrote this?", "about the author", "free e-book", "guarantee"]
    for result in shipped_library.search_many(questions, 10):
        for hit in result.hits:
            text = normalise(hit.passage.text)
            assert not any(b in text for b in BOILERPLATE), hit.passage.text
            assert len(hit.passage.text.split()) >= 8, "a title or heading alone was shown"
