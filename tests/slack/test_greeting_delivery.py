"""No assistant-panel greeting lost to a Slack outage or a dead replica, and none shown
twice: the thread's start is in the answer queue before its ack, and any replica's answer
workers set its suggested prompts and post its greeting once (bot.slack.delivery). Faults
are injected in the recording Slack stand-in; events are signed, as Slack sends them."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.slack.assistant_panel import GREETING_KIND, is_assistant_thread
from bot.slack.messages.assistant import GREETING
from bot.store.tables import AnswerState
from tests.slack.held_deliveries import held_by_dead, held_too_long, killed, seed_post, taken_over
from tests.slack.surface_payloads import thread_started
from tests.slack_checks import assert_valid_message
from tests.slack_fixtures import SlackApp, at_once, on_both_databases
from tests.slack_payloads import event_envelope
from tests.slack_stub import Call, SlackStub
from tests.slack_workspace import BOT_USER


def open_panel(replica: SlackApp) -> tuple[dict[str, Any], str]:
    """The leader opens the side panel: Slack sends assistant_thread_started, acked at
    once whatever Slack's Web API is doing. The envelope and the thread's ts."""
    envelope = event_envelope(thread_started())
    assert replica.send_event(envelope) == 200
    return envelope, envelope["event"]["assistant_thread"]["thread_ts"]


def greetings_seen(stub: SlackStub, thread: str) -> list[dict[str, Any]]:
    """What the leader sees in the panel's thread: the bot's messages there."""
    return [
        m
        for m in stub.messages.get("DPANEL", [])
        if m.get("thread_ts") == thread and m.get("user") == BOT_USER
    ]


def assert_greeted_once(stub: SlackStub, thread: str) -> None:
    """One greeting in the thread, every post of it valid, and the prompts set (Slack's
    docs: up to four, each a title and a message) on the thread."""
    [shown] = greetings_seen(stub, thread)
    assert GREETING.split(".")[0].replace("*", "") in shown["text"]
    for post in stub.calls_to("chat.postMessage"):
        assert_valid_message(post)
        assert (post.params["channel"], post.params["thread_ts"]) == ("DPANEL", thread)
    prompts = [c for c in stub.calls_to("assistant.threads.setSuggestedPrompts") if c.status == 200]
    assert prompts, "no suggested prompts"
    for call in prompts:
        assert (call.params["channel_id"], call.params["thread_ts"]) == ("DPANEL", thread)
        offered = call.params["prompts"]
        assert 1 <= len(offered) <= 4
        assert all(p["title"] and p["message"] for p in offered)


def greeting_rows(replica: SlackApp) -> list[dict[str, Any]]:
    return [r for r in replica.slack.answers.rows() if r["kind"] == GREETING_KIND]


def posts(stub: SlackStub) -> list[Call]:
    return stub.calls_to("chat.postMessage")


def test_the_panel_opened_during_a_slack_outage_is_greeted_once_after_it(
    slack_app: SlackApp,
) -> None:
    """Before, the greeting was posted from memory: after slack_sdk's few retries into the
    503s it was lost, and Slack does not send an event again once it got its 200, so the
    leader saw an empty panel."""
    slack_app.stub.outage(6)  # every Web API call: HTTP 503
    envelope, thread = open_panel(slack_app)
    slack_app.stub.wait_for("chat.postMessage", timeout=60)
    slack_app.settle()
    assert [c for c in slack_app.stub.calls if c.status == 503], "no outage seen"
    assert_greeted_once(slack_app.stub, thread)
    [row] = greeting_rows(slack_app)
    assert row["state"] == AnswerState.ANSWERED

    # the same event once more (Slack's retry): nothing more
    assert slack_app.send_event(envelope, retry_num=1) == 200
    slack_app.settle()
    assert len(greetings_seen(slack_app.stub, thread)) == 1


@pytest.mark.parametrize("keeps_metadata", [True, False], ids=["metadata", "text-only"])
def test_a_greeting_whose_answer_from_slack_was_lost_is_not_shown_twice(
    slack_app: SlackApp, keeps_metadata: bool
) -> None:
    """Slack posted the greeting and the connection reset before its answer came. Before,
    slack_sdk sent the same post again: two greetings. Now the next try looks in the
    thread first and finds it."""
    slack_app.stub.keeps_metadata = keeps_metadata
    slack_app.stub.fail("chat.postMessage", drop_after=True)  # posted; the answer is lost
    _, thread = open_panel(slack_app)
    slack_app.settle()
    assert_greeted_once(slack_app.stub, thread)
    assert len(posts(slack_app.stub)) == 1
    [row] = greeting_rows(slack_app)
    shown = greetings_seen(slack_app.stub, thread)[0]
    assert row["state"] == AnswerState.ANSWERED and row["answered_ts"] == shown["ts"]


@on_both_databases
def test_the_same_panel_start_on_two_replicas_during_an_outage_is_greeted_once(
    slack_app: SlackApp, second_replica: Any
) -> None:
    """Slack's retry of the event reaching another replica while Slack answers 503: one
    greeting after the outage."""
    with second_replica() as other:
        slack_app.stub.outage(4)
        envelope = event_envelope(thread_started())
        thread = envelope["event"]["assistant_thread"]["thread_ts"]
        at_once(SlackApp.send_event, envelope, to=[slack_app, other, slack_app])
        slack_app.stub.wait_for("chat.postMessage", timeout=60)
        slack_app.settle()
        other.settle()
        assert_greeted_once(slack_app.stub, thread)
        assert len(greeting_rows(other)) == 1


@on_both_databases
@pytest.mark.parametrize("reached_slack", [False, True], ids=["before-post", "after-post"])
def test_a_greeting_held_by_a_replica_that_died_is_posted_once_by_another(
    slack_app: SlackApp,
    second_replica: Any,
    monkeypatch: pytest.MonkeyPatch,
    reached_slack: bool,
) -> None:
    """The replica that acked the panel's start died holding it (its workers stopped, its
    claim's lease left to run out), before or after Slack took its post: another replica
    posts the greeting, or finds it in the thread, once."""
    first = slack_app
    killed(first, monkeypatch)
    _, thread = open_panel(first)
    held = held_by_dead(first)
    assert held.kind == GREETING_KIND
    if reached_slack:  # ... it had begun the post, and Slack took it before it died
        seed_post(first.stub, "DPANEL", held, thread_ts=thread)
    with taken_over(second_replica, greeting_rows) as other:
        assert len(greetings_seen(other.stub, thread)) == 1
        assert len(posts(other.stub)) == (0 if reached_slack else 1)


def test_a_greeting_held_past_the_max_age_is_dropped_with_one_line_not_posted_late(
    slack_app: SlackApp, caplog: pytest.LogCaptureFixture
) -> None:
    """Slack on hold for every replica longer than ANSWER_MAX_AGE_MINUTES: the greeting is
    given up with one line, as an answer is, and nothing goes to Slack for it."""
    from bot.slack.assistant_panel import queue_greeting

    caplog.set_level(logging.INFO)
    held_too_long(
        slack_app,
        lambda opened: queue_greeting(slack_app.slack, "DPANEL", "1.000100", "ULEADER", now=opened),
    )
    assert slack_app.stub.calls == []
    assert [r["state"] for r in greeting_rows(slack_app)] == [AnswerState.DROPPED]
    dropped = [r for r in caplog.records if "dropped the panel greeting" in r.getMessage()]
    assert len(dropped) == 1


def test_the_thread_counts_as_the_panels_from_the_moment_its_start_is_stored(
    slack_app: SlackApp,
) -> None:
    """A question typed before the greeting is out (Slack on hold, say) still gets the
    panel's status and title: the thread is known as an assistant thread once its start is
    stored, without asking Slack."""
    assert slack_app.slack.answer_workers is not None
    slack_app.slack.answer_workers.stop()  # the greeting stays queued
    _, thread = open_panel(slack_app)
    slack_app.slack.workers.wait_idle(30)
    assert is_assistant_thread(slack_app.slack, "DPANEL", thread)
    assert slack_app.stub.calls_to("conversations.replies") == []
    assert greeting_rows(slack_app)[0]["state"] == AnswerState.QUEUED
    # a stopped replica is idle once its own workers are: the greeting is another's to send
    assert slack_app.slack.wait_idle(5)
