"""The daily-quote ledger rows: one (channel, local_date) claim each, changed only by its owner.

Whoever inserts the row first holds the claim; a lease (heartbeat_at) lets a live replica
keep it while a dead one's claim can be taken over by compare-and-swap on `version`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from bot.store.quote_posts import log_post
from bot.store.tables import LedgerState, from_db, insert_once, quote_ledger, to_db

NEVER = datetime(9999, 1, 1, tzinfo=UTC)  # next_attempt_at of a row that must not be retried


def ledger_key(channel: str, local_date: date) -> str:
    """The marker put in the message metadata so crash recovery can recognise the post."""
    return f"{local_date.isoformat()}/{channel}"


@dataclass(frozen=True)
class LedgerRow:
    """One (channel, day) claim as read from the database."""

    id: int
    channel: str
    local_date: date
    quote_key: str
    state: LedgerState
    owner: str
    claimed_at: datetime
    heartbeat_at: datetime
    version: int
    attempts: int
    message_ts: str | None
    posted_at: datetime | None
    next_attempt_at: datetime | None
    last_error: str | None

    @property
    def ledger_key(self) -> str:
        return ledger_key(self.channel, self.local_date)

    def lease_expired(self, now: datetime, lease: timedelta) -> bool:
        return self.heartbeat_at + lease <= now


def _row(found: Any) -> LedgerRow:
    m = dict(found._mapping)
    return LedgerRow(
        id=m["id"],
        channel=m["channel"],
        local_date=date.fromisoformat(m["local_date"]),
        quote_key=m["quote_key"],
        state=LedgerState(m["state"]),
        owner=m["owner"],
        claimed_at=from_db(m["claimed_at"]),  # type: ignore[arg-type]
        heartbeat_at=from_db(m["heartbeat_at"]),  # type: ignore[arg-type]
        version=m["version"],
        attempts=m["attempts"],
        message_ts=m["message_ts"],
        posted_at=from_db(m["posted_at"]),
        next_attempt_at=from_db(m["next_attempt_at"]),
        last_error=m["last_error"],
    )


def get_row(engine: Engine, channel: str, local_date: date) -> LedgerRow | None:
    with engine.connect() as conn:
        found = conn.execute(
            select(quote_ledger).where(
                quote_ledger.c.channel == channel,
                quote_ledger.c.local_date == local_date.isoformat(),
            )
        ).first()
    return _row(found) if found else None


def get_by_id(engine: Engine, row_id: int) -> LedgerRow:
    with engine.connect() as conn:
        return _row(conn.execute(select(quote_ledger).where(quote_ledger.c.id == row_id)).one())


def insert_claim(
    engine: Engine, channel: str, local_date: date, quote_key: str, owner: str, now: datetime
) -> bool:
    """INSERT the day's row in 'posting' by `owner`; False when a row is already there.

    The UNIQUE (channel, local_date) makes this INSERT the lock."""
    stamp = to_db(now)
    return insert_once(
        engine,
        insert(quote_ledger).values(
            channel=channel,
            local_date=local_date.isoformat(),
            quote_key=quote_key,
            state=LedgerState.POSTING,
            owner=owner,
            claimed_at=stamp,
            heartbeat_at=stamp,
            version=0,
            attempts=0,
        ),
    )


def take_over(engine: Engine, row: LedgerRow, owner: str, now: datetime) -> bool:
    """Compare-and-swap a failed or stale row into 'posting' by `owner`."""
    with engine.begin() as conn:
        result = conn.execute(
            update(quote_ledger)
            .where(
                quote_ledger.c.id == row.id,
                quote_ledger.c.version == row.version,
                quote_ledger.c.state != LedgerState.POSTED,
            )
            .values(
                state=LedgerState.POSTING,
                owner=owner,
                heartbeat_at=to_db(now),
                version=row.version + 1,
            )
        )
    return result.rowcount == 1


def _update_owned(conn: Connection, row_id: int, owner: str, **values: object) -> bool:
    """Change a row only while `owner` still holds it in 'posting': a usurped or finished
    claim changes nothing, so two processes can never both record the day."""
    result = conn.execute(
        update(quote_ledger)
        .where(
            quote_ledger.c.id == row_id,
            quote_ledger.c.owner == owner,
            quote_ledger.c.state == LedgerState.POSTING,
        )
        .values(version=quote_ledger.c.version + 1, **values)
    )
    return result.rowcount == 1


def renew(engine: Engine, row_id: int, owner: str, now: datetime, *, attempt: bool) -> bool:
    """Extend our lease right before a Slack call; False means someone took the row over.

    With attempt=True also count a chat.postMessage about to be sent, so whoever recovers
    the row knows to search the channel history before posting.
    """
    values: dict[str, object] = {"heartbeat_at": to_db(now)}
    if attempt:
        values["attempts"] = quote_ledger.c.attempts + 1
    with engine.begin() as conn:
        return _update_owned(conn, row_id, owner, **values)


def mark_posted(
    engine: Engine,
    row_id: int,
    owner: str,
    ts: str | None,
    now: datetime,
    *,
    recovered: bool = False,
) -> bool:
    """Record the message ts; only the current owner may (a usurped owner just logs)."""
    with engine.begin() as conn:
        done = _update_owned(
            conn,
            row_id,
            owner,
            state=LedgerState.POSTED,
            message_ts=ts,
            posted_at=to_db(now),
            last_error=None,
            next_attempt_at=None,
        )
        if done:
            row = conn.execute(select(quote_ledger).where(quote_ledger.c.id == row_id)).one()
            log_post(
                conn,
                row.channel,
                row.local_date,
                row.quote_key,
                ts,
                owner,
                now,
                forced=False,
                recovered=recovered,
            )
    return done


def mark_failed(
    engine: Engine,
    row_id: int,
    owner: str,
    error: str,
    now: datetime,
    retry_at: datetime | None,
) -> bool:
    """Give the row up until `retry_at` (None: never, e.g. the window has closed)."""
    with engine.begin() as conn:
        return _update_owned(
            conn,
            row_id,
            owner,
            state=LedgerState.FAILED,
            last_error=error[:500],
            next_attempt_at=to_db(retry_at or NEVER),
            heartbeat_at=to_db(now),
        )


def stale_rows(
    engine: Engine, channel: str, now: datetime, lease: timedelta, since: date
) -> list[LedgerRow]:
    """Rows left in 'posting' whose owner stopped renewing: a crashed or killed process."""
    cutoff = to_db(now - lease)
    with engine.connect() as conn:
        found = conn.execute(
            select(quote_ledger).where(
                quote_ledger.c.channel == channel,
                quote_ledger.c.local_date >= since.isoformat(),
                quote_ledger.c.state == LedgerState.POSTING,
                quote_ledger.c.heartbeat_at <= cutoff,
            )
        ).all()
    return [_row(r) for r in found]
