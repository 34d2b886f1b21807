"""Posting the day's quote for one channel exactly once: claim, send, record.

Exactly-once rests on the ledger (bot.store.quote_ledger): a process must win the UNIQUE
(channel, local_date) claim before it calls chat.postMessage, renews a short lease before
every Slack call, and records the message ts afterwards. A claim left in 'posting' by a
process that died is taken over once its lease lapses; if an earlier attempt may have
reached Slack, the channel history is searched for the message (its metadata carries the
ledger key) before anything is posted again.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from datetime import date, datetime, timedelta

from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.daily_quote.delivery import QuoteDelivery
from bot.daily_quote.ledger import Claim, ClaimStatus, claim, retry_not_due
from bot.daily_quote.outcome import OutcomeStatus, PostOutcome
from bot.daily_quote.plan import QuotePlan
from bot.daily_quote.reflecting import Reflections, post_reflection
from bot.daily_quote.rotation import HasQuotes, NoQuotesError, quote_for_date, record_choice
from bot.daily_quote.schedule import Clock, Sleep, as_plan, utc_now
from bot.daily_quote.slack_calls import single_shot
from bot.settings import Settings
from bot.store.quote_ledger import get_row, stale_rows, take_over
from bot.store.tables import LedgerState
from index.types import Quote

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=75)  # a claim not renewed for this long belongs to a dead process
MAX_ATTEMPTS = 3  # chat.postMessage calls per tick


def make_owner() -> str:
    """Who holds a claim: host, pid and a random part, so a restart is a new owner."""
    return f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:8]}"


class DailyQuoter:
    """Posts the day's quote for one channel; used by the scheduler and by `coach quote`."""

    def __init__(
        self,
        settings: Settings,
        library: HasQuotes,
        client: WebClient,
        engine: Engine,
        *,
        clock: Clock | None = None,
        sleep: Sleep | None = None,
        owner: str | None = None,
        lease: timedelta = LEASE,
        max_attempts: int = MAX_ATTEMPTS,
        plan: QuotePlan | None = None,
        reflections: Reflections | None = None,
    ) -> None:
        self.settings = settings
        self.plan = plan or as_plan(settings)  # default: QUOTE_CHANNEL and friends
        self.reflections = reflections
        self.library = library
        self.client = single_shot(client)
        self.engine = engine
        self.channel = self.plan.channel or None
        self.clock: Clock = clock or utc_now
        self.sleep: Sleep = sleep or time.sleep
        self.owner = owner or make_owner()
        self.lease = lease
        self.max_attempts = max(1, max_attempts)
        self._noted: set[tuple[str, date]] = set()
        self.delivery = QuoteDelivery(
            engine,
            self.client,
            self.owner,
            now=self.now,
            sleep=lambda seconds: self.sleep(seconds),
            max_attempts=self.max_attempts,
        )

    # -- time ------------------------------------------------------------------------------
    def now(self) -> datetime:
        moment = self.clock()
        if moment.tzinfo is None:
            raise ValueError("the clock must return timezone-aware datetimes")
        return moment

    def _note_once(self, what: str, day: date, message: str, *args: object) -> None:
        """Log a per-day condition once, not on every tick."""
        if (what, day) not in self._noted:
            self._noted.add((what, day))
            log.info(message, *args)

    # -- entry points ----------------------------------------------------------------------
    def tick(self, now: datetime | None = None) -> PostOutcome | None:
        """One scheduler wake-up: resolve dead claims, then post if a day's quote is due.

        Yesterday is looked at too: a late QUOTE_TIME plus the grace can run past midnight.
        """
        if not self.channel:
            return None
        now = now or self.now()
        self.recover(now)
        today = self.plan.local_day(now)
        outcome = None
        for day in (today - timedelta(days=1), today):
            outcome = self._tick_day(day, now) or outcome
            self._reflect(day, now)
        return outcome

    def _tick_day(self, day: date, now: datetime) -> PostOutcome | None:
        assert self.channel
        if not self.plan.is_quote_day(day):
            return None
        due, end = self.plan.due_at(day), self.plan.window_end(day)
        if now < due:
            return None
        row = get_row(self.engine, self.channel, day)
        if now > end:
            if row is None and self.plan.local_day(now) == day:
                self._note_once(
                    "missed",
                    day,
                    "Daily quote for %s was not posted by %s; skipping the day.",
                    day,
                    end.isoformat(timespec="minutes"),
                )
            return None
        if row is not None and row.state == LedgerState.POSTED:
            return None
        if row is not None and row.state == LedgerState.FAILED and retry_not_due(row, now):
            return None
        if not self.library.quotes:
            self._note_once("empty", day, "Daily quote is due but the library has no quotes.")
            return None
        return self._post_day(day, now, deadline=end, force=False)

    def post_today(self, *, force: bool = False, now: datetime | None = None) -> PostOutcome:
        """Post today's quote now (manual run); the ledger still prevents a second post."""
        now = now or self.now()
        day = self.plan.local_day(now)
        if not self.channel:
            return PostOutcome(
                OutcomeStatus.OFF, "QUOTE_CHANNEL is not set, so the daily quote is off.", None, day
            )
        if not self.library.quotes:
            return PostOutcome(OutcomeStatus.NO_QUOTES, str(NoQuotesError()), self.channel, day)
        outcome = self._post_day(day, now, deadline=None, force=force)
        # with --reflect, as the scheduler would on its next tick; a post by hand is
        # followed by its question at any hour, not only within the morning's window
        self._reflect(day, now, by_hand=True)
        return outcome

    def recover(self, now: datetime | None = None) -> list[PostOutcome]:
        """Resolve claims stuck in 'posting' by a dead process (kill -9 mid-post).

        The history tells whether its message went out: if so the row becomes posted with
        that ts; if not, and the day's window is still open, the quote is posted now.
        """
        if not self.channel:
            return []
        now = now or self.now()
        today = self.plan.local_day(now)
        outcomes = []
        for row in stale_rows(
            self.engine, self.channel, now, self.lease, since=today - timedelta(days=1)
        ):
            log.warning(
                "Daily quote claim for %s in %s was left mid-post by %s; recovering it.",
                row.local_date,
                row.channel,
                row.owner,
            )
            if not take_over(self.engine, row, self.owner, now):
                continue  # another replica got there first
            fresh = get_row(self.engine, row.channel, row.local_date)
            assert fresh is not None
            deadline = self.plan.window_end(row.local_date)
            quote = self._quote_by_key(fresh.quote_key)
            outcomes.append(
                self.delivery.deliver(
                    Claim(ClaimStatus.TAKEN_OVER, fresh), quote, deadline=deadline
                )
            )
        return outcomes

    # -- internals -------------------------------------------------------------------------
    def _quote_by_key(self, key: str) -> Quote | None:
        for quote in self.library.quotes:
            if quote.key == key:
                return quote
        return None

    def _choose(self, day: date, now: datetime) -> Quote:
        """Record (or read) the day's choice; a quote since removed from content/ is replaced."""
        quotes = list(self.library.quotes)
        channel = self.channel or ""
        key = record_choice(self.engine, [q.key for q in quotes], day, now, channel=channel)
        found = self._quote_by_key(key)
        if found is not None:
            return found
        return quote_for_date(quotes, self.engine, day, channel=channel)

    def _reflect(self, day: date, now: datetime, *, by_hand: bool = False) -> None:
        """With --reflect: the day's reflection question in the quote's thread, once, while
        the day's window is open (a failed post is tried again on a later tick), or after
        the day's quote is posted by hand (`coach quote --post`), whatever the hour."""
        if not (self.plan.reflect and self.reflections and self.channel):
            return
        if now > self.plan.window_end(day) and not by_hand:
            return
        row = get_row(self.engine, self.channel, day)
        if row is None or row.state != LedgerState.POSTED or not row.message_ts:
            return
        quote = self._quote_by_key(row.quote_key)
        if quote is not None:
            post_reflection(
                self.client,
                self.engine,
                self.channel,
                day,
                row.message_ts,
                quote,
                self.reflections,
            )

    def _post_day(
        self, day: date, now: datetime, *, deadline: datetime | None, force: bool
    ) -> PostOutcome:
        assert self.channel
        chosen = self._choose(day, now)
        got = claim(
            self.engine,
            self.channel,
            day,
            chosen.key,
            self.owner,
            now,
            self.lease,
            ignore_backoff=deadline is None,
        )
        quote = self._quote_by_key(got.row.quote_key) or chosen
        if got.ours:
            outcome = self.delivery.deliver(got, quote, deadline=deadline)
            if force and outcome.status == OutcomeStatus.RECOVERED:
                return self.delivery.post_forced(got.row, quote)
            return outcome
        row = got.row
        if force:
            return self.delivery.post_forced(row, quote)
        if got.status == ClaimStatus.POSTED:
            return PostOutcome(
                OutcomeStatus.ALREADY_POSTED,
                f"Today's quote ({day}) was already posted to {row.channel} "
                f"(ts {row.message_ts}); use --force to post it again.",
                row.channel,
                day,
                quote,
                row.message_ts,
            )
        if got.status == ClaimStatus.BUSY:
            return PostOutcome(
                OutcomeStatus.IN_PROGRESS,
                f"Another process ({row.owner}) is posting today's quote to {row.channel} "
                "right now; nothing more to do.",
                row.channel,
                day,
                quote,
            )
        return PostOutcome(
            OutcomeStatus.FAILED,
            f"Posting today's quote failed ({row.last_error}); the next retry is after "
            f"{row.next_attempt_at}.",
            row.channel,
            day,
            quote,
        )


def post_today(
    settings: Settings,
    library: HasQuotes,
    client: WebClient,
    engine: Engine,
    *,
    force: bool = False,
    now: datetime | None = None,
    plan: QuotePlan | None = None,
    reflections: Reflections | None = None,
) -> PostOutcome:
    """`coach quote --post [--channel C]`: post today's quote now unless the ledger says it
    is done. `plan` is the channel's schedule (default: QUOTE_CHANNEL and friends).

    force=True posts it again (recorded in the post log) even if it was already posted.
    """
    quoter = DailyQuoter(
        settings,
        library,
        client,
        engine,
        clock=(lambda: now) if now else None,
        plan=plan,
        reflections=reflections,
    )
    return quoter.post_today(force=force, now=now)
