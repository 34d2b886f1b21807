"""Helpful / Not helpful votes on answers: one per person per answer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Table, insert, select, update

from bot.store.tables import feedback, feedback_reasons


class FeedbackStore:
    """Votes on answers, kept with the question and the passages that were shown."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(
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
            "created_at": datetime.now(UTC),
        }
        self._upsert(feedback, (user_id, channel, message_ts), values)

    def record_reason(
        self,
        *,
        reason: str,
        question: str = "",
        passage_ids: list[str] | None = None,
        user_id: str,
        channel: str,
        message_ts: str,
    ) -> None:
        """What a person was looking for when an answer did not help; one per person per
        answer, a second submission replaces the first."""
        values = {
            "question": question[:4000],
            "passage_ids": ",".join(passage_ids or [])[:4000],
            "reason": reason[:3000],
            "created_at": datetime.now(UTC),
        }
        self._upsert(feedback_reasons, (user_id, channel, message_ts), values)

    def reason_rows(self) -> list[dict[str, object]]:
        """Every reason given, as plain dicts."""
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(feedback_reasons)).all()]

    def _upsert(self, table: Table, who: tuple[str, str, str], values: dict[str, Any]) -> None:
        """One row per (person, channel, answer): change it, or insert the first."""
        key = dict(zip(("user_id", "channel", "message_ts"), who, strict=True))
        where = [table.c[name] == value for name, value in key.items()]
        with self.engine.begin() as conn:
            if not conn.execute(update(table).where(*where).values(**values)).rowcount:
                conn.execute(insert(table).values(**key, **values))

    def rows(self) -> list[dict[str, object]]:
        """Every vote, as plain dicts."""
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(feedback)).all()]
