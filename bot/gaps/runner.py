"""The background thread of `coach serve` for the curator's loop: the retention sweep (at
start and hourly) and the Monday report to REPORT_CHANNEL (checked every tick)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.background import Ticker
from bot.gaps.service import Gaps
from bot.gaps.weekly import WeeklyReporter

log = logging.getLogger(__name__)

SWEEP_EVERY = timedelta(hours=1)


class GapsRunner(Ticker):
    """A daemon thread; `stop()` ends it. `tick()` is the whole job, so tests call it."""

    thread_name = "content-gaps"

    def __init__(
        self,
        gaps: Gaps,
        weekly: WeeklyReporter | None,
        *,
        tick_seconds: float = 60,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__(tick_seconds)
        self.gaps = gaps
        self.weekly = weekly
        self.clock = clock
        self.last_sweep: datetime | None = None

    def tick(self) -> str | None:
        """Sweep if an hour has passed; post the weekly report if due. The report's ts."""
        now = self.clock()
        if self.last_sweep is None or now - self.last_sweep >= SWEEP_EVERY:
            self.gaps.sweep(now)
            self.last_sweep = now
        return self.weekly.tick(now) if self.weekly is not None else None
