"""Helpful / Not helpful votes on answers: one per person per answer."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select, update

from bot.store.tables import feedback


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

    def rows(self) -> list[dict[str, object]]:
        """Every vote, as plain dicts."""
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(feedback)).all()]
