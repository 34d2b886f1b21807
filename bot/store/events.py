"""Event dedupe and answered threads: a question is answered once, even across replicas.

A primary-key insert is the dedupe: Slack retries an event it thinks we missed, and a second
insert of the same event id (or channel+ts) fails. Recent keys are also kept in memory, so a
retry storm is turned away without a round trip and duplicates are still caught if the
database has a bad moment.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from bot.store.stored_text import stored_text
from bot.store.tables import (
    EventStatus,
    answered_threads,
    handled_events,
    insert_new,
    insert_once,
)

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


def question_key(channel: str, ts: str) -> str:
    """One question = one message; the key also marks its answer in Slack (metadata)."""
    return f"msg:{channel}:{ts}"


def dedupe_rows(
    kind: str,
    channel: str,
    ts: str,
    thread_ts: str | None,
    user_id: str | None,
    text: str,
    *,
    event_id: str | None,
    now: datetime,
) -> list[dict[str, Any]]:
    """The rows that mark a question seen: its message, and its event id as an alias. Both
    are primary keys, so a retry of either is refused."""
    key = question_key(channel, ts)
    keys = [key] + ([f"event:{event_id}"] if event_id else [])
    return [
        {
            "key": k,
            "kind": kind,
            "channel": channel,
            "ts": ts,
            "thread_ts": thread_ts,
            "user_id": user_id,
            "text": stored_text(text) if k == key else "",
            "status": EventStatus.PENDING if k == key else EventStatus.ALIAS,
            "created_at": now,
        }
        for k in keys
    ]


@dataclass(frozen=True)
class PendingQuestion:
    """A question claimed but not yet answered (e.g. the process died mid-way)."""

    kind: str
    channel: str
    ts: str
    thread_ts: str | None
    user_id: str | None
    text: str


# read for every follow-up question in a thread: built once
_FIRST_QUESTION = select(answered_threads.c.first_question).where(
    answered_threads.c.channel == bindparam("in_channel"),
    answered_threads.c.thread_ts == bindparam("of_thread"),
)


def remember_thread(conn: Connection, channel: str, thread_ts: str, question: str) -> None:
    """Keep the question a thread the bot answered started with (the first one stays)."""
    conn.execute(
        insert_new(conn.dialect.name, answered_threads),
        {
            "channel": channel,
            "thread_ts": thread_ts,
            "first_question": question[:4000],
            "created_at": _now(),
        },
    )


class EventStore:
    """Claims on Slack events and the threads the bot answered; safe to share across threads."""

    def __init__(self, engine: Engine, memory: int = 20_000) -> None:
        self.engine = engine
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._memory = memory
        self._lock = threading.Lock()

    def _remember(self, keys: list[str]) -> bool:
        """False if any key was seen; otherwise remember them all."""
        with self._lock:
            if any(k in self._seen for k in keys):
                return False
            for key in keys:
                self._seen[key] = None
            while len(self._seen) > self._memory:
                self._seen.popitem(last=False)
        return True

    def _insert_once(self, keys: list[str], rows: list[dict[str, Any]]) -> bool:
        """Insert the rows of a first sighting; False when memory or the database knew them."""
        if not self._remember(keys):
            return False
        try:
            if not insert_once(self.engine, *(insert(handled_events).values(**r) for r in rows)):
                return False  # another process (or an earlier run) has it
        except SQLAlchemyError as err:
            log.warning(
                "could not record %s in the database (%s); deduping in memory", keys[0], err
            )
        return True

    def claim(
        self,
        *,
        kind: str,
        channel: str,
        ts: str,
        event_id: str | None = None,
        thread_ts: str | None = None,
        user_id: str | None = None,
        text: str = "",
    ) -> bool:
        """True the first time this message (or event id) is seen; False for a repeat."""
        rows = dedupe_rows(
            kind, channel, ts, thread_ts, user_id, text, event_id=event_id, now=_now()
        )
        return self._insert_once([row["key"] for row in rows], rows)

    def claim_once(self, key: str, *, kind: str, channel: str, ts: str) -> bool:
        """True the first time `key` is seen: one click of one button on one message is
        acted on once, however often it is clicked."""
        key = f"{kind}:{key}"
        row = {
            "key": key,
            "kind": kind,
            "channel": channel,
            "ts": ts,
            "text": "",
            "status": EventStatus.DONE,
            "created_at": _now(),
        }
        return self._insert_once([key], [row])

    def mark_done(
        self,
        channel: str,
        ts: str,
        status: EventStatus = EventStatus.DONE,
        *,
        thread: tuple[str, str] | None = None,
    ) -> None:
        """Record the outcome; with `thread` (thread_ts, first question), remember the thread
        the bot answered in the same transaction (one commit per answer)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(handled_events)
                .where(handled_events.c.key == question_key(channel, ts))
                .values(status=status, done_at=_now())
            )
            if thread is not None:
                remember_thread(conn, channel, thread[0], thread[1])

    def pending(
        self,
        max_age: timedelta = timedelta(hours=1),
        min_age: timedelta = timedelta(minutes=2),
    ) -> list[PendingQuestion]:
        """Questions claimed a while ago (not in flight elsewhere) but never marked done."""
        now = _now()
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(handled_events)
                .where(handled_events.c.status == EventStatus.PENDING)
                .where(handled_events.c.created_at >= now - max_age)
                .where(handled_events.c.created_at <= now - min_age)
                .order_by(handled_events.c.created_at)
            ).all()
        return [
            PendingQuestion(r.kind, r.channel, r.ts, r.thread_ts, r.user_id, r.text or "")
            for r in rows
        ]

    def take_over(self, channel: str, ts: str) -> bool:
        """Atomically move a pending question to 'recovering'; False if someone else did."""
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(handled_events)
                .where(handled_events.c.key == question_key(channel, ts))
                .where(handled_events.c.status == EventStatus.PENDING)
                .values(status=EventStatus.RECOVERING)
            ).rowcount
        return changed == 1

    def purge(self, older_than: timedelta = timedelta(days=14)) -> int:
        """Forget handled-event keys older than Slack would ever retry; returns rows removed."""
        with self.engine.begin() as conn:
            return conn.execute(
                delete(handled_events).where(handled_events.c.created_at < _now() - older_than)
            ).rowcount

    # ---- threads ----------------------------------------------------------------------
    def remember_thread(self, channel: str, thread_ts: str, question: str) -> None:
        """A message the bot posted outside any thread starts one about `question`."""
        with self.engine.begin() as conn:
            remember_thread(conn, channel, thread_ts, question)

    def first_question(self, channel: str, thread_ts: str) -> str | None:
        """The question that started a thread the bot answered, if it answered there."""
        with self.engine.connect() as conn:
            return conn.scalar(_FIRST_QUESTION, {"in_channel": channel, "of_thread": thread_ts})
