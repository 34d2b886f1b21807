"""A sign of life: :eyes: on a mention or DM whose answer is not posted within a second,
and one short "still working" reply when Slack is failing and the answer waits in the queue,
so a leader never wonders whether the bot heard them.

Any replica may answer a question, so what was shown is recorded in the database
(`said_once`, keyed by the question): whoever posts the answer takes the :eyes: off, and
the "still working" reply is posted once per question however many replicas retry it. The
timer runs on the replica that stored the question; a quick answer costs one row read.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from bot.daily_quote.slack_calls import FailureKind, classify
from bot.store.answer_queue import AnswerQueue
from bot.store.said_once import SaidOnce
from bot.store.tables import AnswerState, SaidKind

log = logging.getLogger(__name__)

REACTION = "eyes"
SIGN_OF_LIFE_KINDS = {"mention", "dm"}  # the assistant panel shows a status instead
STILL_WORKING = (
    ":hourglass_flowing_sand: Still working on this: Slack is having trouble right now, "
    "so your answer will follow here as soon as it gets through."
)
SETTLED = {AnswerState.ANSWERED, AnswerState.DROPPED, AnswerState.FAILED}


class SignsOfLife:
    """The :eyes: and "still working" reply of every question this replica stores or answers.

    `client` should try each call once (a failing Slack must not hold an answer worker)."""

    def __init__(
        self, client: Any, answers: AnswerQueue, said: SaidOnce, after: float = 1.0
    ) -> None:
        self.client = client
        self.answers = answers
        self.said = said
        self.after = after  # seconds before a slow answer gets :eyes:
        self._timers: dict[str, threading.Timer] = {}
        self._lock = threading.Lock()

    def watch(self, key: str, channel: str, ts: str) -> None:
        """A question was just stored: put :eyes: on it if it is unanswered `after` seconds on."""
        timer = threading.Timer(self.after, self._due, (key, channel, ts))
        timer.daemon = True
        with self._lock:
            self._timers[key] = timer
        timer.start()

    def _due(self, key: str, channel: str, ts: str) -> None:
        with self._lock:
            self._timers.pop(key, None)
        try:
            if self.answers.state(key) not in SETTLED:
                self.show(key, channel, ts)
        except Exception as err:  # the database is down: no reaction, nothing worse
            log.info("no sign of life on %s/%s: %s", channel, ts, err)

    def show(self, key: str, channel: str, ts: str) -> bool:
        """Put the :eyes: on (once per question); True if they are on now."""
        if not self.said.claim(SaidKind.EYES, key):
            return True
        if not self._react("reactions_add", channel, ts):
            self.said.release(SaidKind.EYES, key)
            return False
        # the claim is written before the reaction, so an answer recorded before the claim
        # was not seen by its poster's answered(): take the reaction off here instead
        if self.answers.state(key) in SETTLED:
            self._react("reactions_remove", channel, ts)
        return True

    def answered(self, key: str, channel: str, ts: str, *, first_try: bool = False) -> None:
        """The answer is in Slack (and recorded): no :eyes: from now on, off if they are on.

        `first_try`: the answer went out at its first delivery attempt, so no replica said
        "still working" (only a failed post does); if this replica's timer had not fired
        either, nobody put :eyes: on, and there is nothing to look up or take off."""
        with self._lock:
            timer = self._timers.pop(key, None)
        if timer is not None:
            timer.cancel()
            if first_try:
                return
        try:
            if self.said.said(SaidKind.EYES, key):
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
        with self._lock:
            timers, self._timers = list(self._timers.values()), {}
        for timer in timers:
            timer.cancel()

    def _react(self, method: str, channel: str, ts: str) -> bool:
        try:
            getattr(self.client, method)(channel=channel, timestamp=ts, name=REACTION)
        except Exception as err:
            error = getattr(getattr(err, "response", None), "get", lambda _k: None)("error")
            if error not in ("already_reacted", "no_reaction"):
                log.info("%s on %s/%s failed: %s", method, channel, ts, error or err)
                return False
        return True
