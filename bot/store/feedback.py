"""Helpful / Not helpful votes on answers: one per person per answer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, NotRequired, TypedDict, Unpack

from sqlalchemy import Engine, Table, insert, select, update

from bot.store.tables import feedback, feedback_reasons


class AnswerRef(TypedDict):
    """Which answer a vote or a reason is about (one per person), and what it showed."""

    user_id: str
    channel: str
    message_ts: str
    question: NotRequired[str]
    passage_ids: NotRequired[list[str] | None]


class FeedbackStore:
    """Votes on answers, kept with the question and the passages that were shown."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, *, helpful: bool, **about: Unpack[AnswerRef]) -> None:
        """One vote per person per answer; voting again changes it."""
        self._upsert(feedback, about, {"helpful": helpful})

    def vote(self, user_id: str, channel: str, message_ts: str) -> bool | None:
        """The person's vote on the answer as it stands (True: helpful); None before any."""
        where = (
            feedback.c.user_id == user_id,
            feedback.c.channel == channel,
            feedback.c.message_ts == message_ts,
        )
        with self.engine.connect() as conn:
            return conn.execute(select(feedback.c.helpful).where(*where)).scalar_one_or_none()

    def record_reason(self, *, reason: str, **about: Unpack[AnswerRef]) -> None:
        """What a person was looking for when an answer did not help; one per person per
        answer, a second submission replaces the first."""
        self._upsert(feedback_reasons, about, {"reason": reason[:3000]})

    def reason_rows(self) -> list[dict[str, object]]:
        """Every reason given, as plain dicts."""
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(feedback_reasons)).all()]

    def _upsert(self, table: Table, about: AnswerRef, values: dict[str, Any]) -> None:
        """One row per (person, channel, answer): change it, or insert the first."""
        key = {name: about[name] for name in ("user_id", "channel", "message_ts")}
        values = {
            "question": about.get("question", "")[:4000],
            "passage_ids": ",".join(about.get("passage_ids") or [])[:4000],
            **values,
            "created_at": datetime.now(UTC),
        }
        where = [table.c[name] == value for name, value in key.items()]
        with self.engine.begin() as conn:
            if not conn.execute(update(table).where(*where).values(**values)).rowcount:
                conn.execute(insert(table).values(**key, **values))

    def rows(self) -> list[dict[str, object]]:
        """Every vote, as plain dicts."""
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(feedback)).all()]
