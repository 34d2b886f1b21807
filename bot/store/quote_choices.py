"""Which quote each channel's local date got, and the rotation cycle it belongs to."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Engine, insert, select

from bot.store.tables import insert_once, quote_choices, to_db


def recorded_choice(engine: Engine, channel: str, local_date: date) -> str | None:
    """The quote key already chosen for `channel` on `local_date`, if any."""
    with engine.connect() as conn:
        return conn.scalar(
            select(quote_choices.c.quote_key).where(
                quote_choices.c.channel == channel,
                quote_choices.c.local_date == local_date.isoformat(),
            )
        )


def history_before(
    engine: Engine, channel: str, local_date: date
) -> tuple[int, str | None, set[str]]:
    """(cycle, last key, keys used in that cycle) from `channel`'s choices before the date."""
    day = local_date.isoformat()
    mine = quote_choices.c.channel == channel
    with engine.connect() as conn:
        last = conn.execute(
            select(quote_choices.c.cycle, quote_choices.c.quote_key)
            .where(mine, quote_choices.c.local_date < day)
            .order_by(quote_choices.c.local_date.desc())
            .limit(1)
        ).first()
        cycle = last.cycle if last else 0
        used = set(
            conn.scalars(
                select(quote_choices.c.quote_key).where(
                    mine, quote_choices.c.cycle == cycle, quote_choices.c.local_date < day
                )
            )
        )
    return cycle, (last.quote_key if last else None), used


def insert_choice(
    engine: Engine, channel: str, local_date: date, key: str, cycle: int, now: datetime
) -> None:
    """Record the day's choice; the first writer wins (replicas agree anyway)."""
    insert_once(
        engine,
        insert(quote_choices).values(
            channel=channel,
            local_date=local_date.isoformat(),
            quote_key=key,
            cycle=cycle,
            chosen_at=to_db(now),
        ),
    )
