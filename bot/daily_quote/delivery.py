"""Sending a claimed day's quote: bounded retries, the lease renewed before every Slack call,
and the channel history checked before re-sending anything that may have gone out."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.daily_quote.ledger import Claim, ClaimStatus
from bot.daily_quote.outcome import OutcomeStatus, PostOutcome
from bot.daily_quote.schedule import Clock, Sleep
from bot.daily_quote.slack_calls import FailureKind, SlackFailure, find_posted, send_quote
from bot.store.quote_ledger import LedgerRow, mark_failed, mark_posted, renew
from bot.store.quote_posts import log_forced_post
from index.types import Quote

log = logging.getLogger(__name__)

RETRY_DELAY = timedelta(seconds=60)  # after a failed tick, the next tick that may retry
API_ERROR_DELAY = timedelta(minutes=15)  # ok:false (e.g. not_in_channel): a person must act
MAX_INLINE_WAIT = 30.0  # longest Retry-After honoured in-thread; longer -> a later tick


class QuoteDelivery:
    """Posts one claimed (channel, day) row as `owner`, and records how it ended."""

    def __init__(
        self,
        engine: Engine,
        client: WebClient,
        owner: str,
        *,
        now: Clock,
        sleep: Sleep,
        max_attempts: int,
    ) -> None:
        self.engine = engine
        self.client = client
        self.owner = owner
        self.now = now
        self.sleep = sleep
        self.max_attempts = max_attempts

    def deliver(self, got: Claim, quote: Quote | None, *, deadline: datetime | None) -> PostOutcome:
        """Send the claimed row's message with bounded retries; record how it ended.

        `deadline` None means a manual run (post whenever); otherwise nothing is sent after
        it. Before re-sending after an attempt that may have reached Slack, the channel
        history is checked so a message is never doubled.
        """
        row = got.row
        day = row.local_date
        must_check = got.status == ClaimStatus.TAKEN_OVER and row.attempts > 0
        last_failure: SlackFailure | None = None
        for attempt in range(1, self.max_attempts + 1):
            final = attempt == self.max_attempts
            now = self.now()
            if must_check:
                if not renew(self.engine, row.id, self.owner, now, attempt=False):
                    return self._usurped(row, quote)
                try:
                    ts = find_posted(self.client, row, quote)
                except SlackFailure as failure:
                    if failure.kind == FailureKind.API:
                        log.warning(
                            "Cannot read %s history (%s) to check for an earlier daily quote "
                            "post; posting anyway. Grant channels:history/groups:history.",
                            row.channel,
                            failure.detail,
                        )
                        ts = None
                    else:
                        last_failure = failure
                        if final:
                            break
                        self._backoff(failure, attempt)
                        continue
                if ts is not None:
                    return self._recorded(row, quote, ts, recovered=True)
                must_check = False
            if quote is None:
                mark_failed(
                    self.engine, row.id, self.owner, "quote no longer in the library", now, None
                )
                return PostOutcome(
                    OutcomeStatus.FAILED,
                    "The day's quote is no longer in the library.",
                    row.channel,
                    day,
                )
            if deadline is not None and now > deadline:
                mark_failed(self.engine, row.id, self.owner, "window closed", now, None)
                log.info("Daily quote for %s not posted: its window closed at %s.", day, deadline)
                return PostOutcome(
                    OutcomeStatus.MISSED,
                    f"The window for {day}'s quote has closed.",
                    row.channel,
                    day,
                    quote,
                )
            if not renew(self.engine, row.id, self.owner, now, attempt=True):
                return self._usurped(row, quote)
            try:
                ts = send_quote(self.client, row.channel, row.local_date, quote, forced=False)
            except SlackFailure as failure:
                last_failure = failure
                log.warning(
                    "Posting the daily quote to %s failed (attempt %d/%d): %s",
                    row.channel,
                    attempt,
                    self.max_attempts,
                    failure,
                )
                if failure.kind == FailureKind.API or final:
                    break
                if (
                    failure.kind == FailureKind.RATE_LIMITED
                    and (failure.retry_after or 0) > MAX_INLINE_WAIT
                ):
                    break
                must_check = failure.ambiguous
                self._backoff(failure, attempt)
                continue
            return self._recorded(row, quote, ts, recovered=False)
        return self._give_up(row, quote, last_failure)

    def _recorded(
        self, row: LedgerRow, quote: Quote | None, ts: str | None, *, recovered: bool
    ) -> PostOutcome:
        """The message is in the channel (sent now, or found from an earlier attempt)."""
        mark_posted(self.engine, row.id, self.owner, ts, self.now(), recovered=recovered)
        day, channel = row.local_date, row.channel
        if recovered:
            status = OutcomeStatus.RECOVERED
            text = f"Today's quote was already in {channel} (ts {ts}); recorded it."
            log.info("Daily quote for %s was already in %s (ts %s).", day, channel, ts)
        else:
            status = OutcomeStatus.POSTED
            text = f"Posted today's quote to {channel} (ts {ts})."
            log.info("Posted the daily quote for %s to %s (ts %s).", day, channel, ts)
        return PostOutcome(status, text, row.channel, row.local_date, quote, ts)

    def _give_up(
        self, row: LedgerRow, quote: Quote | None, failure: SlackFailure | None
    ) -> PostOutcome:
        """Mark the row failed so a later tick (within the window) retries it."""
        now = self.now()
        if failure is None:
            delay = RETRY_DELAY
        elif failure.kind == FailureKind.API:
            delay = API_ERROR_DELAY
        elif failure.kind == FailureKind.RATE_LIMITED:
            delay = max(RETRY_DELAY, timedelta(seconds=failure.retry_after or 0))
        else:
            delay = RETRY_DELAY
        detail = str(failure) if failure else "unknown error"
        mark_failed(self.engine, row.id, self.owner, detail, now, now + delay)
        log.error(
            "Could not post the daily quote for %s to %s (%s); will retry after %s.",
            row.local_date,
            row.channel,
            detail,
            (now + delay).isoformat(timespec="seconds"),
        )
        return PostOutcome(
            OutcomeStatus.FAILED,
            f"Posting today's quote to {row.channel} failed ({detail}); "
            "it will be retried within the posting window.",
            row.channel,
            row.local_date,
            quote,
        )

    def _usurped(self, row: LedgerRow, quote: Quote | None) -> PostOutcome:
        log.warning("Lost the daily quote claim for %s to another process.", row.local_date)
        return PostOutcome(
            OutcomeStatus.IN_PROGRESS,
            "Another process took over today's quote.",
            row.channel,
            row.local_date,
            quote,
        )

    def _backoff(self, failure: SlackFailure, attempt: int) -> None:
        """Honour Retry-After for 429; short exponential pause for 5xx/connection errors."""
        if failure.kind == FailureKind.RATE_LIMITED:
            self.sleep(min(failure.retry_after or 1.0, MAX_INLINE_WAIT))
        else:
            self.sleep(min(2.0 ** (attempt - 1), 8.0))

    def post_forced(self, row: LedgerRow, quote: Quote) -> PostOutcome:
        """`--force`: post the day's quote again and log it; the claim row is left as is."""
        failure: SlackFailure | None = None
        for attempt in range(1, self.max_attempts + 1):
            try:
                ts = send_quote(self.client, row.channel, row.local_date, quote, forced=True)
            except SlackFailure as exc:
                failure = exc
                if exc.kind == FailureKind.API or attempt == self.max_attempts:
                    break
                self._backoff(exc, attempt)
                continue
            log_forced_post(
                self.engine, row.channel, row.local_date, quote.key, ts, self.owner, self.now()
            )
            log.info("Force-posted the daily quote for %s to %s.", row.local_date, row.channel)
            return PostOutcome(
                OutcomeStatus.POSTED,
                f"Posted today's quote to {row.channel} again (--force, ts {ts}).",
                row.channel,
                row.local_date,
                quote,
                ts,
                forced=True,
            )
        return PostOutcome(
            OutcomeStatus.FAILED,
            f"Forced post to {row.channel} failed ({failure}).",
            row.channel,
            row.local_date,
            quote,
            forced=True,
        )
