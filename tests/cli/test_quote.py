"""`coach quote`: the quote of a date, and a date it cannot read."""

from __future__ import annotations

import re

from index.library import Library
from tests.cli.coach_cli import RunCoach


def test_quote_is_stable_for_a_date(shipped_library: Library, run_coach: RunCoach) -> None:
    first = run_coach("quote", "--date", "2026-11-23")
    second = run_coach("quote", "--date", "2026-11-23")
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    assert re.match(r"“.+”\n\s+— \S", first.stdout)
    bad = run_coach("quote", "--date", "23/11/2026")
    assert bad.returncode == 1 and "is not a date" in bad.stderr
