"""`coach eval`: a question file's metrics as JSON and as a table, `--explain`, and a
malformed file named by line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from index.library import Library
from tests.cli.coach_cli import CELEBRATE, OFF_TOPIC, ON_TOPIC, CoachInProcess, RunCoach


def _write_eval_file(path: Path) -> Path:
    rows = [
        {"id": "t1", "question": ON_TOPIC, "gold": ["Leaders are made rather than born"]},
        {"id": "t2", "question": CELEBRATE, "gold": ["Celebration of achievements is essential"]},
        {"id": "t3", "question": "Which planet has the most moons?", "gold": []},
        {"id": "t4", "question": OFF_TOPIC, "gold": []},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_eval_json_metrics(
    shipped_library: Library, coach_in_process: CoachInProcess, tmp_path: Path
) -> None:
    proc = coach_in_process("eval", str(_write_eval_file(tmp_path / "small.jsonl")), "--json")
    assert proc.exit_code == 0, proc.output
    metrics = json.loads(proc.stdout)
    for key in ("hit@1", "hit@3", "mrr@10", "false_abstain", "off_topic_abstain"):
        assert isinstance(metrics[key], float | int), key
        assert 0.0 <= metrics[key] <= 1.0
    assert (metrics["questions"], metrics["answerable"], metrics["off_topic"]) == (4, 2, 2)
    assert metrics["hit@3"] == 1.0
    assert metrics["false_abstain"] == 0.0
    assert metrics["off_topic_abstain"] == 1.0


def test_eval_table_and_explain(
    shipped_library: Library, coach_in_process: CoachInProcess, tmp_path: Path
) -> None:
    path = _write_eval_file(tmp_path / "small.jsonl")
    with path.open("a", encoding="utf-8") as handle:  # a gold phrase no passage holds: a miss
        handle.write(json.dumps({"id": "t5", "question": ON_TOPIC, "gold": ["zebra xylophone"]}))
    proc = coach_in_process("eval", str(path), "--explain")
    assert proc.exit_code == 0, proc.output
    for label in ("hit@1", "hit@3", "mrr@10", "false_abstain", "off-topic abstain"):
        assert label in proc.stdout
    assert "3 / 0 / 2" in proc.stdout  # answerable / uncovered / off-topic
    assert "t5" in proc.stdout and "no passage contains a gold phrase" in proc.stdout


def test_eval_of_only_uncovered_questions_shows_no_rates_rather_than_zeros(
    shipped_library: Library, coach_in_process: CoachInProcess, tmp_path: Path
) -> None:
    """README's gap loop: `coach eval gaps.jsonl` before any gold is filled in. It showed
    hit@1 0.000, hit@3 0.000, MRR@10 0.000, as if search had found nothing."""
    gaps = tmp_path / "gaps.jsonl"
    gap = {"id": "gap-1", "question": OFF_TOPIC, "gold": [], "kind": "uncovered"}
    gaps.write_text(json.dumps(gap) + "\n")
    proc = coach_in_process("eval", str(gaps))
    assert proc.exit_code == 0, proc.output
    assert re.search(r"hit@1\s+│\s+-\s", proc.stdout), proc.stdout
    assert "0.000" not in proc.stdout
    assert "need answerable questions" in proc.stdout
    assert re.search(r"uncovered abstain\s+│\s+1\.000 \(1 of 1\)", proc.stdout)


def test_eval_json_of_only_uncovered_questions_gives_no_rates_rather_than_zeros(
    shipped_library: Library, coach_in_process: CoachInProcess, tmp_path: Path
) -> None:
    """The gap loop's file as a script reads it: `coach eval gaps.jsonl --json` gave
    "hit@1": 0.0, "mrr@10": 0.0 and "off_topic_abstain": 0.0 of no such questions, which
    reads as search finding nothing, where the table shows "-". A rate of none is null."""
    gaps = tmp_path / "gaps.jsonl"
    gap = {"id": "gap-1", "question": OFF_TOPIC, "gold": [], "kind": "uncovered"}
    gaps.write_text(json.dumps(gap) + "\n")
    proc = coach_in_process("eval", str(gaps), "--json")
    assert proc.exit_code == 0, proc.output
    metrics = json.loads(proc.stdout)
    for key in ("hit@1", "hit@3", "mrr@10", "false_abstain", "off_topic_abstain"):
        assert metrics[key] is None, key
    assert (metrics["uncovered"], metrics["uncovered_abstain"]) == (1, 1.0)


def test_eval_rejects_a_malformed_question_file(run_coach: RunCoach, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a", "question": "ok", "gold": []}\nnot json\n', encoding="utf-8")
    proc = run_coach("eval", str(path), "--json")
    assert proc.returncode == 1
    assert "bad.jsonl:2" in proc.stderr


def test_eval_explain_prints_passage_ids_and_bracketed_questions_as_text(
    shipped_library: Library, coach_in_process: CoachInProcess, tmp_path: Path
) -> None:
    """Rich markup once ate each `[passage-id]` and crashed on a question holding `[/]`."""
    path = tmp_path / "brackets.jsonl"
    question = "what does [/] mean when [bold]leaders[/bold] are born or made?"
    row = {"id": "b1", "question": question, "gold": ["zebra xylophone"]}
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    proc = coach_in_process("eval", str(path), "--explain", env={"COLUMNS": "400"})
    assert proc.exit_code == 0, proc.output
    assert question in proc.stdout
    shown = re.findall(r"shown \d \([\d.-]+\) \[([^\]]+)\]", proc.stdout)
    assert len(shown) == 3 and all(pid.split("#")[0] for pid in shown), proc.stdout


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ('["how do I coach?", ["coach weekly"]]', 'expected {"question": ..., "gold": [...]}'),
        ('"how do I coach?"', 'expected {"question": ..., "gold": [...]}'),
        (
            '{"question": "how do I coach?", "gold": "coach weekly"}',
            'gold must be a list of phrases, like ["coach weekly"]',
        ),
    ],
    ids=["a-list", "a-string", "gold-as-text"],
)
def test_eval_names_the_line_of_a_question_not_written_as_an_object_with_a_gold_list(
    run_coach: RunCoach, tmp_path: Path, line: str, why: str
) -> None:
    """A line that was a JSON list or string ended `coach eval` in an AttributeError
    traceback; gold written as one text, not a list, was read letter by letter, and since
    every passage holds an "e" every such question scored as found first."""
    path = tmp_path / "gaps.jsonl"
    path.write_text('{"question": "ok", "gold": []}\n' + line + "\n", encoding="utf-8")
    proc = run_coach("eval", str(path))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert f"{path}:2: not a question object ({why})" in proc.stderr
