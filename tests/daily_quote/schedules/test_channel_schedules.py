"""Per-channel quote schedules end to end: two channels in their own time zones, a skipped
date, a restart and two replicas, a late start, each channel's own rotation, QUOTE_CHANNEL
beside them and a schedule added while serving, against the recording Slack stub and one
SQLite file. Time is a settable clock moved in steps; nothing here sleeps to make
something happen."""

from __future__ import annotations

import threading
from datetime import date, timedelta

from slack_sdk import WebClient

from bot.daily_quote.channels import all_plans, save_plan
from bot.daily_quote.plan import QuotePlan, parse_days
from bot.daily_quote.runner import QuoteScheduler, start_scheduler
from bot.store.engine import make_engine
from tests.daily_quote.quote_workspace import TOKEN
from tests.daily_quote.quote_world import Clock, FakeLibrary, QuoteStub, make_quotes, make_settings
from tests.daily_quote.schedules.schedule_world import (
    NY,
    SG,
    SUNDAY,
    TUESDAY,
    WEEKDAYS,
    plans,
    posts,
    replica,
    utc,
    walk,
)
from tests.slack_stub import missing_required


def test_two_time_zones_a_skipped_date_a_restart_and_two_replicas(
    stub: QuoteStub, db_url: str, clock: Clock
) -> None:
    first = replica(stub, db_url, clock)
    for plan in plans():
        save_plan(first.engine, plan)

    # Sunday noon UTC .. Tuesday 00:00 UTC: one process
    walk(clock, utc(TUESDAY, 0), first.tick)
    # it restarts (a new owner, same database) and runs until Wednesday 00:00 UTC
    restarted = replica(stub, db_url, clock)
    walk(clock, utc(TUESDAY + timedelta(days=1), 0), restarted.tick)

    # Wednesday: two replicas tick at the same moments
    other = replica(stub, db_url, clock)

    def both() -> None:
        barrier = threading.Barrier(2)

        def run(s: QuoteScheduler) -> None:
            barrier.wait()
            s.tick()

        threads = [threading.Thread(target=run, args=(s,)) for s in (restarted, other)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)

    walk(clock, utc(TUESDAY + timedelta(days=2), 0), both)

    seen = posts(stub)
    assert sorted((c, when) for c, when, _ in seen) == sorted(
        [
            # Singapore: 08:30 local = 00:30 UTC, Monday to Wednesday
            (SG, utc(date(2026, 11, 30), 0, 30)),
            (SG, utc(TUESDAY, 0, 30)),
            (SG, utc(date(2026, 12, 2), 0, 30)),
            # New York: 08:30 EST = 13:30 UTC on Monday and Wednesday; Tuesday was skipped
            (NY, utc(date(2026, 11, 30), 13, 30)),
            (NY, utc(date(2026, 12, 2), 13, 30)),
        ]
    )
    assert {key for *_, key in seen} == {
        f"2026-11-30/{SG}",
        f"2026-12-01/{SG}",
        f"2026-12-02/{SG}",
        f"2026-11-30/{NY}",
        f"2026-12-02/{NY}",
    }
    for call in stub.calls:
        assert missing_required(call) == [], call.method


def test_late_start_within_the_grace_window_posts_after_it_does_not(
    stub: QuoteStub, db_url: str, clock: Clock
) -> None:
    scheduler = replica(stub, db_url, clock, quote_grace_minutes=60)
    save_plan(scheduler.engine, plans()[0])  # New York, 08:30, grace 60 minutes
    save_plan(scheduler.engine, plans()[1])
    clock.set(utc(date(2026, 11, 30), 14, 15))  # 09:15 in New York; 22:15 in Singapore
    scheduler.tick()
    assert [c for c, *_ in posts(stub)] == [NY]
    clock.set(utc(date(2026, 12, 1), 2, 0))  # Singapore: 10:00, past 08:30 + 60 min
    scheduler.tick()
    assert [c for c, *_ in posts(stub)] == [NY]


def test_each_channel_has_its_own_no_repeat_rotation(
    stub: QuoteStub, db_url: str, clock: Clock
) -> None:
    scheduler = replica(stub, db_url, clock)
    save_plan(scheduler.engine, QuotePlan("C0MONDAYS", "09:00", "UTC", ("mon",)))
    save_plan(scheduler.engine, QuotePlan("C0DAILY01", "09:00", "UTC", parse_days("mon-sun")))
    walk(clock, utc(SUNDAY + timedelta(weeks=5), 12), scheduler.tick, minutes=60)
    by_channel: dict[str, list[str]] = {}
    for call in stub.quote_posts():
        payload = call.params["metadata"]["event_payload"]
        by_channel.setdefault(call.params["channel"], []).append(payload["quote_key"])
    mondays = by_channel["C0MONDAYS"]
    assert len(mondays) == 5 and len(set(mondays)) == 5  # every quote once in five Mondays
    daily = by_channel["C0DAILY01"]
    for start in range(0, 35, 5):  # and the daily channel never repeats within a round
        assert len(set(daily[start : start + 5])) == len(daily[start : start + 5])


def test_quote_channel_still_works_beside_stored_schedules(
    stub: QuoteStub, db_url: str, clock: Clock
) -> None:
    scheduler = replica(
        stub, db_url, clock, quote_channel="C0LONDON1", quote_timezone="Europe/London"
    )
    save_plan(scheduler.engine, plans()[1])
    assert [p.channel for p in all_plans(scheduler.settings, scheduler.engine)] == [
        SG,
        "C0LONDON1",
    ]
    walk(clock, utc(date(2026, 11, 30), 12), scheduler.tick)
    assert sorted(c for c, *_ in posts(stub)) == ["C0LONDON1", SG]


def test_a_schedule_added_while_serving_is_picked_up(
    stub: QuoteStub, db_url: str, clock: Clock
) -> None:
    s = make_settings(stub, db_url, quote_channel=None)
    engine = make_engine(s.db_url)
    client = WebClient(token=TOKEN, base_url=stub.api_url)
    clock.set(utc(date(2026, 11, 30), 9, 5))
    handle = start_scheduler(
        s, FakeLibrary(make_quotes(3)), client, engine, tick_seconds=0.01, clock=clock
    )
    try:
        assert handle.wait_for_ticks(2)
        assert posts(stub) == []
        save_plan(engine, QuotePlan("C0ADDED01", "09:00", "UTC", WEEKDAYS))
        stub.wait_for("chat.postMessage")
    finally:
        handle.stop()
    assert [c for c, *_ in posts(stub)] == ["C0ADDED01"]
