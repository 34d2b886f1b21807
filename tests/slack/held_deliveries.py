"""A delivery held in the answer queue (a panel greeting, a channel welcome, a Home tab, a
"feedback received" note): by a replica that died holding it, whose work another replica
takes over once the claim's lease runs out; or past ANSWER_MAX_AGE_MINUTES while Slack was on
hold for every replica."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.store.answer_queue import AnswerQueue, Job
from bot.store.slack_hold import SlackHolds
from bot.store.tables import AnswerState
from tests.slack_fixtures import SlackApp
from tests.slack_stub import SlackStub
from tests.slack_workspace import BOT_USER

DEAD = "dead-replica"


def killed(replica: SlackApp, monkeypatch: pytest.MonkeyPatch) -> None:
    """`replica` as if killed: its answer workers never run again, nor does its memory."""
    assert replica.slack.answer_workers is not None
    replica.slack.answer_workers.stop()
    monkeypatch.setattr(replica.slack, "submit", lambda *_, **__: None)


def held_by_dead(replica: SlackApp) -> Job:
    """The one delivery in `replica`'s database, claimed by the replica that died (its
    lease left to run out)."""
    [held] = AnswerQueue(replica.engine, DEAD).claim(5, timedelta(seconds=3))
    return held


def seed_post(stub: SlackStub, channel: str, job: Job, **message: Any) -> None:
    """The job's post, which Slack took before its replica learnt so: the bot's message in
    `channel` with the job's key in its metadata, and `message`'s fields (its thread, its
    blocks)."""
    stub.seed_message(channel, "1900000000.000001", "Hi!", user=BOT_USER)
    stub.messages[channel][-1] |= {
        **message,
        "metadata": {"event_type": "coach_answer", "event_payload": {"question": job.key}},
    }


@contextmanager
def taken_over(
    second_replica: Callable[[], Any], rows: Callable[[SlackApp], list[dict[str, Any]]]
) -> Iterator[SlackApp]:
    """Another replica on the same database, once its workers are idle: the dead replica's
    lease ran out, and the one queue row `rows` finds is settled as delivered by a replica
    that is not the dead one."""
    with second_replica() as other:
        other.slack.wake_answers()
        assert other.slack.wait_idle(60)  # once the lease ran out
        [row] = rows(other)
        assert row["state"] == AnswerState.ANSWERED and row["owner"] != DEAD
        yield other


def held_too_long(replica: SlackApp, queue: Callable[[datetime], bool]) -> None:
    """`queue(when)` stores a delivery as if made ANSWER_MAX_AGE_MINUTES and a minute ago;
    Slack has been on hold for every replica since, and its probe is due now: `replica`'s
    workers have dealt with it."""
    minutes = replica.settings.answer_max_age_minutes
    assert queue(datetime.now(UTC) - timedelta(minutes=minutes + 1))
    SlackHolds(replica.engine, "another-replica").hold("HTTP 503", timedelta(0))  # probe due
    replica.slack.wake_answers()
    replica.settle()
