"""A sign of life: :eyes: on a mention or DM whose answer is genuinely late (not posted two
seconds after the question), and one short "still working" reply when Slack is failing and
the answer waits in the queue, so a leader never wonders whether the bot heard them.

Two seconds, not one: an answer usually comes within a second and a half, and :eyes: that
appear and vanish a moment later are noise (in a burst they were also a third of the work:
two more Slack calls and database rows per question). An answer already written and being
posted gets none; its check comes round again in case the post fails or Slack is slow.

Any replica may answer a question, so what was shown is recorded in the database
(`said_once`, keyed by the question): whoever posts the answer takes the :eyes: off, and
the "still working" reply is posted once per question however many replicas retry it. The
check runs on the replica that stored the question, on one thread for all its questions
(one database read for all questions due together); a quick answer costs nothing.
"""

from __future__ import annotations

import heapq
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.daily_quote.slack_calls import FailureKind, classify
from bot.store.answer_queue import AnswerQueue
from bot.store.said_once import SaidOnce
from bot.store.tables import AnswerState, SaidKind

log = logging.getLogger(__name__)

REACTION = "eyes"
SIGN_OF_LIFE_KINDS = {"mention", "dm"}  # the assistant panel shows a status instead
EYES_AFTER_SECONDS = 2.0  # an answer not posted by then gets :eyes:
RECHECK_SECONDS = 0.5  # an answer being posted when its :eyes: were due: look again then
POSTING_GRACE_SECONDS = 1.0  # ... unless its post has been on its way this long already
CLOCK_SLACK = timedelta(seconds=0.25)  # how far replicas' clocks may disagree
SHOWN_MEMORY = 10_000  # :eyes: put on here, remembered until their answer (or forgotten)
STILL_WORKING = (
    ":hourglass_flowing_sand: Still working on this: Slack is having trouble right now, "
    "so your answer will follow here as soon as it gets through."
)
SETTLED = {AnswerState.ANSWERED, AnswerState.DROPPED, AnswerState.FAILED}

Unless = Callable[[], bool] | None  # asked when the :eyes: are due: True, none wanted
Watched = tuple[str, str, str, Unless]  # question key, channel, message ts, unless


class SignsOfLife:
    """The :eyes: and "still working" reply of every question this replica stores or answers.

    `client` should try each call once (a failing Slack must not hold an answer worker)."""

    def __init__(
        self,
        client: Any,
        answers: AnswerQueue,
        said: SaidOnce,
        after: float = EYES_AFTER_SECONDS,
        paused: Callable[[], bool] | None = None,
    ) -> None:
        self.client = client
        self.paused = paused  # True: Slack fails every call now, :eyes: would fail too
        self.answers = answers
        self.said = said
        self.after = after  # seconds before a late answer gets :eyes:
        self._due: dict[str, tuple[float, str, str, Unless]] = {}  # key -> (when, ...)
        self._heap: list[tuple[float, str]] = []  # (when, key); stale entries are skipped
        self._posting: dict[str, float] = {}  # answers being posted here -> since (monotonic)
        # questions whose :eyes: this replica put on (oldest first, at most SHOWN_MEMORY)
        self._shown: OrderedDict[str, None] = OrderedDict()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopped = False
        self._pool: ThreadPoolExecutor | None = None  # reactions of late answers, off-thread

    def watch(self, key: str, channel: str, ts: str, unless: Unless = None) -> None:
        """A question was just stored: :eyes: on it if it is unanswered `after` seconds on.

        `unless` is asked then, off the intake path (it may call Slack): a threaded DM may
        be a message of the assistant panel, which shows a status instead."""
        self._schedule(key, channel, ts, unless, self.after)

    def _schedule(self, key: str, channel: str, ts: str, unless: Unless, delay: float) -> None:
        when = time.monotonic() + delay
        with self._cond:
            if self._stopped:
                return
            self._due[key] = (when, channel, ts, unless)
            heapq.heappush(self._heap, (when, key))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="sign-of-life", daemon=True)
                self._thread.start()
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                due = self._take_due()
                if due is None:
                    return
            for watched in self.check(due):
                self._react_later(watched)

    def _take_due(self) -> list[Watched] | None:
        """Wait (holding the condition) until something is due; None once stopped."""
        while not self._stopped:
            now = time.monotonic()
            due: list[Watched] = []
            while self._heap and self._heap[0][0] <= now:
                when, key = heapq.heappop(self._heap)
                entry = self._due.get(key)
                if entry is not None and entry[0] == when:
                    del self._due[key]
                    due.append((key, *entry[1:]))
            if due:
                return due
            self._cond.wait(self._heap[0][0] - now if self._heap else None)
        return None

    def check(self, due: list[Watched]) -> list[Watched]:
        """The :eyes: are due on these questions: those still unanswered, to `show`."""
        late: list[Watched] = []
        now = time.monotonic()
        for key, channel, ts, unless in due:
            since = self._posting.get(key)
            if since is not None and now - since < POSTING_GRACE_SECONDS:
                self._schedule(key, channel, ts, unless, RECHECK_SECONDS)  # on its way: again
            else:
                late.append((key, channel, ts, unless))
        if not late:
            return []
        try:
            states = self.answers.states([w[0] for w in late])
        except Exception as err:  # the database is down: no reaction, nothing worse
            log.info("no sign of life on %d questions: %s", len(late), err)
            return []
        return [w for w in late if states.get(w[0]) not in SETTLED]

    def _react_later(self, watched: Watched) -> None:
        """`show` on a small pool: a slow Slack must not hold up the next questions' checks."""
        with self._cond:
            if self._stopped:
                return
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="coach-eyes")
            pool = self._pool
        pool.submit(self._show_quietly, *watched)

    def eyes(self, key: str, channel: str, ts: str) -> None:
        """:eyes: on now (Slack rate-limits the answer); a failure is one log line."""
        self._show_quietly(key, channel, ts, None)

    def _show_quietly(self, key: str, channel: str, ts: str, unless: Unless) -> None:
        if self.paused is not None and self.paused():
            return  # Slack is down (bot.slack.outage): no call into it per question
        try:
            if unless is None or not unless():
                self.show(key, channel, ts)
        except Exception as err:  # the database went away meanwhile
            log.info("no sign of life on %s/%s: %s", channel, ts, err)

    @contextmanager
    def posting(self, key: str) -> Iterator[None]:
        """While the answer is being posted, its :eyes: wait (a late post needs none)."""
        with self._cond:
            self._posting[key] = time.monotonic()
        try:
            yield
        finally:
            with self._cond:
                self._posting.pop(key, None)

    def show(self, key: str, channel: str, ts: str) -> bool:
        """Put the :eyes: on (once per question); True if they are on now."""
        if not self.said.claim(SaidKind.EYES, key):
            return True
        if not self._react("reactions_add", channel, ts):
            self.said.release(SaidKind.EYES, key)
            return False
        with self._cond:
            self._shown[key] = None
            while len(self._shown) > SHOWN_MEMORY:  # answered elsewhere: forget the oldest
                self._shown.popitem(last=False)
        # the claim is written before the reaction, so an answer recorded before the claim
        # was not seen by its poster's answered(): take the reaction off here instead
        if self.answers.state(key) in SETTLED:
            self._react("reactions_remove", channel, ts)
        return True

    def answered(
        self,
        key: str,
        channel: str,
        ts: str,
        *,
        first_try: bool = False,
        asked_at: datetime | None = None,
    ) -> None:
        """The answer is in Slack (and recorded): no :eyes: from now on, off if they are on.

        `first_try`: the answer went out at its first delivery attempt, so no replica said
        "still working" (only a failed post does). If, besides, the :eyes: were not due yet
        (this replica's check had not run, or the question was `asked_at` less than `after`
        seconds ago, wherever it was stored), nobody put them on: nothing to look up."""
        with self._cond:
            pending = self._due.pop(key, None) is not None
            shown_here = key in self._shown
            self._shown.pop(key, None)
        if first_try and not shown_here:
            if pending:
                return
            if asked_at is not None:
                now = datetime.now(UTC)
                if now < asked_at + timedelta(seconds=self.after) - CLOCK_SLACK:
                    return
        try:
            # put on here: no need to ask the database who did (one read less per late
            # answer, and late answers come in a burst, when the database is busiest)
            if shown_here or self.said.said(SaidKind.EYES, key):
                self._react("reactions_remove", channel, ts)
        except Exception as err:
            log.info("could not take the sign of life off %s/%s: %s", channel, ts, err)

    def still_working(self, key: str, channel: str, ts: str, thread_ts: str | None) -> None:
        """The answer could not be delivered and stays queued: :eyes: on, and say so once."""
        try:
            self.show(key, channel, ts)
            if not self.said.claim(SaidKind.STILL_WORKING, key):
                return
        except Exception as err:
            log.info("no 'still working' on %s/%s: %s", channel, ts, err)
            return
        try:
            response = self.client.chat_postMessage(
                channel=channel, thread_ts=thread_ts, text=STILL_WORKING, unfurl_links=False
            )
        except Exception as exc:
            try:
                kind = classify(exc).kind
            except Exception:
                kind = FailureKind.CONNECTION
            # a timeout or reset may have reached Slack: leave the claim (at most once);
            # anything else was not posted, so a later retry may say it
            if kind != FailureKind.CONNECTION:
                self.said.release(SaidKind.STILL_WORKING, key)
            log.info("could not say 'still working' on %s/%s: %s", channel, ts, kind)
            return
        self.said.done(SaidKind.STILL_WORKING, key, response.get("ts"))

    def cancel_all(self) -> None:
        """Shutting down: no more checks or reactions."""
        with self._cond:
            self._stopped = True
            self._due.clear()
            self._heap.clear()
            pool, self._pool = self._pool, None
            self._cond.notify_all()
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def _react(self, method: str, channel: str, ts: str) -> bool:
        try:
            getattr(self.client, method)(channel=channel, timestamp=ts, name=REACTION)
        except Exception as err:
            error = getattr(getattr(err, "response", None), "get", lambda _k: None)("error")
            if error not in ("already_reacted", "no_reaction"):
                # a rate limit is said once for every question (bot.slack.outage), not here
                level = logging.DEBUG if error == "ratelimited" else logging.INFO
                log.log(level, "%s on %s/%s failed: %s", method, channel, ts, error or err)
                return False
        return True
