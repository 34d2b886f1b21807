"""The daily quote's test world, shared by its tests: a settable clock, a stub Slack whose
message ts follow it, a fake library of quotes, and a "process" (settings, engine, client,
DailyQuoter) on a database; the state of a day's ledger row."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.daily_quote import DailyQuoter
from bot.settings import Settings
from bot.store.engine import make_engine
from bot.store.quote_ledger import get_row
from index.types import Quote
from tests.daily_quote.quote_workspace import CHANNEL, TOKEN
from tests.slack_stub import SlackStub

NY = ZoneInfo("America/New_York")
MONDAY = date(2026, 11, 23)


def at(day: date, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    """A moment in the quote time zone, as the aware datetime the clock returns."""
    return datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=NY)


class Clock:
    """A settable clock: tests move time instead of waiting for it."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        self.lock = threading.Lock()

    def __call__(self) -> datetime:
        with self.lock:
            return self.now

    def set(self, moment: datetime) -> None:
        with self.lock:
            self.now = moment

    def advance(self, **delta: float) -> None:
        with self.lock:
            self.now += timedelta(**delta)


class QuoteStub(SlackStub):
    """The shared stub, plus what the daily quote relies on in real Slack: message ts that
    follow the (test) clock, and message metadata kept and returned by conversations.history
    when include_all_metadata is set."""

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self.clock = clock
        self._seq = itertools.count(1)

    def next_ts(self) -> str:
        n = next(self._seq)
        return f"{int(self.clock().timestamp())}.{n:06d}"

    def _answer(self, call: Any) -> dict[str, Any]:
        body = super()._answer(call)
        posted = call.method == "chat.postMessage" and body.get("ok")
        if posted and call.params.get("metadata") and self.keeps_metadata:
            body["message"]["metadata"] = call.params["metadata"]  # the stored message
        if call.method == "conversations.history" and body.get("ok"):
            if str(call.params.get("include_all_metadata")).lower() not in ("1", "true"):
                for message in body["messages"]:
                    message.pop("metadata", None)
        return body

    def quote_posts(self) -> list[Any]:
        """chat.postMessage calls that put a message in the channel."""
        return [
            c for c in self.calls_to("chat.postMessage") if c.status == 200 and c.response.get("ok")
        ]

    def clear_faults(self) -> None:
        with self._cond:
            self._faults.clear()


@dataclass
class FakeLibrary:
    """Only the quote list is needed from the Library."""

    quotes: list[Quote] = field(default_factory=list)


def make_quotes(n: int) -> list[Quote]:
    return [
        Quote(
            text=f"Quote number {i}: lead by example.",
            author=f"Author {i}",
            article_id=f"article-{i}",
            article_title=f"Article {i}",
            key=f"q{i}",
        )
        for i in range(n)
    ]


def make_settings(stub: SlackStub, db_url: str, **over: Any) -> Settings:
    values: dict[str, Any] = {
        "embedding_model": "unused",
        "slack_bot_token": TOKEN,
        "slack_api_url": stub.api_url,
        "quote_channel": CHANNEL,
        "quote_time": "09:00",
        "quote_timezone": "America/New_York",
        "database_url": db_url,
    }
    values.update(over)
    return Settings(**values)


@dataclass
class World:
    """One 'process': settings, engine, client and quoter sharing the stub and DB file."""

    settings: Settings
    engine: Engine
    client: WebClient
    quoter: DailyQuoter
    library: FakeLibrary
    sleeps: list[float]


def make_world(
    stub: QuoteStub,
    db_url: str,
    clock: Clock,
    library: FakeLibrary | None = None,
    client: WebClient | None = None,
    **settings_over: Any,
) -> World:
    settings = make_settings(stub, db_url, **settings_over)
    engine = make_engine(settings.db_url)
    client = client or WebClient(token=TOKEN, base_url=stub.api_url)
    library = library if library is not None else FakeLibrary(make_quotes(5))
    sleeps: list[float] = []
    quoter = DailyQuoter(settings, library, client, engine, clock=clock, sleep=sleeps.append)
    return World(settings, engine, client, quoter, library, sleeps)


def row_state(world: World, day: date = MONDAY) -> str | None:
    row = get_row(world.engine, CHANNEL, day)
    return row.state if row else None
