"""The weekly gaps post to REPORT_CHANNEL: once a week across restarts and replicas, never
doubled by a crash after posting, and the serve thread that sweeps retention hourly."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.gaps.service import Gaps
from bot.gaps.weekly import WeeklyReporter
from bot.store.tables import asked_questions
from tests.gaps.asked_rows import NOW, count, fill
from tests.gaps.weekly_reporter import checked, reporter, weekly_settings
from tests.slack_stub import SlackStub


def test_weekly_report_posts_once_across_a_restart(slack_stub: SlackStub, engine: Engine) -> None:
    settings = weekly_settings(slack_stub)
    fill(engine, NOW)
    # Monday 09:00 in Paris is 08:00 UTC: nothing before, then one post
    first = reporter(settings, engine)
    assert first.tick(datetime(2026, 11, 23, 7, 59, tzinfo=UTC)) is None
    assert first.tick(NOW) is not None
    # the process restarts (a new owner) and a replica runs too: neither posts again
    assert reporter(settings, engine).tick(NOW + timedelta(minutes=1)) is None
    assert reporter(settings, engine).tick(NOW + timedelta(days=3)) is None
    posts = slack_stub.calls_to("chat.postMessage")
    assert len(posts) == 1
    assert posts[0].params["channel"] == "CREPORTS"
    assert "Content gaps" in json.dumps(posts[0].params["blocks"])
    assert "U1" not in json.dumps(posts[0].params)  # who asked is never posted
    # next Monday is a new week
    assert reporter(settings, engine).tick(NOW + timedelta(days=7)) is not None
    assert len(slack_stub.calls_to("chat.postMessage")) == 2


def test_weekly_report_interrupted_after_posting_is_not_doubled(
    slack_stub: SlackStub, engine: Engine
) -> None:
    """A process dies after Slack stored the post but before the ledger said so: the next
    one finds the post in the history (its metadata) and records it instead of re-posting."""
    from bot.store.quote_ledger import get_row

    settings = weekly_settings(slack_stub)
    # the stub's message ts count from 1_700_000_000 (a Tuesday); history is read from the
    # claim's time on, so the clock sits just before the stub's first ts
    now = datetime.fromtimestamp(1_700_000_000 - 60, UTC)
    crashed = reporter(settings, engine)
    crashed_mark = "bot.gaps.weekly.mark_posted"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(crashed_mark, lambda *a, **k: False)  # dies before recording
        assert crashed.tick(now) is not None
    assert len(slack_stub.calls_to("chat.postMessage")) == 1
    later = reporter(settings, engine)
    # within the dead owner's lease nothing happens; after it, the post is found
    assert later.tick(now + timedelta(seconds=30)) is None
    found = later.tick(now + timedelta(minutes=5))
    assert found == slack_stub.calls_to("chat.postMessage")[0].response["ts"]
    assert len(slack_stub.calls_to("chat.postMessage")) == 1
    row = get_row(engine, "report:CREPORTS", date(2023, 11, 13))  # that week's Monday
    assert row is not None and row.state == "posted"


def test_weekly_report_whose_reply_was_lost_is_not_doubled_when_slacks_ts_is_behind(
    slack_stub: SlackStub, engine: Engine
) -> None:
    """Slack stored the post but its reply was lost; Slack's ts run behind this host's clock
    (here by years: the stub's ts count from 2023). The retry finds the post, not a new one."""
    settings = weekly_settings(slack_stub)
    fill(engine, NOW)
    slack_stub.fail("chat.postMessage", drop_after=True)
    assert reporter(settings, engine).tick(NOW) is None  # failed, as far as it knows
    reporter(settings, engine).tick(NOW + timedelta(hours=1))  # its retry
    assert len(slack_stub.messages["CREPORTS"]) == 1


@pytest.mark.parametrize(
    ("status", "retry_after", "waits"),
    [(503, None, 0), (429, 30, 0), (429, 600, 10)],
)
def test_weekly_report_due_in_a_slack_outage_follows_it_once(
    slack_stub: SlackStub, engine: Engine, status: int, retry_after: int | None, waits: int
) -> None:
    """Slack answers 503 (or 429) when the report is due. Before, the report waited 15
    minutes whatever happened (a one-minute outage: 15 minutes late; a Retry-After longer
    than that: tried into the rate limit); now the next tick after the outage (a minute on)
    posts it, or the first after Retry-After, and only once."""
    settings = weekly_settings(slack_stub)
    fill(engine, NOW)
    slack_stub.fail("chat.postMessage", status=status, retry_after=retry_after)
    assert reporter(settings, engine).tick(NOW) is None  # due, and Slack says no
    tried = len(slack_stub.calls)
    if waits:  # within Retry-After no replica calls Slack
        assert reporter(settings, engine).tick(NOW + timedelta(minutes=waits - 1)) is None
        assert len(slack_stub.calls) == tried
    assert reporter(settings, engine).tick(NOW + timedelta(minutes=waits + 1)) is not None
    for later in (2, 20, 60):
        assert reporter(settings, engine).tick(NOW + timedelta(minutes=waits + later)) is None
    assert len(slack_stub.messages["CREPORTS"]) == 1
    checked(slack_stub)


def test_weekly_report_whose_reply_was_lost_waits_while_the_history_cannot_be_read(
    slack_stub: SlackStub, engine: Engine
) -> None:
    """Slack stored the post but its reply was lost, and at the retry Slack cannot show the
    channel's history (503). Before, the report was posted again without looking (two in
    the channel); now the retry waits, and the next one finds the first post."""
    settings = weekly_settings(slack_stub)
    fill(engine, NOW)
    slack_stub.fail("chat.postMessage", drop_after=True)
    assert reporter(settings, engine).tick(NOW) is None
    slack_stub.fail("conversations.history", status=503)
    assert reporter(settings, engine).tick(NOW + timedelta(minutes=1)) is None
    found = reporter(settings, engine).tick(NOW + timedelta(minutes=2))
    assert [m["ts"] for m in slack_stub.messages["CREPORTS"]] == [found]
    checked(slack_stub)


def test_a_report_slower_to_build_than_the_lease_is_posted_once(
    slack_stub: SlackStub, engine: Engine
) -> None:
    """A replica claims the week's report and takes longer to build it than its lease (a
    slow, loaded host); meanwhile another replica takes the claim over and posts. Before,
    the first had renewed its lease before building and posted too: two reports in the
    channel. Now it renews after building, finds the claim is no longer its own, and stops."""
    settings = weekly_settings(slack_stub)
    fill(engine, NOW)
    gaps = Gaps(engine, None, 90)
    other = reporter(settings, engine)

    def slow_report(days: int) -> Any:
        # while this replica builds, a tick of another one falls well after its lease
        assert other.tick(NOW + timedelta(minutes=5)) is not None
        return gaps.report(days)

    from slack_sdk import WebClient

    client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
    slow = WeeklyReporter(settings, engine, client, slow_report)
    assert slow.tick(NOW) is None
    assert len(slack_stub.messages["CREPORTS"]) == 1
    checked(slack_stub)


def test_weekly_report_off_without_report_channel(slack_stub: SlackStub, engine: Engine) -> None:
    settings = weekly_settings(slack_stub).replace(report_channel=None)
    assert reporter(settings, engine).tick(NOW) is None
    assert slack_stub.calls_to("chat.postMessage") == []


def test_serve_thread_sweeps_hourly_and_posts_the_weekly_report(
    slack_stub: SlackStub, engine: Engine
) -> None:
    from bot.gaps.runner import GapsRunner

    fill(engine, NOW)
    clock = [NOW + timedelta(days=100)]  # everything filled is past 90 days' retention
    settings = weekly_settings(slack_stub)
    runner = GapsRunner(Gaps(engine, None, 90), reporter(settings, engine), clock=lambda: clock[0])
    assert runner.tick() is not None  # a Monday after 09:00 Paris: the week's report
    assert count(engine, asked_questions) == 0  # swept before it was built
    fill(engine, clock[0] - timedelta(days=95))  # past retention again
    clock[0] += timedelta(minutes=30)
    assert runner.tick() is None  # posted already
    assert count(engine, asked_questions) == 6  # no second sweep within the hour
    clock[0] += timedelta(minutes=31)
    runner.tick()
    assert count(engine, asked_questions) == 0
    assert len(slack_stub.calls_to("chat.postMessage")) == 1
