"""`coach quote schedule add|list|remove`: which channels get a morning quote, and when.

Stored in the database, so a running `coach serve` picks a change up on its next tick
(within a minute) without a restart. QUOTE_CHANNEL and friends still work: they show up
here as one more schedule, marked "environment".
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from bot.cli.common import CoachTyper, fail, load_settings, open_engine, require_channel_id

app = CoachTyper(
    help="Which channels get a morning quote, when, in which time zone.", no_args_is_help=True
)


@app.command("add")
def add(
    channel: Annotated[str, typer.Argument(metavar="CHANNEL", help="Channel ID, e.g. C0123ABCD")],
    time: Annotated[
        str, typer.Option("--time", metavar="HH:MM", help="24-hour, in --tz")
    ] = "09:00",
    tz: Annotated[
        str, typer.Option("--tz", metavar="ZONE", help="IANA zone, e.g. Europe/London")
    ] = "UTC",
    days: Annotated[
        str, typer.Option("--days", metavar="DAYS", help="e.g. mon-fri or mon,wed,fri")
    ] = "mon-fri",
    skip: Annotated[
        str | None,
        typer.Option("--skip", metavar="DATES", help="dates to skip, e.g. 2026-12-25,2027-01-01"),
    ] = None,
    reflect: Annotated[
        bool, typer.Option("--reflect", help="Also post a reflection question in the thread.")
    ] = False,
) -> None:
    """Post a quote to CHANNEL at --time on --days in --tz (replaces its old schedule)."""
    from bot.daily_quote.channels import save_plan
    from bot.daily_quote.plan import (
        PlanError,
        QuotePlan,
        parse_days,
        parse_skip,
        parse_time,
        parse_timezone,
    )

    settings = load_settings()
    channel = channel.strip().lstrip("#")
    require_channel_id(channel)
    try:
        plan = QuotePlan(
            channel,
            parse_time(time),
            parse_timezone(tz),
            parse_days(days),
            parse_skip(skip),
            reflect=reflect,
            grace_minutes=settings.quote_grace_minutes,
        )
    except PlanError as exc:
        fail(str(exc))
    new = save_plan(open_engine(settings), plan)
    typer.echo(f"{'Added' if new else 'Updated'}: {plan.describe()}.")


@app.command("list")
def list_schedules(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array, for scripts.")] = False,
) -> None:
    """Every channel that gets a morning quote, with its time, zone, days and skipped dates."""
    from bot.daily_quote.channels import all_plans

    settings = load_settings()
    plans = all_plans(settings, open_engine(settings))
    if as_json:
        typer.echo(json.dumps([p.as_json() for p in plans], indent=2))
        return
    if not plans:
        typer.echo("No quote schedules. Add one: coach quote schedule add C0123ABCD --time 09:00")
        return
    for plan in plans:
        mark = " (QUOTE_CHANNEL)" if plan.source == "environment" else ""
        typer.echo(plan.describe() + mark)


@app.command("remove")
def remove(channel: Annotated[str, typer.Argument(metavar="CHANNEL", help="Channel ID")]) -> None:
    """Stop the morning quote in CHANNEL."""
    from bot.daily_quote.channels import delete_plan

    settings = load_settings()
    channel = channel.strip().lstrip("#")
    if delete_plan(open_engine(settings), channel):
        typer.echo(f"Removed the quote schedule for {channel}.")
        return
    if settings.quote_channel == channel:
        fail(f"{channel} comes from QUOTE_CHANNEL: unset it to stop that schedule")
    fail(f"no quote schedule for {channel}", code=2)
