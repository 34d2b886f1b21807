"""A post whose outcome the poster never learnt (killed mid-post, a 500 or a lost reply
after Slack took it): the day's claim is resolved from the channel's history, and the
quote is in the channel once."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

import bot.daily_quote.delivery as delivery
from bot.daily_quote import start_scheduler
from bot.store.quote_ledger import get_row
from bot.store.quote_posts import post_log
from bot.store.tables import LedgerState
from tests.daily_quote.quote_workspace import CHANNEL, TOKEN
from tests.daily_quote.quote_world import MONDAY, Clock, QuoteStub, World, at, make_world, row_state
from tests.slack_stub import missing_required


class Crash(BaseException):
    """Stands in for kill -9: nothing after it runs, not even `except Exception`."""


class DyingClient(WebClient):
    def chat_postMessage(self, **kwargs: Any) -> Any:  # noqa: N802 - slack_sdk's name
        raise Crash()


def killed_before_slack(stub: QuoteStub, db_url: str, clock: Clock) -> None:
    """A process killed as it was about to send the day's quote: its claim is left in the
    ledger, nothing reached Slack."""
    dying = make_world(stub, db_url, clock, client=DyingClient(token=TOKEN, base_url=stub.api_url))
    with pytest.raises(Crash):
        dying.quoter.tick()


def killed_after_slack(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """`world`'s process killed after Slack answered its post, before it recorded it."""

    def killed(*args: Any, **kwargs: Any) -> bool:
        raise Crash()

    with monkeypatch.context() as m:
        m.setattr(delivery, "mark_posted", killed)
        with pytest.raises(Crash):
            world.quoter.tick()


def test_crash_after_message_reached_slack_is_not_doubled(
    world: World, stub: QuoteStub, db_url: str, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    killed_after_slack(world, monkeypatch)
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
    killed_before_slack(stub, db_url, clock)
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
    killed_before_slack(stub, db_url, clock)
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
    killed_before_slack(stub, db_url, clock)
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


def test_a_plain_text_quote_whose_post_was_not_recorded_is_found_by_its_text(
    world: World, stub: QuoteStub, db_url: str, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A workspace that drops metadata: the recovery after a crash finds the quote's
    plain-text re-send by its exact text, and posts nothing again."""
    stub.keeps_metadata = False

    stub.fail("chat.postMessage", error="invalid_blocks")
    killed_after_slack(world, monkeypatch)  # after Slack took the plain text
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
