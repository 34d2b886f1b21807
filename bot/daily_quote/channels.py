"""Which channels get a morning quote: QUOTE_CHANNEL (and friends) plus the schedules stored
with `coach quote schedule add`. A stored schedule for the QUOTE_CHANNEL channel wins."""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import Engine

from bot.daily_quote.plan import DAY_NAMES, QuotePlan
from bot.settings import Settings
from bot.store.quote_schedules import QuoteSchedules, ScheduleRow

log = logging.getLogger(__name__)


def env_plan(settings: Settings) -> QuotePlan | None:
    """QUOTE_CHANNEL, QUOTE_TIME, QUOTE_TIMEZONE, QUOTE_DAYS as one schedule (None if unset)."""
    if not settings.quote_channel:
        return None
    return QuotePlan(
        settings.quote_channel,
        settings.quote_time,
        settings.quote_timezone,
        tuple(settings.quote_days),
        grace_minutes=settings.quote_grace_minutes,
        source="environment",
    )


def plan_from_row(row: ScheduleRow, grace_minutes: int) -> QuotePlan | None:
    """A stored row as a plan; a row no longer valid (e.g. a zone removed from tzdata) is
    logged and skipped rather than stopping every other channel's quote."""
    try:
        days = tuple(d for d in row.days.split(",") if d)
        if not days or any(d not in DAY_NAMES for d in days):
            raise ValueError(f"days {row.days!r}")
        skip = tuple(date.fromisoformat(d) for d in row.skip.split(",") if d)
        return QuotePlan(
            row.channel,
            row.time,
            row.timezone,
            days,
            skip,
            reflect=row.reflect,
            grace_minutes=grace_minutes,
        )
    except (ValueError, KeyError) as exc:
        log.warning("Quote schedule for %s is unusable (%s); skipping it.", row.channel, exc)
        return None


def all_plans(settings: Settings, engine: Engine) -> list[QuotePlan]:
    """Every channel's plan, stored ones first by channel, then QUOTE_CHANNEL's if not stored."""
    plans = [
        plan
        for row in QuoteSchedules(engine).all()
        if (plan := plan_from_row(row, settings.quote_grace_minutes)) is not None
    ]
    env = env_plan(settings)
    if env is not None and all(p.channel != env.channel for p in plans):
        plans.append(env)
    return plans


def save_plan(engine: Engine, plan: QuotePlan) -> bool:
    """Store (or replace) a channel's schedule; True if the channel had none."""
    return QuoteSchedules(engine).put(
        ScheduleRow(
            plan.channel,
            plan.time,
            plan.timezone,
            ",".join(plan.days),
            ",".join(d.isoformat() for d in plan.skip),
            plan.reflect,
        )
    )


def delete_plan(engine: Engine, channel: str) -> bool:
    return QuoteSchedules(engine).remove(channel)
