"""When a channel's quote is due: its time on its days in its zone, minus skipped dates,
plus a grace window for a process that was down at that moment.

Each function takes the channel's `QuotePlan`; passing the Settings means the plan that
QUOTE_CHANNEL, QUOTE_TIME, QUOTE_TIMEZONE and QUOTE_DAYS describe.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from bot.daily_quote.plan import QuotePlan
from bot.settings import Settings

Clock = Callable[[], datetime]
Sleep = Callable[[float], Any]
When = Settings | QuotePlan


def utc_now() -> datetime:
    """The default clock; tests inject their own."""
    return datetime.now(UTC)


def as_plan(when: When) -> QuotePlan:
    """The plan itself, or the one the QUOTE_* settings describe (channel may be empty)."""
    if isinstance(when, QuotePlan):
        return when
    return QuotePlan(
        when.quote_channel or "",
        when.quote_time,
        when.quote_timezone,
        tuple(when.quote_days),
        grace_minutes=when.quote_grace_minutes,
        source="environment",
    )


def is_quote_day(when: When, day: date) -> bool:
    """Whether `day` (a date in the channel's zone) is listed and not skipped."""
    return as_plan(when).is_quote_day(day)


def due_at(when: When, day: date) -> datetime:
    """The post time on `day` in the channel's zone, aware (DST handled by zoneinfo)."""
    return as_plan(when).due_at(day)


def window_end(when: When, day: date) -> datetime:
    """Last moment a late (restarted) process may still post `day`'s quote."""
    return as_plan(when).window_end(day)


def local_day(when: When, now: datetime) -> date:
    """The calendar day in the channel's zone: the ledger's notion of "today"."""
    return as_plan(when).local_day(now)
