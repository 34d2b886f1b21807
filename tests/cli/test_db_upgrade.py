"""`coach db upgrade` as an admin runs it, DATABASE_URL from the environment."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.pg_fixtures import _free_port
from tests.slack_fixtures import serve_env
from tests.slack_stub import SlackStub


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://coach:hunter2@127.0.0.1:{port}/coach",
        "postgresql://coach@127.0.0.1:{port}/coach?password=hunter2",
    ],
)
def test_coach_db_upgrade_on_an_unreachable_database_is_one_line(run_coach: Any, url: str) -> None:
    """psycopg's advice ("Is the server running on that host...?") came as a second line, and
    a password given as `?password=` was shown."""
    proc = run_coach("db", "upgrade", env={"DATABASE_URL": url.format(port=_free_port())})
    assert proc.returncode == 1
    lines = [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: DATABASE_URL=") and "Connection refused" in lines[0]
    assert "hunter2" not in lines[0] and "Traceback" not in lines[0]


@pytest.mark.parametrize("command", [("db", "upgrade"), ("report",)])
def test_a_password_with_an_at_sign_not_encoded_is_one_line_showing_none_of_it(
    run_coach: Any, command: tuple[str, ...]
) -> None:
    """The password's part after its @ was taken for the host and shown twice: "DATABASE_URL=
    postgresql+psycopg://coach:***@secret-tail@127.0.0.1:…: cannot use this database: failed
    to resolve host 'secret-tail@127.0.0.1'"."""
    url = f"postgresql://coach:p@secret-tail@127.0.0.1:{_free_port()}/coach"
    proc = run_coach(*command, env={"DATABASE_URL": url})
    assert proc.returncode == 1
    lines = [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: DATABASE_URL is not valid") and "%40" in lines[0]
    assert "secret-tail" not in proc.stdout + proc.stderr


@pytest.mark.parametrize("command", [("db", "upgrade"), ("report",)])
def test_a_data_dir_that_is_a_file_is_one_line_naming_the_database(
    run_coach: Any, tmp_path: Any, command: tuple[str, ...]
) -> None:
    """The default SQLite file's folder (DATA_DIR) could not be made: `coach db upgrade` was
    a FileExistsError traceback, `coach report` said '[Errno 17] File exists'."""
    data = tmp_path / "data"
    data.write_text("not a folder\n")
    proc = run_coach(*command, env={"DATA_DIR": str(data)})
    assert proc.returncode == 1
    assert proc.stderr == (
        f"error: DATABASE_URL=sqlite:///{data}/coach.db: cannot use this database: "
        f"cannot make its folder {data} (it is a file)\n"
    )


def damage_past_the_schema(database: Path) -> None:
    """Handled events filling pages after the schema's, then those last pages overwritten,
    as a disk or a half-made copy leaves a file: the schema still reads."""
    conn = sqlite3.connect(database)
    with conn:
        conn.executemany(
            "INSERT INTO slack_handled_events (key, kind, text, status, created_at) "
            "VALUES (?, 'mention', ?, 'done', '2026-11-27 09:00:00')",
            [(f"event:Ev{i:05d}", "how do I motivate my reps? " * 40) for i in range(400)],
        )
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    size = database.stat().st_size
    with database.open("r+b") as file:
        file.seek(size - 8 * 4096)
        file.write(b"\xa5" * 8 * 4096)


@pytest.mark.parametrize("command", [("db", "upgrade"), ("report",)])
def test_a_damaged_sqlite_file_is_one_line_naming_it_and_what_to_do(
    run_coach: Any, tmp_path: Path, command: tuple[str, ...]
) -> None:
    """Before, a file damaged past its schema passed the start: coach serve took questions
    and answered each one 503 until Slack gave up on it (with a traceback in the log), and
    coach report said 'database disk image is malformed' with nothing on what to do."""
    assert run_coach("db", "upgrade", env={"DATA_DIR": str(tmp_path)}).returncode == 0
    database = tmp_path / "coach.db"
    damage_past_the_schema(database)
    proc = run_coach(*command, env={"DATA_DIR": str(tmp_path)})
    assert proc.returncode == 1
    assert proc.stdout == "" and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(
        f"error: DATABASE_URL=sqlite:///{database}: cannot use this database: "
    )
    assert proc.stderr.count("\n") == 1
    assert f"move {database} aside" in proc.stderr


def test_coach_serve_refuses_a_damaged_sqlite_file_before_taking_questions(
    slack_stub: SlackStub, tmp_path: Path, run_coach: Any
) -> None:
    """`coach serve` as README starts it: one line and exit 1, not a replica that acks
    nothing (every question 503) and logs a traceback."""
    assert run_coach("db", "upgrade", env={"DATA_DIR": str(tmp_path)}).returncode == 0
    database = tmp_path / "coach.db"
    damage_past_the_schema(database)
    coach = Path(sys.executable).with_name("coach")
    result = subprocess.run(
        [str(coach), "serve"],
        capture_output=True,
        text=True,
        env=serve_env(slack_stub, tmp_path, PORT=str(_free_port())),
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 1
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert f"could not start: DATABASE_URL=sqlite:///{database}: cannot use" in lines[0]
    assert f"move {database} aside" in lines[0]
