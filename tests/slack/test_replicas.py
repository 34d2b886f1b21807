"""Three real `coach serve` processes on one PostgreSQL database, as a team would run them:
started together on an empty database; a mention answered once when Slack's retry goes to
another replica; a replica killed (-9) holding acked, unanswered questions, a
/leadership-tip, a "More like this" click, a Home tab and a vote's note, which the other
replicas answer and deliver within 60 s, once each; one daily quote and one weekly report
between them."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select

from bot.slack.messages.values import ACTION_HELPFUL, ACTION_MORE
from bot.store.tables import AnswerState, answer_queue
from tests.pg_fixtures import PostgresServer
from tests.slack.replicas import Replica, answers_in, wait_until
from tests.slack_payloads import block_action, event_envelope, mention, slack_command_form
from tests.slack_stub import SlackStub
from tests.slack_workspace import BOT_TOKEN, BOT_USER, SIGNING_SECRET

QUESTION = "how do I motivate my reps?"


@pytest.fixture
def replicas(
    postgres_server: PostgresServer,
    coach_env: dict[str, str],
    shipped_library: Any,
    tmp_path: Path,
) -> Iterator[tuple[list[Replica], SlackStub, str]]:
    """Three replicas started at once on one empty database, on a stub Slack."""
    url = postgres_server.new_database()
    now = datetime.now(UTC)
    with SlackStub(bot_user_id=BOT_USER) as stub:
        env = {
            **coach_env,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": stub.api_url,
            "DATABASE_URL": url,
            # a post waits half a lease: 5 s, for the victim below to be killed mid-post
            "ANSWER_LEASE_SECONDS": "10",
            "ANSWER_RETRY_MAX_SECONDS": "1",
            "QUOTE_CHANNEL": "CQUOTES",
            "QUOTE_TIMEZONE": "UTC",
            "QUOTE_DAYS": "mon,tue,wed,thu,fri,sat,sun",
            "QUOTE_TIME": f"{now.hour:02d}:{now.minute:02d}",  # due as they start
            "REPORT_CHANNEL": "CREPORTS",  # this week's report is due as they start too
            "LOG_LEVEL": "INFO",
        }
        started = [Replica(env, tmp_path / f"replica-{i}.log") for i in range(3)]
        try:
            yield started, stub, url
        finally:
            for replica in started:
                replica.stop()


def tips_shown(stub: SlackStub) -> list[Any]:
    return [c for c in stub.calls_to("response_url") if c.status == 200]


def home_tabs(stub: SlackStub) -> list[Any]:
    return [c for c in stub.calls_to("views.publish") if c.status == 200]


def notes(stub: SlackStub) -> list[Any]:
    return [c for c in stub.calls_to("chat.update") if c.status == 200]


def test_three_replicas_share_one_postgres_database(
    replicas: tuple[list[Replica], SlackStub, str],
) -> None:
    started, stub, url = replicas
    # all three come up on the empty database (one migrates, the others wait for it)
    wait_until(lambda: all(r.healthy() for r in started), 400, "three healthy replicas")

    # Slack's retry of a mention lands on another replica: answered once
    event = mention(f"<@{BOT_USER}> {QUESTION}")
    envelope = event_envelope(event)
    assert started[0].send(envelope) == 200
    assert started[1].send(envelope, retry_num=1) == 200
    assert started[2].send(envelope, retry_num=2) == 200
    wait_until(lambda: answers_in(stub, event["ts"]), 120, "the answer")

    # a replica holding acked, unanswered questions, a tip, a "More like this" click on
    # the first answer, a Home tab and a vote's note is killed -9 mid-post
    engine = create_engine(url)
    victim = started[0]
    [answered] = answers_in(stub, event["ts"])
    stub.fail("chat.postMessage", hang=20, times=4)  # Slack never gets those posts
    stub.fail("response_url", hang=20, times=1)  # ... nor the tip
    stub.fail("views.publish", hang=20, times=1)  # ... nor the Home tab
    stub.fail("chat.update", hang=20, times=1)  # ... nor a vote's "feedback received" note
    asked = [mention(f"<@{BOT_USER}> {QUESTION}", user=f"U{i}") for i in range(3)]
    for e in asked:
        assert victim.send(event_envelope(e)) == 200  # acked: stored before the ack
    assert victim.command(slack_command_form("coaching", stub.response_url("tip"))) == 200
    more = [e for b in answered["blocks"] for e in b.get("elements", [])]
    [value] = [e["value"] for e in more if e.get("action_id") == ACTION_MORE]
    click = block_action(ACTION_MORE, value, message=answered, response_url=stub.response_url())
    assert victim.click(click) == 200
    home = {"type": "app_home_opened", "user": "UHOME", "channel": "DHOME", "tab": "home"}
    assert victim.send(event_envelope({**home, "event_ts": "1900000000.000002"})) == 200
    [helpful] = [e["value"] for e in more if e.get("action_id") == ACTION_HELPFUL]
    vote = block_action(ACTION_HELPFUL, helpful, message=answered, response_url=stub.response_url())
    assert victim.click(vote) == 200

    def victim_holds_a_question_and_the_tip() -> bool:
        if any(stub.faults_left(m) for m in ("response_url", "views.publish", "chat.update")):
            return False  # the tip's post is not hanging yet: a holder whose post times out
            # does not post it again (it may have shown)
        with engine.connect() as conn:
            held = conn.execute(
                select(answer_queue.c.kind, answer_queue.c.owner).where(
                    answer_queue.c.state == AnswerState.WORKING
                )
            ).all()
        kinds = {kind for kind, owner in held if f":{victim.process.pid}:" in (owner or "")}
        return {"tip", "mention", "more", "home", "feedback_note"} <= kinds

    wait_until(victim_holds_a_question_and_the_tip, 30, "the victim working on all five")
    victim.process.send_signal(signal.SIGKILL)
    victim.process.wait(10)
    killed_at = time.monotonic()
    wait_until(lambda: all(answers_in(stub, e["ts"]) for e in asked), 60, "answers after the kill")
    wait_until(lambda: tips_shown(stub), 60, "the tip after the kill")
    wait_until(lambda: len(answers_in(stub, event["ts"])) > 1, 60, "More like this after it")
    wait_until(lambda: home_tabs(stub), 60, "the Home tab after the kill")
    wait_until(lambda: notes(stub), 60, "the vote's note after the kill")
    assert time.monotonic() - killed_at < 60
    time.sleep(2)  # anything late would show up now
    for e in asked:
        assert len(answers_in(stub, e["ts"])) == 1, e["ts"]
    assert len(answers_in(stub, event["ts"])) == 2  # the answer, and More like this once
    assert len(tips_shown(stub)) == 1
    with engine.connect() as conn:
        rows = conn.execute(select(answer_queue.c.state, answer_queue.c.response_url)).all()
    assert [state for state, _ in rows] == [AnswerState.ANSWERED] * 8
    assert [u for _, u in rows if u is not None] == []  # no response_url kept once delivered
    engine.dispose()

    # one quote of the day between the three of them
    quote_posts = [
        m
        for m in stub.messages.get("CQUOTES", [])
        if (m.get("metadata") or {}).get("event_type") == "daily_quote"
    ]
    assert len(quote_posts) == 1
    # and one weekly content-gaps report
    reports = [
        m
        for m in stub.messages.get("CREPORTS", [])
        if (m.get("metadata") or {}).get("event_type") == "coach_weekly_report"
    ]
    assert len(reports) == 1
