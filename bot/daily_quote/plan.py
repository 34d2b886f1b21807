"""One channel's quote schedule: when its quote is due in its own time zone.

A `QuotePlan` is what `coach quote schedule add` stores and what QUOTE_CHANNEL, QUOTE_TIME,
QUOTE_TIMEZONE and QUOTE_DAYS describe; the poster only ever asks it the questions below,
so a team in Singapore and one in New York each get their quote at their own morning.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.settings import DAY_NAMES
from index.errors import CoachError

MIN_WINDOW = timedelta(minutes=2)  # even a grace of 0 leaves a few ticks to post


class PlanError(CoachError):
    """A schedule value a person typed that cannot be used; names the option."""

    def __init__(self, option: str, value: str, expected: str) -> None:
        self.option = option
        super().__init__(f"{option} {value!r} is not valid: expected {expected}")


def parse_time(value: str, option: str = "--time") -> str:
    """'9:05' -> '09:05'; a 24-hour clock."""
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", value.strip())
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise PlanError(option, value, "HH:MM on a 24-hour clock, e.g. 08:30")
    return f"{int(match[1]):02d}:{match[2]}"


def parse_timezone(value: str, option: str = "--tz") -> str:
    try:
        ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise PlanError(option, value, "an IANA time zone, e.g. Europe/London") from None
    return value.strip()


def parse_days(value: str, option: str = "--days") -> tuple[str, ...]:
    """'mon-fri', 'mon,wed,fri', 'fri-mon' (wraps), 'sat' -> day names in week order."""
    chosen: set[int] = set()
    for part in (p.strip().lower() for p in value.split(",")):
        if not part:
            continue
        ends = [e.strip()[:3] for e in part.split("-")]
        if len(ends) > 2 or any(e not in DAY_NAMES for e in ends):
            raise PlanError(option, value, "day names or ranges, e.g. mon-fri or mon,wed,fri")
        first, last = DAY_NAMES.index(ends[0]), DAY_NAMES.index(ends[-1])
        span = (last - first) % 7
        chosen.update((first + i) % 7 for i in range(span + 1))
    if not chosen:
        raise PlanError(option, value, "at least one day, e.g. mon-fri")
    return tuple(DAY_NAMES[i] for i in sorted(chosen))


def parse_skip(value: str | None, option: str = "--skip") -> tuple[date, ...]:
    """'2026-12-25,2027-01-01' -> sorted dates (local dates of the channel)."""
    if not value:
        return ()
    days: set[date] = set()
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        try:
            days.add(date.fromisoformat(part))
        except ValueError:
            raise PlanError(option, value, "dates as YYYY-MM-DD, comma separated") from None
    return tuple(sorted(days))


def days_text(days: Iterable[str]) -> str:
    """('mon', ..., 'fri') -> 'mon-fri'; other sets as a list."""
    days = tuple(days)
    idx = [DAY_NAMES.index(d) for d in days]
    if len(idx) > 2 and idx == list(range(idx[0], idx[0] + len(idx))):
        return f"{days[0]}-{days[-1]}"
    return ",".join(days)


@dataclass(frozen=True)
class QuotePlan:
    """When one channel gets its quote: HH:MM on `days` in `timezone`, except `skip`."""

    channel: str
    time: str = "09:00"
    timezone: str = "UTC"
    days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    skip: tuple[date, ...] = ()
    reflect: bool = False
    grace_minutes: int = 240
    source: str = "database"  # or "environment" (QUOTE_CHANNEL and friends)
    _tz: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_tz", ZoneInfo(self.timezone))

    @property
    def tz(self) -> ZoneInfo:
        return self._tz

    @property
    def hour_minute(self) -> tuple[int, int]:
        hour, minute = self.time.split(":")
        return int(hour), int(minute)

    def local_day(self, now: datetime) -> date:
        """The calendar day in the channel's zone: the ledger's notion of "today"."""
        return now.astimezone(self.tz).date()

    def is_quote_day(self, day: date) -> bool:
        """A listed weekday that is not a skipped date (both in the channel's zone)."""
        return DAY_NAMES[day.weekday()] in self.days and day not in self.skip

    def due_at(self, day: date) -> datetime:
        """The post time on `day` in the channel's zone (DST handled by zoneinfo)."""
        hour, minute = self.hour_minute
        return datetime.combine(day, dtime(hour, minute), tzinfo=self.tz)

    def window_end(self, day: date) -> datetime:
        """Last moment a late (restarted) process may still post `day`'s quote; added in UTC
        so a DST change inside the window does not stretch or shrink it."""
        grace = max(timedelta(minutes=self.grace_minutes), MIN_WINDOW)
        return self.due_at(day).astimezone(UTC) + grace

    def describe(self) -> str:
        """One line for logs and `coach quote schedule list`."""
        text = f"{self.channel} at {self.time} {self.timezone} on {days_text(self.days)}"
        if self.skip:
            text += " except " + ",".join(d.isoformat() for d in self.skip)
        if self.reflect:
            text += ", with a reflection question"
        return text

    def as_json(self) -> dict[str, object]:
        return {
            "channel": self.channel,
            "time": self.time,
            "timezone": self.timezone,
            "days": list(self.days),
            "skip": [d.isoformat() for d in self.skip],
            "reflect": self.reflect,
            "source": self.source,
        }
