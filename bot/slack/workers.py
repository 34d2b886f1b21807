"""Thread pools for the Slack side: listeners ack at once and hand the work to a bounded
pool, so the 3-second ack Slack needs never waits on a search or a Web API call."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

log = logging.getLogger(__name__)


class TrackingExecutor(ThreadPoolExecutor):
    """A thread pool that knows how many jobs are queued or running (for idle checks)."""

    def __init__(self, max_workers: int, thread_name_prefix: str = "") -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix=thread_name_prefix)
        self._count = 0
        self._cond = threading.Condition()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._cond:
            self._count += 1

        def run() -> Any:
            try:
                return fn(*args, **kwargs)
            finally:
                with self._cond:
                    self._count -= 1
                    self._cond.notify_all()

        return super().submit(run)

    @property
    def in_flight(self) -> int:
        return self._count

    def wait_idle(self, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._count == 0, timeout)


class Workers:
    """The answer workers plus the pool Bolt runs listeners on, bounded and drainable."""

    def __init__(self, workers: int = 8, max_pending: int = 1000) -> None:
        self._pool = TrackingExecutor(max_workers=workers, thread_name_prefix="coach-work")
        self.listener_executor = TrackingExecutor(max_workers=16, thread_name_prefix="bolt")
        self._pending = 0
        self._pending_lock = threading.Lock()
        self.max_pending = max_pending

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future[Any] | None:
        """Run `fn` on the worker pool; None (and a log line) when too much is queued."""
        with self._pending_lock:
            if self._pending >= self.max_pending:
                log.warning("work queue full (%d pending); dropping a job", self._pending)
                return None
            self._pending += 1

        def run() -> Any:
            try:
                return fn(*args, **kwargs)
            except Exception:
                log.exception("background job %s failed", getattr(fn, "__name__", fn))
                return None
            finally:
                with self._pending_lock:
                    self._pending -= 1

        return self._pool.submit(run)

    @property
    def pending(self) -> int:
        return self._pending

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until no listener or background job is queued or running (tests, bench)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            left = deadline - time.monotonic()
            if not self.listener_executor.wait_idle(left):
                return False
            if not self._pool.wait_idle(max(0.0, deadline - time.monotonic())):
                return False
            if self.listener_executor.in_flight == 0 and self._pool.in_flight == 0:
                return True
        return False

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=not wait)
        self.listener_executor.shutdown(wait=wait, cancel_futures=not wait)
