"""The curator's loop as one object: the report (same numbers for `coach report`, App Home
and the weekly post) and the retention sweep that runs before every report."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import Engine

from bot.gaps.cluster import Encode
from bot.gaps.report import GapReport, build_report
from bot.store.gaps import GapStore
from bot.store.retention import purge_old_questions

log = logging.getLogger(__name__)


class Gaps:
    """Reports over DATABASE_URL; `encode` is the library's embedder (merges by meaning)."""

    def __init__(self, engine: Engine, encode: Encode | None, retention_days: int) -> None:
        self.engine = engine
        self.encode = encode
        self.retention_days = retention_days
        self.source = GapStore(engine)

    def sweep(self, now: datetime | None = None) -> dict[str, int]:
        """Delete questions, votes and reasons older than FEEDBACK_RETENTION_DAYS."""
        return purge_old_questions(self.engine, self.retention_days, now=now)

    def report(self, days: int, now: datetime | None = None, *, sweep: bool = True) -> GapReport:
        """The last `days` days, after dropping what is past retention (App Home skips the
        sweep: `coach serve` runs it hourly)."""
        now = now or datetime.now(UTC)
        if sweep:
            self.sweep(now)
        return build_report(self.source, days=days, encode=self.encode, now=now)
