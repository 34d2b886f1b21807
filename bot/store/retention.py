"""FEEDBACK_RETENTION_DAYS: questions, votes and reasons older than that are deleted.

They name what a person asked and, for the window, who asked it; past the window they serve
no report (reports look back weeks, not months), so they go.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete

from bot.store.tables import answered_threads, asked_questions, feedback, feedback_reasons

log = logging.getLogger(__name__)


def purge_old_questions(
    engine: Engine, days: int, *, now: datetime | None = None
) -> dict[str, int]:
    """Delete rows older than `days` days; returns the rows removed per table."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
    removed: dict[str, int] = {}
    with engine.begin() as conn:
        for table, column in (
            (asked_questions, asked_questions.c.asked_at),
            (feedback, feedback.c.created_at),
            (feedback_reasons, feedback_reasons.c.created_at),
            (answered_threads, answered_threads.c.created_at),
        ):
            removed[table.name] = conn.execute(delete(table).where(column < cutoff)).rowcount
    if any(removed.values()):
        log.info("retention (%d days): removed %s", days, removed)
    return removed
