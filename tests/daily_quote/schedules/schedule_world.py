"""The per-channel schedules' test world: two channels in their own time zones (New York,
with a skipped date, and Singapore), a `replica` (one `coach serve` process's scheduler on
the shared database), the quote posts seen and the clock walked in steps."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

from slack_sdk import WebClient

from bot.daily_quote.plan import QuotePlan, parse_days, parse_skip
from bot.daily_quote.poster import DailyQuoter
from bot.daily_quote.runner import QuoteScheduler
from bot.store.engine import make_engine
from tests.daily_quote.quote_workspace import TOKEN
from tests.daily_quote.quote_world import Clock, FakeLibrary, QuoteStub, make_quotes, make_settings

NY, SG = "C0NEWYORK", "C0SINGAPO"
WEEKDAYS = parse_days("mon-fri")
SUNDAY = date(2026, 11, 29)
TUESDAY = date(2026, 12, 1)


def utc(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=UTC)


def plans() -> list[QuotePlan]:
    return [
        QuotePlan(NY, "08:30", "America/New_York", WEEKDAYS, parse_skip("2026-12-01")),
        QuotePlan(SG, "08:30", "Asia/Singapore", WEEKDAYS),
    ]


def replica(
    stub: QuoteStub,
    db_url: str,
    clock: Clock,
    *,
    library: FakeLibrary | None = None,
    reflections: Callable[[Any], str | None] | None = None,
    **settings: Any,
) -> QuoteScheduler:
    """One `coach serve` process: its own engine, client and owner id; the shared DB."""
    settings.setdefault("quote_channel", None)
    s = make_settings(stub, db_url, **settings)
    engine = make_engine(s.db_url)
    quotes = library or FakeLibrary(make_quotes(5))
    client = WebClient(token=TOKEN, base_url=stub.api_url)
    quoter_for = partial(
        DailyQuoter,
        s,
        quotes,
        client,
        engine,
        clock=clock,
        sleep=lambda _s: None,
        reflections=reflections,
    )
    return QuoteScheduler(s, engine, quoter_for)


def posts(stub: QuoteStub) -> list[tuple[str, datetime, str]]:
    """(channel, when it was posted, the ledger key in its metadata) for each quote post."""
    out = []
    for call in stub.quote_posts():
        if call.params.get("thread_ts"):
            continue  # a reflection question, not a quote
        ts = float(call.response["ts"])
        key = call.params["metadata"]["event_payload"]["ledger_key"]
        out.append((call.params["channel"], datetime.fromtimestamp(int(ts), UTC), key))
    return out


def posts_ts(stub: QuoteStub, channel: str) -> list[str]:
    return [
        c.response["ts"]
        for c in stub.quote_posts()
        if c.params["channel"] == channel and not c.params.get("thread_ts")
    ]


def walk(clock: Clock, until: datetime, step: Callable[[], None], minutes: int = 10) -> None:
    while clock() < until:
        step()
        clock.advance(minutes=minutes)
