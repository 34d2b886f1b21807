"""The durable answer queue: every question the bot acks is a row here before the ack.

Any replica's workers claim rows with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, a
guarded UPDATE everywhere), so a question is worked on by one replica at a time; a lease
that runs out (its replica died) is claimed again by whoever looks next. Only the lease
holder may change a row, so a replica that lost its lease cannot record anything.
`attempts` counts claims, each of which may have begun a chat.postMessage: a question
claimed before may already be answered in Slack, and whoever posts next looks first. (It is
counted by the claim itself rather than by a write right before each post: one transaction
less per answer, at the price of one look after a replica died before posting.)

A /leadership-tip request rides the same queue (kind "tip" or "another_tip"), keyed by its
trigger_id, with the command's response_url: a credential while it lives, so it is never
logged and is set to NULL when the row is settled. The tip chosen for it is kept in `reply`
by its first holder, so every later attempt sends the same tip. A "More like this" click
rides it too (kind "more"), keyed by the message and the passages shown before it, with
its context and those passages' fingerprints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ClauseElement,
    Connection,
    Engine,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)

from bot.store.answer_claims import CLAIM, CLAIM_PROBE
from bot.store.events import dedupe_rows, question_key, remember_thread
from bot.store.stored_text import stored_text
from bot.store.tables import (
    AnswerState,
    EventStatus,
    Write,
    answer_queue,
    from_db,
    handled_events,
    insert_once,
    queued_row,
    to_db,
)


@dataclass(frozen=True)
class Job:
    """A claimed question: what to answer, and how it went so far."""

    id: int
    key: str
    kind: str
    channel: str
    ts: str
    thread_ts: str | None
    user_id: str
    text: str
    attempts: int  # earlier claims of this question (each may have posted its answer)
    created_at: datetime
    lease_until: datetime | None = None  # this claim's lease
    response_url: str | None = field(default=None, repr=False)  # a tip's; never logged
    reply: str | None = None  # a tip's message (JSON), once its first holder chose it
    last_error: str | None = None  # why its last attempt failed
    context: str | None = None  # a "More like this" click's: the follow-up context
    offset: int = 0  # ... and where its next passages start
    excluded: tuple[str, ...] | None = None  # ... the fingerprints shown; None: offset only

    @property
    def maybe_posted(self) -> bool:
        """An earlier holder may have reached Slack with the answer: look before posting."""
        return self.attempts > 0


def _job(row: Any) -> Job:
    created = from_db(row.created_at)
    assert created is not None
    return Job(
        id=row.id,
        key=row.question_key,
        kind=row.kind,
        channel=row.channel,
        ts=row.ts,
        thread_ts=row.thread_ts,
        user_id=row.user_id or "",
        text=row.text or "",
        attempts=row.attempts - 1,  # the claim that returned the row counted itself
        created_at=created,
        lease_until=from_db(row.lease_until),
        response_url=row.response_url,
        reply=row.reply,
        last_error=row.last_error,
        context=row.context,
        offset=row.passage_offset or 0,
        excluded=tuple(row.excluded.split()) if row.excluded is not None else None,
    )


# the statements of every question's path, built once (their rows are given when run)
_INSERT_SEEN = insert(handled_events)
_INSERT_QUEUED = insert(answer_queue)
_UPDATE_HELD = update(answer_queue).where(
    answer_queue.c.id == bindparam("held_id"),
    answer_queue.c.owner == bindparam("held_by"),
    answer_queue.c.state == AnswerState.WORKING,
)
_UPDATE_SEEN = update(handled_events).where(handled_events.c.key == bindparam("seen_key"))


_STATE = select(answer_queue.c.state).where(answer_queue.c.question_key == bindparam("state_of"))


class AnswerQueue:
    """Enqueue, claim under a lease, and settle questions; safe to share across threads."""

    def __init__(self, engine: Engine, owner: str) -> None:
        self.engine = engine
        self.owner = owner  # this replica's name on the rows it holds

    # ---- intake (before the ack) ---------------------------------------------------------
    def enqueue(
        self,
        *,
        kind: str,
        channel: str,
        ts: str,
        user_id: str,
        text: str,
        thread_ts: str | None = None,
        event_id: str | None = None,
        now: datetime | None = None,
    ) -> bool:
        """Store a question; False if this message (or event id) was stored before.

        The dedupe keys and the queue row go in one transaction: an acked question is
        either queued or was already known, never lost in between. Database errors
        propagate, so the request fails and Slack delivers the event again later.
        """
        stamp = now or datetime.now(UTC)
        message: dict[str, Any] = {
            "kind": kind,
            "channel": channel,
            "ts": ts,
            "thread_ts": thread_ts,
            "user_id": user_id,
        }
        seen = dedupe_rows(**message, text=text, event_id=event_id, now=stamp)
        queued = {
            **message,
            "question_key": question_key(channel, ts),
            "event_id": event_id,
            "text": stored_text(text),
            "state": AnswerState.QUEUED,
            "attempts": 0,
            "created_at": to_db(stamp),
            "next_attempt_at": to_db(stamp),
        }
        return insert_once(self.engine, (_INSERT_SEEN, seen), (_INSERT_QUEUED, queued))

    def enqueue_tip(
        self,
        *,
        key: str,
        kind: str,
        channel: str,
        user_id: str,
        topic: str,
        response_url: str,
        now: datetime | None = None,
    ) -> bool:
        """Store a tip request before its ack; False if this request (`key`, from its
        trigger_id) was stored before. Database errors propagate: nothing is acked unstored
        that the caller does not deliver some other way."""
        stamp = now or datetime.now(UTC)
        ts = f"{stamp.timestamp():.6f}"  # when it was asked (a command has no ts)
        row = queued_row(key, kind, channel, ts, user_id, topic, stamp, response_url=response_url)
        return insert_once(self.engine, (_INSERT_QUEUED, row))

    def enqueue_more(
        self,
        *,
        key: str,
        channel: str,
        ts: str,
        thread_ts: str | None,
        user_id: str,
        question: str,
        context: str | None,
        offset: int,
        excluded: Sequence[str] | None = None,
        now: datetime | None = None,
    ) -> bool:
        """Store a "More like this" click before its ack; False if this click (`key`: the
        message and what it excludes) was stored before. Its dedupe row is the one a click
        acted on from memory claims (EventStore.claim_once), so neither way posts it twice.
        `excluded`: the fingerprints shown so far (None: an old button's, offset only).
        Database errors propagate, as `enqueue_tip`'s."""
        stamp = now or datetime.now(UTC)
        seen = {"key": key, "kind": "more", "channel": channel, "ts": ts, "text": ""}
        seen |= {"status": EventStatus.DONE, "created_at": stamp}  # claimed, as claim_once's
        more = {"thread_ts": thread_ts, "context": context, "passage_offset": offset}
        more["excluded"] = " ".join(excluded) if excluded is not None else None
        row = queued_row(key, "more", channel, ts, user_id, question, stamp, **more)
        return insert_once(self.engine, (_INSERT_SEEN, seen), (_INSERT_QUEUED, row))

    def keep_reply(self, job: Job, reply: str) -> bool:
        """Remember the tip chosen for a request, so a retry (here or on another replica)
        sends the same one; False when the lease was lost."""
        with self.engine.begin() as conn:
            return self._owned(conn, job, reply=reply)

    # ---- workers ---------------------------------------------------------------------------
    def claim(
        self, limit: int, lease: timedelta, now: datetime | None = None, *, probe: bool = False
    ) -> list[Job]:
        """Up to `limit` questions that are due, or whose holder's lease ran out, oldest
        first; each claim counts as an attempt (see the module's docstring). None while
        Slack is on hold, unless this is the hold's `probe`."""
        stamp = to_db(now or datetime.now(UTC))
        with self.engine.begin() as conn:
            taken = conn.execute(
                CLAIM_PROBE if probe else CLAIM,
                {
                    "claim_now": stamp,
                    "claim_limit": limit,
                    "claim_owner": self.owner,
                    "claim_until": stamp + lease,
                },
            ).all()
        return sorted((_job(row) for row in taken), key=lambda j: j.id)

    def _owned(self, conn: Connection, job: Job, **values: Any) -> bool:
        """Change a row only while this replica holds its lease."""
        held = {"held_id": job.id, "held_by": self.owner}
        if any(isinstance(v, ClauseElement) for v in values.values()):  # e.g. attempts + 1
            result = conn.execute(_UPDATE_HELD.values(**values), held)
        else:
            result = conn.execute(_UPDATE_HELD, {**held, **values})
        return result.rowcount == 1

    def _settle(
        self,
        conn: Connection,
        job: Job,
        state: AnswerState,
        event: EventStatus,
        stamp: datetime,
        values: dict[str, Any],
    ) -> bool:
        """Finish a held row and its dedupe row together; False when the lease was lost. A
        tip's response_url goes with it: it is never needed again."""
        settled = {"done_at": to_db(stamp), "lease_until": None, "response_url": None}
        if not self._owned(conn, job, state=state, **settled, **values):
            return False
        conn.execute(_UPDATE_SEEN, {"seen_key": job.key, "status": event, "done_at": stamp})
        return True

    def renew(
        self, job: Job, lease: timedelta, *, attempt: bool = False, now: datetime | None = None
    ) -> bool:
        """Extend the lease (before a Slack call the lease might not outlast); with
        `attempt`, count one more attempt. False: the lease was lost to another replica, so
        do nothing more with this job."""
        values: dict[str, Any] = {"lease_until": to_db(now or datetime.now(UTC)) + lease}
        if attempt:
            values["attempts"] = answer_queue.c.attempts + 1
        with self.engine.begin() as conn:
            return self._owned(conn, job, **values)

    def answered(
        self,
        job: Job,
        message_ts: str | None,
        *,
        threads: Sequence[tuple[str, str]] = (),
        also: Write | None = None,
        note: str | None = None,
        now: datetime | None = None,
    ) -> bool:
        """Record the answer, the threads (thread ts, first question) a follow-up builds on
        and `also` (the curator's row of the question, an insert that ignores a repeat) in
        one transaction. `note`: why it counts as answered without Slack saying so."""
        stamp = now or datetime.now(UTC)
        with self.engine.begin() as conn:
            answer = {"answered_ts": message_ts, "last_error": note and note[:500]}
            if not self._settle(conn, job, AnswerState.ANSWERED, EventStatus.DONE, stamp, answer):
                return False
            for thread_ts, question in threads:
                remember_thread(conn, job.channel, thread_ts, question)
            if also is not None:
                conn.execute(*also)
        return True

    def retry_later(self, job: Job, at: datetime, error: str) -> bool:
        """Give the question back to the queue, due again at `at` (any replica may take it)."""
        return self._requeue(job, at, last_error=error[:500])

    def release(self, job: Job, now: datetime | None = None) -> bool:
        """Hand a claimed question back untried (its replica is stopping): due at once for
        any replica, and its claim not counted as an attempt, since nothing went to Slack."""
        return self._requeue(job, now or datetime.now(UTC), attempts=answer_queue.c.attempts - 1)

    def _requeue(self, job: Job, at: datetime, **fields: object) -> bool:
        """Back to the queue, unowned and due at `at`, if this replica still holds it."""
        with self.engine.begin() as conn:
            return self._owned(
                conn,
                job,
                state=AnswerState.QUEUED,
                owner=None,
                lease_until=None,
                next_attempt_at=to_db(at),
                **fields,
            )

    def give_up(
        self, job: Job, state: AnswerState, error: str, now: datetime | None = None
    ) -> bool:
        """Settle a question without an answer: too old (DROPPED) or refused (FAILED)."""
        stamp = now or datetime.now(UTC)
        with self.engine.begin() as conn:
            why = {"last_error": error[:500]}
            return self._settle(conn, job, state, EventStatus.FAILED, stamp, why)

    def purge(self, older_than: timedelta, now: datetime | None = None) -> int:
        """Forget settled questions (answered, dropped, failed) asked before `older_than`
        ago; questions still queued or being answered stay. Returns rows removed."""
        cutoff = to_db((now or datetime.now(UTC)) - older_than)
        settled = (AnswerState.ANSWERED, AnswerState.DROPPED, AnswerState.FAILED)
        with self.engine.begin() as conn:
            return conn.execute(
                delete(answer_queue).where(
                    answer_queue.c.state.in_(settled), answer_queue.c.created_at < cutoff
                )
            ).rowcount

    # ---- looking on ------------------------------------------------------------------------
    def state(self, key: str) -> AnswerState | None:
        """Where one question stands (the sign of life asks before putting :eyes: on)."""
        with self.engine.connect() as conn:
            found = conn.scalar(_STATE, {"state_of": key})
        return AnswerState(found) if found else None

    def states(self, keys: list[str]) -> dict[str, AnswerState]:
        """Where several questions stand, in one read (the :eyes: due at the same moment)."""
        if not keys:
            return {}
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(answer_queue.c.question_key, answer_queue.c.state).where(
                    answer_queue.c.question_key.in_(keys)
                )
            ).all()
        return {key: AnswerState(state) for key, state in rows}

    def counts(self) -> dict[AnswerState, int]:
        """Questions per state (tests, bench, health)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(answer_queue.c.state, func.count()).group_by(answer_queue.c.state)
            ).all()
        return {AnswerState(state): n for state, n in rows}

    def rows(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            found = conn.execute(select(answer_queue).order_by(answer_queue.c.id)).all()
        return [dict(r._mapping) for r in found]

    def next_due(self) -> datetime | None:
        """When the earliest queued question is due (workers sleep until then at most)."""
        with self.engine.connect() as conn:
            due = conn.scalar(
                select(func.min(answer_queue.c.next_attempt_at)).where(
                    answer_queue.c.state == AnswerState.QUEUED
                )
            )
        return from_db(due)
