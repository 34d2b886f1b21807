"""What the Slack side remembers: questions handled, threads answered, feedback, tips shown.

The tables live on the shared `bot.db.metadata`, so `make_engine` creates them. A primary-key
insert is the dedupe: Slack retries an event it thinks we missed, and a second insert of the
same event id (or channel+ts) fails, so a question is answered once even across replicas.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot.db import metadata

log = logging.getLogger(__name__)

handled_events = Table(
    "slack_handled_events",
    metadata,
    Column("key", String(255), primary_key=True),  # "event:<id>" or "msg:<channel>:<ts>"
    Column("kind", String(32), nullable=False),
    Column("channel", String(64)),
    Column("ts", String(32)),
    Column("thread_ts", String(32)),
    Column("user_id", String(64)),
    Column("text", Text),
    Column("status", String(16), nullable=False, default="pending"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("done_at", DateTime(timezone=True)),
)

answered_threads = Table(
    "slack_answered_threads",
    metadata,
    Column("channel", String(64), primary_key=True),
    Column("thread_ts", String(32), primary_key=True),
    Column("first_question", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", String(64), nullable=False),
    Column("channel", String(64), nullable=False),
    Column("message_ts", String(32), nullable=False),
    Column("question", Text, nullable=False, default=""),
    Column("passage_ids", Text, nullable=False, default=""),
    Column("helpful", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("user_id", "channel", "message_ts", name="uq_feedback_vote"),
)

tip_history = Table(
    "tip_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", String(64), nullable=False, index=True),
    Column("passage_id", String(255), nullable=False),
    Column("topic", String(255)),
    Column("shown_at", DateTime(timezone=True), nullable=False),
)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class PendingQuestion:
    """A question claimed but not yet answered (e.g. the process died mid-way)."""

    kind: str
    channel: str
    ts: str
    thread_ts: str | None
    user_id: str | None
    text: str


class SlackStore:
    """Small, explicit queries over the Slack tables; safe to share across threads."""

    def __init__(self, engine: Engine, memory: int = 20_000) -> None:
        self.engine = engine
        # recent keys, so a retry storm is turned away without a DB round trip, and
        # duplicates are still caught if the database has a bad moment
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

    # ---- dedupe -----------------------------------------------------------------------
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
        now = _now()
        keys = [f"msg:{channel}:{ts}"]
        if event_id:
            keys.append(f"event:{event_id}")
        rows = [
            {
                "key": key,
                "kind": kind,
                "channel": channel,
                "ts": ts,
                "thread_ts": thread_ts,
                "user_id": user_id,
                "text": text[:8000],
                "status": "pending" if key.startswith("msg:") else "alias",
                "created_at": now,
            }
            for key in keys
        ]
        if not self._remember(keys):
            return False
        try:
            with self.engine.begin() as conn:
                for row in rows:
                    conn.execute(insert(handled_events).values(**row))
        except IntegrityError:
            return False  # another process (or an earlier run) has it
        except SQLAlchemyError as err:
            log.warning(
                "could not record %s in the database (%s); deduping in memory", keys[0], err
            )
        return True

    def claim_once(self, key: str, *, kind: str, channel: str, ts: str) -> bool:
        """True the first time `key` is seen: one click of one button on one message is
        acted on once, however often it is clicked."""
        key = f"{kind}:{key}"
        if not self._remember([key]):
            return False
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(handled_events).values(
                        key=key,
                        kind=kind,
                        channel=channel,
                        ts=ts,
                        text="",
                        status="done",
                        created_at=_now(),
                    )
                )
        except IntegrityError:
            return False
        except SQLAlchemyError as err:
            log.warning("could not record %s in the database (%s); deduping in memory", key, err)
        return True

    def mark_done(
        self,
        channel: str,
        ts: str,
        status: str = "done",
        *,
        thread: tuple[str, str] | None = None,
    ) -> None:
        """Record the outcome; with `thread` (thread_ts, first question), remember the thread
        the bot answered in the same transaction (one commit per answer)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(handled_events)
                .where(handled_events.c.key == f"msg:{channel}:{ts}")
                .values(status=status, done_at=_now())
            )
            if thread is not None:
                exists = conn.execute(
                    select(answered_threads.c.thread_ts).where(
                        answered_threads.c.channel == channel,
                        answered_threads.c.thread_ts == thread[0],
                    )
                ).first()
                if exists is None:
                    conn.execute(
                        insert(answered_threads).values(
                            channel=channel,
                            thread_ts=thread[0],
                            first_question=thread[1][:4000],
                            created_at=_now(),
                        )
                    )

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
                .where(handled_events.c.status == "pending")
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
                .where(handled_events.c.key == f"msg:{channel}:{ts}")
                .where(handled_events.c.status == "pending")
                .values(status="recovering")
            ).rowcount
        return changed == 1

    def purge(self, older_than: timedelta = timedelta(days=14)) -> int:
        """Forget handled-event keys older than Slack would ever retry; returns rows removed."""
        from sqlalchemy import delete

        with self.engine.begin() as conn:
            return conn.execute(
                delete(handled_events).where(handled_events.c.created_at < _now() - older_than)
            ).rowcount

    # ---- threads ----------------------------------------------------------------------
    def record_thread(self, channel: str, thread_ts: str, first_question: str) -> None:
        """Remember a thread the bot answered, keeping the question that started it."""
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(answered_threads).values(
                        channel=channel,
                        thread_ts=thread_ts,
                        first_question=first_question[:4000],
                        created_at=_now(),
                    )
                )
        except IntegrityError:
            pass  # the first question stays the first

    def first_question(self, channel: str, thread_ts: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(
                select(answered_threads.c.first_question).where(
                    answered_threads.c.channel == channel,
                    answered_threads.c.thread_ts == thread_ts,
                )
            ).scalar()

    # ---- feedback ---------------------------------------------------------------------
    def record_feedback(
        self,
        *,
        user_id: str,
        channel: str,
        message_ts: str,
        helpful: bool,
        question: str = "",
        passage_ids: list[str] | None = None,
    ) -> None:
        """One vote per person per answer; voting again changes it."""
        values = {
            "question": question[:4000],
            "passage_ids": ",".join(passage_ids or [])[:4000],
            "helpful": helpful,
            "created_at": _now(),
        }
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(feedback)
                .where(
                    feedback.c.user_id == user_id,
                    feedback.c.channel == channel,
                    feedback.c.message_ts == message_ts,
                )
                .values(**values)
            ).rowcount
            if not changed:
                conn.execute(
                    insert(feedback).values(
                        user_id=user_id, channel=channel, message_ts=message_ts, **values
                    )
                )

    def feedback_rows(self) -> list[dict[str, object]]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(feedback)).all()]

    # ---- tips -------------------------------------------------------------------------
    def recent_tips(self, user_id: str, limit: int = 5) -> list[str]:
        """Passage ids of the tips this person saw last, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(tip_history.c.passage_id)
                .where(tip_history.c.user_id == user_id)
                .order_by(tip_history.c.id.desc())
                .limit(limit)
            ).all()
        return [r[0] for r in rows]

    def record_tip(self, user_id: str, passage_id: str, topic: str | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                insert(tip_history).values(
                    user_id=user_id, passage_id=passage_id, topic=topic, shown_at=_now()
                )
            )
