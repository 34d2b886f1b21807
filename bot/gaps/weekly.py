"""The Monday content-gaps post to REPORT_CHANNEL, exactly once per week across restarts and
replicas.

It rides on the daily quote's ledger (bot.daily_quote.ledger.claim and the owned-row updates
of bot.store.quote_ledger): a (ledger channel, Monday's date) row is the claim, so only the
process that inserts it, or takes over a dead owner's claim, may post. The ledger channel is
"report:<channel>", so the summary never collides with a quote posted to the same channel on
the same Monday. A claim taken over after an attempt that may have reached Slack first looks
in the channel history for the post's metadata marker, so nothing is posted twice; while
that history cannot be read (Slack failing) nothing is posted. Slack failing is retried with
the answers' backoff (bot.slack.client.retry_delay: a quarter of the wait so far, at least
Retry-After), so the report follows an outage of a minute within a tick or two.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from time import monotonic

from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.daily_quote.ledger import ClaimStatus, claim
from bot.daily_quote.poster import LEASE, make_owner
from bot.daily_quote.slack_calls import (
    FailureKind,
    SlackFailure,
    classify,
    post_marked,
    single_shot,
)
from bot.gaps.report import GapReport
from bot.settings import Settings
from bot.slack.client import retry_delay
from bot.slack.marked import marked
from bot.slack.messages.gaps import weekly_message
from bot.store.quote_ledger import LedgerRow, mark_failed, mark_posted, renew

log = logging.getLogger(__name__)

EVENT_TYPE = "coach_weekly_report"  # message metadata marker recovery looks for
REPORT_KEY = "weekly-report"  # the ledger's quote_key column for these rows
RETRY_DELAY = timedelta(minutes=15)  # the longest wait between two tries
DAYS = 7


def ledger_channel(channel: str) -> str:
    return f"report:{channel}"


def week_start(settings: Settings, now: datetime) -> date:
    """Monday of `now`'s week in QUOTE_TIMEZONE."""
    local = now.astimezone(settings.tz).date()
    return local - timedelta(days=local.weekday())


def due_at(settings: Settings, monday: date) -> datetime:
    """QUOTE_TIME on that Monday in QUOTE_TIMEZONE."""
    hour, minute = settings.quote_hour_minute
    return datetime.combine(monday, time(hour, minute), tzinfo=settings.tz)


class WeeklyReporter:
    """One `tick()` per scheduler wake-up: posts this week's summary once it is due."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        client: WebClient,
        make_report: Callable[[int], GapReport],
        *,
        owner: str | None = None,
        lease: timedelta = LEASE,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.client = single_shot(client)
        self.make_report = make_report
        self.owner = owner or make_owner()
        self.lease = lease

    def tick(self, now: datetime) -> str | None:
        """The message ts when this call posted (or found) the week's summary, else None."""
        channel = self.settings.report_channel
        if not channel:
            return None
        monday = week_start(self.settings, now)
        if now < due_at(self.settings, monday):
            return None
        got = claim(
            self.engine, ledger_channel(channel), monday, REPORT_KEY, self.owner, now, self.lease
        )
        if not got.ours:
            return None
        row = got.row
        if got.status == ClaimStatus.TAKEN_OVER and row.attempts > 0:
            try:
                found = self._find_posted(channel, row)
            except SlackFailure as failure:  # an earlier try may be there: post nothing yet
                self._later(row, now, failure)
                return None
            if found is not None:
                mark_posted(self.engine, row.id, self.owner, found, now, recovered=True)
                log.info("The weekly report for %s was already in %s.", monday, channel)
                return found
        # built before the lease is renewed, and the renewal counted from when it is built:
        # a report slower to build than the lease is not posted beside a replica's that took
        # the claim over meanwhile (the renewal then fails: the claim is no longer ours)
        started = monotonic()
        message = weekly_message(self.make_report(DAYS), days=DAYS)
        now += timedelta(seconds=monotonic() - started)
        if not renew(self.engine, row.id, self.owner, now, attempt=True):
            return None  # another process took the claim over
        marker = {"event_type": EVENT_TYPE, "event_payload": {"ledger_key": row.ledger_key}}
        try:
            ts = post_marked(self.client, channel, message, marker)
        except SlackFailure as failure:
            self._later(row, now, failure)
            return None
        mark_posted(self.engine, row.id, self.owner, ts, now)
        log.info("Posted the weekly content-gaps report to %s (ts %s).", channel, ts)
        return str(ts)

    def _later(self, row: LedgerRow, now: datetime, failure: SlackFailure) -> None:
        """Give the claim up until the next try: an `ok: false` (a person must act) in
        RETRY_DELAY; Slack failing as a whole with the answers' backoff, counted from the
        week's first claim, so a short outage is followed at once and Retry-After is kept."""
        if failure.kind == FailureKind.API:
            delay = RETRY_DELAY
        else:
            waited = (now - row.claimed_at).total_seconds()
            longest = RETRY_DELAY.total_seconds()
            delay = timedelta(seconds=retry_delay(waited, failure.retry_after, longest))
        mark_failed(self.engine, row.id, self.owner, str(failure), now, now + delay)
        log.warning(
            "Posting the weekly report to %s failed: %s; will retry after %s",
            self.settings.report_channel,
            failure,
            (now + delay).isoformat(timespec="seconds"),
        )

    def _find_posted(self, channel: str, row: LedgerRow) -> str | None:
        """The ts of this week's post if an earlier, interrupted attempt did send it: in the
        history since the claim, else among the channel's newest messages (a message's ts is
        Slack's clock, which may run behind ours). Slack failing is raised (SlackFailure);
        a history it refuses to show (a missing scope) is None, and the report is posted."""
        oldest = (row.claimed_at - timedelta(minutes=2)).timestamp()
        for since in ({"oldest": f"{oldest:.6f}"}, {}):
            try:
                response = self.client.conversations_history(
                    channel=channel, limit=200, include_all_metadata=True, **since
                )
            except Exception as exc:
                try:
                    failure: SlackFailure = classify(exc)
                except Exception:
                    raise exc from None
                if failure.kind != FailureKind.API:
                    raise failure from None
                log.warning("Cannot read %s history (%s); posting the report.", channel, failure)
                return None
            found = marked(
                response.get("messages") or [],
                EVENT_TYPE,
                lambda payload: payload.get("ledger_key") == row.ledger_key,
            )
            if found is not None:
                return found
        return None
