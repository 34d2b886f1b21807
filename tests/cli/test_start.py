"""`coach run` and `coach serve` at start: without Slack tokens `run` opens the console; a
misconfigured start is one line naming the setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.library import Library
from tests.cli.coach_cli import RunCoach


def test_run_without_slack_tokens_starts_the_console(
    shipped_library: Library, run_coach: RunCoach
) -> None:
    proc = run_coach("run", stdin="/help\n")
    assert proc.returncode == 0, proc.stderr
    assert "No SLACK_BOT_TOKEN set" in proc.stderr
    assert "/leadership-tip" in proc.stdout


@pytest.mark.parametrize(
    ("command", "env", "setting"),
    [
        ("serve", {}, "SLACK_BOT_TOKEN"),
        ("serve", {"SLACK_BOT_TOKEN": "xoxb-1-2"}, "SLACK_SIGNING_SECRET"),
        ("run", {"SLACK_BOT_TOKEN": "xoxb-1-2"}, "SLACK_SIGNING_SECRET"),
        ("serve", {"SLACK_BOT_TOKEN": "xoxb-1-2", "SLACK_APP_TOKEN": "xoxb-3"}, "SLACK_APP_TOKEN"),
        # before: sent to auth.test, which a user token (xoxp-) passes: it ran as that person
        ("serve", {"SLACK_BOT_TOKEN": "xapp-1-2", "SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN"),
        ("run", {"SLACK_BOT_TOKEN": "xoxp-1-2", "SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN"),
    ],
    ids=[
        "no-bot-token",
        "no-signing-secret",
        "run-no-signing-secret",
        "bad-app-token",
        "app-token-as-bot-token",
        "user-token-as-bot-token",
    ],
)
def test_a_misconfigured_start_is_one_line_naming_the_setting_and_opens_no_database(
    run_coach: RunCoach, tmp_path: Path, command: str, env: dict[str, str], setting: str
) -> None:
    database = tmp_path / "coach.db"
    proc = run_coach(command, env={**env, "DATABASE_URL": f"sqlite:///{database}"})
    assert proc.returncode == 1
    lines = [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"error: {setting} ")
    assert not database.exists()
