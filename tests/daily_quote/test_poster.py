"""The daily quote, end to end: a real WebClient, a local recording Slack stub, a SQLite file.

Time is injected (a settable clock), so nothing here sleeps to make something happen.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block
from slack_sdk.web import SlackResponse

import bot.daily_quote.delivery as delivery
from bot.daily_quote import (
    PostOutcome,
    due_at,
    post_today,
    quote_for_date,
    start_scheduler,
    todays_quote,
)
from bot.daily_quote.message import quote_message
from bot.daily_quote.poster import MAX_ATTEMPTS
from bot.settings import Settings
from bot.store.engine import make_engine
from bot.store.quote_ledger import get_row
from bot.store.quote_posts import post_log
from bot.store.tables import LedgerState
from bot.store.tables import quote_ledger as ledger_table
from index.types import Quote
from tests.daily_quote.quote_world import (
    CHANNEL,
    MONDAY,
    TOKEN,
    Clock,
    FakeLibrary,
    QuoteStub,
    World,
    at,
    make_quotes,
    make_world,
    row_state,
)
from tests.pg_fixtures import BACKENDS, database_url_for
from tests.slack_stub import missing_required


class Crash(BaseException):
    """Stands in for kill -9: nothing after it runs, not even `except Exception`."""


@pytest.fixture
def clock() -> Clock:
    return Clock(at(MONDAY, 9, 0))


@pytest.fixture
def stub(clock: Clock) -> Any:
    with QuoteStub(clock) as s:
        yield s


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The quote ledger's database: every test runs on SQLite and on PostgreSQL."""
    return database_url_for(request.param, request, tmp_path)


@pytest.fixture
def world(stub: QuoteStub, db_url: str, clock: Clock) -> World:
    return make_world(stub, db_url, clock)


# ---- posting at the right time ------------------------------------------------------------


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


# ---- exactly once -------------------------------------------------------------------------


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


# ---- crash mid-post -----------------------------------------------------------------------


def test_crash_after_message_reached_slack_is_not_doubled(
    world: World, stub: QuoteStub, db_url: str, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    def killed(*args: Any, **kwargs: Any) -> bool:
        raise Crash()

    with monkeypatch.context() as m:
        m.setattr(delivery, "mark_posted", killed)  # dies after Slack answered, before recording
        with pytest.raises(Crash):
            world.quoter.tick()
    assert len(stub.quote_posts()) == 1
    assert row_state(world) == LedgerState.POSTING

    # Restarted at once: the dead claim's lease has not lapsed yet, so it is left alone.
    clock.advance(seconds=20)
    restarted = make_world(stub, db_url, clock)
    waiting = restarted.quoter.tick()
    assert waiting is not None and waiting.status == "in_progress"
    assert len(stub.quote_posts()) == 1
    # Within two minutes of coming back the claim is resolved from the channel history.
    clock.advance(seconds=90)
    restarted.quoter.tick()
    assert len(stub.quote_posts()) == 1
    row = get_row(restarted.engine, CHANNEL, MONDAY)
    assert row is not None and row.state == LedgerState.POSTED
    assert row.message_ts == stub.quote_posts()[0].response["ts"]
    history = stub.calls_to("conversations.history")
    assert history and float(history[0].params["oldest"]) <= at(MONDAY, 9).timestamp()
    assert missing_required(history[0]) == [] and history[0].params["channel"] == CHANNEL
    assert [r.recovered for r in post_log(restarted.engine)] == [True]


def test_crash_before_message_reached_slack_posts_once_after_recovery(
    stub: QuoteStub, db_url: str, clock: Clock
) -> None:
    class DyingClient(WebClient):
        def chat_postMessage(self, **kwargs: Any) -> Any:  # noqa: N802 - slack_sdk's name
            raise Crash()

    dying = make_world(stub, db_url, clock, client=DyingClient(token=TOKEN, base_url=stub.api_url))
    with pytest.raises(Crash):
        dying.quoter.tick()
    assert stub.quote_posts() == []

    clock.advance(minutes=2)
    restarted = make_world(stub, db_url, clock)
    outcome = restarted.quoter.tick()
    assert len(stub.quote_posts()) == 1
    assert stub.calls_to("conversations.history")  # it looked before posting
    assert row_state(restarted) == LedgerState.POSTED
    assert outcome is None or outcome.posted
    # And once more, for good measure: nothing else goes out.
    clock.advance(minutes=5)
    restarted.quoter.tick()
    assert len(stub.quote_posts()) == 1


def test_stale_claim_is_recovered_by_the_running_scheduler(
    stub: QuoteStub, db_url: str, clock: Clock
) -> None:
    class DyingClient(WebClient):
        def chat_postMessage(self, **kwargs: Any) -> Any:  # noqa: N802
            raise Crash()

    dying = make_world(stub, db_url, clock, client=DyingClient(token=TOKEN, base_url=stub.api_url))
    with pytest.raises(Crash):
        dying.quoter.tick()
    clock.advance(seconds=100)
    w = make_world(stub, db_url, clock)
    handle = start_scheduler(
        w.settings, w.library, w.client, w.engine, tick_seconds=0.01, clock=clock
    )
    try:
        assert handle.wait_for_ticks(2)
    finally:
        handle.stop()
    assert len(stub.quote_posts()) == 1


def test_stale_claim_from_a_closed_window_is_not_posted(
    stub: QuoteStub, db_url: str, clock: Clock
) -> None:
    class DyingClient(WebClient):
        def chat_postMessage(self, **kwargs: Any) -> Any:  # noqa: N802
            raise Crash()

    dying = make_world(stub, db_url, clock, client=DyingClient(token=TOKEN, base_url=stub.api_url))
    with pytest.raises(Crash):
        dying.quoter.tick()
    clock.set(at(MONDAY, 18, 0))  # back long after the window closed
    w = make_world(stub, db_url, clock)
    assert w.quoter.tick() is None
    assert stub.quote_posts() == []
    assert row_state(w) == LedgerState.FAILED


def test_server_error_after_delivery_is_not_doubled(
    stub: QuoteStub, db_url: str, clock: Clock
) -> None:
    class FlakyAfterSend(WebClient):
        """Slack got the message but the answer was a 500: the post must not repeat."""

        failed = False

        def chat_postMessage(self, **kwargs: Any) -> Any:  # noqa: N802
            response = super().chat_postMessage(**kwargs)
            if not self.failed:
                self.failed = True
                bad = SlackResponse(
                    client=self,
                    http_verb="POST",
                    api_url="chat.postMessage",
                    req_args={},
                    data={"ok": False, "error": "internal_error"},
                    headers={},
                    status_code=500,
                )
                raise SlackApiError("server error", bad)
            return response

    w = make_world(stub, db_url, clock, client=FlakyAfterSend(token=TOKEN, base_url=stub.api_url))
    outcome = w.quoter.tick()
    assert outcome is not None and outcome.status == "recovered"
    assert len(stub.quote_posts()) == 1
    assert row_state(w) == LedgerState.POSTED


def test_lost_reply_is_not_doubled_when_slacks_clock_is_behind_ours(
    db_url: str, clock: Clock
) -> None:
    """Slack posted the quote but its reply was lost, and this host's clock runs ten minutes
    ahead of Slack's (or a stand-in's timestamps are not the wall clock): the history look
    still finds the post instead of posting the day's quote a second time."""

    class SlowClockStub(QuoteStub):
        def next_ts(self) -> str:
            return str(float(super().next_ts()) - 600)

    with SlowClockStub(clock) as stub:
        w = make_world(stub, db_url, clock)
        stub.fail("chat.postMessage", drop_after=True)
        outcome = w.quoter.tick()
        assert len(stub.messages[CHANNEL]) == 1  # in the channel once
        assert outcome is not None and outcome.status == "recovered"
        assert row_state(w) == LedgerState.POSTED


# ---- Slack failures -----------------------------------------------------------------------


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
    stub.fail("chat.postMessage", status=429, retry_after=120)
    outcome = world.quoter.tick()
    assert outcome is not None and outcome.status == "failed"
    assert world.sleeps == []  # never blocks the scheduler thread for minutes
    clock.advance(seconds=60)
    assert world.quoter.tick() is None  # Slack asked for 120 s
    clock.advance(seconds=61)
    assert world.quoter.tick() is not None
    assert len(stub.quote_posts()) == 1


def test_persistent_server_error_fails_then_a_later_tick_retries(
    world: World, stub: QuoteStub, clock: Clock
) -> None:
    stub.fail("chat.postMessage", status=500, times=1000)
    outcome = world.quoter.tick()
    assert outcome is not None and outcome.status == "failed"
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
    stub.fail("chat.postMessage", error="not_in_channel")
    outcome = world.quoter.tick()
    assert outcome is not None and outcome.status == "failed"
    assert "not_in_channel" in outcome.message
    assert len(stub.calls_to("chat.postMessage")) == 1
    clock.advance(minutes=5)
    assert world.quoter.tick() is None
    clock.advance(minutes=15)
    assert world.quoter.tick() is not None
    assert len(stub.quote_posts()) == 1
    assert TOKEN not in caplog.text


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


# ---- choice and rotation ------------------------------------------------------------------


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


# ---- off switch and escaping --------------------------------------------------------------


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


def test_quote_text_cannot_ping(stub: QuoteStub, db_url: str, clock: Clock) -> None:
    nasty = Quote(
        text="Hey <!channel> & <@U123>: Q&A at <https://evil.example|here>",
        author="R&D <!here>",
        article_title="Wins & Losses <!everyone>",
        key="nasty",
    )
    w = make_world(stub, db_url, clock, library=FakeLibrary([nasty]))
    assert w.quoter.tick() is not None
    [call] = stub.quote_posts()
    for payload in (call.text, str(call.blocks)):
        assert "<!" not in payload and "<@" not in payload and "<http" not in payload
        assert "&lt;!channel&gt;" in payload and "&amp;" in payload
    assert "&amp;lt;" not in call.text  # escaped once, not twice


def test_a_quote_naming_at_channel_notifies_no_one(
    stub: QuoteStub, db_url: str, clock: Clock
) -> None:
    """A quote, its author or its article's title with a literal @channel, @here or
    @everyone: Slack's mrkdwn would notify the whole quote channel; the words are shown,
    broken by a zero-width space, as every answer shows them."""
    loud = Quote(
        text="Tell @channel and @here: we win together.",
        author="@everyone on the team",
        article_title="Rallying @Channel at quarter end",
        key="loud",
    )
    w = make_world(stub, db_url, clock, library=FakeLibrary([loud]))
    assert w.quoter.tick() is not None
    [call] = stub.quote_posts()
    for payload in (call.text, json.dumps(call.blocks, ensure_ascii=False)):
        for word in ("@channel", "@here", "@everyone", "@Channel"):
            assert word not in payload, f"{word} in {payload}"
        assert "Tell @\u200bchannel and @\u200bhere: we win together." in payload
        assert "@\u200beveryone on the team" in payload


def test_quote_message_is_pure_and_within_limits() -> None:
    long = Quote(text="word " * 2000, author="A", article_title=None, key="long")
    message = quote_message(long)
    assert message["text"]
    assert "From:" not in str(message)
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in message["blocks"])
    assert quote_message(long) == message


def test_client_retry_handlers_never_resend_the_post(
    stub: QuoteStub, db_url: str, clock: Clock
) -> None:
    """The app's client retries 5xx itself; the daily post must check history instead."""
    from slack_sdk.http_retry.builtin_handlers import (
        ConnectionErrorRetryHandler,
        RateLimitErrorRetryHandler,
        ServerErrorRetryHandler,
    )

    handlers = [
        ConnectionErrorRetryHandler(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=3),
        ServerErrorRetryHandler(max_retry_count=2),
    ]
    client = WebClient(token=TOKEN, base_url=stub.api_url, retry_handlers=handlers)
    w = make_world(stub, db_url, clock, client=client)
    stub.fail("chat.postMessage", status=500)
    outcome = w.quoter.tick()
    assert outcome is not None and outcome.status == "posted"
    assert [c.method for c in stub.calls] == [
        "chat.postMessage",
        "conversations.history",  # since the claim
        "conversations.history",  # the newest messages, whatever their ts
        "chat.postMessage",
    ]
    assert client.retry_handlers == handlers  # the shared client is left as it was


def test_outcome_reads_well_for_the_cli(world: World, clock: Clock) -> None:
    first = post_today(world.settings, world.library, world.client, world.engine, now=clock())
    assert first.ok and str(first).startswith("Posted today's quote to CQUOTES")
    second = post_today(world.settings, world.library, world.client, world.engine, now=clock())
    assert second.ok and not second.status == "posted" and "already posted" in str(second)


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


def test_a_plain_text_quote_whose_post_was_not_recorded_is_found_by_its_text(
    world: World, stub: QuoteStub, db_url: str, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A workspace that drops metadata: the recovery after a crash finds the quote's
    plain-text re-send by its exact text, and posts nothing again."""
    stub.keeps_metadata = False

    def killed(*args: Any, **kwargs: Any) -> bool:
        raise Crash()

    stub.fail("chat.postMessage", error="invalid_blocks")
    with monkeypatch.context() as m:
        m.setattr(delivery, "mark_posted", killed)  # dies after Slack took the plain text
        with pytest.raises(Crash):
            world.quoter.tick()
    [posted] = stub.quote_posts()
    assert "blocks" not in posted.params

    clock.advance(minutes=2)
    restarted = make_world(stub, db_url, clock)
    restarted.quoter.tick()
    assert stub.quote_posts() == [posted]
    [history] = stub.calls_to("conversations.history")
    assert all("metadata" not in message for message in history.response["messages"])
    row = get_row(restarted.engine, CHANNEL, MONDAY)
    assert row is not None and row.state == LedgerState.POSTED
    assert row.message_ts == posted.response["ts"]
