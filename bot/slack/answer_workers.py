"""The answer workers: a dispatcher claims due questions from the durable queue while a
worker is free, and the workers answer them.

Questions are claimed only as workers free up, so a busy replica never sits on questions an
idle one could answer. A question stored by this replica wakes the dispatcher at once;
questions of other replicas (a lease run out, a retry come due) are found by polling.
While questions keep coming (a burst), the dispatcher lets a few more arrive before it
claims again, so one claim takes several (one transaction instead of one per question).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Protocol

from sqlalchemy.exc import SQLAlchemyError

from bot.store.answer_queue import AnswerQueue, Job
from bot.store.tables import AnswerState

log = logging.getLogger(__name__)

GATHER_SECONDS = 0.02  # in a burst, the wait for more questions before the next claim
HOT_SECONDS = 1.0  # a claim that found questions less than this ago means a burst


class Gate(Protocol):
    """Whether answers may be claimed (bot.slack.outage: Slack on hold for every replica)."""

    def admit(self) -> float | None: ...

    def probing(self, job: Job | None) -> None: ...


class AnswerWorkers:
    """`workers` threads answering `handle(job)` for questions claimed from `queue`."""

    def __init__(
        self,
        queue: AnswerQueue,
        handle: Callable[[Job], None],
        *,
        workers: int,
        lease: timedelta,
        poll: float = 1.0,
        gather: float = GATHER_SECONDS,
        gate: Gate | None = None,
    ) -> None:
        self.queue = queue
        self.gate = gate
        self.handle = handle
        self.lease = lease
        self.poll = poll
        self.gather = gather
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="coach-answer")
        self._free = workers
        self._cond = threading.Condition()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._workers = workers
        self._thread = threading.Thread(target=self._dispatch, name="answer-dispatch", daemon=True)

    def start(self) -> AnswerWorkers:
        self._thread.start()
        return self

    def wake(self) -> None:
        """A question was just stored: look for work now rather than at the next poll."""
        self._wake.set()

    def _dispatch(self) -> None:
        found_at = float("-inf")  # when a claim last found questions
        while not self._stop.is_set():
            with self._cond:
                self._cond.wait_for(lambda: self._free > 0 or self._stop.is_set())
            if time.monotonic() - found_at < HOT_SECONDS and self._stop.wait(self.gather):
                return  # (a question on its own is claimed at once: it finds none before)
            with self._cond:
                free = self._free
            if self._stop.is_set():
                return
            self._wake.clear()
            wait = self.poll
            try:
                jobs = self.queue.claim(free, self.lease)
                if not jobs and self.gate is not None:
                    jobs, wait = self._probe()
            except Exception as err:  # the database is down: try again at the next poll
                log.warning("could not claim questions to answer: %s", err)
                jobs = []
            if jobs:
                found_at = time.monotonic()
            for job in jobs:
                with self._cond:
                    self._free -= 1
                self._pool.submit(self._run, job)
            if not jobs:
                self._wake.wait(wait)

    def _probe(self) -> tuple[list[Job], float]:
        """Nothing was claimed, maybe because Slack is on hold: then this replica's probe
        (one question) if it is the one to try Slack now; and how long to wait."""
        assert self.gate is not None
        wait = self.gate.admit()
        if wait is None:
            return [], self.poll
        if wait > 0:
            return [], min(wait, self.poll)
        jobs = self.queue.claim(1, self.lease, probe=True)
        self.gate.probing(jobs[0] if jobs else None)
        return jobs, self.poll

    def _run(self, job: Job) -> None:
        try:
            self.handle(job)
        except Exception:  # a bug: the lease runs out and the question is tried again
            log.exception("answering %s in %s failed", job.ts, job.channel)
        finally:
            with self._cond:
                self._free += 1
                self._cond.notify_all()
            self._wake.set()

    @property
    def busy(self) -> int:
        return self._workers - self._free

    def wait_idle(self, timeout: float) -> bool:
        """Until no question is queued or being answered (tests, bench, shutdown). While
        the database does not answer, only until this replica's own workers are done, and
        False: what is queued cannot be known, and stays queued for whoever claims it next
        (a stop then is still a clean one, not a traceback)."""
        deadline = threading.Event()
        timer = threading.Timer(timeout, deadline.set)
        timer.start()
        try:
            while not deadline.is_set():
                try:
                    counts = self.queue.counts()
                except SQLAlchemyError:
                    while self.busy and not deadline.is_set():
                        deadline.wait(0.02)
                    return False
                if (
                    self.busy == 0
                    and not counts.get(AnswerState.QUEUED)
                    and not counts.get(AnswerState.WORKING)
                ):
                    return True
                deadline.wait(0.02)
            return False
        finally:
            timer.cancel()

    def stop(self, wait: bool = True) -> None:
        self._stop.set()
        self._wake.set()
        with self._cond:
            self._cond.notify_all()
        self._pool.shutdown(wait=wait, cancel_futures=True)
