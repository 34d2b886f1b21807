"""`coach quote --post` with something it needs missing: said at once, nothing opened."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"SLACK_BOT_TOKEN": "xoxb-1-2-abc"}, "error: QUOTE_CHANNEL is not set"),
        ({"QUOTE_CHANNEL": "C0123ABCD"}, "error: SLACK_BOT_TOKEN is not set"),
        (  # before: posted the quote as the person whose token it is
            {"QUOTE_CHANNEL": "C0123ABCD", "SLACK_BOT_TOKEN": "xoxp-1-2-abc"},
            "error: SLACK_BOT_TOKEN must be the Bot User OAuth Token starting with xoxb-",
        ),
    ],
)
def test_quote_post_says_what_is_missing_before_building_the_index(
    run_coach: Any, tmp_path: Path, env: dict[str, str], said: str
) -> None:
    """With no index built yet, it used to build one (half a minute, with its log lines) and
    make a database before saying the setting was missing."""
    data = tmp_path / "data"
    proc = run_coach("quote", "--post", env={"DATA_DIR": str(data), **env})
    assert proc.returncode == 1
    lines = [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(said), lines
    assert not (data / "index").exists() and not (data / "coach.db").exists()
