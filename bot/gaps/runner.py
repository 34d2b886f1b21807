"""The background thread of `coach serve` for the curator's loop: the retention sweep (at
start and hourly) and the Monday report to REPORT_CHANNEL (checked every tick)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.gaps.service import Gaps
from bot.gaps.weekly import WeeklyReporter

log = logging.getLogger(__name__)

SWEEP_EVERY = timedelta(hours=1)


class GapsRunner:
    """A daemon thread; `stop()` ends it. `tick()` is the whole job, so tests call it."""

    def __init__(
        self,
        gaps: Gaps,
        weekly: WeeklyReporter | None,
        *,
        tick_seconds: float = 60,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.gaps = gaps
        self.weekly = weekly
        self.tick_seconds = tick_seconds
        self.clock = clock
        self.last_sweep: datetime | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> str | None:
        """Sweep if an hour has passed; post the weekly report if due. The report's ts."""
        now = self.clock()
        if self.last_sweep is None or now - self.last_sweep >= SWEEP_EVERY:
            self.gaps.sweep(now)
            self.last_sweep = now
        return self.weekly.tick(now) if self.weekly is not None else None

    def start(self) -> GapsRunner:
        self._thread = threading.Thread(target=self._run, name="content-gaps", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # one bad tick (database away) must not end the thread
                log.exception("content-gaps tick failed; trying again in %ss", self.tick_seconds)
            self._stop.wait(self.tick_seconds)
