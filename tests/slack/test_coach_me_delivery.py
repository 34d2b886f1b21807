"""No "Coach me on this" lost to a Slack outage or a dead replica, and none shown twice: the
shortcut is in the database before its ack, and any replica's answer workers coach on it
once, waiting out a 503 or a 429 as answers do. Slack is the recording stub (Web API calls
checked against ../shared/slack); two apps on one database stand for two replicas."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.store.tables import AnswerState
from tests.slack.surface_payloads import message_action
from tests.slack_checks import assert_valid_message
from tests.slack_fixtures import SlackApp, on_both_databases, running_app
from tests.slack_stub import Call, SlackStub

QUESTION = "how do I motivate my reps?"


def wait_until(predicate: Any, timeout: float = 30.0) -> None:
    """Until the app under test has done something (not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "never happened"
        time.sleep(0.02)


def coach_me(replica: SlackApp, text: str = QUESTION, **options: Any) -> dict[str, Any]:
    """The asker uses "Coach me on this" on a message; Slack gets its ack at once."""
    payload = message_action(text, response_url=replica.stub.response_url("coach"), **options)
    assert replica.send_action(payload) == 200
    return payload


def coaching_seen(stub: SlackStub) -> list[Call]:
    """What the asker saw: every private reply Slack took (its answer lost on the way or
    not), in the channel or, where the bot cannot post, in a DM."""
    sent = stub.calls_to("chat.postEphemeral") + stub.calls_to("chat.postMessage")
    return [c for c in sent if c.response.get("ok")]


def assert_coached_once(stub: SlackStub, shipped_library: Any) -> None:
    [call] = coaching_seen(stub)
    assert_valid_message(call)
    assert call.method == "chat.postEphemeral"
    assert call.params["channel"] == "CSALES" and call.params["user"] == "ULEADER"
    title = shipped_library.search(QUESTION, 3).hits[0].passage.article.title.split(":")[0]
    assert title in json.dumps(call.blocks)  # the coaching, cited


def coach_rows(replica: SlackApp) -> list[dict[str, Any]]:
    return [r for r in replica.slack.answers.rows() if r["kind"] == "coach_me"]


def test_coaching_asked_during_a_slack_503_arrives_once_slack_is_back(
    slack_app: SlackApp, shipped_library: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Before: the shortcut was coached in memory, slack_sdk retried the ephemeral twice
    within a second and a half, then the coaching was logged and lost."""
    caplog.set_level(logging.INFO)
    slack_app.stub.outage(4)  # every call answers HTTP 503 for 4 s
    payload = coach_me(slack_app)
    slack_app.stub.wait_for("chat.postEphemeral", timeout=60)
    slack_app.settle()
    assert any(c.status == 503 for c in slack_app.stub.calls_to("chat.postEphemeral"))
    assert_coached_once(slack_app.stub, shipped_library)
    [row] = coach_rows(slack_app)
    assert row["state"] == AnswerState.ANSWERED and row["response_url"] is None
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert payload["response_url"] not in logged


def test_coaching_asked_into_a_429_arrives_once_after_retry_after(
    slack_app: SlackApp, shipped_library: Any
) -> None:
    """Before: slack_sdk waited out Retry-After three times, then the coaching was lost."""
    slack_app.stub.fail("chat.postEphemeral", status=429, retry_after=1, times=5)
    coach_me(slack_app)
    slack_app.stub.wait_for("chat.postEphemeral", timeout=60)
    slack_app.settle()
    assert_coached_once(slack_app.stub, shipped_library)
    assert all(
        c.status in (200, 429) for c in slack_app.stub.calls_to("chat.postEphemeral")
    )  # nothing sent as if the wait were over
    assert [r["state"] for r in coach_rows(slack_app)] == [AnswerState.ANSWERED]


def test_the_same_shortcut_delivered_twice_coaches_once(
    slack_app: SlackApp, shipped_library: Any
) -> None:
    payload = message_action(QUESTION, response_url=slack_app.stub.response_url("coach"))
    assert slack_app.send_action(payload) == 200
    assert slack_app.send_action(payload) == 200  # the same trigger_id: e.g. a proxy resent it
    slack_app.stub.wait_for("chat.postEphemeral")
    slack_app.settle()
    assert_coached_once(slack_app.stub, shipped_library)
    coach_me(slack_app)  # the asker using the shortcut again is a new request
    slack_app.stub.wait_for("chat.postEphemeral", 2)
    slack_app.settle()
    assert len(coaching_seen(slack_app.stub)) == 2


def test_coaching_slack_took_before_the_connection_reset_is_not_shown_twice(
    slack_app: SlackApp, caplog: pytest.LogCaptureFixture
) -> None:
    """An ephemeral cannot be read back: after Slack took it and the reply was lost, sending
    it again would show it twice (before, slack_sdk resent it: two identical coachings)."""
    caplog.set_level(logging.INFO)
    slack_app.stub.fail("chat.postEphemeral", drop_after=True)
    coach_me(slack_app)
    wait_until(lambda: slack_app.stub.calls_to("chat.postEphemeral"))
    slack_app.settle()
    assert len(coaching_seen(slack_app.stub)) == 1
    [row] = coach_rows(slack_app)
    assert row["state"] == AnswerState.ANSWERED
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "not sent again" in logged


def test_coaching_refused_for_good_is_not_retried(slack_app: SlackApp) -> None:
    slack_app.stub.fail("chat.postEphemeral", error="no_permission")
    coach_me(slack_app)
    slack_app.settle()
    assert len(slack_app.stub.calls_to("chat.postEphemeral")) == 1
    assert [r["state"] for r in coach_rows(slack_app)] == [AnswerState.FAILED]


def test_where_the_bot_is_not_a_member_the_queued_coaching_goes_by_dm(
    slack_app: SlackApp,
) -> None:
    slack_app.stub.fail("chat.postEphemeral", error="not_in_channel", times=5)
    slack_app.stub.fail("chat.postMessage", status=503)  # the DM waits out a 503 too
    coach_me(slack_app)
    slack_app.stub.wait_for("chat.postMessage", timeout=60)
    slack_app.settle()
    [dm_post] = coaching_seen(slack_app.stub)
    assert_valid_message(dm_post)
    assert dm_post.params["channel"].startswith("D") and "<#CSALES>" in json.dumps(dm_post.blocks)
    assert [r["state"] for r in coach_rows(slack_app)] == [AnswerState.ANSWERED]


@on_both_databases
def test_coaching_acked_by_a_replica_that_died_holding_it_is_delivered_by_another(
    slack_app: SlackApp,
    shipped_library: Any,
    tmp_path: Path,
    slack_db_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = slack_app
    assert first.slack.answer_workers is not None
    first.slack.answer_workers.stop()  # its workers never run again: as if killed
    monkeypatch.setattr(first.slack, "submit", lambda *_, **__: None)  # nor its memory
    lease = timedelta(seconds=first.settings.answer_lease_seconds)
    coach_me(first)
    [held] = first.slack.answers.claim(5, lease)  # it had claimed the shortcut when it died
    assert held.kind == "coach_me"
    with running_app(
        first.stub, shipped_library, tmp_path / "other", database_url=slack_db_url
    ) as other:
        other.stub.wait_for("chat.postEphemeral", timeout=60)  # once the lease ran out
        other.settle()
        assert_coached_once(other.stub, shipped_library)
        [row] = coach_rows(other)
        assert row["state"] == AnswerState.ANSWERED and row["owner"] == other.slack.answers.owner


def test_coaching_held_past_the_max_age_is_dropped_with_one_line(
    slack_app: SlackApp, caplog: pytest.LogCaptureFixture
) -> None:
    """Slack away longer than ANSWER_MAX_AGE_MINUTES: the coaching is given up with one
    line, not shown late."""
    from bot.store.coach_requests import enqueue_coach_me

    caplog.set_level(logging.INFO)
    minutes = slack_app.settings.answer_max_age_minutes
    asked_at = datetime.now(UTC) - timedelta(minutes=minutes + 1)
    assert enqueue_coach_me(
        slack_app.engine,
        "coach_me:13345224609.738474920.old",
        kind="coach_me",
        channel="CSALES",
        ts="1.000100",
        thread_ts="1.000100",
        user_id="ULEADER",
        text=QUESTION,
        now=asked_at,
    )
    slack_app.slack.wake_answers()
    slack_app.settle()
    assert slack_app.stub.calls_to("chat.postEphemeral") == []
    assert [r["state"] for r in coach_rows(slack_app)] == [AnswerState.DROPPED]
    assert len([r for r in caplog.records if "dropped the coaching" in r.getMessage()]) == 1


def test_coaching_is_sent_from_memory_when_the_database_cannot_store_it(
    slack_app: SlackApp, shipped_library: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    import bot.slack.coach_me_queue as queued

    def database_down(*_: Any, **__: Any) -> bool:
        raise OperationalError("INSERT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(queued, "enqueue_coach_me", database_down)
    coach_me(slack_app)
    slack_app.stub.wait_for("chat.postEphemeral")
    slack_app.settle()
    assert_coached_once(slack_app.stub, shipped_library)
    assert coach_rows(slack_app) == []
