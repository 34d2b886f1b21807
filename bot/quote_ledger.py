"""The daily-quote ledger: which quote each day gets, and whether it reached each channel.

Three tables on the shared `bot.db.metadata`:

* `daily_quote_choices` - one row per local date: the quote chosen for that day and the
  rotation cycle it belongs to. Recording the choice makes a retry post the same quote and
  lets "no repeats until every quote was used" survive restarts.
* `daily_quote_ledger` - one row per (channel, local_date), UNIQUE. Inserting it in state
  'posting' is the atomic claim that lets exactly one process post; a lease (heartbeat_at)
  lets a live replica keep its claim while a dead one's claim can be taken over.
  States: posting -> posted (message_ts) | failed (next_attempt_at, last_error).
* `daily_quote_posts` - every message actually posted (scheduled, recovered or forced).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    Engine,
    Integer,
    String,
    Table,
    UniqueConstraint,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from bot.db import metadata

POSTING, POSTED, FAILED = "posting", "posted", "failed"
NEVER = datetime(9999, 1, 1, tzinfo=UTC)  # next_attempt_at of a row that must not be retried

choices_table = Table(
    "daily_quote_choices",
    metadata,
    Column("local_date", String(10), primary_key=True),  # ISO date in QUOTE_TIMEZONE
    Column("quote_key", String(128), nullable=False),
    Column("cycle", Integer, nullable=False),
    Column("chosen_at", DateTime, nullable=False),  # naive UTC
)

ledger_table = Table(
    "daily_quote_ledger",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(64), nullable=False),
    Column("local_date", String(10), nullable=False),
    Column("quote_key", String(128), nullable=False),
    Column("state", String(16), nullable=False),
    Column("owner", String(160), nullable=False),
    Column("claimed_at", DateTime, nullable=False),  # first claim; history search starts here
    Column("heartbeat_at", DateTime, nullable=False),  # lease: renewed before each Slack call
    Column("version", Integer, nullable=False, default=0),  # compare-and-swap guard
    Column("attempts", Integer, nullable=False, default=0),  # chat.postMessage calls begun
    Column("message_ts", String(32)),
    Column("posted_at", DateTime),
    Column("next_attempt_at", DateTime),
    Column("last_error", String(500)),
    UniqueConstraint("channel", "local_date", name="uq_daily_quote_channel_date"),
)

posts_table = Table(
    "daily_quote_posts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(64), nullable=False),
    Column("local_date", String(10), nullable=False),
    Column("quote_key", String(128), nullable=False),
    Column("message_ts", String(32)),
    Column("forced", Boolean, nullable=False, default=False),
    Column("recovered", Boolean, nullable=False, default=False),
    Column("owner", String(160), nullable=False),
    Column("posted_at", DateTime, nullable=False),
)


def to_db(moment: datetime) -> datetime:
    """Naive UTC for storage: SQLite keeps no zone, so every row uses the same one."""
    if moment.tzinfo is None:
        raise ValueError("aware datetimes only")
    return moment.astimezone(UTC).replace(tzinfo=None)


def from_db(value: datetime | None) -> datetime | None:
    """Back to an aware UTC datetime."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class LedgerRow:
    """One (channel, day) claim as read from the database."""

    id: int
    channel: str
    local_date: date
    quote_key: str
    state: str
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


def ledger_key(channel: str, local_date: date) -> str:
    """The marker put in the message metadata so crash recovery can recognise the post."""
    return f"{local_date.isoformat()}/{channel}"


def _row(mapping: object) -> LedgerRow:
    m = dict(mapping._mapping)  # type: ignore[attr-defined]
    return LedgerRow(
        id=m["id"],
        channel=m["channel"],
        local_date=date.fromisoformat(m["local_date"]),
        quote_key=m["quote_key"],
        state=m["state"],
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


# ---- the rotation -------------------------------------------------------------------------


def shuffled(keys: Iterable[str], cycle: int) -> list[str]:
    """A fixed pseudo-random order per cycle: the same on every replica and every restart."""
    return sorted(set(keys), key=lambda k: (hashlib.sha256(f"{cycle}:{k}".encode()).hexdigest(), k))


def plan_choice(
    engine: Engine, keys: Sequence[str], local_date: date, *, ahead: int = 0
) -> tuple[str, int]:
    """The quote key (and cycle) the rotation gives `local_date`, from choices before it.

    `ahead` is how many not-yet-recorded quote days come first (to preview a future
    date). Reads only: used both to preview a day and to record the real choice.
    """
    if not keys:
        raise ValueError("no quotes to choose from")
    day = local_date.isoformat()
    with engine.connect() as conn:
        last = conn.execute(
            select(choices_table.c.cycle, choices_table.c.quote_key)
            .where(choices_table.c.local_date < day)
            .order_by(choices_table.c.local_date.desc())
            .limit(1)
        ).first()
        cycle = last.cycle if last else 0
        used = set(
            conn.scalars(
                select(choices_table.c.quote_key).where(
                    choices_table.c.cycle == cycle, choices_table.c.local_date < day
                )
            )
        )
    previous = last.quote_key if last else None
    for _ in range(max(0, ahead)):
        previous, cycle, used = _advance(keys, cycle, used, previous)
    key, cycle, _used = _advance(keys, cycle, used, previous)
    return key, cycle


def _advance(
    keys: Sequence[str], cycle: int, used: set[str], previous: str | None
) -> tuple[str, int, set[str]]:
    """One step of the rotation: the next unused key in this cycle's shuffled order."""
    available = set(keys)
    if available <= used:  # every quote has been used: a new cycle starts
        cycle, used = cycle + 1, set()
    order = [k for k in shuffled(available, cycle) if k not in used]
    # Never open a new cycle with the quote that closed the previous one.
    if not used and len(order) > 1 and order[0] == previous:
        order[0], order[1] = order[1], order[0]
    return order[0], cycle, used | {order[0]}


def recorded_choice(engine: Engine, local_date: date) -> str | None:
    """The quote key already chosen for `local_date`, if any."""
    with engine.connect() as conn:
        return conn.scalar(
            select(choices_table.c.quote_key).where(
                choices_table.c.local_date == local_date.isoformat()
            )
        )


def record_choice(engine: Engine, keys: Sequence[str], local_date: date, now: datetime) -> str:
    """Fix the quote for `local_date` (first writer wins; replicas agree anyway)."""
    existing = recorded_choice(engine, local_date)
    if existing is not None:
        return existing
    key, cycle = plan_choice(engine, keys, local_date)
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(choices_table).values(
                    local_date=local_date.isoformat(),
                    quote_key=key,
                    cycle=cycle,
                    chosen_at=to_db(now),
                )
            )
    except IntegrityError:
        pass
    chosen = recorded_choice(engine, local_date)
    assert chosen is not None
    return chosen


# ---- claims -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """Result of trying to claim a (channel, day).

    status: "claimed" (fresh row, nothing sent yet), "taken_over" (a failed or stale row is
    now ours; an earlier attempt may have reached Slack), "posted", "busy" (a live process
    holds it) or "waiting" (failed; next retry not due yet).
    """

    status: str
    row: LedgerRow

    @property
    def ours(self) -> bool:
        return self.status in ("claimed", "taken_over")


def get_row(engine: Engine, channel: str, local_date: date) -> LedgerRow | None:
    with engine.connect() as conn:
        found = conn.execute(
            select(ledger_table).where(
                ledger_table.c.channel == channel,
                ledger_table.c.local_date == local_date.isoformat(),
            )
        ).first()
    return _row(found) if found else None


def _get_by_id(engine: Engine, row_id: int) -> LedgerRow:
    with engine.connect() as conn:
        return _row(conn.execute(select(ledger_table).where(ledger_table.c.id == row_id)).one())


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
    """Atomically claim the day's post for `channel`: INSERT, or take over a dead claim.

    The UNIQUE (channel, local_date) makes the INSERT the lock; a takeover is an UPDATE
    guarded by the row's version, so two processes can never both win.
    """
    stamp = to_db(now)
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(ledger_table).values(
                    channel=channel,
                    local_date=local_date.isoformat(),
                    quote_key=quote_key,
                    state=POSTING,
                    owner=owner,
                    claimed_at=stamp,
                    heartbeat_at=stamp,
                    version=0,
                    attempts=0,
                )
            )
    except IntegrityError:
        pass
    else:
        row = get_row(engine, channel, local_date)
        assert row is not None
        return Claim("claimed", row)

    row = get_row(engine, channel, local_date)
    assert row is not None
    if row.state == POSTED:
        return Claim("posted", row)
    if row.state == POSTING and not row.lease_expired(now, lease):
        return Claim("busy", row)
    if (
        row.state == FAILED
        and not ignore_backoff
        and row.next_attempt_at is not None
        and row.next_attempt_at > now
    ):
        return Claim("waiting", row)
    if take_over(engine, row, owner, now):
        return Claim("taken_over", _get_by_id(engine, row.id))
    return claim_status_after_race(engine, row.id)


def claim_status_after_race(engine: Engine, row_id: int) -> Claim:
    """Someone else changed the row while we looked; report what it is now."""
    row = _get_by_id(engine, row_id)
    return Claim("posted" if row.state == POSTED else "busy", row)


def take_over(engine: Engine, row: LedgerRow, owner: str, now: datetime) -> bool:
    """Compare-and-swap a failed or stale row into 'posting' by `owner`."""
    with engine.begin() as conn:
        result = conn.execute(
            update(ledger_table)
            .where(
                ledger_table.c.id == row.id,
                ledger_table.c.version == row.version,
                ledger_table.c.state != POSTED,
            )
            .values(
                state=POSTING,
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
        update(ledger_table)
        .where(
            ledger_table.c.id == row_id,
            ledger_table.c.owner == owner,
            ledger_table.c.state == POSTING,
        )
        .values(version=ledger_table.c.version + 1, **values)
    )
    return result.rowcount == 1


def renew(engine: Engine, row_id: int, owner: str, now: datetime, *, attempt: bool) -> bool:
    """Extend our lease right before a Slack call; False means someone took the row over.

    With attempt=True also count a chat.postMessage about to be sent, so whoever recovers
    the row knows to search the channel history before posting.
    """
    values: dict[str, object] = {"heartbeat_at": to_db(now)}
    if attempt:
        values["attempts"] = ledger_table.c.attempts + 1
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
            state=POSTED,
            message_ts=ts,
            posted_at=to_db(now),
            last_error=None,
            next_attempt_at=None,
        )
        if done:
            row = conn.execute(select(ledger_table).where(ledger_table.c.id == row_id)).one()
            _log_post(
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
            state=FAILED,
            last_error=error[:500],
            next_attempt_at=to_db(retry_at or NEVER),
            heartbeat_at=to_db(now),
        )


def log_forced_post(
    engine: Engine,
    channel: str,
    local_date: date,
    quote_key: str,
    ts: str | None,
    owner: str,
    now: datetime,
) -> None:
    """A `--force` post on top of the day's post is kept in the log, not the claim row."""
    with engine.begin() as conn:
        _log_post(
            conn,
            channel,
            local_date.isoformat(),
            quote_key,
            ts,
            owner,
            now,
            forced=True,
            recovered=False,
        )


def _log_post(
    conn: Connection,
    channel: str,
    local_date: str,
    quote_key: str,
    ts: str | None,
    owner: str,
    now: datetime,
    *,
    forced: bool,
    recovered: bool,
) -> None:
    """Every message the daily quote sends goes in the post log, however it was sent."""
    conn.execute(
        insert(posts_table).values(
            channel=channel,
            local_date=local_date,
            quote_key=quote_key,
            message_ts=ts,
            forced=forced,
            recovered=recovered,
            owner=owner,
            posted_at=to_db(now),
        )
    )


def stale_rows(
    engine: Engine, channel: str, now: datetime, lease: timedelta, since: date
) -> list[LedgerRow]:
    """Rows left in 'posting' whose owner stopped renewing: a crashed or killed process."""
    cutoff = to_db(now - lease)
    with engine.connect() as conn:
        found = conn.execute(
            select(ledger_table).where(
                ledger_table.c.channel == channel,
                ledger_table.c.local_date >= since.isoformat(),
                ledger_table.c.state == POSTING,
                ledger_table.c.heartbeat_at <= cutoff,
            )
        ).all()
    return [_row(r) for r in found]


@dataclass(frozen=True)
class PostRecord:
    channel: str
    local_date: date
    quote_key: str
    message_ts: str | None
    forced: bool
    recovered: bool
    posted_at: datetime


def post_log(engine: Engine, channel: str | None = None) -> list[PostRecord]:
    """Every quote message posted, oldest first (for the CLI, App Home and tests)."""
    query = select(posts_table).order_by(posts_table.c.id)
    if channel is not None:
        query = query.where(posts_table.c.channel == channel)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        PostRecord(
            channel=r.channel,
            local_date=date.fromisoformat(r.local_date),
            quote_key=r.quote_key,
            message_ts=r.message_ts,
            forced=bool(r.forced),
            recovered=bool(r.recovered),
            posted_at=from_db(r.posted_at),  # type: ignore[arg-type]
        )
        for r in rows
    ]
