"""The daily-quote scheduler: a daemon thread that ticks the poster every half minute."""

from __future__ import annotations

import logging
import re
import threading
import time

from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.daily_quote.poster import DailyQuoter, PostOutcome
from bot.daily_quote.rotation import HasQuotes
from bot.daily_quote.schedule import Clock, Sleep
from bot.settings import Settings

log = logging.getLogger(__name__)


class SchedulerHandle:
    """A running daily-quote scheduler (a daemon thread); `.stop()` ends it."""

    def __init__(self, quoter: DailyQuoter | None, tick_seconds: float) -> None:
        self.quoter = quoter
        self.tick_seconds = tick_seconds
        self.ticks = 0
        self.last_outcome: PostOutcome | None = None
        self._stop = threading.Event()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    @property
    def enabled(self) -> bool:
        return self.quoter is not None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> SchedulerHandle:
        if self.quoter is not None and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="daily-quote", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to finish and wait for it (a no-op when the quote is off)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def wait_for_ticks(self, count: int, timeout: float = 10.0) -> bool:
        """Block until `count` ticks have run (tests use this instead of sleeping)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self.ticks < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    def _run(self) -> None:
        assert self.quoter is not None
        while not self._stop.is_set():
            outcome: PostOutcome | None = None
            try:
                outcome = self.quoter.tick()
            except Exception:  # never let one bad tick end the thread
                log.exception("Daily quote tick failed; trying again in %ss.", self.tick_seconds)
            with self._cond:
                self.ticks += 1
                if outcome is not None:
                    self.last_outcome = outcome
                self._cond.notify_all()
            self._stop.wait(self.tick_seconds)


def start_scheduler(
    settings: Settings,
    library: HasQuotes,
    client: WebClient,
    engine: Engine,
    *,
    tick_seconds: float = 30,
    clock: Clock | None = None,
    sleep: Sleep | None = None,
) -> SchedulerHandle:
    """Start the daemon thread that posts the daily quote; it ticks right away (recovery).

    With QUOTE_CHANNEL unset the returned handle does nothing and the quote is off.
    """
    if not settings.quote_channel:
        log.info("QUOTE_CHANNEL is not set: the daily quote is off.")
        return SchedulerHandle(None, tick_seconds)
    if not re.fullmatch(r"[CGD][A-Z0-9]{6,}", settings.quote_channel):
        log.warning(
            "QUOTE_CHANNEL=%r does not look like a channel ID (e.g. C0123ABCD); crash recovery "
            "reads conversations.history, which needs the ID, not the name.",
            settings.quote_channel,
        )
    handle = SchedulerHandle(None, tick_seconds)
    quoter = DailyQuoter(
        settings,
        library,
        client,
        engine,
        clock=clock,
        sleep=sleep or (lambda seconds: handle._stop.wait(seconds)),
    )
    handle.quoter = quoter
    log.info(
        "Daily quote: %s at %s %s on %s (grace %d min).",
        settings.quote_channel,
        settings.quote_time,
        settings.quote_timezone,
        ",".join(settings.quote_days),
        settings.quote_grace_minutes,
    )
    return handle.start()
