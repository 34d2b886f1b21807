"""Whether this process can reach its database now, for /healthz.

A replica that cannot reach the database cannot store a question before acking it (it
answers Slack 503), so a load balancer should stop sending it requests. The check is a
`SELECT 1` on a connection of its own (a burst holding every pooled connection must not make
a healthy replica look down), waited for at most `timeout` seconds (a host that drops
packets answers nothing), and its result is kept for `cache_seconds`, so health probes from
several balancers cost the database one query a second or two at most.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

UNREACHABLE = "database unreachable"


class DatabaseCheck:
    """`problem()`: None while the database answers, else a short reason (no URL in it)."""

    def __init__(
        self,
        engine: Engine,
        *,
        timeout: float = 2.0,
        cache_seconds: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.timeout = timeout
        self.cache_seconds = cache_seconds
        self._clock = clock
        self._engine = _probe_engine(engine, timeout)
        self._lock = threading.Lock()
        self._result: str | None = None
        self._checked_at: float | None = None
        self._done: threading.Event | None = None  # set when the probe under way ends

    def problem(self) -> str | None:
        with self._lock:
            fresh = (
                self._checked_at is not None
                and self._clock() - self._checked_at < self.cache_seconds
            )
            if fresh:
                return self._result
            if self._done is None:  # one probe at a time, however many ask
                self._done = threading.Event()
                threading.Thread(target=self._probe, name="db-health", daemon=True).start()
            done = self._done
        if not done.wait(self.timeout):
            return f"{UNREACHABLE} (no answer within {self.timeout:g} s)"
        with self._lock:
            return self._result

    def _probe(self) -> None:
        result: str | None = None
        try:
            with self._engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as err:  # noqa: BLE001 - any failure means: cannot store questions
            result = UNREACHABLE
            reason = str(getattr(err, "orig", None) or err).strip().splitlines() or [""]
            log.warning("health check: %s: %s", UNREACHABLE, reason[0][:300])
        with self._lock:
            self._result, self._checked_at = result, self._clock()
            done, self._done = self._done, None
        if done is not None:
            done.set()


def _probe_engine(engine: Engine, timeout: float) -> Engine:
    """An engine on the same database that opens a fresh connection per check and gives up
    connecting after `timeout` (PostgreSQL's connect_timeout counts whole seconds, at least 2)."""
    if engine.url.get_backend_name() == "postgresql":
        connect_args: dict[str, object] = {"connect_timeout": max(2, round(timeout))}
    else:
        connect_args = {"timeout": timeout, "check_same_thread": False}
    return create_engine(engine.url, poolclass=NullPool, connect_args=connect_args)
