"""The answer workers: a dispatcher claims due questions from the durable queue while a
worker is free, and the workers answer them.

Questions are claimed only as workers free up, so a busy replica never sits on questions an
idle one could answer. A question stored by this replica wakes the dispatcher at once;
questions of other replicas (a lease run out, a retry come due) are found by polling.
While questions keep coming (a burst), the dispatcher lets a few more arrive before it
claims again, so one claim takes several (one transaction instead of one per question).

A stopping replica (`stop`) claims nothing more, hands back what it claimed and has not
begun, and waits a bounded while for the answers under way: the rest of the shared queue is
the other replicas'. The workers are daemon threads, so an answer still waiting on Slack
when that while is over does not hold the process: its lease runs out and another replica
takes it over, looking in the thread before it posts (bot.slack.delivery).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from queue import SimpleQueue
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


@dataclass(frozen=True)
class Handover:
    """What became of the questions a stopping replica held (claimed) when told to stop."""

    claimed: int
    handed_back: int  # in the queue again, due for any replica (untried, or Slack failed)
    left_to_lease: int  # still under way: another replica takes them when the lease ends

    @property
    def settled(self) -> int:  # answered (or dropped, or refused by Slack) before the stop
        return self.claimed - self.handed_back - self.left_to_lease


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
        self._jobs: SimpleQueue[Job | None] = SimpleQueue()
        self._threads = [
            threading.Thread(target=self._work, name=f"coach-answer_{i}", daemon=True)
            for i in range(workers)
        ]
        self._held: dict[int, Job] = {}  # claimed and not yet done with, by id
        self._free = workers
        self._cond = threading.Condition()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._workers = workers
        self._thread = threading.Thread(target=self._dispatch, name="answer-dispatch", daemon=True)

    def start(self) -> AnswerWorkers:
        for thread in self._threads:
            thread.start()
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
                    self._held[job.id] = job
                self._jobs.put(job)
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

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            self._run(job)

    def _run(self, job: Job) -> None:
        try:
            if self._stop.is_set():  # claimed as the stop came: another replica's now
                self.queue.release(job)
            else:
                self.handle(job)
        except Exception:  # a bug: the lease runs out and the question is tried again
            log.exception("answering %s in %s failed", job.ts, job.channel)
        finally:
            with self._cond:
                self._free += 1
                self._held.pop(job.id, None)
                self._cond.notify_all()
            self._wake.set()

    @property
    def busy(self) -> int:
        return self._workers - self._free

    def wait_idle(self, timeout: float) -> bool:
        """Until no question is queued or being answered (tests, bench, shutdown). While
        the database does not answer, only until this replica's own workers are done, and
        False: what is queued cannot be known, and stays queued for whoever claims it next
        (a stop then is still a clean one, not a traceback). Once stopped, only until its
        own workers are done: what is still queued is another replica's to answer."""
        deadline = threading.Event()
        timer = threading.Timer(timeout, deadline.set)
        timer.start()
        try:
            if self._stop.is_set():
                while self.busy and not deadline.is_set():
                    deadline.wait(0.02)
                return self.busy == 0
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

    def stop(self, wait: bool = True, *, grace: float | None = None) -> Handover:
        """Claim nothing more; hand back what is claimed and not begun; with `wait`, wait for
        the answers under way (at most `grace` seconds, if given). What became of what this
        replica held; the rest of the shared queue is left to the other replicas."""
        deadline = None if grace is None else time.monotonic() + grace
        self._stop.set()
        self._wake.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread.ident is not None:  # a claim under way ends first (its jobs go back)
            self._thread.join(None if grace is None else min(grace, 5.0))
        with self._cond:
            held = list(self._held.values())
            if wait:
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                self._cond.wait_for(lambda: not self._held, left)
            under_way = set(self._held)
        for _ in self._threads:
            self._jobs.put(None)  # after the hand-backs queued before it
        return self._handover(held, under_way)

    def _handover(self, held: list[Job], under_way: set[int]) -> Handover:
        done = [job.key for job in held if job.id not in under_way]
        try:
            states = self.queue.states(done)
        except SQLAlchemyError:  # the database is away: whatever it holds, the lease decides
            return Handover(len(held), 0, len(held))
        back = sum(states.get(key) == AnswerState.QUEUED for key in done)
        still = sum(states.get(key) == AnswerState.WORKING for key in done)
        return Handover(len(held), back, len(under_way) + still)
