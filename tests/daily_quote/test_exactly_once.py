"""The daily quote once per channel per day: across a restart, two replicas racing, two
scheduler threads, a manual post (`coach quote --post`) and `--force`, which posts again and
says so."""

from __future__ import annotations

import threading
from datetime import timedelta

from bot.daily_quote import PostOutcome, post_today, start_scheduler
from bot.store.quote_ledger import get_row
from bot.store.quote_posts import post_log
from bot.store.tables import LedgerState
from tests.daily_quote.quote_workspace import CHANNEL
from tests.daily_quote.quote_world import MONDAY, Clock, QuoteStub, World, at, make_world, row_state


def test_exactly_once_across_restart(
    world: World, stub: QuoteStub, db_url: str, clock: Clock
) -> None:
    assert world.quoter.tick() is not None
    world.engine.dispose()

    clock.advance(minutes=5)
    again = make_world(stub, db_url, clock)  # a new process: new engine, new owner
    assert again.quoter.owner != world.quoter.owner
    for _ in range(3):
        assert again.quoter.tick() is None
        clock.advance(minutes=30)
    assert len(stub.quote_posts()) == 1


def test_two_replicas_racing_post_once(stub: QuoteStub, db_url: str, clock: Clock) -> None:
    a = make_world(stub, db_url, clock)
    b = make_world(stub, db_url, clock)
    for offset in range(5):  # Monday..Friday, a fresh race each day
        clock.set(at(MONDAY + timedelta(days=offset), 9, 0))
        barrier = threading.Barrier(2)
        results: list[PostOutcome | None] = []

        def run(
            w: World,
            barrier: threading.Barrier = barrier,
            results: list[PostOutcome | None] = results,
        ) -> None:
            barrier.wait()
            results.append(w.quoter.tick())

        threads = [threading.Thread(target=run, args=(w,)) for w in (a, b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert len(stub.quote_posts()) == offset + 1
        statuses = sorted(r.status for r in results if r is not None)
        assert statuses.count("posted") == 1


def test_two_scheduler_threads_post_once(stub: QuoteStub, db_url: str, clock: Clock) -> None:
    a = make_world(stub, db_url, clock)
    b = make_world(stub, db_url, clock)
    handles = [
        start_scheduler(w.settings, w.library, w.client, w.engine, tick_seconds=0.01, clock=clock)
        for w in (a, b)
    ]
    try:
        for h in handles:
            assert h.wait_for_ticks(5)
    finally:
        for h in handles:
            h.stop()
    assert len(stub.quote_posts()) == 1
    assert not any(h.running for h in handles)


def test_manual_post_then_scheduler_does_not_repeat(
    world: World, stub: QuoteStub, clock: Clock
) -> None:
    clock.set(at(MONDAY, 7, 30))
    outcome = post_today(world.settings, world.library, world.client, world.engine, now=clock())
    assert outcome.status == "posted"
    clock.set(at(MONDAY, 9, 0))
    assert world.quoter.tick() is None
    again = post_today(world.settings, world.library, world.client, world.engine, now=clock())
    assert again.status == "already_posted" and "--force" in again.message
    assert len(stub.quote_posts()) == 1


def test_force_posts_again_and_records_it(world: World, stub: QuoteStub, clock: Clock) -> None:
    first = world.quoter.tick()
    assert first is not None
    forced = post_today(
        world.settings, world.library, world.client, world.engine, force=True, now=clock()
    )
    assert forced.status == "posted" and forced.forced
    assert forced.quote == first.quote
    assert len(stub.quote_posts()) == 2
    log = post_log(world.engine, CHANNEL)
    assert [r.forced for r in log] == [False, True]
    assert row_state(world) == LedgerState.POSTED  # the day's claim still names the first message
    assert get_row(world.engine, CHANNEL, MONDAY).message_ts == first.ts  # type: ignore[union-attr]


def test_force_with_nothing_posted_yet_posts_once(world: World, stub: QuoteStub) -> None:
    outcome = post_today(
        world.settings,
        world.library,
        world.client,
        world.engine,
        force=True,
        now=at(MONDAY, 8, 0),
    )
    assert outcome.status == "posted"
    assert len(stub.quote_posts()) == 1
    assert row_state(world) == LedgerState.POSTED


def test_outcome_reads_well_for_the_cli(world: World, clock: Clock) -> None:
    first = post_today(world.settings, world.library, world.client, world.engine, now=clock())
    assert first.ok and str(first).startswith("Posted today's quote to CQUOTES")
    second = post_today(world.settings, world.library, world.client, world.engine, now=clock())
    assert second.ok and not second.status == "posted" and "already posted" in str(second)
