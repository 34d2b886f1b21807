"""Which quote a channel's day gets: a shuffled order per cycle, no repeats in that channel
until every quote was used there.

The choice is recorded per (channel, local date) (bot.store.quote_choices), so a retry posts
the same quote and the rotation survives restarts; replicas compute the same order. Each
channel has its own rotation: a channel that posts only on Mondays still sees every quote
before any comes back.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Protocol

from sqlalchemy import Engine

from bot.daily_quote.plan import QuotePlan
from bot.daily_quote.schedule import as_plan, utc_now
from bot.settings import Settings
from bot.store.quote_choices import history_before, insert_choice, recorded_choice
from bot.store.quote_ledger import get_row
from index.errors import CoachError
from index.types import Quote

log = logging.getLogger(__name__)


class HasQuotes(Protocol):
    """All the daily quote needs from the Library (or the Coach, whose library reloads)."""

    @property
    def quotes(self) -> list[Quote]: ...


class NoQuotesError(CoachError):
    """content/ has no quotes, so there is nothing to post."""

    def __init__(self) -> None:
        super().__init__("No quotes in the library: add a quotes file under content/.")


def shuffled(keys: Iterable[str], cycle: int) -> list[str]:
    """A fixed pseudo-random order per cycle: the same on every replica and every restart."""
    return sorted(set(keys), key=lambda k: (hashlib.sha256(f"{cycle}:{k}".encode()).hexdigest(), k))


def _advance(
    keys: Sequence[str], cycle: int, used: set[str], previous: str | None
) -> tuple[str, int, set[str]]:
    """One step of the rotation: the next unused key in this cycle's shuffled order."""
    available = set(keys)
    if available <= used:  # every quote has been used: a new cycle starts
        cycle, used = cycle + 1, set()
    order = [k for k in shuffled(available, cycle) if k not in used]
    # Never open a new cycle with the quote that closed the previous one.
    if not used and len(order) > 1 and order[0] == previous:
        order[0], order[1] = order[1], order[0]
    return order[0], cycle, used | {order[0]}


def plan_choice(
    engine: Engine, keys: Sequence[str], local_date: date, *, channel: str = "", ahead: int = 0
) -> tuple[str, int]:
    """The quote key (and cycle) the rotation gives `local_date`, from choices before it.

    `ahead` is how many not-yet-recorded quote days come first (to preview a future
    date). Reads only: used both to preview a day and to record the real choice.
    """
    if not keys:
        raise ValueError("no quotes to choose from")
    cycle, previous, used = history_before(engine, channel, local_date)
    for _ in range(max(0, ahead)):
        previous, cycle, used = _advance(keys, cycle, used, previous)
    key, cycle, _used = _advance(keys, cycle, used, previous)
    return key, cycle


def record_choice(
    engine: Engine, keys: Sequence[str], local_date: date, now: datetime, *, channel: str = ""
) -> str:
    """Fix `channel`'s quote for `local_date` (first writer wins; replicas agree anyway)."""
    existing = recorded_choice(engine, channel, local_date)
    if existing is not None:
        return existing
    key, cycle = plan_choice(engine, keys, local_date, channel=channel)
    insert_choice(engine, channel, local_date, key, cycle, now)
    chosen = recorded_choice(engine, channel, local_date)
    assert chosen is not None
    return chosen


def quote_for_date(
    library_quotes: Sequence[Quote],
    engine: Engine,
    day: date,
    *,
    channel: str = "",
    ahead: int = 0,
) -> Quote:
    """The quote `day` got, or will get if nothing else is posted first; never posts.

    Reads the recorded choice when there is one; otherwise asks the rotation what it would
    pick for `day`, after `ahead` further unrecorded quote days (todays_quote counts them).
    """
    by_key = {q.key: q for q in library_quotes}
    if not by_key:
        raise NoQuotesError()
    key = recorded_choice(engine, channel, day)
    if key in by_key:
        return by_key[key]  # type: ignore[index]
    key, _cycle = plan_choice(engine, list(by_key), day, channel=channel, ahead=ahead)
    return by_key[key]


def todays_quote(
    settings: Settings,
    library: HasQuotes,
    engine: Engine,
    today: date | None = None,
    *,
    now: datetime | None = None,
    plan: QuotePlan | None = None,
) -> Quote:
    """The quote of `today` (default: today in the channel's zone), without posting anything.

    For App Home and `coach quote [--date]`: what the ledger recorded, or what will be
    posted. A future date assumes each quote day before it gets its post as scheduled.
    `plan` is the channel asked about (default: QUOTE_CHANNEL and friends).
    """
    plan = plan or as_plan(settings)
    now = now or utc_now()
    current = plan.local_day(now)
    day = today or current
    by_key = {q.key: q for q in library.quotes}
    if plan.channel:
        row = get_row(engine, plan.channel, day)
        if row is not None and row.quote_key in by_key:
            return by_key[row.quote_key]
    return quote_for_date(
        library.quotes,
        engine,
        day,
        channel=plan.channel,
        ahead=_days_before(plan, engine, now, day),
    )


def quote_of_the_day(
    settings: Settings, library: HasQuotes, engine: Engine | None, today: date | None = None
) -> Quote | None:
    """Today's quote for a person to read (App Home, console): the rotation's pick, or, if
    the database cannot say, the library's quotes taken in turn by date. None: no quotes."""
    quotes = library.quotes
    if not quotes:
        return None
    if engine is not None:
        try:
            return todays_quote(settings, library, engine, today=today)
        except Exception:
            log.exception("today's quote from the rotation failed; using the date instead")
    day = today or date.today()
    return quotes[day.toordinal() % len(quotes)]


def _days_before(plan: QuotePlan, engine: Engine, now: datetime, day: date) -> int:
    """The channel's quote days from now until `day` whose choice is still to be made."""
    current = plan.local_day(now)
    if day <= current:
        return 0
    ahead = 0
    if (
        plan.is_quote_day(current)
        and now <= plan.window_end(current)
        and recorded_choice(engine, plan.channel, current) is None
    ):
        ahead += 1
    probe = current + timedelta(days=1)
    while probe < day:
        ahead += plan.is_quote_day(probe)
        probe += timedelta(days=1)
    return ahead
