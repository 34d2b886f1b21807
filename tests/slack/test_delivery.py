"""No answer lost to a Slack outage or a dead replica, and none posted twice: faults injected
in the recording Slack stand-in, questions sent as signed Events API requests."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.slack.sign_of_life import STILL_WORKING
from bot.store.answer_queue import AnswerQueue
from bot.store.slack_hold import SlackHolds
from bot.store.tables import AnswerState
from tests.slack_checks import assert_valid_message
from tests.slack_fixtures import SlackApp, on_both_databases
from tests.slack_payloads import event_envelope, mention
from tests.slack_stub import Call
from tests.slack_workspace import BOT_USER

QUESTION = "how do I motivate my reps?"


def bot_replies(slack_app: SlackApp, channel: str, thread_ts: str) -> list[dict[str, Any]]:
    """What people see: the bot's answers in a thread (posted, whatever the app heard)."""
    return [
        m
        for m in slack_app.stub.messages.get(channel, [])
        if m.get("thread_ts") == thread_ts
        and m.get("user") == BOT_USER
        and STILL_WORKING not in (m.get("text") or "")
    ]


def still_working(slack_app: SlackApp, channel: str, thread_ts: str) -> list[dict[str, Any]]:
    """The bot's "still working" replies in a thread."""
    return [
        m
        for m in slack_app.stub.messages.get(channel, [])
        if m.get("thread_ts") == thread_ts and STILL_WORKING in (m.get("text") or "")
    ]


def answer_posts(slack_app: SlackApp) -> list[Call]:
    """chat.postMessage calls carrying an answer (not the "still working" reply)."""
    return [c for c in slack_app.stub.calls_to("chat.postMessage") if STILL_WORKING not in c.text]


def eyes_left_on(slack_app: SlackApp) -> set[str]:
    """Messages the :eyes: were put on and not taken off again."""
    on: set[str] = set()
    for c in slack_app.stub.calls:
        if c.status == 200 and c.method == "reactions.add":
            on.add(c.params["timestamp"])
        elif c.status == 200 and c.method == "reactions.remove":
            on.discard(c.params["timestamp"])
    return on


def ask(slack_app: SlackApp) -> dict[str, Any]:
    event = mention(f"<@{BOT_USER}> {QUESTION}")
    assert slack_app.send_event(event_envelope(event)) == 200  # acked, whatever Slack's state
    return event


def first_call(slack_app: SlackApp, method: str, status: int, timeout: float = 20) -> Call:
    """The first call of `method` the stub answered `status`, once it came."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        calls = [c for c in slack_app.stub.calls_to(method) if c.status == status]
        if calls:
            return calls[0]
        time.sleep(0.01)
    raise AssertionError(f"no {method} answered {status} within {timeout}s")


def states(slack_app: SlackApp) -> dict[AnswerState, int]:
    return slack_app.slack.answers.counts()


def test_questions_asked_during_a_25_second_outage_are_answered_after_it_once(
    slack_app: SlackApp,
) -> None:
    slack_app.stub.outage(25)  # every Web API call: HTTP 503
    asked = []
    for _ in range(4):
        asked.append(ask(slack_app))
    slack_app.stub.wait_for("chat.postMessage", count=4, timeout=90)
    assert slack_app.slack.wait_idle(60)
    failed = [c for c in answer_posts(slack_app) if c.status == 503]
    assert failed, "the outage was not seen"
    for event in asked:
        [reply] = bot_replies(slack_app, "CSALES", event["ts"])
        assert reply["metadata"]["event_payload"]["question"] == f"msg:CSALES:{event['ts']}"
        assert len(still_working(slack_app, "CSALES", event["ts"])) <= 1
    assert states(slack_app) == {AnswerState.ANSWERED: 4}
    assert eyes_left_on(slack_app) == set()


def test_after_a_429_nothing_is_posted_until_retry_after_and_the_askers_see_eyes(
    slack_app: SlackApp,
) -> None:
    """Slack rate-limits chat.postMessage for 3 s: neither the answer's retry, nor a
    "still working" reply, nor the answer to a question asked meanwhile is posted before
    the 3 s are over; both answers come after, once each, and the :eyes: show meanwhile."""
    slack_app.stub.fail("chat.postMessage", status=429, retry_after=3)
    event = ask(slack_app)
    limited = first_call(slack_app, "chat.postMessage", 429)
    later = ask(slack_app)
    slack_app.stub.wait_for("chat.postMessage", count=2, timeout=30)
    slack_app.settle()
    posts = slack_app.stub.calls_to("chat.postMessage")
    assert [c for c in posts if c is not limited and c.at - limited.at < 3.0] == []
    for asked in (event, later):
        [answer] = bot_replies(slack_app, "CSALES", asked["ts"])
        assert still_working(slack_app, "CSALES", asked["ts"]) == []
    first, second, third = answer_posts(slack_app)
    assert (first.status, second.status, third.status) == (429, 200, 200)
    assert_valid_message(second)
    added = [c.params for c in slack_app.stub.calls_to("reactions.add")]
    assert {"channel": "CSALES", "timestamp": event["ts"], "name": "eyes"} in added
    assert eyes_left_on(slack_app) == set()


@on_both_databases
def test_connection_reset_before_slack_processed_the_post(slack_app: SlackApp) -> None:
    slack_app.stub.fail("chat.postMessage", drop=True)
    event = ask(slack_app)
    slack_app.stub.wait_for("chat.postMessage")
    slack_app.settle()
    assert len(bot_replies(slack_app, "CSALES", event["ts"])) == 1
    assert [c.status for c in slack_app.stub.calls_to("chat.postMessage")] == [0, 200]
    assert still_working(slack_app, "CSALES", event["ts"]) == []  # it might have got through


@on_both_databases
def test_connection_reset_after_slack_posted_is_resolved_by_looking_not_reposting(
    slack_app: SlackApp,
) -> None:
    slack_app.stub.fail("chat.postMessage", drop_after=True)
    event = ask(slack_app)
    assert slack_app.slack.wait_idle(60)
    assert len(bot_replies(slack_app, "CSALES", event["ts"])) == 1
    assert len(slack_app.stub.calls_to("chat.postMessage")) == 1
    [look] = slack_app.stub.calls_to("conversations.replies")[-1:]
    assert look.params["include_all_metadata"] in (True, "true", "1", 1)
    [row] = slack_app.slack.answers.rows()
    assert row["state"] == AnswerState.ANSWERED
    assert row["answered_ts"] == bot_replies(slack_app, "CSALES", event["ts"])[0]["ts"]


def test_a_lost_reply_is_found_by_its_text_where_slack_drops_metadata(
    slack_app: SlackApp,
) -> None:
    slack_app.stub.keeps_metadata = False  # a workspace stand-in without message metadata
    earlier = ask(slack_app)  # the same question answered before: not this one's answer
    assert slack_app.slack.wait_idle(60)
    slack_app.stub.fail("chat.postMessage", drop_after=True)
    event = ask(slack_app)
    assert slack_app.slack.wait_idle(60)
    assert len(bot_replies(slack_app, "CSALES", earlier["ts"])) == 1
    assert len(bot_replies(slack_app, "CSALES", event["ts"])) == 1
    assert len(slack_app.stub.calls_to("chat.postMessage")) == 2
    answered = {row["ts"]: row for row in slack_app.slack.answers.rows()}
    assert answered[event["ts"]]["state"] == AnswerState.ANSWERED
    assert (
        answered[event["ts"]]["answered_ts"]
        == bot_replies(slack_app, "CSALES", event["ts"])[0]["ts"]
    )


def test_an_answer_undeliverable_past_the_max_age_is_dropped_with_one_line(
    slack_app: SlackApp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    slack_app.stub.fail("chat.postMessage", status=429, retry_after=3600)  # beyond 15 minutes
    ask(slack_app)
    slack_app.settle()
    assert [c.status for c in slack_app.stub.calls_to("chat.postMessage")] == [429]
    assert states(slack_app) == {AnswerState.DROPPED: 1}
    assert len([r for r in caplog.records if "dropped the answer" in r.getMessage()]) == 1


def test_a_question_held_past_the_max_age_is_dropped_with_one_line_not_posted_late(
    slack_app: SlackApp, caplog: pytest.LogCaptureFixture
) -> None:
    """Slack on hold for every replica (bot.slack.outage) longer than ANSWER_MAX_AGE_MINUTES:
    when the hold's probe takes the question it is dropped with one line, and nothing goes
    to Slack for it (before, a question claimed late was answered however old)."""
    caplog.set_level(logging.INFO)
    minutes = slack_app.slack.settings.answer_max_age_minutes
    asked_at = datetime.now(UTC) - timedelta(minutes=minutes + 1)
    text = f"<@{BOT_USER}> {QUESTION}"
    queue = slack_app.slack.answers
    assert queue.enqueue(
        kind="mention", channel="CSALES", ts="1.000100", user_id="U1", text=text, now=asked_at
    )
    SlackHolds(slack_app.engine, "another-replica").hold("HTTP 503", timedelta(0))  # probe due
    slack_app.slack.wake_answers()
    slack_app.settle()
    assert slack_app.stub.calls == []
    assert states(slack_app) == {AnswerState.DROPPED: 1}
    assert len([r for r in caplog.records if "dropped the answer" in r.getMessage()]) == 1


def test_slack_refusing_an_answer_for_good_is_not_retried(slack_app: SlackApp) -> None:
    slack_app.stub.fail("chat.postMessage", error="channel_not_found")
    ask(slack_app)
    slack_app.settle()
    assert len(slack_app.stub.calls_to("chat.postMessage")) == 1
    assert states(slack_app) == {AnswerState.FAILED: 1}


def dead_replica_holds(slack_app: SlackApp, *, reached_slack: bool) -> dict[str, Any]:
    """A question stored and claimed by a replica that was then killed mid-answer."""
    event = mention(f"<@{BOT_USER}> {QUESTION}")
    dead = AnswerQueue(slack_app.engine, "dead-replica")
    assert dead.enqueue(
        kind="mention", channel="CSALES", ts=event["ts"], user_id="UASKER", text=event["text"]
    )
    [job] = dead.claim(1, timedelta(seconds=3))
    assert dead.renew(job, timedelta(seconds=3), attempt=True)  # it began chat.postMessage
    if reached_slack:  # ... and Slack posted it before the replica died
        slack_app.stub.seed_message(
            "CSALES", "1900000000.000001", "answer", user=BOT_USER, thread_ts=event["ts"]
        )
        slack_app.stub.messages["CSALES"][-1]["metadata"] = {
            "event_type": "coach_answer",
            "event_payload": {"question": f"msg:CSALES:{event['ts']}"},
        }
    return event


@on_both_databases
@pytest.mark.parametrize("reached_slack", [False, True], ids=["before-post", "after-post"])
def test_a_dead_replicas_question_is_taken_over_and_answered_once(
    slack_app: SlackApp, reached_slack: bool
) -> None:
    event = dead_replica_holds(slack_app, reached_slack=reached_slack)
    slack_app.slack.wake_answers()
    assert slack_app.slack.wait_idle(60)  # the lease runs out; this replica takes over
    assert len(bot_replies(slack_app, "CSALES", event["ts"])) == 1
    assert len(slack_app.stub.calls_to("chat.postMessage")) == (0 if reached_slack else 1)
    [row] = slack_app.slack.answers.rows()
    assert row["state"] == AnswerState.ANSWERED and row["owner"] != "dead-replica"


def test_a_retry_delivered_while_the_answer_is_pending_posts_nothing_more(
    slack_app: SlackApp,
) -> None:
    slack_app.stub.fail("chat.postMessage", status=503, times=2)
    event = mention(f"<@{BOT_USER}> {QUESTION}")
    envelope = event_envelope(event)
    sends = [
        threading.Thread(target=slack_app.send_event, args=(envelope,), kwargs={"retry_num": i})
        for i in (None, 1, 2)
    ]
    for t in sends:
        t.start()
    for t in sends:
        t.join()
    slack_app.stub.wait_for("chat.postMessage")
    slack_app.settle()
    assert len(bot_replies(slack_app, "CSALES", event["ts"])) == 1


# ---- an answer Slack refuses for its blocks --------------------------------------------------
@pytest.mark.parametrize("error", ["invalid_blocks", "msg_too_long", "invalid_attachments"])
def test_an_answer_refused_for_its_blocks_reaches_the_asker_once_as_plain_text(
    slack_app: SlackApp, caplog: pytest.LogCaptureFixture, error: str
) -> None:
    caplog.set_level(logging.INFO)
    slack_app.stub.fail("chat.postMessage", error=error)
    event = ask(slack_app)
    slack_app.settle()
    refused, resent = answer_posts(slack_app)
    assert refused.blocks and refused.response["error"] == error
    assert_valid_message(resent)
    [reply] = bot_replies(slack_app, "CSALES", event["ts"])
    assert "blocks" not in reply and "blocks" not in resent.params
    # what the blocks would have shown, words and links: the question, each passage, its source
    shown = [b["text"]["text"] for b in refused.blocks if b["type"] == "section"]
    shown += [e["text"] for b in refused.blocks if b["type"] == "context" for e in b["elements"]]
    assert len(shown) >= 3 and all(words in reply["text"] for words in shown)
    assert len(reply["text"]) < 40_000
    assert reply["metadata"]["event_payload"]["question"] == f"msg:CSALES:{event['ts']}"
    [row] = slack_app.slack.answers.rows()
    assert row["state"] == AnswerState.ANSWERED and row["answered_ts"] == reply["ts"]
    assert len([r for r in caplog.records if "sent it as plain text" in r.getMessage()]) == 1


def test_an_answer_refused_as_plain_text_too_is_given_up_with_one_line(
    slack_app: SlackApp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    slack_app.stub.fail("chat.postMessage", error="invalid_blocks", times=2)
    event = ask(slack_app)
    slack_app.settle()
    assert [bool(c.blocks) for c in answer_posts(slack_app)] == [True, False]
    assert bot_replies(slack_app, "CSALES", event["ts"]) == []
    assert states(slack_app) == {AnswerState.FAILED: 1}
    [line] = [r.getMessage() for r in caplog.records if "Slack refused" in r.getMessage()]
    assert line.endswith("invalid_blocks, then as plain text invalid_blocks")


@pytest.mark.parametrize("keeps_metadata", [True, False], ids=["metadata", "text-only"])
def test_a_plain_text_answer_whose_reply_was_lost_is_found_not_posted_again(
    slack_app: SlackApp, monkeypatch: pytest.MonkeyPatch, keeps_metadata: bool
) -> None:
    monkeypatch.setattr(slack_app.stub, "keeps_metadata", keeps_metadata)
    slack_app.stub.fail("chat.postMessage", error="invalid_blocks")
    slack_app.stub.fail("chat.postMessage", drop_after=True)  # plain text posted, reply lost
    slack_app.stub.fail("chat.postMessage", error="invalid_blocks")  # the next attempt's
    event = ask(slack_app)
    assert slack_app.slack.wait_idle(60)
    [reply] = bot_replies(slack_app, "CSALES", event["ts"])
    assert "blocks" not in reply
    [row] = slack_app.slack.answers.rows()
    assert row["state"] == AnswerState.ANSWERED and row["answered_ts"] == reply["ts"]


def test_an_answer_posted_while_the_database_cannot_record_it_is_logged_as_posted_not_failed(
    slack_app: SlackApp, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database drops out between the post and its record: the log says the answer is
    in Slack (no ERROR "answering ... failed", which sent admins looking for a lost answer),
    and the next claim finds it in the thread instead of posting it again."""
    from sqlalchemy.exc import OperationalError

    queue = slack_app.slack.answers
    real = queue.answered
    lost = OperationalError("UPDATE", {}, Exception("server closed the connection"))
    failures = iter([lost, lost])  # the record, then the record without the curator's row

    def answered_once_the_database_is_back(*args: Any, **kwargs: Any) -> Any:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return real(*args, **kwargs)

    monkeypatch.setattr(queue, "answered", answered_once_the_database_is_back)
    with caplog.at_level(logging.INFO):
        event = ask(slack_app)
        slack_app.stub.wait_for("conversations.replies", timeout=30)  # the next claim looks
        slack_app.settle()
    assert len(bot_replies(slack_app, "CSALES", event["ts"])) == 1
    assert states(slack_app) == {AnswerState.ANSWERED: 1}
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert "is in Slack but could not be recorded" in caplog.text
