"""`coach quote`: the quote of a date, and a date it cannot read."""

from __future__ import annotations

import re
from pathlib import Path

from index.library import Library
from tests.cli.coach_cli import CoachInProcess, RunCoach
from tests.library_fixtures import write_article


def test_quote_is_stable_for_a_date(shipped_library: Library, run_coach: RunCoach) -> None:
    first = run_coach("quote", "--date", "2026-11-23")
    second = run_coach("quote", "--date", "2026-11-23")
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    assert re.match(r"“.+”\n\s+— \S", first.stdout)
    bad = run_coach("quote", "--date", "23/11/2026")
    assert bad.returncode == 1 and "is not a date" in bad.stderr


def test_a_channel_named_not_by_its_id_says_to_give_the_id(
    shipped_library: Library, run_coach: RunCoach
) -> None:
    """A channel's name is what people type first (before: "no quote schedule for it")."""
    token = {"SLACK_BOT_TOKEN": "xoxb-1-2-abc"}
    done = run_coach("quote", "--post", "--channel", "#general", env=token)
    assert done.returncode == 1
    assert "'#general' is not a channel ID" in done.stderr
    assert "no quote schedule" not in done.stderr


def test_no_quotes_because_quotes_yaml_is_broken_says_so_not_to_add_some(
    coach_in_process: CoachInProcess, tmp_path: Path
) -> None:
    """ "no quotes: add some to quotes.yaml" when the file held sixteen but could not be read."""
    content = tmp_path / "content"
    content.mkdir()
    write_article(content, "a", "Coach your team every week and listen first. " * 3, title="A")
    quotes = content / "quotes.yaml"
    quotes.write_bytes("- text: Ça va.\n  author: X\n".encode("latin-1"))
    env = {"CONTENT_DIR": str(content), "DATA_DIR": str(tmp_path / "data")}
    done = coach_in_process("quote", env=env)
    assert done.exit_code == 1
    assert done.stderr.splitlines()[-1] == (
        f"error: no quotes: {quotes} cannot be read (fix the line said above)"
    )
    assert f"warning: {quotes}:1: not UTF-8 text" in done.stderr
