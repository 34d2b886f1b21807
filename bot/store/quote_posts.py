"""The daily-quote post log: every message the daily quote sent, however it was sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, Engine, insert, select

from bot.store.tables import from_db, quote_posts, to_db


@dataclass(frozen=True)
class PostRecord:
    channel: str
    local_date: date
    quote_key: str
    message_ts: str | None
    forced: bool
    recovered: bool
    posted_at: datetime


def log_post(
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
    """One row per message sent, in the caller's transaction."""
    row = {"channel": channel, "local_date": local_date, "quote_key": quote_key, "owner": owner}
    flags = {"forced": forced, "recovered": recovered}
    conn.execute(insert(quote_posts).values(message_ts=ts, posted_at=to_db(now), **row, **flags))


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
        log_post(
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


def post_log(engine: Engine, channel: str | None = None) -> list[PostRecord]:
    """Every quote message posted, oldest first (for the CLI, App Home and tests)."""
    query = select(quote_posts).order_by(quote_posts.c.id)
    if channel is not None:
        query = query.where(quote_posts.c.channel == channel)
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
