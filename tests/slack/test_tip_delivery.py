"""No /leadership-tip lost to a stopped or dead replica, and none shown twice: the request is
in the database before its ack, and any replica's answer workers deliver it once. Two apps
on one database (SQLite, PostgreSQL) stand for two replicas; Slack is the recording stub."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

import pytest

from bot.store.tables import AnswerState
from tests.slack_checks import assert_valid_message, tip_passage
from tests.slack_fixtures import SlackApp, on_both_databases
from tests.slack_payloads import slack_command_form
from tests.slack_stub import Call, SlackStub


def wait_until(predicate: Any, timeout: float = 30.0) -> None:
    """Until the app under test has done something (not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "never happened"
        time.sleep(0.02)


def ask_tip(replica: SlackApp, topic: str = "coaching") -> dict[str, str]:
    form = slack_command_form(topic, replica.stub.response_url("tip"))
    assert replica.send_command(form) == (200, "")  # acked at once
    return form


def tips_shown(stub: SlackStub) -> list[Call]:
    """What the asker saw: response_url posts Slack took."""
    return [c for c in stub.calls_to("response_url") if c.status == 200]


def settled_rows(replica: SlackApp) -> list[dict[str, Any]]:
    return [r for r in replica.slack.answers.rows() if r["kind"] == "tip"]


@on_both_databases
def test_a_tip_acked_by_a_replica_that_died_holding_it_is_delivered_once_by_another(
    slack_app: SlackApp, second_replica: Any, shipped_library: Any
) -> None:
    first = slack_app
    assert first.slack.answer_workers is not None
    first.slack.answer_workers.stop()  # its workers never run again: as if killed
    ask_tip(first)
    # its dispatcher had claimed the request when the replica died
    [held] = first.slack.answers.claim(5, timedelta(seconds=first.settings.answer_lease_seconds))
    assert held.kind == "tip"
    with second_replica() as other:
        [call] = other.stub.wait_for("response_url", timeout=60)  # once the lease ran out
        other.settle()
        assert_valid_message(call)
        assert call.params["response_type"] == "ephemeral"
        expected = shipped_library.search("coaching", 8).hits[0].passage
        assert tip_passage(call) == expected.id
        [row] = settled_rows(other)
        assert row["state"] == AnswerState.ANSWERED and row["owner"] == other.slack.answers.owner
        assert row["response_url"] is None  # the credential is gone with the request
    with second_replica() as restarted:  # a restart sends nothing again
        restarted.settle()
        assert tips_shown(restarted.stub) == []


@on_both_databases
def test_a_tip_waiting_out_an_outage_survives_its_replica_stopping_and_arrives_once(
    slack_app: SlackApp, second_replica: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    first = slack_app
    first.stub.outage(5, method="response_url")  # HTTP 503
    form = ask_tip(first)
    wait_until(lambda: any(c.status == 503 for c in first.stub.calls_to("response_url")))
    first.slack.shutdown()  # stopped (a deploy) while the tip waits for Slack
    assert tips_shown(first.stub) == []
    with second_replica() as other:
        [call] = other.stub.wait_for("response_url", timeout=60)
        other.settle()
        assert_valid_message(call)
        assert len(tips_shown(other.stub)) == 1
        [row] = settled_rows(other)
        assert row["state"] == AnswerState.ANSWERED and row["response_url"] is None
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert form["response_url"] not in logged  # a credential for 30 minutes


def test_the_same_command_delivered_twice_shows_one_tip(slack_app: SlackApp) -> None:
    form = slack_command_form("coaching", slack_app.stub.response_url("tip"))
    assert slack_app.send_command(form) == (200, "")
    assert slack_app.send_command(form) == (200, "")  # e.g. a proxy sent it again
    slack_app.stub.wait_for("response_url")
    slack_app.settle()
    assert len(tips_shown(slack_app.stub)) == 1
    ask_tip(slack_app)  # the person asking again is a new request
    slack_app.stub.wait_for("response_url", 2)
    slack_app.settle()
    assert len(tips_shown(slack_app.stub)) == 2


def test_a_tip_is_sent_from_memory_when_the_database_cannot_store_it(
    slack_app: SlackApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    def database_down(**_: Any) -> bool:
        raise OperationalError("INSERT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(slack_app.slack.answers, "enqueue_tip", database_down)
    ask_tip(slack_app)
    [call] = slack_app.stub.wait_for("response_url")
    slack_app.settle()
    assert_valid_message(call)
    assert tip_passage(call)


def tips_slack_took(stub: SlackStub) -> list[Call]:
    """What the asker saw: every response_url post Slack took, its answer lost or not."""
    return [c for c in stub.calls_to("response_url") if c.response.get("ok")]


def test_a_tip_whose_answer_from_slack_was_lost_is_not_shown_twice(
    slack_app: SlackApp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    slack_app.stub.fail("response_url", drop_after=True)  # shown; the connection then resets
    form = ask_tip(slack_app)
    wait_until(lambda: slack_app.stub.calls_to("response_url"))
    slack_app.settle()
    assert len(tips_slack_took(slack_app.stub)) == 1
    [row] = settled_rows(slack_app)
    assert row["state"] == AnswerState.ANSWERED and row["response_url"] is None
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "not sent again" in logged and form["response_url"] not in logged


def test_a_tip_sent_from_memory_whose_answer_was_lost_is_not_shown_twice(
    slack_app: SlackApp, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    from sqlalchemy.exc import OperationalError

    def database_down(**_: Any) -> bool:
        raise OperationalError("INSERT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(slack_app.slack.answers, "enqueue_tip", database_down)
    slack_app.stub.fail("response_url", drop_after=True)
    ask_tip(slack_app)
    wait_until(lambda: any("not sent again" in r.getMessage() for r in caplog.records))
    slack_app.settle()
    assert len(tips_slack_took(slack_app.stub)) == 1
