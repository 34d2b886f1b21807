"""Faults the stub Slack can inject, per method or for every call: HTTP 429 with
Retry-After, HTTP 5xx, an ok:false error, a connection dropped before or after Slack
processed the call, a call held until the caller times out (`hang`), one held and then
answered as usual (`slow`), and an outage (every call answered 503 for some seconds).

`FaultInjection` is the stub's part that sets and takes them (`SlackStub` is one); the HTTP
handler (tests.slack_stub_http) applies the fault a call takes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from tests.slack_calls import Call


@dataclass
class Fault:
    method: str  # a method name, "response_url", or "*" for any
    times: int
    status: int = 200
    retry_after: float | None = None
    error: str | None = None  # an ok:false error code, e.g. "invalid_auth"
    drop: bool = False  # close the connection without answering
    drop_after: bool = False  # process the call (e.g. post the message), then drop the reply
    until: float | None = None  # an outage: applies to every call until this monotonic time
    hang: float = 0.0  # hold the request this long, then drop it unprocessed (a timeout)
    where: Callable[[Call], bool] | None = None  # only calls this says yes to (e.g. a channel)


class FaultInjection:
    """The faults set on a stub, under its lock; the next call of a method takes its fault."""

    _cond: threading.Condition
    _faults: list[Fault]

    def fail(
        self,
        method: str,
        *,
        status: int = 200,
        retry_after: float | None = None,
        error: str | None = None,
        drop: bool = False,
        drop_after: bool = False,
        hang: float = 0.0,
        times: int = 1,
        where: Callable[[Call], bool] | None = None,
    ) -> None:
        """Make the next `times` calls of `method` (those `where` says yes to, if given) fail
        this way, then behave normally."""
        if status == 200 and error is None and not (drop or drop_after or hang):
            raise ValueError("a fault needs a status, an error, drop, drop_after or hang")
        with self._cond:
            self._faults.append(
                Fault(
                    method,
                    times,
                    status,
                    retry_after,
                    error,
                    drop or bool(hang),
                    drop_after=drop_after,
                    hang=hang,
                    where=where,
                )
            )

    def slow(self, method: str, seconds: float, *, times: int = 1) -> None:
        """Hold the next `times` calls of `method` `seconds` each, then answer them as usual
        (Slack slow, not failing); `faults_left` says when such a call has arrived."""
        with self._cond:
            self._faults.append(Fault(method, times, hang=seconds))

    def outage(
        self,
        seconds: float,
        *,
        status: int = 503,
        method: str = "*",
        retry_after: float | None = None,
        hang: float = 0.0,
    ) -> None:
        """Answer every call (of `method`) with HTTP `status` (and `Retry-After`) for the
        next `seconds`; with `hang`, hold each call that long and drop it unprocessed."""
        with self._cond:
            self._faults.append(
                Fault(
                    method,
                    1,
                    status,
                    retry_after,
                    drop=bool(hang),
                    until=time.monotonic() + seconds,
                    hang=hang,
                )
            )

    def heal(self) -> None:
        """Take every fault away: Slack answers normally again (calls and messages kept)."""
        with self._cond:
            self._faults.clear()

    def faults_left(self, method: str) -> int:
        """How many calls of `method` the faults set with `fail` will still catch (a fault
        is taken when its call arrives, so 0 also means a hanging call is in flight)."""
        with self._cond:
            return sum(f.times for f in self._faults if f.method == method and f.until is None)

    def _take_fault(self, method: str, call: Call) -> Fault | None:
        with self._cond:
            for fault in self._faults:
                if fault.method not in (method, "*"):
                    continue
                if fault.where is not None and not fault.where(call):
                    continue
                if fault.until is not None:
                    if time.monotonic() < fault.until:
                        return fault
                    continue
                if fault.times > 0:
                    fault.times -= 1
                    return fault
        return None
