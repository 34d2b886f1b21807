"""Slack refusing or failing the daily quote's post: a rate limit's Retry-After honoured
(or left to a later tick), 5xx and dropped connections retried a bounded number of times,
an API error not hammered and never logged with the token, blocks refused sent once as
plain text; a failing tick never stops the scheduler."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.daily_quote import PostOutcome, start_scheduler
from bot.daily_quote.poster import MAX_ATTEMPTS
from bot.store.quote_ledger import get_row
from bot.store.tables import LedgerState
from index.types import Quote
from tests.daily_quote.quote_workspace import CHANNEL, TOKEN
from tests.daily_quote.quote_world import (
    MONDAY,
    Clock,
    QuoteStub,
    World,
    make_quotes,
    make_world,
    row_state,
)


def first_tick_fails(world: World, stub: QuoteStub, **fault: Any) -> PostOutcome:
    """Slack fails the day's post as `fault` says (see SlackStub.fail): the tick that falls
    due reports the post failed."""
    stub.fail("chat.postMessage", **fault)
    outcome = world.quoter.tick()
    assert outcome is not None and outcome.status == "failed"
    return outcome


def test_rate_limited_then_success_honours_retry_after(world: World, stub: QuoteStub) -> None:
    stub.fail("chat.postMessage", status=429, retry_after=7)
    outcome = world.quoter.tick()
    assert outcome is not None and outcome.status == "posted"
    assert world.sleeps == [7.0]
    assert [c.status for c in stub.calls_to("chat.postMessage")] == [429, 200]
    assert len(stub.quote_posts()) == 1


def test_long_retry_after_is_left_to_a_later_tick(
    world: World, stub: QuoteStub, clock: Clock
) -> None:
    first_tick_fails(world, stub, status=429, retry_after=120)
    assert world.sleeps == []  # never blocks the scheduler thread for minutes
    clock.advance(seconds=60)
    assert world.quoter.tick() is None  # Slack asked for 120 s
    clock.advance(seconds=61)
    assert world.quoter.tick() is not None
    assert len(stub.quote_posts()) == 1


def test_persistent_server_error_fails_then_a_later_tick_retries(
    world: World, stub: QuoteStub, clock: Clock
) -> None:
    first_tick_fails(world, stub, status=500, times=1000)
    assert row_state(world) == LedgerState.FAILED
    attempts = len(stub.calls_to("chat.postMessage"))
    assert attempts == MAX_ATTEMPTS  # bounded
    assert world.quoter.tick() is None  # backs off until the next retry time
    assert len(stub.calls_to("chat.postMessage")) == attempts

    stub.clear_faults()
    clock.advance(minutes=2)
    outcome = world.quoter.tick()
    assert outcome is not None and outcome.status == "posted"
    assert len(stub.quote_posts()) == 1
    assert row_state(world) == LedgerState.POSTED


def test_connection_errors_are_retried(world: World, stub: QuoteStub, clock: Clock) -> None:
    stub.fail("chat.postMessage", drop=True, times=2)
    outcome = world.quoter.tick()
    assert outcome is not None and outcome.posted
    assert len(stub.quote_posts()) == 1


def test_api_error_is_not_hammered_and_never_logs_the_token(
    world: World, stub: QuoteStub, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    outcome = first_tick_fails(world, stub, error="not_in_channel")
    assert "not_in_channel" in outcome.message
    assert len(stub.calls_to("chat.postMessage")) == 1
    clock.advance(minutes=5)
    assert world.quoter.tick() is None
    clock.advance(minutes=15)
    assert world.quoter.tick() is not None
    assert len(stub.quote_posts()) == 1
    assert TOKEN not in caplog.text


def test_a_quote_refused_for_its_blocks_is_posted_once_as_plain_text(
    world: World, stub: QuoteStub
) -> None:
    stub.fail("chat.postMessage", error="invalid_blocks")
    outcome = world.quoter.tick()
    assert outcome is not None and outcome.status == "posted"
    refused, _ = stub.calls_to("chat.postMessage")
    [call] = stub.quote_posts()
    assert refused.blocks and "blocks" not in call.params
    quote = outcome.quote
    assert quote is not None
    assert call.text == (
        f"*Today's leadership quote*\n>{quote.text}\n— {quote.author} · From: {quote.article_title}"
    )
    assert call.params["metadata"]["event_type"] == "daily_quote"
    row = get_row(world.engine, CHANNEL, MONDAY)
    assert row is not None and row.state == LedgerState.POSTED
    assert row.message_ts == call.response["ts"]


def test_a_failing_tick_does_not_stop_the_scheduler(
    stub: QuoteStub, db_url: str, clock: Clock
) -> None:
    class Flaky:
        """A library whose first look at the quotes blows up."""

        def __init__(self) -> None:
            self.calls = 0
            self._quotes = make_quotes(3)

        @property
        def quotes(self) -> list[Quote]:
            self.calls += 1
            if self.calls == 1:
                raise RuntimeError("boom")
            return self._quotes

    w = make_world(stub, db_url, clock)
    handle = start_scheduler(
        w.settings, Flaky(), w.client, w.engine, tick_seconds=0.01, clock=clock
    )
    try:
        assert handle.wait_for_ticks(3)
        assert handle.running
    finally:
        handle.stop()
    assert len(stub.quote_posts()) == 1
