"""`coach report` (and `coach quote schedule list`) when the database cannot be read: one line
naming DATABASE_URL, never its password."""

from __future__ import annotations

import pytest

from tests.cli.coach_cli import CoachInProcess, RunCoach


@pytest.mark.parametrize("command", [("report",), ("quote", "schedule", "list")])
def test_unreachable_database_hides_the_password(run_coach: RunCoach, command: tuple[str]) -> None:
    """Commands that read the database name DATABASE_URL when it cannot be opened, but
    never print its password (the error line lands in terminals and CI logs)."""
    url = "postgresql://coach:hunter2@127.0.0.1:1/nowhere?connect_timeout=5"
    proc = run_coach(*command, env={"DATABASE_URL": url})
    assert proc.returncode == 1
    assert "DATABASE_URL=" in proc.stderr and "nowhere" in proc.stderr
    assert "hunter2" not in proc.stderr + proc.stdout
    assert "Traceback" not in proc.stderr


def test_report_hides_the_password_when_the_database_fails_mid_report(
    coach_in_process: CoachInProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.cli import report
    from bot.gaps.service import Gaps

    def lost(*_: object) -> None:
        raise RuntimeError("server closed the connection unexpectedly")

    monkeypatch.setattr(report, "open_engine", lambda settings: None)
    monkeypatch.setattr(Gaps, "report", lost)
    url = "postgresql://coach:hunter2@db.example:5432/coach"
    proc = coach_in_process("report", env={"DATABASE_URL": url})
    assert proc.exit_code == 1
    assert "DATABASE_URL=" in proc.stderr and "closed the connection" in proc.stderr
    assert "hunter2" not in proc.output + proc.stderr
