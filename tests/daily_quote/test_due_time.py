"""When the daily quote goes out: at QUOTE_TIME in QUOTE_TIMEZONE on QUOTE_DAYS, late
within QUOTE_GRACE_MINUTES and never after, across midnight and a DST change; with no
QUOTE_CHANNEL or no quotes, nothing. A real WebClient, the recording Slack stub, the
settable clock (tests/daily_quote/conftest.py); nothing sleeps to make something happen."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from slack_sdk.models.blocks import Block

from bot.daily_quote import due_at, post_today, start_scheduler, todays_quote
from bot.settings import Settings
from bot.store.quote_ledger import get_row
from bot.store.tables import LedgerState
from tests.daily_quote.quote_workspace import CHANNEL
from tests.daily_quote.quote_world import (
    MONDAY,
    Clock,
    FakeLibrary,
    QuoteStub,
    World,
    at,
    make_world,
)
from tests.slack_stub import missing_required


def test_posts_at_due_time_with_channel_text_and_blocks(world: World, stub: QuoteStub) -> None:
    outcome = world.quoter.tick()

    assert outcome is not None and outcome.status == "posted"
    [call] = stub.quote_posts()
    assert call.params["channel"] == CHANNEL
    assert missing_required(call) == []
    assert call.params.get("unfurl_links") is False
    assert "link_names" not in call.params and "parse" not in call.params
    quote = outcome.quote
    assert quote is not None
    assert quote.text in call.text and quote.author in call.text and "Article" in call.text
    blocks = call.blocks
    assert 0 < len(blocks) <= 50
    for block in blocks:
        assert Block.parse(block).to_dict() == block
    rendered = str(blocks)
    assert quote.text in rendered and f"— {quote.author}" in rendered
    assert f"From: {quote.article_title}" in rendered
    assert call.params["metadata"]["event_type"] == "daily_quote"
    row = get_row(world.engine, CHANNEL, MONDAY)
    assert row is not None and row.state == LedgerState.POSTED
    assert row.message_ts == call.response["ts"]


def test_not_before_due_time(world: World, stub: QuoteStub, clock: Clock) -> None:
    clock.set(at(MONDAY, 8, 59, 59))
    assert world.quoter.tick() is None
    assert stub.quote_posts() == []
    clock.set(at(MONDAY, 9, 0))
    assert world.quoter.tick() is not None
    assert len(stub.quote_posts()) == 1


def test_due_time_is_in_quote_timezone_across_dst() -> None:
    settings = Settings(embedding_model="unused", quote_timezone="America/New_York")
    assert due_at(settings, date(2027, 1, 11)).astimezone(UTC).hour == 14  # EST
    assert due_at(settings, date(2027, 3, 15)).astimezone(UTC).hour == 13  # EDT


def test_not_on_a_day_outside_quote_days(world: World, stub: QuoteStub, clock: Clock) -> None:
    saturday = MONDAY + timedelta(days=5)
    for hh in (9, 10, 12):
        clock.set(at(saturday, hh))
        assert world.quoter.tick() is None
    assert stub.quote_posts() == []


def test_weekend_day_when_configured(stub: QuoteStub, db_url: str, clock: Clock) -> None:
    w = make_world(stub, db_url, clock, quote_days=("sat",))
    clock.set(at(MONDAY, 9, 5))
    assert w.quoter.tick() is None
    clock.set(at(MONDAY + timedelta(days=5), 9, 5))
    assert w.quoter.tick() is not None
    assert len(stub.quote_posts()) == 1


def test_late_start_within_grace_posts(world: World, stub: QuoteStub, clock: Clock) -> None:
    clock.set(at(MONDAY, 12, 59))  # grace 240 min: window closes at 13:00
    outcome = world.quoter.tick()
    assert outcome is not None and outcome.status == "posted"
    assert len(stub.quote_posts()) == 1


def test_late_start_after_grace_does_not_post(world: World, stub: QuoteStub, clock: Clock) -> None:
    clock.set(at(MONDAY, 13, 1))
    assert world.quoter.tick() is None
    clock.set(at(MONDAY, 23, 59))
    assert world.quoter.tick() is None
    clock.set(at(MONDAY + timedelta(days=1), 8, 0))  # nor the next morning, before due
    assert world.quoter.tick() is None
    assert stub.quote_posts() == []
    clock.set(at(MONDAY + timedelta(days=1), 9, 0))  # Tuesday's own quote is posted
    assert world.quoter.tick() is not None
    assert len(stub.quote_posts()) == 1


def test_window_that_runs_past_midnight(stub: QuoteStub, db_url: str, clock: Clock) -> None:
    w = make_world(stub, db_url, clock, quote_time="23:30", quote_grace_minutes=120)
    clock.set(at(MONDAY + timedelta(days=1), 0, 45))  # restarted after midnight
    outcome = w.quoter.tick()
    assert outcome is not None and outcome.local_date == MONDAY
    clock.set(at(MONDAY + timedelta(days=2), 1, 31))  # Tuesday's window closed at 01:30
    assert w.quoter.tick() is None
    assert len(stub.quote_posts()) == 1


def test_grace_window_is_real_minutes_across_a_dst_change(
    stub: QuoteStub, db_url: str, clock: Clock
) -> None:
    """2026-11-01 01:00 EDT + 120 min is 02:00 EST (clocks fall back at 02:00 EDT)."""
    sunday = date(2026, 11, 1)
    w = make_world(
        stub, db_url, clock, quote_time="01:00", quote_days=("sun",), quote_grace_minutes=120
    )
    clock.set(datetime(2026, 11, 1, 7, 1, tzinfo=UTC))  # 02:01 EST: 121 real minutes late
    assert w.quoter.tick() is None
    clock.set(datetime(2026, 11, 1, 6, 59, tzinfo=UTC))  # 01:59 EST: 119 minutes late
    outcome = w.quoter.tick()
    assert outcome is not None and outcome.local_date == sunday


def test_no_channel_means_nothing_is_posted(stub: QuoteStub, db_url: str, clock: Clock) -> None:
    w = make_world(stub, db_url, clock, quote_channel=None)
    handle = start_scheduler(
        w.settings, w.library, w.client, w.engine, tick_seconds=0.01, clock=clock
    )
    try:  # it runs anyway, so a schedule added later (coach quote schedule add) is picked up
        assert handle.wait_for_ticks(2)
    finally:
        handle.stop()
    assert w.quoter.tick() is None
    outcome = post_today(w.settings, w.library, w.client, w.engine, now=clock())
    assert outcome.status == "off" and "QUOTE_CHANNEL" in outcome.message
    assert stub.calls == []
    assert todays_quote(w.settings, w.library, w.engine, MONDAY) in w.library.quotes


def test_no_quotes_is_reported_not_crashed(stub: QuoteStub, db_url: str, clock: Clock) -> None:
    w = make_world(stub, db_url, clock, library=FakeLibrary([]))
    assert w.quoter.tick() is None
    outcome = post_today(w.settings, w.library, w.client, w.engine, now=clock())
    assert outcome.status == "no_quotes"
    assert stub.calls == []
