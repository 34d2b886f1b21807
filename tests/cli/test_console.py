"""The console (`coach console`, `make run` without tokens) as a person at a terminal meets
it, run in a fresh process with piped input."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable

from index.library import Library

RunCoach = Callable[..., subprocess.CompletedProcess[str]]


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
