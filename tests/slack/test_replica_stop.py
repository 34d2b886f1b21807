"""Stopping one of several replicas (SIGTERM from an orchestrator rolling them): it finishes
what it has itself claimed, claims nothing more, and exits, leaving the rest of the shared
answer queue to the other replicas, which answer every question once."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine

from bot.store.answer_queue import AnswerQueue
from bot.store.tables import AnswerState
from tests.pg_fixtures import PostgresServer
from tests.slack.replicas import answers_in, wait_until
from tests.slack.socket_mode import Served
from tests.slack_fixtures import make_settings
from tests.slack_payloads import mention
from tests.slack_stub import SlackStub
from tests.slack_workspace import BOT_USER

QUESTION = "how do I motivate my reps?"
STOPPED_HOLDING_TWO = (  # bot.slack.serve.stop_work's line
    "stopping: this replica's claimed questions: 2 answered, 0 handed back to the other replicas"
)


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def enqueue(queue: AnswerQueue, event: dict[str, Any]) -> None:
    channel, ts, user, text = event["channel"], event["ts"], event["user"], event["text"]
    assert queue.enqueue(kind="mention", channel=channel, ts=ts, user_id=user, text=text)


def test_a_stopping_replica_leaves_the_shared_queue_to_the_others(
    slack_stub: SlackStub,
    shipped_library: Any,
    tmp_path: Path,
    postgres_server: PostgresServer,
) -> None:
    """Before, a stopping replica kept claiming and answering the whole shared queue until
    it was empty, or SHUTDOWN_GRACE_S (10 s) had passed: 12 questions other replicas stored,
    all answered by the one being stopped, and its stop waiting 10 s for a question another
    replica was answering. Now it answers the two it
    holds, claims no more and stops at once; the other replica answers the rest, each once."""
    url = postgres_server.new_database()
    settings = make_settings(
        slack_stub, tmp_path / "a", database_url=url, answer_workers=2, answer_lease_seconds=20
    )
    lines = Lines()
    logging.getLogger("bot.slack").addHandler(lines)
    engine = create_engine(url)
    other: Served | None = None
    try:
        stopping = Served(settings, shipped_library)
        slack_stub.latency = 0.5  # each Slack call takes half a second
        others = AnswerQueue(engine, owner="another-replica")
        slow = mention(f"<@{BOT_USER}> {QUESTION}", user="USLOW")
        enqueue(others, slow)
        [_] = others.claim(1, timedelta(seconds=120))  # another replica answers it, slowly
        asked = [mention(f"<@{BOT_USER}> {QUESTION}", user=f"U{i}") for i in range(12)]
        for event in asked:  # stored by the other replicas, before their ack
            enqueue(others, event)

        def held() -> list[dict[str, Any]]:
            working = [r for r in others.rows() if r["state"] == AnswerState.WORKING]
            return [r for r in working if r["ts"] != slow["ts"]]

        wait_until(lambda: len(held()) == 2, 30, "the stopping replica holding two")
        holding = {r["ts"] for r in held()}
        started = time.monotonic()
        assert stopping.close() == 0  # what SIGTERM does: set the stop event
        took = time.monotonic() - started

        answered = {r["ts"] for r in others.rows() if r["state"] == AnswerState.ANSWERED}
        assert answered <= holding  # what it held, and nothing more
        assert len(answered) + len(held()) <= 2
        assert took < 5, took
        stops = [line for line in lines.lines if line.startswith("stopping: ")]
        assert stops == [STOPPED_HOLDING_TWO], lines.lines  # both answered, none handed back

        slack_stub.latency = 0.0
        other = Served(make_settings(slack_stub, tmp_path / "b", database_url=url), shipped_library)
        wait_until(lambda: all(answers_in(slack_stub, e["ts"]) for e in asked), 60, "answers")
        time.sleep(1)  # anything late would show up now
        for event in asked:
            assert len(answers_in(slack_stub, event["ts"])) == 1, event["ts"]
    finally:
        if other is not None:
            other.close()
        logging.getLogger("bot.slack").removeHandler(lines)
        slack_stub.latency = 0.0
        engine.dispose()
