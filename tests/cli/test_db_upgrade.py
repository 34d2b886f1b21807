"""`coach db upgrade` as an admin runs it, DATABASE_URL from the environment."""

from __future__ import annotations

from typing import Any

import pytest

from tests.pg_fixtures import _free_port


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
