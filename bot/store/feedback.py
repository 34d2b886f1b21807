"""Helpful / Not helpful votes on answers: one per person per answer."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select, update

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

    def record_reason(
        self,
        *,
        user_id: str,
        channel: str,
        message_ts: str,
        reason: str,
        question: str = "",
        passage_ids: list[str] | None = None,
    ) -> None:
        """What a person was looking for when an answer did not help; one per person per
        answer, a second submission replaces the first."""
        values = {
            "question": question[:4000],
            "passage_ids": ",".join(passage_ids or [])[:4000],
            "reason": reason[:3000],
            "created_at": datetime.now(UTC),
        }
        where = (
            feedback_reasons.c.user_id == user_id,
            feedback_reasons.c.channel == channel,
            feedback_reasons.c.message_ts == message_ts,
        )
        with self.engine.begin() as conn:
            if not conn.execute(update(feedback_reasons).where(*where).values(**values)).rowcount:
                conn.execute(
                    insert(feedback_reasons).values(
                        user_id=user_id, channel=channel, message_ts=message_ts, **values
                    )
                )

    def reason_rows(self) -> list[dict[str, object]]:
        """Every reason given, as plain dicts."""
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(feedback_reasons)).all()]

    def rows(self) -> list[dict[str, object]]:
        """Every vote, as plain dicts."""
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(feedback)).all()]
