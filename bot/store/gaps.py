"""The reads behind `coach report`, the admins' Home section and the weekly post.

Only questions, outcomes, votes and reasons come out of here, never who asked or voted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, func, select

from bot.gaps.report import Reason
from bot.store.tables import AskOutcome, asked_questions, feedback, feedback_reasons, from_db


class GapStore:
    """Implements bot.gaps.report.GapSource over asked_questions, feedback, feedback_reasons."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def asked(self, since: datetime) -> list[tuple[str, str, datetime]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    asked_questions.c.question,
                    asked_questions.c.outcome,
                    asked_questions.c.asked_at,
                ).where(asked_questions.c.asked_at >= since)
            ).all()
        return [(str(q), str(outcome), from_db(at)) for q, outcome, at in rows]  # type: ignore[misc]

    def declined_topics(self, since: datetime) -> list[tuple[str, int]]:
        topic = asked_questions.c.declined_topic
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(topic, func.count())
                .where(
                    asked_questions.c.asked_at >= since,
                    asked_questions.c.outcome == AskOutcome.DECLINED,
                    topic.is_not(None),
                )
                .group_by(topic)
            ).all()
        return sorted(((str(t), int(n)) for t, n in rows), key=lambda r: (-r[1], r[0]))

    def vote_counts(self, since: datetime) -> tuple[int, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(feedback.c.helpful, func.count())
                .where(feedback.c.created_at >= since)
                .group_by(feedback.c.helpful)
            ).all()
        counts = {bool(helpful): int(n) for helpful, n in rows}
        return counts.get(True, 0), counts.get(False, 0)

    def not_helpful(self, since: datetime) -> list[tuple[str, datetime]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(feedback.c.question, feedback.c.created_at).where(
                    feedback.c.created_at >= since,
                    feedback.c.helpful.is_(False),
                    feedback.c.question != "",
                )
            ).all()
        return [(str(q), from_db(at)) for q, at in rows]  # type: ignore[misc]

    def reasons(self, since: datetime) -> list[Reason]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    feedback_reasons.c.question,
                    feedback_reasons.c.reason,
                    feedback_reasons.c.created_at,
                )
                .where(feedback_reasons.c.created_at >= since)
                .order_by(feedback_reasons.c.created_at.desc(), feedback_reasons.c.id.desc())
            ).all()
        return [Reason(r.question, r.reason, from_db(r.created_at)) for r in rows]  # type: ignore[arg-type]
