"""The schedules' fixtures beside the daily quote's (tests/daily_quote/conftest.py, whose
`stub` follows this `clock`): the clock starts on Sunday at noon UTC, before either
channel's first morning, and the database is one SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.daily_quote.quote_world import Clock
from tests.daily_quote.schedules.schedule_world import SUNDAY, utc


@pytest.fixture
def clock() -> Clock:
    return Clock(utc(SUNDAY, 12))


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{(tmp_path / 'coach.db').as_posix()}"
