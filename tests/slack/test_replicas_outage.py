"""Three real `coach serve` processes on one PostgreSQL database while Slack is down (503) or
rate-limits the bot (429): what one replica meets holds every replica's answers, the log
says so once per replica, and nothing is lost or doubled when Slack answers again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.pg_fixtures import PostgresServer
from tests.slack.replicas import Replica, answers_in, wait_until
from tests.slack_payloads import event_envelope, mention
from tests.slack_stub import Call, SlackStub
from tests.slack_workspace import BOT_TOKEN, BOT_USER, SIGNING_SECRET

QUESTION = "how do I motivate my reps?"
HOLD_LINE = "every replica holds its answers"
POSTING = ("chat.postMessage", "conversations.replies")


@pytest.fixture
def three(
    postgres_server: PostgresServer,
    coach_env: dict[str, str],
    shipped_library: Any,
    tmp_path: Path,
) -> Iterator[tuple[list[Replica], SlackStub]]:
    """Three healthy replicas on one empty database and a stub Slack; a backoff of at most
    1 s between tries, so the outage below sees many of them."""
    with SlackStub(bot_user_id=BOT_USER) as stub:
        env = {
            **coach_env,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": stub.api_url,
            "DATABASE_URL": postgres_server.new_database(),
            "ANSWER_RETRY_MAX_SECONDS": "1",
            "LOG_LEVEL": "INFO",
        }
        started = [Replica(env, tmp_path / f"replica-{i}.log") for i in range(3)]
        try:
            wait_until(lambda: all(r.healthy() for r in started), 400, "three healthy replicas")
            yield started, stub
        finally:
            for replica in started:
                replica.stop()


def about(calls: list[Call], ts: str) -> list[Call]:
    """The calls made for one question: its thread read, its answer, its :eyes:."""
    keys = ("thread_ts", "ts", "timestamp")
    return [c for c in calls if any(c.params.get(k) == ts for k in keys)]


@pytest.mark.parametrize(("status", "retry_after"), [(503, None), (429, 1)])
def test_slack_failing_for_one_replica_holds_every_replicas_answers_and_is_logged_once(
    three: tuple[list[Replica], SlackStub], status: int, retry_after: int | None
) -> None:
    """Before, each replica sent each of its questions into the outage at every retry (the
    thread read, the post, the :eyes:), each logged; now, once one replica met it, only one
    question at a time tries Slack, the other questions wait untried, and each replica
    logs one line; one more says when Slack answers again. All answered once after."""
    started, stub = three
    stub.outage(3600, status=status, retry_after=retry_after)  # until reset below
    first = mention(f"<@{BOT_USER}> {QUESTION}", user="U0")
    assert started[0].send(event_envelope(first)) == 200

    def slack_failed_for_the_first() -> bool:  # held now, or (before) tried again
        return HOLD_LINE in started[0].log_text() or len(about(stub.calls, first["ts"])) >= 2

    wait_until(slack_failed_for_the_first, 60, "the first question meeting the outage")
    later = [mention(f"<@{BOT_USER}> {QUESTION}", user=f"U{i}") for i in range(1, 6)]
    for i, event in enumerate(later):
        assert started[i % 3].send(event_envelope(event)) == 200
    tries = len(about(stub.calls, first["ts"]))
    wait_until(lambda: len(about(stub.calls, first["ts"])) >= tries + 3, 60, "three more tries")
    during = list(stub.calls)
    stub.reset()  # Slack answers again
    asked = [first, *later]
    wait_until(lambda: all(answers_in(stub, e["ts"]) for e in asked), 120, "every answer")

    for event in later:  # held untried: no thread read, no post (nor :eyes: into a 503)
        tried = [c.method for c in about(during, event["ts"])]
        assert [m for m in tried if m in POSTING or status == 503] == [], tried
    for event in asked:
        assert len(answers_in(stub, event["ts"])) == 1, event["ts"]
    logs = [r.log.read_text(errors="replace") for r in started]
    assert [log.count(HOLD_LINE) for log in logs] == [1, 1, 1]
    assert not any("could not deliver the answer" in log for log in logs)
    wait_until(lambda: any("Slack answers again" in r.log_text() for r in started), 30, "its line")
    logs = [r.log.read_text(errors="replace") for r in started]
    assert sum(log.count("Slack answers again") for log in logs) == 1
