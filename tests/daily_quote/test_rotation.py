"""Which quote a day gets: no repeat until every quote has been used, the same choice on
any database, a preview (`coach quote --date`) that records nothing and is what gets
posted, and a retried day that keeps its quote when the library changes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.daily_quote import quote_for_date, todays_quote
from bot.daily_quote.poster import MAX_ATTEMPTS
from bot.store.engine import make_engine
from bot.store.quote_ledger import get_row
from bot.store.tables import quote_ledger as ledger_table
from tests.daily_quote.quote_workspace import CHANNEL
from tests.daily_quote.quote_world import MONDAY, Clock, QuoteStub, World, at, make_quotes


def test_no_repeat_until_every_quote_used(world: World, stub: QuoteStub, clock: Clock) -> None:
    n = len(world.library.quotes)
    day, posted = MONDAY, []
    while len(posted) < 2 * n:
        clock.set(at(day, 9, 0))
        preview = todays_quote(world.settings, world.library, world.engine, day, now=clock())
        outcome = world.quoter.tick()
        if outcome is not None:
            assert outcome.quote == preview  # the preview is what gets posted
            assert (
                todays_quote(world.settings, world.library, world.engine, day, now=clock())
                == preview
            )
            posted.append(outcome.quote.key)  # type: ignore[union-attr]
        day += timedelta(days=1)
    first, second = posted[:n], posted[n:]
    assert sorted(first) == sorted(q.key for q in world.library.quotes)
    assert sorted(second) == sorted(first)
    assert first[-1] != second[0]  # no back-to-back repeat across the cycle boundary
    assert first != sorted(first) or second != first  # shuffled, not file order every time


def test_choice_is_deterministic_across_databases(
    stub: QuoteStub, tmp_path: Path, clock: Clock
) -> None:
    quotes = make_quotes(7)
    a = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    b = make_engine(f"sqlite:///{tmp_path / 'b.db'}")
    assert quote_for_date(quotes, a, MONDAY) == quote_for_date(list(reversed(quotes)), b, MONDAY)


def test_quote_for_date_does_not_post_or_record(world: World, stub: QuoteStub) -> None:
    quote = quote_for_date(world.library.quotes, world.engine, MONDAY)
    assert quote in world.library.quotes
    assert stub.calls == []
    with world.engine.connect() as conn:
        assert conn.execute(ledger_table.select()).all() == []


def test_retry_posts_the_same_quote_even_if_the_library_changes(
    world: World, stub: QuoteStub, clock: Clock
) -> None:
    stub.fail("chat.postMessage", status=500, times=MAX_ATTEMPTS)
    world.quoter.tick()
    chosen = get_row(world.engine, CHANNEL, MONDAY).quote_key  # type: ignore[union-attr]
    world.library.quotes.extend(make_quotes(12)[5:])  # new quotes arrive mid-day
    clock.advance(minutes=2)
    outcome = world.quoter.tick()
    assert outcome is not None and outcome.quote is not None
    assert outcome.quote.key == chosen


def test_preview_of_future_days_matches_what_gets_posted(
    world: World, stub: QuoteStub, clock: Clock
) -> None:
    clock.set(at(MONDAY, 8, 0))
    days = [MONDAY + timedelta(days=i) for i in range(15)]
    previews = {
        d: todays_quote(world.settings, world.library, world.engine, d, now=clock()) for d in days
    }
    posted = {}
    for d in days:
        clock.set(at(d, 9, 1))
        outcome = world.quoter.tick()
        if outcome is not None:
            posted[d] = outcome.quote
    assert len(posted) == 11  # weekdays only
    assert all(previews[d] == q for d, q in posted.items())
