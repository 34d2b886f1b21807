"""The durable answer queue on SQLite and PostgreSQL: a question stored once, claimed by one
replica at a time, taken over when its holder's lease runs out, settled only by its holder."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from bot.store import engine as engine_module
from bot.store.answer_queue import AnswerQueue
from bot.store.asked import AskedQuestions
from bot.store.engine import make_engine
from bot.store.events import EventStore
from bot.store.said_once import SaidOnce
from bot.store.tables import AnswerState, AskOutcome, EventStatus, SaidKind, Write
from tests.pg_fixtures import BACKENDS, PostgresServer, database_url_for

LEASE = timedelta(seconds=30)
T0 = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
def queue_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """The answer queue's database, shared by the 'replicas' of a test."""
    engine = make_engine(database_url_for(request.param, request, tmp_path))
    yield engine
    engine.dispose()


def ask(queue: AnswerQueue, ts: str, event_id: str | None = None, now: datetime = T0) -> bool:
    return queue.enqueue(
        kind="mention",
        channel="C1",
        ts=ts,
        user_id="U1",
        text=f"question {ts}",
        event_id=event_id,
        now=now,
    )


def test_a_question_is_stored_once_however_often_slack_delivers_it(queue_engine: Engine) -> None:
    a, b = AnswerQueue(queue_engine, "a"), AnswerQueue(queue_engine, "b")
    assert ask(a, "1.1", "Ev1")
    assert not ask(b, "1.1", "Ev1")  # Slack's retry, delivered to another replica
    assert not ask(b, "1.1", "Ev2")  # the same message under another event id
    assert not ask(b, "9.9", "Ev1")  # the same event id
    assert a.counts() == {AnswerState.QUEUED: 1}


def test_a_repeat_is_refused_without_a_database_warning_in_the_log(
    queue_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """The same message under another event id, or Slack's retry on another replica: on
    PostgreSQL each such repeat put 'WARNING psycopg: error ignored terminating
    <psycopg.Pipeline [INERROR, pipeline=ON] ...>: pipeline aborted' in the replica's log,
    as if the database had failed. A repeat is expected and refused quietly."""
    a, b = AnswerQueue(queue_engine, "a"), AnswerQueue(queue_engine, "b")
    assert ask(a, "1.1", "Ev1")
    with caplog.at_level(logging.WARNING):
        assert not ask(b, "1.1", "Ev2")
        assert not ask(b, "1.1", "Ev1")
        assert not ask(b, "9.9", "Ev1")
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert a.counts() == {AnswerState.QUEUED: 1}


def test_a_live_lease_keeps_others_off_and_an_expired_one_lets_them_in(
    queue_engine: Engine,
) -> None:
    a, b = AnswerQueue(queue_engine, "a"), AnswerQueue(queue_engine, "b")
    ask(a, "1.1")
    [job] = a.claim(5, LEASE, now=T0)
    assert b.claim(5, LEASE, now=T0 + LEASE - timedelta(seconds=1)) == []
    [again] = b.claim(5, LEASE, now=T0 + LEASE)  # a died: its lease ran out
    assert again.id == job.id
    assert not a.renew(job, LEASE, attempt=True)  # a is back, but no longer holds it
    assert not a.answered(job, "5.5")
    assert b.answered(again, "5.5", threads=[("1.1", "question 1.1")])
    assert a.counts() == {AnswerState.ANSWERED: 1}
    assert EventStore(queue_engine).first_question("C1", "1.1") == "question 1.1"
    assert b.claim(5, LEASE, now=T0 + 10 * LEASE) == []  # answered is final


def test_an_answer_is_recorded_with_its_thread_and_curator_row_or_not_at_all(
    queue_engine: Engine,
) -> None:
    """The answer, the thread it started and the curator's row of the question are written
    together by the lease holder; a replica that lost the lease writes none of them."""
    a, b = AnswerQueue(queue_engine, "a"), AnswerQueue(queue_engine, "b")
    asked = AskedQuestions(queue_engine)

    def row(ts: str, answer_ts: str) -> Write:
        return asked.row(
            channel="C1",
            ts=ts,
            question=f"question {ts}",
            outcome=AskOutcome.ANSWERED,
            user_id="U1",
            passage_ids=["a#1", "b#2"],
            answer_ts=answer_ts,
        )

    ask(a, "1.1", "Ev1")
    ask(a, "2.2", "Ev2")
    first, second = a.claim(5, LEASE, now=T0)
    assert a.answered(first, "7.7", threads=[("1.1", "question 1.1")], also=row("1.1", "7.7"))
    [again] = b.claim(5, LEASE, now=T0 + LEASE)  # a's lease on the second ran out
    assert not a.answered(second, "8.8", threads=[("2.2", "question 2.2")], also=row("2.2", "8.8"))
    events = EventStore(queue_engine)
    assert events.first_question("C1", "1.1") == "question 1.1"
    assert events.first_question("C1", "2.2") is None  # nothing of a's late answer
    with queue_engine.connect() as conn:
        rows = conn.execute(text("SELECT ts, answer_ts, passage_ids FROM asked_questions")).all()
        seen = dict(conn.execute(text("SELECT key, status FROM slack_handled_events")).all())
    assert [tuple(r) for r in rows] == [("1.1", "7.7", "a#1,b#2")]
    assert seen["msg:C1:1.1"] == EventStatus.DONE
    assert seen["msg:C1:2.2"] == EventStatus.PENDING
    assert b.answered(again, "9.9", also=row("2.2", "9.9"))
    assert a.counts() == {AnswerState.ANSWERED: 2}


def test_posting_attempts_survive_a_takeover_so_the_next_holder_looks_first(
    queue_engine: Engine,
) -> None:
    a, b = AnswerQueue(queue_engine, "a"), AnswerQueue(queue_engine, "b")
    ask(a, "1.1")
    [job] = a.claim(1, LEASE, now=T0)  # a may send chat.postMessage, then die
    assert not job.maybe_posted
    [again] = b.claim(1, LEASE, now=T0 + 2 * LEASE)
    assert again.attempts == 1 and again.maybe_posted
    assert b.retry_later(again, T0 + 3 * LEASE, "HTTP 503")  # Slack was down for b
    [third] = a.claim(1, LEASE, now=T0 + 3 * LEASE)
    assert third.attempts == 2 and third.maybe_posted


def test_retry_later_waits_until_due_and_any_replica_may_take_it(queue_engine: Engine) -> None:
    a, b = AnswerQueue(queue_engine, "a"), AnswerQueue(queue_engine, "b")
    ask(a, "1.1")
    [job] = a.claim(1, LEASE, now=T0)
    assert a.retry_later(job, T0 + timedelta(seconds=8), "HTTP 503")
    assert a.next_due() == T0 + timedelta(seconds=8)
    assert b.claim(1, LEASE, now=T0 + timedelta(seconds=7)) == []
    [again] = b.claim(1, LEASE, now=T0 + timedelta(seconds=8))
    assert again.id == job.id
    assert b.give_up(again, AnswerState.DROPPED, "too old")
    assert a.counts() == {AnswerState.DROPPED: 1}
    assert a.rows()[0]["last_error"] == "too old"


def test_a_question_handed_back_at_a_stop_is_another_replicas_at_once_and_untried(
    queue_engine: Engine,
) -> None:
    """A stopping replica's claim it never began: any replica takes it now, not once the
    lease has run out, and it is not taken for one that may have reached Slack."""
    a, b = AnswerQueue(queue_engine, "a"), AnswerQueue(queue_engine, "b")
    ask(a, "1.1")
    [job] = a.claim(1, LEASE, now=T0)
    assert b.claim(1, LEASE, now=T0 + timedelta(seconds=1)) == []  # a's lease holds
    assert a.release(job, now=T0 + timedelta(seconds=1))
    [again] = b.claim(1, LEASE, now=T0 + timedelta(seconds=1))
    assert again.id == job.id and not again.maybe_posted
    assert not a.release(job)  # b holds it now: a can no longer hand it back


def test_replicas_claiming_at_once_never_share_a_question(queue_engine: Engine) -> None:
    owners = [AnswerQueue(queue_engine, f"r{i}") for i in range(3)]
    for n in range(60):
        ask(owners[0], f"{n}.0")
    got: dict[str, list[int]] = {q.owner: [] for q in owners}
    start = threading.Barrier(len(owners) * 2)

    def work(queue: AnswerQueue) -> None:
        start.wait()
        while jobs := queue.claim(4, LEASE, now=T0):
            got[queue.owner].extend(j.id for j in jobs)
            for job in jobs:
                assert queue.answered(job, "1.0")

    threads = [threading.Thread(target=work, args=(q,)) for q in owners for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    claimed = [i for ids in got.values() for i in ids]
    assert len(claimed) == 60 and len(set(claimed)) == 60
    assert owners[0].counts() == {AnswerState.ANSWERED: 60}


def test_old_settled_questions_and_their_signs_are_forgotten_unsettled_ones_never(
    queue_engine: Engine,
) -> None:
    queue, said = AnswerQueue(queue_engine, "a"), SaidOnce(queue_engine)
    for ts in ("1.1", "2.2", "3.3"):
        ask(queue, ts)
    # 1.1 answered; 2.2 still being answered (a long lease)
    answered, _ = queue.claim(2, timedelta(days=60), now=T0)
    queue.answered(answered, "9.9", now=T0)
    ask(queue, "4.4", now=T0 + timedelta(days=20))  # answered recently
    _, recent = queue.claim(5, LEASE, now=T0 + timedelta(days=20))  # 3.3 taken, not settled
    queue.answered(recent, "9.8", now=T0 + timedelta(days=20))
    assert said.claim(SaidKind.EYES, answered.key)
    assert said.claim(SaidKind.WELCOME, "C1")  # not a per-question claim: kept
    later = T0 + timedelta(days=21)
    kinds = (SaidKind.EYES, SaidKind.STILL_WORKING)
    assert queue.purge(timedelta(days=14), now=later) == 1
    assert [r["ts"] for r in queue.rows()] == ["2.2", "3.3", "4.4"]
    assert said.forget(kinds, timedelta(days=14), now=datetime.now(UTC) + timedelta(days=15)) == 1
    assert said.said(SaidKind.WELCOME, "C1") and not said.said(SaidKind.EYES, answered.key)


def test_a_replica_claims_no_more_questions_than_it_has_free_workers(
    queue_engine: Engine,
) -> None:
    queue = AnswerQueue(queue_engine, "a")
    for i in range(5):
        ask(queue, f"{i}.1")
    assert [j.ts for j in queue.claim(2, LEASE, now=T0)] == ["0.1", "1.1"]
    assert [j.ts for j in AnswerQueue(queue_engine, "b").claim(2, LEASE, now=T0)] == [
        "2.1",
        "3.1",
    ]


def test_a_question_is_stored_after_the_server_dropped_idle_connections(
    postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = postgres_server.new_database()
    engine = make_engine(url)
    queue = AnswerQueue(engine, "a")
    assert ask(queue, "1.1")
    with engine.connect() as conn:  # the pool's one connection, idle from now on
        pid = conn.scalar(text("SELECT pg_backend_pid()"))
    with postgres_server._connect(postgres_server.dbname) as admin:  # e.g. a server restart
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    monkeypatch.setattr(engine_module, "IDLE_PING_SECONDS", 0.0)  # idle long enough
    assert ask(queue, "2.2")  # not refused (Slack would have to deliver it again)
    assert queue.counts() == {AnswerState.QUEUED: 2}
    engine.dispose()


def ask_tip(queue: AnswerQueue, key: str = "tip:T1", now: datetime = T0) -> bool:
    return queue.enqueue_tip(
        key=key,
        kind="tip",
        channel="C1",
        user_id="U1",
        topic="coaching",
        response_url="https://hooks.slack.com/commands/T1/1/secret",
        now=now,
    )


def test_a_tip_request_is_stored_once_held_by_one_replica_and_its_url_goes_when_settled(
    queue_engine: Engine,
) -> None:
    a, b = AnswerQueue(queue_engine, "a"), AnswerQueue(queue_engine, "b")
    assert ask_tip(a)
    assert not ask_tip(b)  # the same request (trigger_id) delivered twice
    [job] = a.claim(5, LEASE, now=T0)
    assert job.kind == "tip" and job.text == "coaching" and job.response_url
    assert "secret" not in repr(job)  # a credential: never in a log line
    assert a.keep_reply(job, '{"text": "a tip"}')
    [again] = b.claim(5, LEASE, now=T0 + LEASE)  # a died: b sends the tip a chose
    assert again.reply == '{"text": "a tip"}' and again.response_url == job.response_url
    assert not a.answered(job, None)
    assert b.answered(again, None)
    [row] = a.rows()
    assert row["state"] == AnswerState.ANSWERED and row["response_url"] is None
    assert b.claim(5, LEASE, now=T0 + 10 * LEASE) == []  # delivered is final
    assert a.purge(timedelta(days=14), now=T0 + timedelta(days=15)) == 1
