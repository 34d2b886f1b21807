"""No "More like this" click lost to a Slack outage or a dead replica, and none answered
twice: the click is in the answer queue before its ack, and any replica's answer workers
post the next passages once (bot.slack.delivery). Faults are injected in the recording
Slack stand-in; clicks are signed block_actions requests, as Slack sends them."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.slack.messages.values import ACTION_HELPFUL, shown_digest
from bot.store.answer_queue import AnswerQueue
from bot.store.slack_hold import SlackHolds
from bot.store.tables import AnswerState
from tests.slack.answer_buttons import (
    QUESTION,
    answer,
    answer_in_a_dm,
    click_more,
)
from tests.slack_checks import assert_valid_message, button
from tests.slack_fixtures import SlackApp, at_once, on_both_databases
from tests.slack_stub import Call, SlackStub
from tests.slack_workspace import BOT_USER

MORE_ON = f"More on _{QUESTION}_:"


def more_in_thread(stub: SlackStub, reply: Call) -> list[dict[str, Any]]:
    """What people see: the bot's messages in the answer's thread besides the answer."""
    thread, channel = reply.params.get("thread_ts"), reply.params["channel"]
    return [
        m
        for m in stub.messages.get(channel, [])
        if m.get("thread_ts") == thread
        and m.get("user") == BOT_USER
        and m["ts"] != reply.response["ts"]
    ]


def more_posts(stub: SlackStub) -> list[Call]:
    """The posts of More like this (the answer's was made before the calls were cleared)."""
    return [c for c in stub.calls_to("chat.postMessage") if c.blocks]


def next_passages(shipped_library: Any) -> list[str]:
    return [h.passage.id for h in shipped_library.search(QUESTION, 3, offset=3).hits]


def assert_the_next_passages(posted: Call, reply: Call, shipped_library: Any) -> None:
    """The post Slack took: valid, in the answer's thread, with the next three passages."""
    assert_valid_message(posted)
    assert posted.params["thread_ts"] == reply.params["thread_ts"]
    shown = json.loads(button(posted, ACTION_HELPFUL)["value"])["p"]
    assert shown == next_passages(shipped_library)


@pytest.fixture
def answered(slack_app: SlackApp) -> Call:
    """QUESTION asked and answered; the answer (the calls so far forgotten)."""
    reply = answer(slack_app, QUESTION)
    slack_app.stub.calls.clear()
    return reply


def test_more_like_this_clicked_during_a_slack_outage_is_posted_once_after_it(
    slack_app: SlackApp, shipped_library: Any, answered: Call
) -> None:
    """Before, the click was posted from memory, lost after slack_sdk's few retries, and
    already claimed: clicking again after the outage got nothing either."""
    reply = answered
    slack_app.stub.outage(6)  # every Web API call: HTTP 503
    payload = click_more(slack_app, reply)  # acked at once, whatever Slack's state
    [posted] = slack_app.stub.wait_for("chat.postMessage", timeout=60)
    slack_app.settle()
    assert [c for c in more_posts(slack_app.stub) if c.status == 503], "no outage seen"
    assert_the_next_passages(posted, reply, shipped_library)
    [shown] = more_in_thread(slack_app.stub, reply)
    first = [h.passage.fingerprint for h in shipped_library.search(QUESTION, 3).hits]
    key = f"more:CSALES:{reply.response['ts']}:{shown_digest(first)}"  # the answer's passages
    assert shown["metadata"]["event_payload"]["question"] == key

    # clicking again once Slack is back (or Slack's retry of the click) posts nothing more
    assert slack_app.send_action(payload) == 200
    slack_app.settle()
    assert len(more_in_thread(slack_app.stub, reply)) == 1
    assert [r["state"] for r in slack_app.slack.answers.rows() if r["kind"] == "more"] == [
        AnswerState.ANSWERED
    ]


@on_both_databases
def test_the_same_click_on_two_replicas_during_an_outage_is_posted_once(
    slack_app: SlackApp, shipped_library: Any, answered: Call, second_replica: Any
) -> None:
    """A double click, or Slack's retry of the click, reaching two replicas at once while
    Slack answers 503: one post after the outage."""
    reply = answered
    with second_replica() as other:
        slack_app.stub.outage(4)
        payload = click_more(slack_app, reply)
        at_once(SlackApp.send_action, payload, to=[slack_app, other, slack_app])
        [posted] = slack_app.stub.wait_for("chat.postMessage", timeout=60)
        slack_app.settle()
        other.settle()
        assert_the_next_passages(posted, reply, shipped_library)
        assert len(more_in_thread(slack_app.stub, reply)) == 1
        assert len([r for r in other.slack.answers.rows() if r["kind"] == "more"]) == 1


@pytest.mark.parametrize("keeps_metadata", [True, False], ids=["metadata", "text-only"])
def test_more_like_this_whose_answer_from_slack_was_lost_is_found_not_posted_again(
    slack_app: SlackApp, shipped_library: Any, answered: Call, keeps_metadata: bool
) -> None:
    """Slack posted the passages and the connection reset before its answer came: the next
    try looks in the thread (message metadata, or the post's text where a workspace drops
    metadata) and finds them. Before, slack_sdk sent the same post again: two copies."""
    slack_app.stub.keeps_metadata = keeps_metadata
    reply = answered
    slack_app.stub.fail("chat.postMessage", drop_after=True)  # posted; the answer is lost
    click_more(slack_app, reply)
    slack_app.settle()
    [shown] = more_in_thread(slack_app.stub, reply)
    assert len(more_posts(slack_app.stub)) == 1
    [row] = [r for r in slack_app.slack.answers.rows() if r["kind"] == "more"]
    assert row["state"] == AnswerState.ANSWERED and row["answered_ts"] == shown["ts"]


@pytest.mark.parametrize("reached_slack", [False, True], ids=["before-post", "after-post"])
def test_a_click_held_by_a_replica_that_died_is_posted_once_by_another(
    slack_app: SlackApp,
    shipped_library: Any,
    answered: Call,
    second_replica: Any,
    reached_slack: bool,
) -> None:
    """The replica that acked the click died holding it (its workers stopped, its claim's
    lease left to run out), before or after Slack took its post: another replica posts
    the passages, or finds them in the thread, once."""
    first, reply, thread = slack_app, answered, answered.params["thread_ts"]
    assert first.slack.answer_workers is not None
    first.slack.answer_workers.stop()  # its workers never run again: as if killed
    click_more(first, reply)
    first.slack.workers.wait_idle(30)  # (before: it had been posted from memory here)
    [held] = AnswerQueue(first.engine, "dead-replica").claim(5, timedelta(seconds=3))
    assert held.kind == "more"
    if reached_slack:  # ... it had begun the post, and Slack took it before it died
        first.stub.seed_message(
            "CSALES", "1900000000.000001", MORE_ON, user=BOT_USER, thread_ts=thread
        )
        first.stub.messages["CSALES"][-1]["metadata"] = {
            "event_type": "coach_answer",
            "event_payload": {"question": held.key},
        }
    with second_replica() as other:
        other.slack.wake_answers()
        assert other.slack.wait_idle(60)  # once the lease ran out
        assert len(more_in_thread(other.stub, reply)) == 1
        posts = more_posts(other.stub)
        assert len(posts) == (0 if reached_slack else 1)
        for posted in posts:
            assert_the_next_passages(posted, reply, shipped_library)
        [row] = [r for r in other.slack.answers.rows() if r["kind"] == "more"]
        assert row["state"] == AnswerState.ANSWERED and row["owner"] != "dead-replica"


def test_more_like_this_is_posted_from_memory_when_the_database_cannot_store_it(
    slack_app: SlackApp, shipped_library: Any, answered: Call, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    def database_down(**_: Any) -> bool:
        raise OperationalError("INSERT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(slack_app.slack.answers, "enqueue_more", database_down)
    click_more(slack_app, answered)
    [posted] = slack_app.stub.wait_for("chat.postMessage")
    slack_app.settle()
    assert_the_next_passages(posted, answered, shipped_library)


def test_a_click_held_past_the_max_age_is_dropped_with_one_line_not_posted_late(
    slack_app: SlackApp, caplog: pytest.LogCaptureFixture
) -> None:
    """Slack on hold for every replica longer than ANSWER_MAX_AGE_MINUTES: the click is
    given up with one line, as a question is, and nothing goes to Slack for it."""
    caplog.set_level(logging.INFO)
    minutes = slack_app.slack.settings.answer_max_age_minutes
    assert slack_app.slack.answers.enqueue_more(
        key="more:CSALES:1.000200:3",
        channel="CSALES",
        ts="1.000200",
        thread_ts="1.000100",
        user_id="UCLICKER",
        question=QUESTION,
        context=None,
        offset=3,
        now=datetime.now(UTC) - timedelta(minutes=minutes + 1),
    )
    SlackHolds(slack_app.engine, "another-replica").hold("HTTP 503", timedelta(0))  # probe due
    slack_app.slack.wake_answers()
    slack_app.settle()
    assert slack_app.stub.calls == []
    assert slack_app.slack.answers.counts() == {AnswerState.DROPPED: 1}
    assert len([r for r in caplog.records if "dropped the answer" in r.getMessage()]) == 1


def test_more_like_this_in_a_dm_whose_answer_from_slack_was_lost_is_posted_once(
    slack_app: SlackApp,
) -> None:
    """Outside a thread (a DM answer's button) the passages go beside the answer, as
    before, and an ambiguous failure there is resolved by looking in the conversation."""
    reply = answer_in_a_dm(slack_app, QUESTION)
    slack_app.stub.fail("chat.postMessage", drop_after=True)
    click_more(slack_app, reply, channel="DLEADER")
    slack_app.settle()
    [shown] = more_in_thread(slack_app.stub, reply)
    assert not shown.get("thread_ts")
    [row] = [r for r in slack_app.slack.answers.rows() if r["kind"] == "more"]
    assert row["state"] == AnswerState.ANSWERED and row["answered_ts"] == shown["ts"]
