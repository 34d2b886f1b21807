"""Per-channel quote schedules end to end: two channels in their own time zones, a skipped
date, a restart and two replicas, against the recording Slack stub and one SQLite file.
Time is a settable clock moved in steps; nothing here sleeps to make something happen."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient
from typer.testing import CliRunner

from bot.daily_quote import post_today
from bot.daily_quote.channels import all_plans, save_plan
from bot.daily_quote.plan import QuotePlan, parse_days, parse_skip
from bot.daily_quote.poster import DailyQuoter
from bot.daily_quote.runner import QuoteScheduler, start_scheduler
from bot.store.engine import make_engine
from tests.daily_quote.quote_world import (
    TOKEN,
    Clock,
    FakeLibrary,
    QuoteStub,
    make_quotes,
    make_settings,
)
from tests.slack_checks import assert_valid_message
from tests.slack_stub import missing_required

NY, SG = "C0NEWYORK", "C0SINGAPO"
WEEKDAYS = parse_days("mon-fri")
SUNDAY = date(2026, 11, 29)
TUESDAY = date(2026, 12, 1)


def utc(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock(utc(SUNDAY, 12))


@pytest.fixture
def stub(clock: Clock) -> Any:
    with QuoteStub(clock) as s:
        yield s


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{(tmp_path / 'coach.db').as_posix()}"


def plans() -> list[QuotePlan]:
    return [
        QuotePlan(NY, "08:30", "America/New_York", WEEKDAYS, parse_skip("2026-12-01")),
        QuotePlan(SG, "08:30", "Asia/Singapore", WEEKDAYS),
    ]


def replica(
    stub: QuoteStub,
    db_url: str,
    clock: Clock,
    *,
    library: FakeLibrary | None = None,
    reflections: Callable[[Any], str | None] | None = None,
    **settings: Any,
) -> QuoteScheduler:
    """One `coach serve` process: its own engine, client and owner id; the shared DB."""
    settings.setdefault("quote_channel", None)
    s = make_settings(stub, db_url, **settings)
    engine = make_engine(s.db_url)
    quotes = library or FakeLibrary(make_quotes(5))
    client = WebClient(token=TOKEN, base_url=stub.api_url)
    quoter_for = partial(
        DailyQuoter,
        s,
        quotes,
        client,
        engine,
        clock=clock,
        sleep=lambda _s: None,
        reflections=reflections,
    )
    return QuoteScheduler(s, engine, quoter_for)


def posts(stub: QuoteStub) -> list[tuple[str, datetime, str]]:
    """(channel, when it was posted, the ledger key in its metadata) for each quote post."""
    out = []
    for call in stub.quote_posts():
        if call.params.get("thread_ts"):
            continue  # a reflection question, not a quote
        ts = float(call.response["ts"])
        key = call.params["metadata"]["event_payload"]["ledger_key"]
        out.append((call.params["channel"], datetime.fromtimestamp(int(ts), UTC), key))
    return out


def walk(clock: Clock, until: datetime, step: Callable[[], None], minutes: int = 10) -> None:
    while clock() < until:
        step()
        clock.advance(minutes=minutes)


def test_two_time_zones_a_skipped_date_a_restart_and_two_replicas(
    stub: QuoteStub, db_url: str, clock: Clock
) -> None:
    first = replica(stub, db_url, clock)
    for plan in plans():
        save_plan(first.engine, plan)

    # Sunday noon UTC .. Tuesday 00:00 UTC: one process
    walk(clock, utc(TUESDAY, 0), first.tick)
    # it restarts (a new owner, same database) and runs until Wednesday 00:00 UTC
    restarted = replica(stub, db_url, clock)
    walk(clock, utc(TUESDAY + timedelta(days=1), 0), restarted.tick)

    # Wednesday: two replicas tick at the same moments
    other = replica(stub, db_url, clock)

    def both() -> None:
        barrier = threading.Barrier(2)

        def run(s: QuoteScheduler) -> None:
            barrier.wait()
            s.tick()

        threads = [threading.Thread(target=run, args=(s,)) for s in (restarted, other)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)

    walk(clock, utc(TUESDAY + timedelta(days=2), 0), both)

    seen = posts(stub)
    assert sorted((c, when) for c, when, _ in seen) == sorted(
        [
            # Singapore: 08:30 local = 00:30 UTC, Monday to Wednesday
            (SG, utc(date(2026, 11, 30), 0, 30)),
            (SG, utc(TUESDAY, 0, 30)),
            (SG, utc(date(2026, 12, 2), 0, 30)),
            # New York: 08:30 EST = 13:30 UTC on Monday and Wednesday; Tuesday was skipped
            (NY, utc(date(2026, 11, 30), 13, 30)),
            (NY, utc(date(2026, 12, 2), 13, 30)),
        ]
    )
    assert {key for *_, key in seen} == {
        f"2026-11-30/{SG}",
        f"2026-12-01/{SG}",
        f"2026-12-02/{SG}",
        f"2026-11-30/{NY}",
        f"2026-12-02/{NY}",
    }
    for call in stub.calls:
        assert missing_required(call) == [], call.method


def test_late_start_within_the_grace_window_posts_after_it_does_not(
    stub: QuoteStub, db_url: str, clock: Clock
) -> None:
    scheduler = replica(stub, db_url, clock, quote_grace_minutes=60)
    save_plan(scheduler.engine, plans()[0])  # New York, 08:30, grace 60 minutes
    save_plan(scheduler.engine, plans()[1])
    clock.set(utc(date(2026, 11, 30), 14, 15))  # 09:15 in New York; 22:15 in Singapore
    scheduler.tick()
    assert [c for c, *_ in posts(stub)] == [NY]
    clock.set(utc(date(2026, 12, 1), 2, 0))  # Singapore: 10:00, past 08:30 + 60 min
    scheduler.tick()
    assert [c for c, *_ in posts(stub)] == [NY]


def test_each_channel_has_its_own_no_repeat_rotation(
    stub: QuoteStub, db_url: str, clock: Clock
) -> None:
    scheduler = replica(stub, db_url, clock)
    save_plan(scheduler.engine, QuotePlan("C0MONDAYS", "09:00", "UTC", ("mon",)))
    save_plan(scheduler.engine, QuotePlan("C0DAILY01", "09:00", "UTC", parse_days("mon-sun")))
    walk(clock, utc(SUNDAY + timedelta(weeks=5), 12), scheduler.tick, minutes=60)
    by_channel: dict[str, list[str]] = {}
    for call in stub.quote_posts():
        payload = call.params["metadata"]["event_payload"]
        by_channel.setdefault(call.params["channel"], []).append(payload["quote_key"])
    mondays = by_channel["C0MONDAYS"]
    assert len(mondays) == 5 and len(set(mondays)) == 5  # every quote once in five Mondays
    daily = by_channel["C0DAILY01"]
    for start in range(0, 35, 5):  # and the daily channel never repeats within a round
        assert len(set(daily[start : start + 5])) == len(daily[start : start + 5])


def test_quote_channel_still_works_beside_stored_schedules(
    stub: QuoteStub, db_url: str, clock: Clock
) -> None:
    scheduler = replica(
        stub, db_url, clock, quote_channel="C0LONDON1", quote_timezone="Europe/London"
    )
    save_plan(scheduler.engine, plans()[1])
    assert [p.channel for p in all_plans(scheduler.settings, scheduler.engine)] == [
        SG,
        "C0LONDON1",
    ]
    walk(clock, utc(date(2026, 11, 30), 12), scheduler.tick)
    assert sorted(c for c, *_ in posts(stub)) == ["C0LONDON1", SG]


def test_a_schedule_added_while_serving_is_picked_up(
    stub: QuoteStub, db_url: str, clock: Clock
) -> None:
    s = make_settings(stub, db_url, quote_channel=None)
    engine = make_engine(s.db_url)
    client = WebClient(token=TOKEN, base_url=stub.api_url)
    clock.set(utc(date(2026, 11, 30), 9, 5))
    handle = start_scheduler(
        s, FakeLibrary(make_quotes(3)), client, engine, tick_seconds=0.01, clock=clock
    )
    try:
        assert handle.wait_for_ticks(2)
        assert posts(stub) == []
        save_plan(engine, QuotePlan("C0ADDED01", "09:00", "UTC", WEEKDAYS))
        stub.wait_for("chat.postMessage")
    finally:
        handle.stop()
    assert [c for c, *_ in posts(stub)] == ["C0ADDED01"]


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


def posts_ts(stub: QuoteStub, channel: str) -> list[str]:
    return [
        c.response["ts"]
        for c in stub.quote_posts()
        if c.params["channel"] == channel and not c.params.get("thread_ts")
    ]


def test_schedule_cli_add_list_remove(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from bot.cli import app

    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.delenv("QUOTE_CHANNEL", raising=False)
    runner = CliRunner()
    added = runner.invoke(
        app,
        [
            "quote",
            "schedule",
            "add",
            NY,
            "--time",
            "8:30",
            "--tz",
            "America/New_York",
            "--days",
            "mon-fri",
            "--skip",
            "2026-12-25,2027-01-01",
            "--reflect",
        ],
    )
    assert added.exit_code == 0, added.output
    assert "08:30 America/New_York on mon-fri except 2026-12-25,2027-01-01" in added.output
    bad = runner.invoke(app, ["quote", "schedule", "add", SG, "--tz", "Mars/Olympus"])
    assert bad.exit_code == 1 and "--tz" in bad.output
    listed = runner.invoke(app, ["quote", "schedule", "list", "--json"])
    assert json.loads(listed.output) == [
        {
            "channel": NY,
            "time": "08:30",
            "timezone": "America/New_York",
            "days": ["mon", "tue", "wed", "thu", "fri"],
            "skip": ["2026-12-25", "2027-01-01"],
            "reflect": True,
            "source": "database",
        }
    ]
    assert runner.invoke(app, ["quote", "schedule", "remove", NY]).exit_code == 0
    assert runner.invoke(app, ["quote", "schedule", "remove", NY]).exit_code == 2
    assert "No quote schedules" in runner.invoke(app, ["quote", "schedule", "list"]).output


def test_coach_quote_posts_to_a_scheduled_channel_by_hand(
    stub: QuoteStub, db_url: str, shipped_library: Any, run_coach: Any
) -> None:
    """`coach quote --channel C --post`: that channel's quote, once a day; its reflection."""
    from zoneinfo import ZoneInfo

    engine = make_engine(db_url)
    singapore_now = datetime.now(ZoneInfo("Asia/Singapore")).strftime("%H:%M")
    save_plan(engine, QuotePlan(NY, "08:30", "America/New_York", WEEKDAYS))
    save_plan(engine, QuotePlan(SG, singapore_now, "Asia/Singapore", WEEKDAYS, reflect=True))
    env = {
        "DATABASE_URL": db_url,
        "SLACK_API_URL": stub.api_url,
        "SLACK_BOT_TOKEN": TOKEN,
    }

    shown = run_coach("quote", "--channel", SG, env=env)
    assert shown.returncode == 0, shown.stderr
    posted = run_coach("quote", "--channel", SG, "--post", env=env)
    assert posted.returncode == 0, posted.stderr
    again = run_coach("quote", "--channel", SG, "--post", env=env)
    assert again.returncode == 0 and "--force" in again.stdout

    [post] = [p for p in stub.quote_posts() if not p.params.get("thread_ts")]
    assert post.params["channel"] == SG
    quote_text = shown.stdout.strip().splitlines()[0].strip('“”" ')
    assert quote_text[:40] in post.params["text"]
    [reflection] = [p for p in stub.quote_posts() if p.params.get("thread_ts")]
    assert reflection.params["channel"] == SG
    assert reflection.params["thread_ts"] == post.response["ts"]

    unknown = run_coach("quote", "--channel", "C0NOWHERE", "--post", env=env)
    assert unknown.returncode == 1
    assert "C0NOWHERE" in unknown.stderr and NY in unknown.stderr and SG in unknown.stderr
    assert len(stub.quote_posts()) == 2  # nothing more posted
