"""Slack failing, shared by every replica: one row while a rate limit (429) or an outage (5xx,
no connection) met by any replica lasts.

While the row exists no replica claims an answer to post (AnswerQueue.claim checks it in
the claim itself), so the replicas do not each send their own calls into Slack's 429 or
503. When `until` has passed (Retry-After, or the outage's backoff), the first replica to
look takes the probe: `until` moves on by the probe's time and that replica alone claims
one answer and tries it. Its success deletes the row (every replica posts again); its
failure sets the next `until`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.store.tables import from_db, slack_hold, to_db

ANSWERS = "answers"  # the one thing held so far: posting answers (and tips) from the queue


@dataclass(frozen=True)
class Hold:
    reason: str  # what Slack said: "HTTP 429", "HTTP 503", "URLError"
    since: datetime  # when the outage began (aware UTC)
    until: datetime  # no probe before this
    prober: str | None  # the replica probing now, if any

    @property
    def rate_limited(self) -> bool:
        return self.reason == "HTTP 429"


def _hold(row: object) -> Hold:
    since, until = from_db(row.since), from_db(row.until)  # type: ignore[attr-defined]
    assert since is not None and until is not None
    return Hold(row.reason, since, until, row.prober)  # type: ignore[attr-defined]


class SlackHolds:
    """The shared hold, as seen by one replica (`owner`, its name on the probe)."""

    def __init__(self, engine: Engine, owner: str) -> None:
        self.engine = engine
        self.owner = owner

    def current(self) -> Hold | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(slack_hold).where(slack_hold.c.name == ANSWERS)).first()
        return _hold(row) if row is not None else None

    def hold(
        self, reason: str, wait: timedelta, *, probed: bool = False, now: datetime | None = None
    ) -> Hold | None:
        """Slack failed: hold every replica's answers for `wait` from now (a hold already on
        is kept at least as long, unless this replica's own probe is what failed: then its
        next probe is due after `wait`). The hold as it stands now."""
        stamp = to_db(now or datetime.now(UTC))
        until = stamp + wait
        row = {"name": ANSWERS, "reason": reason[:64], "since": stamp, "until": until}
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(slack_hold), row)
        except IntegrityError:  # on already: another replica (or an earlier call) began it
            with self.engine.begin() as conn:
                held = slack_hold.c.name == ANSWERS
                if probed:
                    later = held & (slack_hold.c.prober == self.owner)
                    values = {"until": until, "prober": None, "reason": reason[:64]}
                    if conn.execute(update(slack_hold).where(later).values(**values)).rowcount:
                        return self.current()
                conn.execute(
                    update(slack_hold)
                    .where(held, slack_hold.c.until < until)
                    .values(until=until, reason=reason[:64])
                )
        return self.current()  # (None: Slack answered another replica meanwhile)

    def take_probe(self, window: timedelta, now: datetime | None = None) -> Hold | None:
        """The hold's `until` has passed: this replica probes Slack, the others wait `window`
        more (if it dies meanwhile, the next to look probes). The hold if it did; None when it
        is not due, or another replica was first, or there is none."""
        stamp = to_db(now or datetime.now(UTC))
        with self.engine.begin() as conn:
            taken = conn.execute(
                update(slack_hold)
                .where(slack_hold.c.name == ANSWERS, slack_hold.c.until <= stamp)
                .values(until=stamp + window, prober=self.owner)
            ).rowcount
        return self.current() if taken else None

    def release_probe(self, now: datetime | None = None) -> None:
        """This replica's probe did not reach Slack (nothing to try, or a question too old
        to answer): the next look probes again at once."""
        stamp = to_db(now or datetime.now(UTC))
        mine = (slack_hold.c.name == ANSWERS) & (slack_hold.c.prober == self.owner)
        with self.engine.begin() as conn:
            conn.execute(update(slack_hold).where(mine).values(until=stamp, prober=None))

    def clear(self) -> Hold | None:
        """Slack answered: every replica posts again. The hold this replica ended, or None
        when there was none (another replica ended it)."""
        found = self.current()
        if found is None:
            return None
        with self.engine.begin() as conn:
            gone = conn.execute(
                delete(slack_hold).where(
                    slack_hold.c.name == ANSWERS, slack_hold.c.since == to_db(found.since)
                )
            ).rowcount
        return found if gone else None
