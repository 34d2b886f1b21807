"""Claiming a (channel, day) before posting: exactly one process may post the day's quote.

The store's INSERT is the lock; a failed or stale claim (its owner stopped renewing the
lease) is taken over by compare-and-swap, so two processes can never both win.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import Engine

from bot.store.quote_ledger import LedgerRow, get_by_id, get_row, insert_claim, take_over
from bot.store.tables import LedgerState


class ClaimStatus(StrEnum):
    CLAIMED = "claimed"  # fresh row, nothing sent yet
    TAKEN_OVER = "taken_over"  # a failed or stale row is now ours; a post may have gone out
    POSTED = "posted"
    BUSY = "busy"  # a live process holds it
    WAITING = "waiting"  # failed; the next retry is not due yet


@dataclass(frozen=True)
class Claim:
    """Result of trying to claim a (channel, day)."""

    status: ClaimStatus
    row: LedgerRow

    @property
    def ours(self) -> bool:
        return self.status in (ClaimStatus.CLAIMED, ClaimStatus.TAKEN_OVER)


def claim(
    engine: Engine,
    channel: str,
    local_date: date,
    quote_key: str,
    owner: str,
    now: datetime,
    lease: timedelta,
    *,
    ignore_backoff: bool = False,
) -> Claim:
    """Atomically claim the day's post for `channel`: INSERT, or take over a dead claim."""
    inserted = insert_claim(engine, channel, local_date, quote_key, owner, now)
    row = get_row(engine, channel, local_date)
    assert row is not None
    if inserted:
        return Claim(ClaimStatus.CLAIMED, row)
    if row.state == LedgerState.POSTED:
        return Claim(ClaimStatus.POSTED, row)
    if row.state == LedgerState.POSTING and not row.lease_expired(now, lease):
        return Claim(ClaimStatus.BUSY, row)
    if (
        row.state == LedgerState.FAILED
        and not ignore_backoff
        and row.next_attempt_at is not None
        and row.next_attempt_at > now
    ):
        return Claim(ClaimStatus.WAITING, row)
    if take_over(engine, row, owner, now):
        return Claim(ClaimStatus.TAKEN_OVER, get_by_id(engine, row.id))
    # someone else changed the row while we looked: report what it is now
    now_row = get_by_id(engine, row.id)
    status = ClaimStatus.POSTED if now_row.state == LedgerState.POSTED else ClaimStatus.BUSY
    return Claim(status, now_row)


def retry_not_due(row: LedgerRow, now: datetime) -> bool:
    """A failed row waits for its next_attempt_at (NEVER once its window has closed)."""
    return row.next_attempt_at is not None and row.next_attempt_at > now
