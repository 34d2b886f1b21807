"""The weekly report with real processes on one PostgreSQL database: three replicas due at
the same moment post it once, and one killed (-9) mid-post costs neither the report nor a
second one. The children run the real WeeklyReporter against the test's Slack stub; each is
handed a fixed "now" so the schedule is the test's, not the wall clock's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.gaps.weekly import EVENT_TYPE
from tests.child_process import kill_9_mid_post, race_replicas
from tests.gaps.asked_rows import NOW
from tests.gaps.weekly_reporter import checked, reporter, weekly_settings
from tests.pg_fixtures import PostgresServer
from tests.slack_stub import SlackStub

CHILD = r"""
import json

from bot.gaps.service import Gaps
from bot.gaps.weekly import WeeklyReporter
from bot.settings import Settings
from bot.store.engine import make_engine
from tests.child_process import Hanging, ready_then_wait, replica_args

db_url, api_url, now, mode, flag = replica_args()
settings = Settings(
    embedding_model="unused", slack_bot_token="xoxb-1-2-weeklytest", slack_api_url=api_url,
    report_channel="CREPORTS", quote_time="09:00", quote_timezone="Europe/Paris",
    database_url=db_url,
)
engine = make_engine(db_url)
gaps = Gaps(engine, None, 90)
client = Hanging(mode, flag, token=settings.slack_bot_token, base_url=api_url)
weekly = WeeklyReporter(settings, engine, client, lambda days: gaps.report(days, now=now))
if mode == "race":
    ready_then_wait(flag)
print(json.dumps({"ts": weekly.tick(now)}))
"""


@pytest.fixture
def db_url(postgres_server: PostgresServer) -> Iterator[str]:
    """One PostgreSQL database the replicas share, its schema made before they race."""
    from bot.store.engine import make_engine

    url = postgres_server.new_database()
    make_engine(url).dispose()
    yield url


def reports(stub: SlackStub) -> list[dict[str, Any]]:
    """The weekly reports in the channel (the stub keeps what Slack would show)."""
    return [
        m
        for m in stub.messages.get("CREPORTS", [])
        if (m.get("metadata") or {}).get("event_type") == EVENT_TYPE
    ]


def test_three_replicas_due_at_once_post_one_report(
    slack_stub: SlackStub, db_url: str, tmp_path: Path
) -> None:
    flag = tmp_path / "go"
    printed = race_replicas(CHILD, 3, db_url, slack_stub.api_url, NOW, flag)
    posted = [p["ts"] for p in printed]
    assert len(reports(slack_stub)) == 1
    assert [ts for ts in posted if ts] == [reports(slack_stub)[0]["ts"]]
    checked(slack_stub)


@pytest.mark.parametrize("mode", ["hang_after", "hang_before"])
def test_a_replica_killed_mid_post_costs_neither_the_report_nor_a_second_one(
    slack_stub: SlackStub, db_url: str, tmp_path: Path, mode: str
) -> None:
    flag = tmp_path / "flag"
    kill_9_mid_post(CHILD, db_url, slack_stub.api_url, NOW, mode, flag)
    reached = mode == "hang_after"
    assert len(reports(slack_stub)) == (1 if reached else 0)

    from bot.store.engine import make_engine

    settings = weekly_settings(slack_stub, database_url=db_url)
    engine = make_engine(db_url)
    others = [reporter(settings, engine) for _ in range(2)]
    # within the dead replica's lease nothing happens; after it, one of the others posts
    # (or finds) the report, and nobody posts it again
    assert [r.tick(NOW + timedelta(seconds=30)) for r in others] == [None, None]
    assert len(reports(slack_stub)) == (1 if reached else 0)
    later = [r.tick(NOW + timedelta(minutes=2, seconds=i)) for i, r in enumerate(others)]
    [report] = reports(slack_stub)
    assert [ts for ts in later if ts] == [report["ts"]]
    assert [r.tick(NOW + timedelta(minutes=10)) for r in others] == [None, None]
    assert len(reports(slack_stub)) == 1
    checked(slack_stub)
