"""The daily quote's fixtures, for every test here: the settable `clock` (Monday 09:00 in
New York, when the quote falls due), the recording Slack `stub` whose message ts follow it,
the ledger's `db_url` (every test on SQLite and on PostgreSQL) and one `world` (a process:
settings, engine, client, quoter) on them. The world itself: tests/daily_quote/quote_world.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.daily_quote.quote_world import MONDAY, Clock, QuoteStub, World, at, make_world
from tests.pg_fixtures import BACKENDS, database_url_for


@pytest.fixture
def clock() -> Clock:
    return Clock(at(MONDAY, 9, 0))


@pytest.fixture
def stub(clock: Clock) -> Iterator[QuoteStub]:
    with QuoteStub(clock) as s:
        yield s


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The quote ledger's database: every test runs on SQLite and on PostgreSQL."""
    return database_url_for(request.param, request, tmp_path)


@pytest.fixture
def world(stub: QuoteStub, db_url: str, clock: Clock) -> World:
    return make_world(stub, db_url, clock)
