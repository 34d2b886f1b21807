"""Every table the bot keeps, on one MetaData, so `create_all` (or a migration tool) sees
them together. String states are `StrEnum`s: they compare equal to the strings stored."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    Executable,
    Index,
    Insert,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from bot.store.stored_text import stored_text

metadata = MetaData()


def to_db(moment: datetime) -> datetime:
    """Naive UTC for storage: SQLite keeps no zone, so every row uses the same one."""
    if moment.tzinfo is None:
        raise ValueError("aware datetimes only")
    return moment.astimezone(UTC).replace(tzinfo=None)


# a statement and its parameters (a list of them: one execution per row). Statements built
# without literal values are cheap to run again: SQLAlchemy's compiled form is cached by
# shape, and nothing is turned into bound parameters on every call.
Write = tuple[Executable, dict[str, Any] | list[dict[str, Any]]]


def insert_once(engine: Engine, *statements: Insert | Write) -> bool:
    """Run INSERTs in one transaction whose unique keys make them a lock: False, with nothing
    written, when one of the rows was there already (a repeat, or another replica first)."""
    try:
        with engine.begin() as conn:
            for statement in statements:
                if not isinstance(statement, tuple):
                    conn.execute(statement)
                    continue
                sql, rows = statement
                # a row at a time: psycopg runs a list of rows (executemany) in pipeline
                # mode, where the expected conflict also logs "error ignored terminating
                # Pipeline ... pipeline aborted" at WARNING, as if the database had failed
                for row in rows if isinstance(rows, list) else [rows]:
                    conn.execute(sql, row)
    except IntegrityError:
        return False
    return True


@cache
def insert_new(dialect: str, table: Table) -> Insert:
    """An INSERT (rows given when it is run) that does nothing when a row's unique key is
    taken: it can share a transaction with other writes (a failed plain INSERT would abort
    it on PostgreSQL). Built once per table: every answer runs two of them, and building
    one anew each time cost SQLAlchemy a new cache key per run."""
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    raise ValueError(f"unsupported database dialect: {dialect}")


def from_db(value: datetime | None) -> datetime | None:
    """Back to an aware UTC datetime."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class EventStatus(StrEnum):
    """Where a Slack question stands in `slack_handled_events`."""

    PENDING = "pending"  # claimed, not answered yet
    ALIAS = "alias"  # the event-id row beside a message row; never answered itself
    RECOVERING = "recovering"  # taken over after a crash, being answered now
    DONE = "done"
    FAILED = "failed"
    DROPPED = "dropped"  # the work queue was full; the asker was told
    UNKNOWN = "unknown"  # recovery could not tell whether it was answered


class AskOutcome(StrEnum):
    """What the coach did with a question in `asked_questions`."""

    ANSWERED = "answered"  # cited at least one passage
    ABSTAINED = "abstained"  # said the library does not cover it
    DECLINED = "declined"  # left to others by the curator's out-of-scope map (content/scope.yaml)

    @classmethod
    def of(cls, answered: bool, declined_topic: str | None) -> AskOutcome:
        """What a search's result counts as in the curator's report."""
        if answered:
            return cls.ANSWERED
        return cls.DECLINED if declined_topic else cls.ABSTAINED


class SaidKind(StrEnum):
    """What `said_once` rows claim."""

    WELCOME = "welcome"  # key: channel id
    REFLECTION = "reflection"  # key: "<channel>/<local date>"
    SHARE = "share"  # key: "<channel>/<thread>/<user>/<passage ids>"
    SHARE_TIP = "share_tip"  # key: "<channel>/<tip message ts>/<user>/<passage id>"
    EYES = "eyes"  # key: the question's answer_queue key; the :eyes: was put on it
    STILL_WORKING = "still_working"  # key: likewise; the "still working" reply was posted
    PANEL_GREETING = "panel_greeting"  # key: "<channel>/<thread ts>" of an assistant thread


class LedgerState(StrEnum):
    """A (channel, day) daily-quote claim: posting -> posted | failed."""

    POSTING = "posting"
    POSTED = "posted"
    FAILED = "failed"


def _answer_columns() -> list[Column[Any]]:
    """What a vote or a reason is about: one person, one answer, its question and passages."""
    return [
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("user_id", String(64), nullable=False),
        Column("channel", String(64), nullable=False),
        Column("message_ts", String(32), nullable=False),
        Column("question", Text, nullable=False, default=""),
        Column("passage_ids", Text, nullable=False, default=""),
    ]


def _quote_day_columns() -> list[Column[Any]]:
    """Which channel, which local date, which quote (ledger rows and the post log)."""
    return [
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("channel", String(64), nullable=False),
        Column("local_date", String(10), nullable=False),
        Column("quote_key", String(128), nullable=False),
    ]


# ---- Slack questions, threads, feedback, tips ----------------------------------------------
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
    *_answer_columns(),
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

# ---- what leaders asked, for the curator (kept FEEDBACK_RETENTION_DAYS) --------------------
# asked_questions: every question the coach answered or abstained on, once per message. The
# asker's id is kept for the retention window only and never shown (reports list questions).
asked_questions = Table(
    "asked_questions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(64), nullable=False),
    Column("ts", String(32), nullable=False),  # the question's message
    Column("answer_ts", String(32)),  # the coach's reply
    Column("user_id", String(64)),
    Column("question", Text, nullable=False),
    Column("outcome", String(16), nullable=False),  # AskOutcome
    Column("passage_ids", Text, nullable=False, default=""),
    Column("asked_at", DateTime(timezone=True), nullable=False, index=True),
    Column("declined_topic", String(200)),  # the out-of-scope topic, when DECLINED
    UniqueConstraint("channel", "ts", name="uq_asked_question"),
)

# feedback_reasons: "What were you looking for?" after a Not helpful click, one per person per
# answer (a second submission replaces it), with the question and the passages shown.
feedback_reasons = Table(
    "feedback_reasons",
    metadata,
    *_answer_columns(),
    Column("reason", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    UniqueConstraint("user_id", "channel", "message_ts", name="uq_feedback_reason"),
)


class AnswerState(StrEnum):
    """A question in `answer_queue`: queued -> working -> answered | dropped | failed.

    A failed delivery goes back to queued (with a later next_attempt_at); a working row
    whose lease ran out is claimed again as if queued."""

    QUEUED = "queued"
    WORKING = "working"
    ANSWERED = "answered"
    DROPPED = "dropped"  # undeliverable until ANSWER_MAX_AGE_MINUTES passed
    FAILED = "failed"  # Slack refused it for good (e.g. channel_not_found)


# answer_queue: every mention or DM the bot acked, every /leadership-tip (kind "tip",
# delivered to its response_url), every "More like this" click (kind "more"), "Coach me
# on this" request (kind "coach_me"), assistant thread's greeting (kind "greeting"),
# channel welcome (kind "welcome"), Home tab publish (kind "home") and a vote's note (kind
# "feedback_note"), written before the ack. Workers on any replica claim due rows with a
# lease (owner, lease_until); attempts counts chat.postMessage calls begun, so a later
# holder looks in Slack for the answer before posting again. A tip's response_url is a
# credential while it lives: it is set to NULL when the row is settled.
answer_queue = Table(
    "answer_queue",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("question_key", String(255), nullable=False, unique=True),  # msg:<channel>:<ts>
    Column("event_id", String(64)),
    Column("kind", String(32), nullable=False),
    Column("channel", String(64), nullable=False),
    Column("ts", String(32), nullable=False),
    Column("thread_ts", String(32)),
    Column("user_id", String(64)),
    Column("text", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("owner", String(160)),
    Column("lease_until", DateTime),  # naive UTC, like every DateTime without a zone here
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("answered_ts", String(32)),
    Column("done_at", DateTime),
    Column("last_error", String(500)),
    Column("response_url", Text),  # a tip's, until it is settled (migration 0005)
    Column("reply", Text),  # a tip's message (JSON), chosen once so a retry sends the same
    Column("context", Text),  # a "More like this" click's follow-up context (migration 0008)
    Column("passage_offset", Integer),  # ... and where its next passages start
    Column("excluded", Text),  # ... and the fingerprints shown before it (migration 0009)
    Index("ix_answer_queue_state_due", "state", "next_attempt_at"),
)


def queued_row(
    key: str,
    kind: str,
    channel: str,
    ts: str,
    user_id: str | None,
    text: str,
    stamp: datetime,
    **more: Any,
) -> dict[str, Any]:
    """A new answer_queue row for anything but a question (a tip, a click, a shortcut, a
    greeting, a welcome): due at once, no attempt made yet."""
    return {
        "question_key": key[:255],
        "kind": kind,
        "channel": channel,
        "ts": ts,
        "user_id": user_id,
        "text": stored_text(text),
        "state": AnswerState.QUEUED,
        "attempts": 0,
        "created_at": to_db(stamp),
        "next_attempt_at": to_db(stamp),
        **more,
    }


# slack_hold: Slack failing for every replica (a 429, or an outage: 5xx, no connection), met by
# any of them. While the row exists no replica claims an answer to post, except the one probe
# whoever first finds `until` passed takes (moving `until` on by the probe's time); the row
# is deleted when Slack answers again (migration 0007).
slack_hold = Table(
    "slack_hold",
    metadata,
    Column("name", String(32), primary_key=True),  # what is held: "answers"
    Column("reason", String(64), nullable=False),  # "HTTP 429", "HTTP 503", "URLError"
    Column("since", DateTime, nullable=False),  # naive UTC: when the outage began
    Column("until", DateTime, nullable=False),  # naive UTC: no probe before this
    Column("prober", String(160)),  # the replica probing Slack now, if any
)

# ---- the daily quote -----------------------------------------------------------------------
# quote_rotation: one row per (channel, local date): the quote that channel's day got and the
# rotation cycle it belongs to, so a retry posts the same quote and each channel's "no repeats
# until every quote was used" survives restarts. (It replaces daily_quote_choices, which had
# one rotation for every channel; an old database keeps that table unused.)
quote_choices = Table(
    "quote_rotation",
    metadata,
    Column("channel", String(64), primary_key=True),
    Column("local_date", String(10), primary_key=True),  # ISO date in the channel's zone
    Column("quote_key", String(128), nullable=False),
    Column("cycle", Integer, nullable=False),
    Column("chosen_at", DateTime, nullable=False),  # naive UTC
)

# quote_schedules: the channels `coach quote schedule add` set up (QUOTE_CHANNEL is not here).
quote_schedules = Table(
    "quote_schedules",
    metadata,
    Column("channel", String(64), primary_key=True),
    Column("time", String(5), nullable=False),  # HH:MM, 24-hour
    Column("timezone", String(64), nullable=False),  # IANA name
    Column("days", String(32), nullable=False),  # "mon,tue,wed,thu,fri"
    Column("skip", Text, nullable=False, default=""),  # "2026-12-25,2027-01-01"
    Column("reflect", Boolean, nullable=False, default=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# daily_quote_ledger: one row per (channel, local_date), UNIQUE. Inserting it in 'posting' is
# the atomic claim that lets exactly one process post; heartbeat_at is the claim's lease.
quote_ledger = Table(
    "daily_quote_ledger",
    metadata,
    *_quote_day_columns(),
    Column("state", String(16), nullable=False),
    Column("owner", String(160), nullable=False),
    Column("claimed_at", DateTime, nullable=False),  # first claim; history search starts here
    Column("heartbeat_at", DateTime, nullable=False),  # lease: renewed before each Slack call
    Column("version", Integer, nullable=False, default=0),  # compare-and-swap guard
    Column("attempts", Integer, nullable=False, default=0),  # chat.postMessage calls begun
    Column("message_ts", String(32)),
    Column("posted_at", DateTime),
    Column("next_attempt_at", DateTime),
    Column("last_error", String(500)),
    UniqueConstraint("channel", "local_date", name="uq_daily_quote_channel_date"),
)

# daily_quote_posts: every message actually posted (scheduled, recovered or forced).
quote_posts = Table(
    "daily_quote_posts",
    metadata,
    *_quote_day_columns(),
    Column("message_ts", String(32)),
    Column("forced", Boolean, nullable=False, default=False),
    Column("recovered", Boolean, nullable=False, default=False),
    Column("owner", String(160), nullable=False),
    Column("posted_at", DateTime, nullable=False),
)


# ---- things said at most once (welcome per channel, a quote's reflection, a shared answer) --
# The row is the claim: inserted before the message is posted, released if posting fails.
said_once = Table(
    "said_once",
    metadata,
    Column("kind", String(16), primary_key=True),  # SaidKind
    Column("key", String(255), primary_key=True),
    Column("message_ts", String(32)),
    Column("claimed_at", DateTime(timezone=True), nullable=False),
)
