"""The curator's report without Slack: gaps merged by meaning, the JSON contract, the eval
export and retention. The weekly post: test_weekly_post.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.gaps.cluster import merge_gaps
from bot.gaps.report import write_eval
from bot.gaps.service import Gaps
from bot.slack.messages.gaps import gaps_section
from bot.store.asked import AskedQuestions
from bot.store.tables import AskOutcome, asked_questions, feedback, feedback_reasons
from index.embedder import Embedder
from index.evaluate import load_questions
from tests.gaps.asked_rows import count, fill


def test_near_duplicates_merge_by_meaning_and_different_needs_stay_apart(
    lib_embedder: Embedder,
) -> None:
    gaps = merge_gaps(
        [
            "How do I design commission accelerators?",
            "what crm should we buy",
            "Which CRM should we buy?",
            "how can i design commision accelerators for reps",
            "What CRM should we buy?",
            "How do I set quotas fairly?",
        ],
        lib_embedder.encode,
    )
    assert [(g.question, g.count) for g in gaps] == [
        ("what crm should we buy", 3),
        ("How do I design commission accelerators?", 2),
        ("How do I set quotas fairly?", 1),
    ]


def test_without_a_model_only_identical_wordings_merge() -> None:
    gaps = merge_gaps(["Which CRM?", "which crm", "What CRM to buy?"], None)
    assert [(g.question, g.count) for g in gaps] == [("Which CRM?", 2), ("What CRM to buy?", 1)]


def test_a_need_asked_with_a_greeting_or_thanks_is_one_gap_shown_without_them(
    lib_embedder: Embedder,
) -> None:
    gaps = merge_gaps(
        [
            "hey coach, quick question: which CRM should we buy? thanks!",
            "Which CRM should we buy?",
            "hi! which crm should we buy thx",
            "How do I set quotas fairly?",
        ],
        None,  # identical wordings only: the chatter alone kept them apart
    )
    assert [(g.question, g.count) for g in gaps] == [
        ("which CRM should we buy?", 3),
        ("How do I set quotas fairly?", 1),
    ]


def test_report_counts_gaps_and_reasons(engine: Engine, lib_embedder: Embedder) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    fill(engine, now)
    report = Gaps(engine, lib_embedder.encode, 90).report(7).to_json()
    assert report["questions"] == 5
    assert (report["answered"], report["abstained"]) == (3, 2)
    assert (report["helpful"], report["not_helpful"]) == (1, 1)
    gaps = report["gaps"]
    assert [(g["question"], g["count"]) for g in gaps] == [
        ("Which CRM should we buy?", 2),
        ("How do I handle change resistance?", 1),
    ]
    assert gaps[0]["last_asked"] == (now - timedelta(days=1)).isoformat()
    assert datetime.fromisoformat(gaps[1]["last_asked"]) >= now  # voted on just now
    assert report["reasons"] == [
        {
            "question": "How do I handle change resistance?",
            "reason": "a script for the first team meeting, mail [e-mail]",
        }
    ]
    assert set(report) == {
        "since", "questions", "answered", "abstained", "helpful", "not_helpful", "gaps", "reasons",
        "left_to_others",
    }  # fmt: skip
    assert "U1" not in json.dumps(report)  # who asked is never in a report


def test_eval_export_is_read_by_coach_eval(engine: Engine, tmp_path: Path) -> None:
    fill(engine, datetime.now(UTC))
    report = Gaps(engine, None, 90).report(7)
    path = tmp_path / "gaps.jsonl"
    assert write_eval(path, report.gaps) == 3
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert all(set(r) == {"id", "question", "gold", "kind"} for r in rows)
    assert all(r["gold"] == [] and r["kind"] == "uncovered" for r in rows)
    loaded = load_questions(path)
    assert [q.question for q in loaded] == [g.question for g in report.gaps]
    assert len({q.id for q in loaded}) == 3
    # the same question keeps its id in the next export, so filled-in gold stays with it
    write_eval(tmp_path / "again.jsonl", report.gaps)
    assert (tmp_path / "again.jsonl").read_text() == path.read_text()


def test_retention_deletes_old_questions_votes_and_reasons(engine: Engine) -> None:
    fill(engine, datetime.now(UTC))
    gaps = Gaps(engine, None, retention_days=90)
    assert gaps.sweep()["asked_questions"] == 0
    assert count(engine, asked_questions) == 6
    # 91 days later everything is past retention
    removed = gaps.sweep(datetime.now(UTC) + timedelta(days=91))
    assert removed == {
        "asked_questions": 6,
        "feedback": 2,
        "feedback_reasons": 1,
        "slack_answered_threads": 0,
    }
    assert count(engine, asked_questions) == count(engine, feedback) == 0
    assert count(engine, feedback_reasons) == 0


def test_short_retention_keeps_only_recent_rows(engine: Engine) -> None:
    fill(engine, datetime.now(UTC))
    Gaps(engine, None, retention_days=7).sweep()
    assert count(engine, asked_questions) == 5  # the 30-day-old question is gone


# ---- coach report ------------------------------------------------------------------------------
def test_questions_left_to_others_are_counted_by_topic_not_listed_as_gaps(
    engine: Engine, run_coach: Any
) -> None:
    """A question the out-of-scope map declined is not content to add: the curator sees
    how often each topic was asked instead (in case the library should cover it after all)."""
    asked = AskedQuestions(engine)
    rows = [
        ("is our non-compete enforceable?", AskOutcome.DECLINED, "non-competes"),
        ("can we enforce a non-solicit?", AskOutcome.DECLINED, "non-competes"),
        ("what visa does a Toronto hire need?", AskOutcome.DECLINED, "visas"),
        ("Which CRM should we buy?", AskOutcome.ABSTAINED, None),
    ]
    for i, (text, outcome, topic) in enumerate(rows):
        row = asked.row(
            channel="C1", ts=f"3.{i}", question=text, outcome=outcome, declined_topic=topic
        )
        asked.record(row)
    report = Gaps(engine, None, 90).report(7).to_json()
    assert (report["questions"], report["answered"], report["abstained"]) == (4, 0, 4)
    assert [(g["question"], g["count"]) for g in report["gaps"]] == [
        ("Which CRM should we buy?", 1)
    ]
    assert report["left_to_others"] == [
        {"topic": "non-competes", "count": 2},
        {"topic": "visas", "count": 1},
    ]
    table = run_coach("report", env={"DATABASE_URL": str(engine.url)})
    assert table.returncode == 0, table.stderr
    assert "Left to others" in table.stdout and "non-competes" in table.stdout
    assert "non-compete enforceable" not in table.stdout  # a topic, not a gap to fill
    home = json.dumps(gaps_section(Gaps(engine, None, 90).report(7), days=7))
    assert "non-competes (2)" in home and "visas (1)" in home


def test_coach_report_json_table_and_eval_out(
    run_coach: Any, engine: Engine, tmp_path: Path
) -> None:
    fill(engine, datetime.now(UTC))
    env = {"DATABASE_URL": str(engine.url)}
    done = run_coach("report", "--json", "--eval-out", str(tmp_path / "gaps.jsonl"), env=env)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["questions"], report["answered"], report["abstained"]) == (5, 3, 2)
    assert report["gaps"][0]["question"] == "Which CRM should we buy?"
    assert report["gaps"][0]["count"] == 2
    assert len(load_questions(tmp_path / "gaps.jsonl")) == 2
    table = run_coach("report", "--days", "60", env=env)
    assert table.returncode == 0, table.stderr
    assert "Which CRM should we buy?" in table.stdout
    assert "An old question" in table.stdout  # 30 days old: inside --days 60
    assert "a script for the first team meeting" in table.stdout
    for private in ("U0", "U1", "xoxb", "@"):
        assert private not in table.stdout + done.stdout


def test_coach_report_names_an_unusable_database(run_coach: Any, tmp_path: Path) -> None:
    done = run_coach("report", env={"DATABASE_URL": "nosuchdb://x"})
    assert done.returncode == 1
    assert "DATABASE_URL" in done.stderr and "Traceback" not in done.stderr


GAP = "How should I design commission accelerators for my reps?"


ARTICLE = """## What an accelerator is for

An accelerator raises the commission rate once a rep passes quota, so the best month of the
year is also the best paid. Set the first step at full quota and a steeper one above it.

## Keeping it affordable

Cap the accelerated rate or the period it applies to, and run last year's results through
the new plan before you announce it. Reps trust a plan they can work out on a napkin.
"""


def test_an_exported_gap_shows_answered_in_eval_once_an_article_covers_it(
    engine: Engine, lib_embedder: Embedder, lib_data_dir: Path, shipped_library: Any, tmp_path: Path
) -> None:
    """README "Finding what the library is missing": export the gaps, add an article, fill
    in a gold phrase, and `coach eval`'s scoring finds the new passage first."""
    import shutil

    from index.evaluate import evaluate
    from index.library import Library
    from tests.library_fixtures import copy_content, write_article

    asked = AskedQuestions(engine)
    asked.record(
        asked.row(channel="C1", ts="1.1", question=GAP, outcome=AskOutcome.ABSTAINED, user_id="U1")
    )
    path = tmp_path / "gaps.jsonl"
    write_eval(path, Gaps(engine, lib_embedder.encode, 90).report(7).gaps)
    before = evaluate(load_questions(path), lambda q: shipped_library.search(q, 10))
    assert before.metrics()["uncovered"] == 1  # exported as not answerable yet

    content = copy_content(tmp_path / "content")
    write_article(content, "commission-accelerators", ARTICLE, title="Designing Accelerators")
    shutil.copytree(lib_data_dir / "index", tmp_path / "index")  # only the new passages embed
    library = Library.open(
        content, tmp_path / "index", lib_embedder.model_name, embedder=lib_embedder
    )
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    rows[0].update(gold=["raises the commission rate once a rep passes quota"], kind="answerable")
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    after = evaluate(load_questions(path), lambda q: library.search(q, 10)).metrics()
    assert (after["answerable"], after["hit@1"]) == (1, 1.0)


def test_a_question_row_the_database_refuses_is_logged_not_raised(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    asked = AskedQuestions(engine)
    asked_questions.drop(engine)  # the leader already has the answer: only the row is lost
    stored = asked.record(
        asked.row(channel="C7", ts="7.7", question="q", outcome=AskOutcome.ABSTAINED)
    )
    assert stored is False
    assert "could not record the question 7.7 in C7" in caplog.text


def test_greetings_thanks_and_help_are_not_content_gaps_nor_counted_as_questions(
    engine: Engine,
) -> None:
    """Rows an older version recorded (and *Coach me on this* on a "thanks!") made "hi",
    "thanks!" and "help" the curator's top content gaps; hidden from the gaps, they were still
    counted: "7 questions, 0% answered" over one real question the library missed."""
    asked = AskedQuestions(engine)
    now = datetime.now(UTC)
    rows = [
        *((text, AskOutcome.ABSTAINED) for text in ["hi", "Hello!", "thanks!", "help", "?"]),
        ("Thank you so much", AskOutcome.ABSTAINED),
        ("good morning", AskOutcome.ABSTAINED),
        ("ok thanks!", AskOutcome.ANSWERED),  # an older version found passages on "thank"
        ("Which CRM should we buy?", AskOutcome.ABSTAINED),
        ("How do I motivate my team?", AskOutcome.ANSWERED),
    ]
    for i, (text, outcome) in enumerate(rows):
        asked.record(
            asked.row(
                channel="C1",
                ts=f"3.{i}",
                question=text,
                outcome=outcome,
                at=now - timedelta(hours=1),
            )
        )
    report = Gaps(engine, None, 90).report(7).to_json()
    assert [g["question"] for g in report["gaps"]] == ["Which CRM should we buy?"]
    assert (report["questions"], report["answered"], report["abstained"]) == (2, 1, 1)
