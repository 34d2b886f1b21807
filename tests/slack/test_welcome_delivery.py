"""No channel welcome lost to a Slack outage or a dead replica, and none shown twice: the
bot's join is in the answer queue before the event's ack, and any replica's answer workers
post the welcome once (bot.slack.delivery). Faults are injected in the recording Slack
stand-in; events are signed, as Slack sends them."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.slack.welcome import WELCOME_KIND
from bot.store.answer_queue import AnswerQueue
from bot.store.slack_hold import SlackHolds
from bot.store.tables import AnswerState
from tests.slack.held_deliveries import held_by_dead, held_too_long, killed, seed_post, taken_over
from tests.slack.surface_payloads import member_joined
from tests.slack_checks import assert_valid_message
from tests.slack_fixtures import SlackApp, at_once, on_both_databases
from tests.slack_payloads import event_envelope
from tests.slack_stub import SlackStub
from tests.slack_workspace import BOT_USER

CHANNEL = "CNEWTEAM"
WELCOME_SHOWN = [{"type": "section", "text": {"type": "mrkdwn", "text": "Coach me on this"}}]


def bot_added(replica: SlackApp) -> dict[str, Any]:
    """Someone adds the bot to CHANNEL: Slack sends member_joined_channel for the bot,
    acked at once whatever Slack's Web API is doing. The envelope."""
    envelope = event_envelope(member_joined(BOT_USER, channel=CHANNEL))
    assert replica.send_event(envelope) == 200
    return envelope


def welcomes_seen(stub: SlackStub) -> list[dict[str, Any]]:
    """What the channel sees: the bot's messages in it."""
    return [m for m in stub.messages.get(CHANNEL, []) if m.get("user") == BOT_USER]


def assert_welcomed_once(stub: SlackStub) -> None:
    [shown] = welcomes_seen(stub)
    assert "Coach me on this" in str(shown.get("blocks"))
    assert "<!channel>" not in str(shown) and "<!here>" not in str(shown)  # no one pinged
    for post in stub.calls_to("chat.postMessage"):
        assert_valid_message(post)
        assert post.params["channel"] == CHANNEL and not post.params.get("thread_ts")


def welcome_rows(replica: SlackApp) -> list[dict[str, Any]]:
    return [r for r in replica.slack.answers.rows() if r["kind"] == WELCOME_KIND]


def test_the_bot_added_during_a_slack_outage_welcomes_once_after_it(
    slack_app: SlackApp,
) -> None:
    """Before, the welcome was posted from memory: after slack_sdk's few retries into the
    503s it was lost (Slack does not send an acked event again), and the channel never
    heard what the bot does."""
    slack_app.stub.outage(6)  # every Web API call: HTTP 503
    envelope = bot_added(slack_app)
    slack_app.stub.wait_for("chat.postMessage", timeout=60)
    slack_app.settle()
    assert [c for c in slack_app.stub.calls if c.status == 503], "no outage seen"
    assert_welcomed_once(slack_app.stub)
    assert [r["state"] for r in welcome_rows(slack_app)] == [AnswerState.ANSWERED]

    # Slack's retry of the event, and the bot added again: nothing more
    assert slack_app.send_event(envelope, retry_num=1) == 200
    bot_added(slack_app)
    slack_app.settle()
    assert len(welcomes_seen(slack_app.stub)) == 1


def test_a_welcome_whose_answer_from_slack_was_lost_is_not_shown_twice(
    slack_app: SlackApp,
) -> None:
    """Slack posted the welcome and the connection reset before its answer came. Before,
    slack_sdk sent the same post again: two welcomes. Now the next try looks in the
    channel first (the welcome's metadata) and finds it."""
    slack_app.stub.fail("chat.postMessage", drop_after=True)  # posted; the answer is lost
    bot_added(slack_app)
    slack_app.settle()
    assert_welcomed_once(slack_app.stub)
    assert len(slack_app.stub.calls_to("chat.postMessage")) == 1
    [row] = welcome_rows(slack_app)
    shown = welcomes_seen(slack_app.stub)[0]
    assert row["state"] == AnswerState.ANSWERED and row["answered_ts"] == shown["ts"]


@on_both_databases
def test_the_same_join_on_two_replicas_during_an_outage_welcomes_once(
    slack_app: SlackApp, second_replica: Any
) -> None:
    """Slack's retry of the event reaching another replica while Slack answers 503: one
    welcome after the outage."""
    with second_replica() as other:
        slack_app.stub.outage(4)
        envelope = event_envelope(member_joined(BOT_USER, channel=CHANNEL))
        at_once(SlackApp.send_event, envelope, to=[slack_app, other, slack_app])
        slack_app.stub.wait_for("chat.postMessage", timeout=60)
        slack_app.settle()
        other.settle()
        assert_welcomed_once(slack_app.stub)
        assert len(welcome_rows(other)) == 1


@on_both_databases
@pytest.mark.parametrize("reached_slack", [False, True], ids=["before-post", "after-post"])
def test_a_welcome_held_by_a_replica_that_died_is_posted_once_by_another(
    slack_app: SlackApp,
    second_replica: Any,
    monkeypatch: pytest.MonkeyPatch,
    reached_slack: bool,
) -> None:
    """The replica that acked the join died holding it (its workers stopped, its claim's
    lease left to run out), before or after Slack took its post: another replica posts
    the welcome, or finds it in the channel, once."""
    first = slack_app
    killed(first, monkeypatch)
    bot_added(first)
    held = held_by_dead(first)
    assert held.kind == WELCOME_KIND
    if reached_slack:  # ... it had begun the post, and Slack took it before it died
        seed_post(first.stub, CHANNEL, held, blocks=WELCOME_SHOWN)
    with taken_over(second_replica, welcome_rows) as other:
        assert_welcomed_once(other.stub)
        assert len(other.stub.calls_to("chat.postMessage")) == (0 if reached_slack else 1)


def test_a_welcome_held_past_the_max_age_is_dropped_with_one_line_not_posted_late(
    slack_app: SlackApp, caplog: pytest.LogCaptureFixture
) -> None:
    """Slack on hold for every replica longer than ANSWER_MAX_AGE_MINUTES: the welcome is
    given up with one line, as an answer is, and nothing goes to Slack for it."""
    from bot.slack.welcome import queue_welcome

    caplog.set_level(logging.INFO)
    held_too_long(
        slack_app,
        lambda joined: queue_welcome(slack_app.slack, CHANNEL, "Ev0OLD", "1.000100", now=joined),
    )
    assert slack_app.stub.calls == []
    assert [r["state"] for r in welcome_rows(slack_app)] == [AnswerState.DROPPED]
    dropped = [r for r in caplog.records if "dropped the welcome" in r.getMessage()]
    assert len(dropped) == 1


@pytest.mark.parametrize("earlier", ["never-tried", "tried-not-shown", "shown"])
def test_a_welcome_dropped_after_the_max_age_leaves_the_channel_to_the_next_join(
    slack_app: SlackApp, earlier: str
) -> None:
    """Slack on hold past ANSWER_MAX_AGE_MINUTES: the welcome is dropped. Before, the
    channel's claim stayed: the bot removed and added again was "already welcomed" and the
    channel never heard what it does. Now the claim is released, and the next join
    welcomes once; unless an earlier try of the dropped one did reach the channel (it is
    looked for first): then that one welcome is all the channel sees."""
    from bot.slack.welcome import queue_welcome

    minutes = slack_app.settings.answer_max_age_minutes
    joined = datetime.now(UTC) - timedelta(minutes=minutes + 1)
    holds = SlackHolds(slack_app.engine, "another-replica")
    holds.hold("HTTP 503", timedelta(minutes=5))  # no replica claims it meanwhile
    assert queue_welcome(slack_app.slack, CHANNEL, "Ev0OLD", "1.000100", now=joined)
    if earlier != "never-tried":  # another replica's probe tried it
        other = AnswerQueue(slack_app.engine, "another-replica")
        [tried] = other.claim(1, timedelta(seconds=3), probe=True)
        assert other.retry_later(tried, datetime.now(UTC), "HTTP 503")
        if earlier == "shown":  # Slack took that post; its answer was lost
            seed_post(slack_app.stub, CHANNEL, tried, blocks=WELCOME_SHOWN)
    holds.clear()  # Slack answers again, too late for that welcome
    slack_app.slack.wake_answers()
    slack_app.settle()
    assert [r["state"] for r in welcome_rows(slack_app)] == [AnswerState.DROPPED]
    assert slack_app.stub.calls_to("chat.postMessage") == []

    bot_added(slack_app)  # removed from the channel and added again
    slack_app.settle()
    assert_welcomed_once(slack_app.stub)
    posted = len(slack_app.stub.calls_to("chat.postMessage"))
    assert posted == (0 if earlier == "shown" else 1)
