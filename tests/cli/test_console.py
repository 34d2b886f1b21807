"""The console (`coach console`, `make run` without tokens) as a person at a terminal meets
it, run in a fresh process with piped input."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from index.library import Library
from tests.cli.coach_cli import CELEBRATE, OFF_TOPIC, RunCoach
from tests.library_fixtures import REPO_ROOT


def test_the_console_answers_greetings_and_thanks_as_slack_does(
    shipped_library: Library, run_coach: RunCoach
) -> None:
    """Typed in the console, "hi" and "thanks!" were searched ("I couldn't find anything in
    the coaching library ..."), while the Slack app answers a greeting with its help and a
    thanks with "you're welcome"."""
    script = ["hi", "Hello there!", "\N{WAVING HAND SIGN}", "thanks!", "Thank you so much"]
    proc = run_coach("console", stdin="\n".join(script) + "\n")
    assert proc.returncode == 0, proc.stderr
    blocks = re.split(r"^> ", proc.stdout, flags=re.M)[1:]
    assert [b.splitlines()[0] for b in blocks] == script
    *greetings, thanks, thank_you = blocks
    for reply in greetings:
        assert "/leadership-tip" in reply and "/quote" in reply  # the help
    for reply in (thanks, thank_you):
        assert "You're welcome" in reply
    assert "couldn't find anything" not in proc.stdout


def test_acknowledgements_and_greetings_in_words_are_small_talk_a_question_is_not(
    shipped_library: Library, run_coach: RunCoach
) -> None:
    """ "ok thanks!" got passages on thanking reps for their forecast, "thanks, that helps",
    "good morning" and "hey there, good afternoon" got "I couldn't find anything" (and a
    content gap); a question after a greeting must still be searched."""
    thanks = ["ok thanks!", "thanks, that helps", "great, thank you", "That\u2019s helpful, cheers"]
    greetings = ["good morning", "morning!", "hey there, good afternoon"]
    question = "good morning, how do I run a pipeline review?"
    script = [*thanks, *greetings, question]
    proc = run_coach("console", stdin="\n".join(script) + "\n")
    assert proc.returncode == 0, proc.stderr
    blocks = re.split(r"^> ", proc.stdout, flags=re.M)[1:]
    assert [b.splitlines()[0] for b in blocks] == script
    replies = dict(zip(script, blocks, strict=True))
    for text in thanks:
        assert "You're welcome" in replies[text], text
    for text in greetings:
        assert "/leadership-tip" in replies[text] and "/quote" in replies[text], text
    assert "couldn't find anything" not in proc.stdout
    assert "pipeline review" in replies[question].lower()
    assert "You're welcome" not in replies[question] and "/quote" not in replies[question]


def test_a_long_tip_topic_is_cut_between_words_and_said_as_in_slack(
    shipped_library: Library, run_coach: RunCoach
) -> None:
    """Before: the console searched up to MAX_QUESTION_CHARS of a topic in silence, while
    Slack used its first 200 characters, also in silence."""
    topic = "how do I coach reps who miss quota " + (
        "and keep the whole team motivated through a long quarter " * 5
    )
    proc = run_coach("console", stdin=f"/leadership-tip {topic}\n")
    assert proc.returncode == 0, proc.stderr
    assert "Tip: " in proc.stdout
    assert (
        "(Your topic was over 200 characters, so I used only its first part, "
        "up to \u201c\u2026team motivated through a long\u201d.)"
    ) in proc.stdout


def test_console_with_piped_input(shipped_library: Library, run_coach: RunCoach) -> None:
    script = [
        CELEBRATE,
        "/leadership-tip",
        "/leadership-tip feedback",
        "/quote",
        "/help",
        OFF_TOPIC,
        "/bogus",
        "/quit",
    ]
    after_quit = "Are leaders born or made, really?"
    proc = run_coach("console", stdin="\n".join([*script, after_quit]) + "\n")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    blocks = re.split(r"^> ", out, flags=re.M)[1:]
    assert [b.splitlines()[0] for b in blocks] == script  # each line echoed, then answered
    assert after_quit not in out  # /quit leaves
    answer, tip, topic_tip, quote, help_text, refusal, unknown, _ = blocks
    assert "Unknown command /bogus" in unknown
    assert "Celebration of achievements is essential" in answer and "— “" in answer
    assert tip.splitlines()[1].startswith("Tip: ") and "— “" in tip
    assert "Tip: " in topic_tip and "feedback" in topic_tip.lower()
    assert "Tip: Tip" not in out
    assert re.search(r"“.+”\n\s+— \S", quote)  # quote text, then its author
    assert "/leadership-tip" in help_text and "/quote" in help_text
    assert "couldn't find anything" in refusal


def test_a_console_set_up_from_env_example_prints_no_log_chatter(
    shipped_library: Library, run_coach: RunCoach, tmp_path: Path
) -> None:
    """README: `cp .env.example .env`. Its LOG_LEVEL=INFO line used to count as asking for
    INFO, so the console printed "embedding model loaded" between question and answer."""
    shutil.copy(REPO_ROOT / ".env.example", tmp_path / ".env")
    proc = run_coach("console", stdin=CELEBRATE + "\n", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Celebration of achievements is essential" in proc.stdout
    assert " INFO " not in proc.stderr, proc.stderr
