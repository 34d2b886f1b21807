"""Daemon threads that tick: the daily-quote scheduler and the curator's loop both run one
`tick()` every few seconds until stopped; a failing tick is logged, never ends the thread."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

log = logging.getLogger(__name__)


class Ticker:
    """Runs `tick()` now and then every `tick_seconds` on a daemon thread; `.stop()` ends it."""

    thread_name = "ticker"

    def __init__(self, tick_seconds: float) -> None:
        self.tick_seconds = tick_seconds
        self.ticks = 0
        self._stop = threading.Event()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def tick(self) -> Any:
        raise NotImplementedError

    def after_tick(self, result: Any) -> None:
        """What a subclass keeps of a tick's result (called under the tick lock)."""

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> Any:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to finish and wait for it."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def wait(self, seconds: float) -> bool:
        """Sleep that a stop() interrupts; True when stopped."""
        return self._stop.wait(seconds)

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
        while not self._stop.is_set():
            result = None
            try:
                result = self.tick()
            except Exception:  # one bad tick (Slack or the database away) must not end it
                log.exception(
                    "%s tick failed; trying again in %ss", self.thread_name, self.tick_seconds
                )
            with self._cond:
                self.ticks += 1
                self.after_tick(result)
                self._cond.notify_all()
            self._stop.wait(self.tick_seconds)
