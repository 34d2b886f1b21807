"""A channel scheduled with --reflect: its reflection question follows the quote in the
quote's thread once (after a restart, on another replica, after a manual post, when its
post failed or its reply was lost)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.daily_quote import post_today
from bot.daily_quote.channels import save_plan
from bot.daily_quote.plan import QuotePlan
from bot.store.engine import make_engine
from tests.daily_quote.quote_workspace import TOKEN
from tests.daily_quote.quote_world import Clock, FakeLibrary, QuoteStub, make_quotes, make_settings
from tests.daily_quote.schedules.schedule_world import (
    NY,
    SG,
    TUESDAY,
    WEEKDAYS,
    posts,
    posts_ts,
    replica,
    utc,
    walk,
)
from tests.slack_checks import assert_valid_message
from tests.slack_stub import missing_required


def test_reflection_question_goes_in_the_quotes_thread_once(
    stub: QuoteStub, db_url: str, clock: Clock
) -> None:
    def question(quote: Any) -> str:
        return f"*Reflection* — how does “{quote.article_title}” apply to your team?"

    first = replica(stub, db_url, clock, reflections=question)
    save_plan(first.engine, QuotePlan(SG, "08:30", "Asia/Singapore", WEEKDAYS, reflect=True))
    save_plan(first.engine, QuotePlan(NY, "08:30", "America/New_York", WEEKDAYS))
    clock.set(utc(date(2026, 11, 30), 0, 30))
    first.tick()
    first.tick()
    replies = [c for c in stub.quote_posts() if c.params.get("thread_ts")]
    [quote_post] = [c for c in stub.quote_posts() if not c.params.get("thread_ts")]
    assert [r.params["thread_ts"] for r in replies] == [quote_post.response["ts"]]
    assert replies[0].params["channel"] == SG and "Reflection" in replies[0].params["text"]
    # a restart and more ticks that day: no second question; New York has none at all
    again = replica(stub, db_url, clock, reflections=question)
    walk(clock, utc(date(2026, 11, 30), 20), again.tick)
    assert len([c for c in stub.quote_posts() if c.params.get("thread_ts")]) == 1
    assert len([c for c, *_ in posts(stub) if c == NY]) == 1


def test_failed_reflection_is_tried_again_on_a_later_tick(
    stub: QuoteStub, db_url: str, clock: Clock
) -> None:
    scheduler = replica(stub, db_url, clock, reflections=lambda q: "*Reflection* — why?")
    save_plan(scheduler.engine, QuotePlan(SG, "08:30", "Asia/Singapore", WEEKDAYS, reflect=True))
    clock.set(utc(date(2026, 11, 30), 0, 30))
    scheduler.tick()  # quote posted, reflection posted
    assert len([c for c in stub.quote_posts() if c.params.get("thread_ts")]) == 1
    clock.set(utc(date(2026, 12, 1), 0, 30))
    quoter = scheduler.quoters[SG]
    assert quoter._tick_day(TUESDAY, clock()) is not None  # Tuesday's quote, no question yet
    stub.fail("chat.postMessage", error="internal_error")  # the question's post fails once
    quoter._reflect(TUESDAY, clock())
    assert len([c for c in stub.quote_posts() if c.params.get("thread_ts")]) == 1
    clock.advance(minutes=10)
    scheduler.tick()  # a later tick asks again
    replies = [c for c in stub.quote_posts() if c.params.get("thread_ts")]
    assert len(replies) == 2
    assert replies[1].params["thread_ts"] == posts_ts(stub, SG)[-1]


def test_a_manual_post_after_the_morning_window_still_gets_its_reflection(
    stub: QuoteStub, db_url: str
) -> None:
    """`coach quote --channel C0SINGAPO --post` in Singapore's evening, after the morning's
    grace window: before, the quote was posted and its reflection question silently never
    followed, though README says it does for a channel scheduled with --reflect."""
    settings = make_settings(stub, db_url, quote_channel=None)
    plan = QuotePlan(SG, "08:30", "Asia/Singapore", WEEKDAYS, reflect=True)
    evening = utc(date(2026, 11, 30), 10)  # 18:00 in Singapore; the window closed at 12:30
    outcome = post_today(
        settings,
        FakeLibrary(make_quotes(5)),
        WebClient(token=TOKEN, base_url=stub.api_url),
        make_engine(settings.db_url),
        now=evening,
        plan=plan,
        reflections=lambda q: f"*Reflection* — how does “{q.article_title}” apply?",
    )
    assert outcome.status == "posted"
    replies = [c for c in stub.quote_posts() if c.params.get("thread_ts")]
    assert [r.params["thread_ts"] for r in replies] == posts_ts(stub, SG)
    assert "Reflection" in replies[0].params["text"]


@pytest.mark.parametrize("fault", [{"drop_after": True}, {"status": 503}])
def test_reflection_whose_reply_was_lost_is_not_posted_twice(
    stub: QuoteStub, db_url: str, clock: Clock, fault: dict[str, Any]
) -> None:
    """Slack took the question but its reply was lost (a reset after Slack took it), or
    Slack answered 503 and Slack's state is unknown: before, the claim was released and the
    next tick, on any replica, posted the question again (two in the quote's thread); now
    that tick reads the thread first and posts only what is not there."""
    scheduler = replica(stub, db_url, clock, reflections=lambda q: "*Reflection* — why?")
    save_plan(scheduler.engine, QuotePlan(SG, "08:30", "Asia/Singapore", WEEKDAYS, reflect=True))
    clock.set(utc(date(2026, 11, 30), 0, 30))
    [quoter] = scheduler.refresh()
    assert quoter._tick_day(date(2026, 11, 30), clock()) is not None  # the quote, no question
    stub.fail("chat.postMessage", **fault)
    quoter._reflect(date(2026, 11, 30), clock())
    took = bool(fault.get("drop_after"))  # the stub's 503 took nothing: it is posted later
    other = replica(stub, db_url, clock, reflections=lambda q: "*Reflection* — why?")
    walk(clock, utc(date(2026, 11, 30), 2), other.tick)  # another replica's ticks
    in_thread = [m for m in stub.messages[SG] if m.get("thread_ts")]
    assert len(in_thread) == 1
    assert len([c for c in stub.quote_posts() if c.params.get("thread_ts")]) == (0 if took else 1)
    for call in stub.calls:
        assert missing_required(call) == [], call.method
    for call in stub.calls_to("chat.postMessage"):
        assert_valid_message(call)
