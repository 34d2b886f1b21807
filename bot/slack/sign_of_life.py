"""A sign of life: :eyes: on a question whose answer is not posted within a second.

The reaction is added by a timer, so a quick answer costs no extra Slack calls; it is taken
off once the answer is posted. If the answer could not be posted (Slack failing) the
reaction stays, and - when the answer is queued to be retried - a short "still working"
reply says so, so a leader never wonders whether the bot heard them.
"""

from __future__ import annotations

import logging
import threading
from enum import StrEnum
from typing import Any

log = logging.getLogger(__name__)

REACTION = "eyes"


class Stage(StrEnum):
    WAITING = "waiting"  # timer running, nothing sent
    REACTING = "reacting"  # reactions.add in flight
    REACTED = "reacted"
    DONE = "done"  # answered (or given up); nothing more to do


class SignOfLife:
    """One question's reaction: start() when it is taken, answered() once it is posted."""

    def __init__(self, client: Any, channel: str, ts: str, after: float = 1.0) -> None:
        self.client = client
        self.channel = channel
        self.ts = ts
        self.after = after
        self.stage = Stage.WAITING
        self._remove_when_added = False
        self._lock = threading.Lock()
        self._timer = threading.Timer(after, self._react)
        self._timer.daemon = True

    def start(self) -> SignOfLife:
        self._timer.start()
        return self

    def _react(self) -> None:
        with self._lock:
            if self.stage != Stage.WAITING:
                return
            self.stage = Stage.REACTING
        added = self._call("reactions_add")
        with self._lock:
            remove_now = self._remove_when_added and added
            self.stage = Stage.DONE if (remove_now or not added) else Stage.REACTED
        if remove_now:
            self._call("reactions_remove")

    def answered(self) -> None:
        """The answer is in Slack: cancel the timer, or take the reaction off."""
        self._timer.cancel()
        with self._lock:
            stage = self.stage
            if stage == Stage.REACTING:
                self._remove_when_added = True  # _react removes it once the add returns
                return
            self.stage = Stage.DONE
        if stage == Stage.REACTED:
            self._call("reactions_remove")

    def left_waiting(self) -> bool:
        """Posting failed: keep (or put) the reaction on; True if it is there now."""
        self._timer.cancel()
        with self._lock:
            if self.stage == Stage.WAITING:
                self.stage = Stage.REACTING
            elif self.stage == Stage.REACTED:
                return True
            else:
                return False
        added = self._call("reactions_add")
        with self._lock:
            self.stage = Stage.REACTED if added else Stage.DONE
        return added

    def _call(self, method: str) -> bool:
        try:
            getattr(self.client, method)(channel=self.channel, timestamp=self.ts, name=REACTION)
        except Exception as err:
            error = getattr(getattr(err, "response", None), "get", lambda _k: None)("error")
            if error not in ("already_reacted", "no_reaction"):
                log.info("%s on %s/%s failed: %s", method, self.channel, self.ts, error or err)
                return False
        return True
