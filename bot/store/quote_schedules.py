"""Per-channel quote schedules as `coach quote schedule add` stored them.

Rows are plain values; bot.daily_quote turns them into plans, so the store knows nothing
of time zones or posting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, insert, select, update

from bot.store.tables import quote_schedules


@dataclass(frozen=True)
class ScheduleRow:
    channel: str
    time: str  # HH:MM
    timezone: str  # IANA name
    days: str  # "mon,tue,wed"
    skip: str  # "2026-12-25,2027-01-01" (local dates), "" for none
    reflect: bool


class QuoteSchedules:
    """Add (or change), list and remove the channels that get a morning quote."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def put(self, row: ScheduleRow) -> bool:
        """Store the schedule for row.channel; True if it was new, False if it replaced one."""
        values = {
            "time": row.time,
            "timezone": row.timezone,
            "days": row.days,
            "skip": row.skip,
            "reflect": row.reflect,
            "updated_at": datetime.now(UTC),
        }
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(quote_schedules)
                .where(quote_schedules.c.channel == row.channel)
                .values(**values)
            ).rowcount
            if changed:
                return False
            conn.execute(insert(quote_schedules).values(channel=row.channel, **values))
        return True

    def remove(self, channel: str) -> bool:
        with self.engine.begin() as conn:
            return bool(
                conn.execute(
                    delete(quote_schedules).where(quote_schedules.c.channel == channel)
                ).rowcount
            )

    def all(self) -> list[ScheduleRow]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(quote_schedules).order_by(quote_schedules.c.channel)).all()
        return [
            ScheduleRow(r.channel, r.time, r.timezone, r.days, r.skip or "", bool(r.reflect))
            for r in rows
        ]
