"""Text that is not UTF-8 (a question file saved as Latin-1, a terminal in another code page):
`coach ask`, the console and `coach eval` answer what they can and say what is wrong, never a
traceback that loses the other questions' answers."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from index.library import Library
from tests.library_fixtures import COACH, REPO_ROOT

GOOD = "Are leaders born or made?"
LATIN1 = "Comment motiver mon équipe de vente ?".encode("latin-1")  # é is one byte, 0xE9


def _coach(
    coach_env: dict[str, str], *args: str, stdin: bytes = b"", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [str(COACH), *args],
        input=stdin,
        capture_output=True,
        env={**coach_env, **(env or {})},
        cwd=REPO_ROOT,
        timeout=300,
    )


# Python reads stdin with errors="surrogateescape" under a C/UTF-8 locale, "strict" under
# PYTHONIOENCODING=utf-8: both used to end in a traceback
@pytest.mark.parametrize("io_env", [{}, {"PYTHONIOENCODING": "utf-8:strict"}])
def test_ask_json_answers_every_line_of_input_that_is_not_utf8(
    shipped_library: Library, coach_env: dict[str, str], io_env: dict[str, str]
) -> None:
    stdin = GOOD.encode() + b"\n" + LATIN1 + b"\n" + GOOD.encode() + b"\n"
    proc = _coach(coach_env, "ask", "--json", stdin=stdin, env=io_env)
    stderr = proc.stderr.decode(errors="replace")
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr
    objects = [json.loads(line) for line in proc.stdout.decode("utf-8").splitlines()]
    assert len(objects) == 3  # one per line, in order
    assert objects[0]["question"] == GOOD and objects[0]["answered"]
    assert objects[1]["question"] == "Comment motiver mon \ufffdquipe de vente ?"
    assert objects[2]["question"] == GOOD and objects[2]["answered"]


def test_ask_with_a_question_argument_that_is_not_utf8(
    shipped_library: Library, coach_env: dict[str, str]
) -> None:
    # the shell passes the bytes as typed; Python hands them over as lone surrogates
    question = LATIN1.decode("utf-8", "surrogateescape")
    proc = _coach(coach_env, "ask", "--json", question)
    stderr = proc.stderr.decode(errors="replace")
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr
    [answer] = [json.loads(line) for line in proc.stdout.decode("utf-8").splitlines()]
    assert answer["question"] == "Comment motiver mon \ufffdquipe de vente ?"


def test_console_keeps_going_after_a_line_that_is_not_utf8(
    shipped_library: Library, coach_env: dict[str, str]
) -> None:
    proc = _coach(coach_env, "console", stdin=LATIN1 + b"\n" + GOOD.encode() + b"\n")
    stderr = proc.stderr.decode(errors="replace")
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr
    out = proc.stdout.decode("utf-8")
    assert "> Comment motiver mon \ufffdquipe de vente ?" in out
    _, _, answer = out.partition(f"> {GOOD}\n")
    assert answer.startswith("1. ") and "— “" in answer  # the next question is answered, cited


def test_eval_file_that_is_not_utf8_names_the_line(
    coach_env: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "questions.jsonl"
    good = json.dumps({"id": "a", "question": GOOD, "gold": ["made rather than born"]})
    path.write_bytes(good.encode() + b'\n{"id": "b", "question": "' + LATIN1 + b'", "gold": []}\n')
    proc = _coach(coach_env, "eval", str(path))
    stderr = proc.stderr.decode(errors="replace")
    assert proc.returncode == 1
    assert "Traceback" not in stderr
    assert f"{path}:2: not UTF-8 text" in stderr
