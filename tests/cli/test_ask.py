"""`coach ask`: the JSON contract a script reads, the human output, and the one-line errors of
a missing model or library."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from index.library import Library
from tests.cli.coach_cli import (
    CELEBRATE,
    OFF_TOPIC,
    ON_TOPIC,
    OUT_OF_SCOPE,
    CoachInProcess,
    RunCoach,
)


def _is_score(value: object) -> bool:
    return isinstance(value, float | int) and not isinstance(value, bool)


def test_ask_json_contract(shipped_library: Library, run_coach: RunCoach) -> None:
    long = "How do I keep my sales team motivated? " * 1100  # over 40,000 characters
    questions = [
        ON_TOPIC,
        OFF_TOPIC,
        "",
        "  <!channel> how do I motivate my reps?  ",
        long.strip(),
        CELEBRATE,
        OUT_OF_SCOPE,
    ]
    proc = run_coach("ask", "--json", "-k", "2", stdin="\n".join(questions) + "\n")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == len(questions)
    objects = [json.loads(line) for line in lines]
    assert [o["question"] for o in objects] == questions  # in order, as typed
    assert [o["answered"] for o in objects] == [True, False, False, True, True, True, False]
    declined = objects.pop()  # the curator's out-of-scope map says who to ask instead
    assert declined["passages"] == [] and set(declined["out_of_scope"]) == {"topic", "ask"}
    for obj in objects:
        assert set(obj) == {"question", "answered", "passages"}
        assert isinstance(obj["question"], str) and isinstance(obj["answered"], bool)
        assert isinstance(obj["passages"], list)
        if not obj["answered"]:
            assert obj["passages"] == []
            continue
        assert [p["rank"] for p in obj["passages"]] == [1, 2]
        for passage in obj["passages"]:
            assert set(passage) == {"rank", "score", "text", "article"}
            assert isinstance(passage["rank"], int) and _is_score(passage["score"])
            assert isinstance(passage["text"], str) and passage["text"]
            article = passage["article"]
            assert set(article) == {"id", "title", "author", "source"}
            assert isinstance(article["id"], str) and isinstance(article["title"], str)
            assert article["author"] is None or isinstance(article["author"], str)
            assert article["source"] is None or isinstance(article["source"], str)
            assert article["id"] in {a.meta.id for a in shipped_library.articles}
    born = objects[0]["passages"][0]
    assert "Leaders are made rather than born" in born["text"]
    assert born["article"]["title"] == "Sales Management vs. Sales Leadership"


def test_ask_human_output_cites_sources(
    shipped_library: Library, coach_in_process: CoachInProcess
) -> None:
    proc = coach_in_process("ask", stdin=f"{ON_TOPIC}\n{OFF_TOPIC}\n")
    assert proc.exit_code == 0, proc.output
    answer, _, refusal = proc.stdout.partition(f"Q: {OFF_TOPIC}")
    assert f"Q: {ON_TOPIC}" in answer
    assert re.search(r"^1\. ", answer, re.M) and re.search(r"^3\. ", answer, re.M)
    assert answer.count("— “") == 3  # every passage carries its citation
    assert "— “Sales Management vs. Sales Leadership”" in answer
    assert "couldn't find anything in the coaching library" in refusal
    assert "Try asking about:" in refusal
    assert "— “" not in refusal


def test_ask_json_says_a_cut_question_on_stderr_only(
    shipped_library: Library, coach_in_process: CoachInProcess
) -> None:
    """`coach ask` said "searched its first N characters" of a long question, `--json` said
    nothing at all; now one line on stderr says it, and stdout is the JSON as it was."""
    long = "How do I keep my sales team motivated and engaged? " * 40  # 2,040 characters
    searched = len(shipped_library.search(long, 3).question)
    note = f"(Your question was long, so I searched its first {searched} characters.)"
    human = coach_in_process("ask", long)
    assert human.exit_code == 0, human.output
    assert note in human.stdout
    one = coach_in_process("ask", "--json", long)
    assert one.exit_code == 0, one.output
    [line] = one.stdout.splitlines()
    assert set(json.loads(line)) == {"question", "answered", "passages"}
    assert one.stderr.splitlines() == [note]
    piped = coach_in_process("ask", "--json", stdin=f"{ON_TOPIC}\n{long}\n")
    assert piped.exit_code == 0, piped.output
    assert [json.loads(x)["question"] for x in piped.stdout.splitlines()] == [ON_TOPIC, long]
    assert piped.stderr.splitlines() == [f"line 2: {note}"]


def test_ask_an_empty_question_says_how_to_ask(coach_in_process: CoachInProcess) -> None:
    proc = coach_in_process("ask", "   ")
    assert proc.exit_code == 2
    assert "Nothing to answer" in proc.stderr and "coach ask" in proc.stderr
    assert proc.stdout == "", "the hint is not an answer: a script reading stdout gets nothing"
    assert "couldn't find anything" not in proc.output


def test_ask_shows_search_top_k_passages_unless_k_is_given(
    shipped_library: Library, coach_in_process: CoachInProcess
) -> None:
    """SEARCH_TOP_K is "passages per answer" for `coach ask` as for the bot and console."""
    proc = coach_in_process("ask", "--json", ON_TOPIC, env={"SEARCH_TOP_K": "2"})
    assert proc.exit_code == 0, proc.output
    assert len(json.loads(proc.stdout)["passages"]) == 2
    proc = coach_in_process("ask", "--json", "-k", "4", ON_TOPIC, env={"SEARCH_TOP_K": "2"})
    assert len(json.loads(proc.stdout)["passages"]) == 4


def test_a_missing_embedding_model_folder_is_one_line_naming_the_setting(
    run_coach: RunCoach, tmp_path: Path
) -> None:
    """It imported torch, asked the Hugging Face hub and logged three warnings over 20 s,
    then said 'could not be loaded: Repo id must use alphanumeric chars'."""
    missing = str(tmp_path / "no-such-model")
    proc = run_coach(
        "ask", "how do I coach?", env={"EMBEDDING_MODEL": missing, "DATA_DIR": str(tmp_path)}
    )
    assert proc.returncode == 1
    [line] = proc.stderr.splitlines()
    assert line.startswith(f"error: EMBEDDING_MODEL={missing!r} is not valid"), line
    assert "folder that exists" in line and "Repo id" not in line


@pytest.mark.parametrize("case", ["empty folder", "missing folder"])
def test_empty_library_is_a_clear_error(run_coach: RunCoach, tmp_path: Path, case: str) -> None:
    content = tmp_path / "content"
    if case == "empty folder":
        content.mkdir()
    proc = run_coach("ask", "how do I coach?", env={"CONTENT_DIR": str(content)})
    assert proc.returncode == 1
    [line] = proc.stderr.splitlines()
    if case == "empty folder":
        assert line == f"error: {content}: no articles (*.md) found; add one and rebuild the index"
    else:  # a mistyped CONTENT_DIR was told to "add one" article to a folder that is not there
        assert line.startswith(f"error: CONTENT_DIR={content}: no such folder"), line


def test_ask_answers_emoji_greetings_and_thanks_as_slack_does(
    shipped_library: Library, coach_in_process: CoachInProcess
) -> None:
    """`coach ask "🙂🙂"` (or "hi", or "help") said "I couldn't find anything in the coaching
    library that answers that", while Slack and the console answer it with the usage help;
    a thanks got the same, where they say "you're welcome"."""
    for asked in ("\N{SLIGHTLY SMILING FACE}\N{SLIGHTLY SMILING FACE}", "hi", "help"):
        proc = coach_in_process("ask", asked)
        assert proc.exit_code == 0, proc.output
        assert "couldn't find anything" not in proc.stdout
        assert "ask me a question about sales leadership" in proc.stdout
        assert re.search(r'^  coach ask ".+\?"$', proc.stdout, re.M), proc.stdout  # examples
    thanks = coach_in_process("ask", "ok thanks!")
    assert thanks.stdout.startswith("You're welcome!"), thanks.stdout
    piped = coach_in_process("ask", stdin=f"\N{WAVING HAND SIGN}\n{ON_TOPIC}\n")
    greeting, _, answer = piped.stdout.partition(f"Q: {ON_TOPIC}")
    assert "ask me a question about sales leadership" in greeting
    assert answer.count("— “") == 3  # the question after it is answered as before
