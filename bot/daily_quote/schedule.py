"""When the daily quote is due: QUOTE_TIME on QUOTE_DAYS in QUOTE_TIMEZONE, plus a grace
window for a process that was down at that moment."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any

from bot.settings import DAY_NAMES, Settings

MIN_WINDOW = timedelta(minutes=2)  # even QUOTE_GRACE_MINUTES=0 leaves a few ticks to post

Clock = Callable[[], datetime]
Sleep = Callable[[float], Any]


def utc_now() -> datetime:
    """The default clock; tests inject their own."""
    return datetime.now(UTC)


def is_quote_day(settings: Settings, day: date) -> bool:
    """Whether QUOTE_DAYS includes `day` (a date in QUOTE_TIMEZONE)."""
    return DAY_NAMES[day.weekday()] in settings.quote_days


def due_at(settings: Settings, day: date) -> datetime:
    """QUOTE_TIME on `day` in QUOTE_TIMEZONE, as an aware datetime (DST handled by zoneinfo)."""
    hour, minute = settings.quote_hour_minute
    return datetime.combine(day, dtime(hour, minute), tzinfo=settings.tz)


def window_end(settings: Settings, day: date) -> datetime:
    """Last moment a late (restarted) process may still post `day`'s quote.

    Added in UTC so a DST change inside the window does not stretch or shrink it.
    """
    grace = max(timedelta(minutes=settings.quote_grace_minutes), MIN_WINDOW)
    return due_at(settings, day).astimezone(UTC) + grace


def local_day(settings: Settings, now: datetime) -> date:
    """The calendar day in QUOTE_TIMEZONE: the ledger's notion of "today"."""
    return now.astimezone(settings.tz).date()
