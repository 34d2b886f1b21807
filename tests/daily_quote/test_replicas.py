"""Exactly-once with real processes: two replicas on one SQLite file, and kill -9 mid-post.

The children run the real DailyQuoter against the test's Slack stub and database; each is
handed a fixed "now" so the schedule is the test's, not the wall clock's.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.store.engine import make_engine
from bot.store.quote_ledger import get_row
from bot.store.tables import LedgerState
from tests.child_process import kill_9_mid_post, race_replicas
from tests.daily_quote.quote_workspace import CHANNEL
from tests.daily_quote.quote_world import MONDAY, Clock, QuoteStub, at, make_world

CHILD = r"""
import json

from bot.daily_quote import DailyQuoter
from bot.store.engine import make_engine
from bot.settings import Settings
from index.types import Quote
from tests.child_process import Hanging, ready_then_wait, replica_args

db_url, api_url, now, mode, flag = replica_args()
settings = Settings(
    embedding_model="unused", slack_bot_token="xoxb-child", slack_api_url=api_url,
    quote_channel="CQUOTES", quote_timezone="America/New_York", database_url=db_url,
)
quotes = [
    Quote(f"Quote number {i}: lead by example.", f"Author {i}", f"article-{i}", f"Article {i}",
          key=f"q{i}")
    for i in range(5)
]


class Lib:
    pass


lib = Lib()
lib.quotes = quotes
client = Hanging(mode, flag, token="xoxb-child", base_url=api_url)
quoter = DailyQuoter(settings, lib, client, make_engine(db_url), clock=lambda: now)
if mode == "race":
    ready_then_wait(flag)
outcome = quoter.tick()
print(json.dumps({"status": outcome.status if outcome else None}))
"""


@pytest.fixture
def db_url(db_url: str) -> str:
    """Replica processes share one database (conftest's: SQLite file or PostgreSQL), its
    tables made before the children race to create them."""
    make_engine(db_url).dispose()
    return db_url


def test_two_replica_processes_post_once(
    stub: QuoteStub, db_url: str, clock: Clock, tmp_path: Path
) -> None:
    for offset in range(3):
        day = MONDAY + timedelta(days=offset)
        clock.set(at(day, 9, 0))
        flag = tmp_path / f"go-{offset}"
        printed = race_replicas(CHILD, 2, db_url, stub.api_url, clock(), flag)
        results = [p["status"] for p in printed]
        assert len(stub.quote_posts()) == offset + 1, results
        assert results.count("posted") == 1, results


@pytest.mark.parametrize("mode", ["hang_after", "hang_before"])
def test_kill_9_mid_post_costs_nothing_and_doubles_nothing(
    stub: QuoteStub, db_url: str, clock: Clock, tmp_path: Path, mode: str
) -> None:
    flag = tmp_path / "flag"
    kill_9_mid_post(CHILD, db_url, stub.api_url, clock(), mode, flag)
    reached = mode == "hang_after"
    assert len(stub.quote_posts()) == (1 if reached else 0)

    w = make_world(stub, db_url, clock)
    assert get_row(w.engine, CHANNEL, MONDAY).state == LedgerState.POSTING  # type: ignore[union-attr]
    clock.advance(seconds=30)  # back at once: the lease still protects the (dead) claim
    w.quoter.tick()
    assert len(stub.quote_posts()) == (1 if reached else 0)
    clock.advance(seconds=60)  # within two minutes of coming back it is resolved
    w.quoter.tick()
    row = get_row(w.engine, CHANNEL, MONDAY)
    assert row is not None and row.state == LedgerState.POSTED
    [post] = stub.quote_posts()
    assert row.message_ts == post.response["ts"]
