"""Slack failing as a whole (429, 5xx, no connection), as every replica's answer workers see
it: one replica meeting it holds them all (bot/store/slack_hold.py), and while it lasts one
probe at a time, on whichever replica looks first, tries Slack again.

Before, each replica learnt of a rate limit or an outage by itself, and each question made
its own calls into it (the look in its thread, the post, the :eyes:, "still working") at
every retry, each logged: three replicas and a few questions sent dozens of calls into a
503 and filled the log. Now each replica says once that answers are held (how many wait),
and the replica whose probe gets through says once that Slack answers again.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

from bot.daily_quote.slack_calls import FailureKind
from bot.slack.client import retry_delay
from bot.slack.delivery import Delivery
from bot.store.answer_queue import AnswerQueue, Job
from bot.store.slack_hold import Hold, SlackHolds
from bot.store.tables import AnswerState

log = logging.getLogger(__name__)

OUTAGE_KINDS = {FailureKind.RATE_LIMITED, FailureKind.SERVER, FailureKind.CONNECTION}


class SlackOutage:
    """One replica's side of the shared hold: the dispatcher asks `admit` when a claim found
    nothing; a worker reports each delivery's outcome (`answered`, `failed`, `skipped`)."""

    def __init__(
        self, holds: SlackHolds, answers: AnswerQueue, *, longest: float, probe_window: float
    ) -> None:
        self.holds = holds
        self.answers = answers
        self.longest = longest  # the longest backoff between probes of an outage (5xx)
        self.probe_window = timedelta(seconds=probe_window)  # a probe's time before another
        self._lock = threading.Lock()
        self._known: Hold | None = None  # the hold this replica last saw
        self._said: datetime | None = None  # the outage (its `since`) this replica logged
        self._probe: int | None = None  # the question this replica probes Slack with

    # ---- the dispatcher --------------------------------------------------------------------
    def admit(self) -> float | None:
        """A claim found nothing. None: Slack is not on hold. 0: this replica probes now (it
        claims one question with `probe=True` and calls `probing`). Else: seconds until the
        next probe may be due."""
        hold = self.holds.current()
        if hold is None:
            with self._lock:
                self._known = None  # ended on another replica
            return None
        self._seen(hold)
        left = (hold.until - datetime.now(UTC)).total_seconds()
        if left > 0:
            return left
        return 0.0 if self.holds.take_probe(self.probe_window) else 1.0

    def probing(self, job: Job | None) -> None:
        """The probe's question; None: nothing was due to probe with."""
        if job is None:
            self.holds.release_probe()
            return
        with self._lock:
            self._probe = job.id

    # ---- the workers -----------------------------------------------------------------------
    def is_down(self) -> bool:
        """Slack is known to fail every call (not just rate-limiting one method): the :eyes:
        would only fail too."""
        known = self._known
        return known is not None and not known.rate_limited

    def answered(self, job: Job) -> None:
        """Slack took (or refused for good) this question's answer: it answers again."""
        with self._lock:
            if self._probe == job.id:
                self._probe = None
            known, self._known = self._known, None
        if known is None:
            return
        ended = self.holds.clear()
        if ended is not None:
            log.info(
                "Slack answers again after %.0fs (%s): posting the %d waiting answers",
                (datetime.now(UTC) - ended.since).total_seconds(),
                ended.reason,
                self._waiting(),
            )

    def skipped(self, job: Job) -> None:
        """This question made no call (too old, or its lease was lost): if it was the probe,
        the next look probes again at once."""
        with self._lock:
            mine = self._probe == job.id
            if mine:
                self._probe = None
        if mine:
            self.holds.release_probe()

    def failed(self, job: Job, done: Delivery) -> float | None:
        """The answer did not get through. Seconds until the next probe when Slack is failing
        as a whole (a 429, a 5xx, no connection: every replica now holds its answers, and
        this replica has said so once); None for anything else, retried on its own."""
        with self._lock:
            probed = self._probe == job.id
            if probed:
                self._probe = None
            known = self._known
        if done.failure not in OUTAGE_KINDS:
            if probed:  # Slack answered, if not with the answer: the hold is over
                self.answered(job)
            return None
        now = datetime.now(UTC)
        if done.failure == FailureKind.RATE_LIMITED:
            wait = max(1.0, done.wait or 1.0)  # Retry-After
        else:
            age = (now - known.since).total_seconds() if known else 0.0
            wait = retry_delay(age, None, self.longest)
        reason = done.detail.split(": ", 1)[-1]
        hold = self.holds.hold(reason, timedelta(seconds=wait), probed=probed, now=now)
        if hold is not None:
            self._seen(hold)
        return wait

    # ---- saying it once ----------------------------------------------------------------------
    def _seen(self, hold: Hold) -> None:
        with self._lock:
            self._known = hold
            if self._said == hold.since:
                return
            self._said = hold.since
        if hold.rate_limited:
            log.warning(
                "Slack rate-limits the bot (HTTP 429): every replica holds its answers (%d "
                "waiting) until Retry-After has passed, then one tries first",
                self._waiting(),
            )
        else:
            log.warning(
                "Slack is failing (%s): every replica holds its answers (%d waiting); one "
                "tries Slack again every %g s at most until it answers",
                hold.reason,
                self._waiting(),
                self.longest,
            )

    def _waiting(self) -> int:
        try:
            counts = self.answers.counts()
        except Exception:  # the database is down too: the line still goes out
            return 0
        return counts.get(AnswerState.QUEUED, 0) + counts.get(AnswerState.WORKING, 0)
