"""QUOTE_CHANNEL and REPORT_CHANNEL take a channel ID, never a name: Slack posts to
`#general`, but reads its history (the checks that keep a quote or a report from being posted
twice after a crash) only by ID, and the once-a-day ledger is keyed by it. A name is one
line at start naming the setting, its value and where the ID is."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError
from tests.slack_fixtures import serve_env
from tests.slack_stub import SlackStub

WHERE = (
    "expected a channel ID such as C0123ABCD, not the channel's name: in Slack, open the "
    "channel's details (click its name at the top); the Channel ID is at the bottom"
)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("QUOTE_CHANNEL", "#general"),
        ("QUOTE_CHANNEL", "sales-leaders"),
        ("REPORT_CHANNEL", "general"),
        ("REPORT_CHANNEL", "c0123abcd"),
    ],
)
def test_a_channel_name_is_refused_naming_the_setting_the_value_and_where_the_id_is(
    name: str, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: taken; the quote or report went to #general, and a crash mid-post meant a
    second post (conversations.history answered channel_not_found to the name)."""
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(dotenv=False)
    assert str(raised.value) == f"{name}={value!r} is not valid: {WHERE}"


def test_channel_ids_are_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUOTE_CHANNEL", " C0123ABCD ")
    monkeypatch.setenv("REPORT_CHANNEL", "G0PRIVATE1")
    settings = Settings.from_env(dotenv=False)
    assert (settings.quote_channel, settings.report_channel) == ("C0123ABCD", "G0PRIVATE1")
    monkeypatch.setenv("QUOTE_CHANNEL", "")
    assert Settings.from_env(dotenv=False).quote_channel is None  # empty: the quote is off


def test_coach_serve_with_a_channel_name_is_one_line_and_asks_slack_nothing(
    slack_stub: SlackStub, tmp_path: Path
) -> None:
    env = serve_env(slack_stub, tmp_path, QUOTE_CHANNEL="#general")
    coach = Path(sys.executable).with_name("coach")
    result = subprocess.run(
        [str(coach), "serve"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120
    )
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines == [f"error: QUOTE_CHANNEL='#general' is not valid: {WHERE}"]
    assert slack_stub.calls_to("auth.test") == []  # refused before anything is opened
