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


@pytest.mark.parametrize(
    ("setting", "token"),
    [
        ("SLACK_BOT_TOKEN", "xoxb-1-2\nsecret-tail"),
        ("SLACK_BOT_TOKEN", "xoxb-1-2 secret-tail"),
        ("SLACK_BOT_TOKEN", "xoxb-1-2\u2013secret-tail"),
        ("SLACK_APP_TOKEN", "xapp-1-2\nsecret-tail"),
    ],
    ids=["bot-line-break", "bot-space", "bot-dash", "app-line-break"],
)
def test_a_token_pasted_broken_is_one_line_naming_it_that_shows_none_of_it(
    run_coach: RunCoach, tmp_path: Path, setting: str, token: str
) -> None:
    """A token pasted with a line break in it was sent to Slack: the HTTP header refused it,
    and the line said "Could not reach Slack ... Invalid header value b'Bearer xox*-***\\n"
    followed by the rest of the token (for SLACK_APP_TOKEN, once the model had loaded)."""
    database = tmp_path / "coach.db"
    env = {"SLACK_BOT_TOKEN": "xoxb-1-2", "SLACK_SIGNING_SECRET": "s", setting: token}
    proc = run_coach("serve", env={**env, "DATABASE_URL": f"sqlite:///{database}"})
    assert proc.returncode == 1
    out = proc.stdout + proc.stderr
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"error: {setting} ")
    assert "secret-tail" not in out
    assert not database.exists()
