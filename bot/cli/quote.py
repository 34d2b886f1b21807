"""`coach quote`: the quote of a day, or post today's to QUOTE_CHANNEL or a scheduled channel;
`add|list|retire` edit quotes.yaml, keeping its comments; `schedule` is its own module."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer

from bot.cli.common import (
    CURATION_LOGGERS,
    CoachTyper,
    content_folder,
    fail,
    load_settings,
    open_engine,
    open_library,
    require_channel_id,
)
from bot.cli.quote_schedule import app as quote_schedule_app
from index.errors import CoachError


def register(app: typer.Typer) -> None:
    quote_app = CoachTyper(
        help="The morning quote: today's, another day's, post it, schedule channels; add, list "
        "and retire quotes."
    )
    quote_app.callback(invoke_without_command=True)(quote)
    quote_app.add_typer(quote_schedule_app, name="schedule")
    quote_app.command("add")(quote_add)
    quote_app.command("list")(quote_list)
    quote_app.command("retire")(quote_retire)
    app.add_typer(quote_app, name="quote")


def quote(
    ctx: typer.Context,
    on: Annotated[
        str | None, typer.Option("--date", help="YYYY-MM-DD (default: today)", metavar="DATE")
    ] = None,
    post: Annotated[bool, typer.Option("--post", help="Post today's quote now.")] = False,
    force: Annotated[bool, typer.Option("--force", help="With --post: even if posted.")] = False,
    channel: Annotated[
        str | None,
        typer.Option(
            "--channel",
            help="A scheduled channel (coach quote schedule list); default: QUOTE_CHANNEL.",
            metavar="CHANNEL",
        ),
    ] = None,
) -> None:
    """Print the quote of a day, or post today's (once per day) to QUOTE_CHANNEL or the
    scheduled --channel."""
    if ctx.invoked_subcommand is not None:
        return
    settings = load_settings()
    day: date | None = None
    if on:
        try:
            day = date.fromisoformat(on)
        except ValueError:
            fail(f"--date {on!r} is not a date like 2026-11-23")
    if force and not post:
        fail("--force goes with --post")
    if channel:
        require_channel_id(channel)
    if post:  # what is missing is said before the library and its index are opened (seconds)
        if day is not None:
            fail("--post posts today's quote; it takes no --date")
        if not channel and not settings.quote_channel:
            fail("QUOTE_CHANNEL is not set: name the channel ID to post to, or use --channel")
        if settings.bot_token_problem:  # a user token would post the quote as that person
            fail(settings.bot_token_problem)
    library = open_library(settings)
    if not library.quotes:
        quotes_file = settings.content_dir / "quotes.yaml"
        if any(problem.path == quotes_file for problem in library.problems):
            fail(f"no quotes: {quotes_file} cannot be read (fix the line said above)")
        fail(f"no quotes: add some to {quotes_file}")
    engine = open_engine(settings)
    from bot import daily_quote
    from bot.daily_quote.channels import all_plans
    from bot.daily_quote.reflection import reflections_from
    from bot.render_text import render_quote

    plan = None
    if channel:
        plans = {p.channel: p for p in all_plans(settings, engine)}
        plan = plans.get(channel)
        if plan is None:
            known = ", ".join(plans) or "none"
            fail(f"--channel {channel}: no quote schedule for it (scheduled: {known})")
    if not post:
        quote = daily_quote.todays_quote(settings, library, engine, today=day, plan=plan)
        typer.echo(render_quote(quote))
        return
    from bot.slack.client import make_client

    outcome = daily_quote.post_today(
        settings,
        library,
        make_client(settings),
        engine,
        force=force,
        plan=plan,
        reflections=reflections_from(lambda: library) if plan and plan.reflect else None,
    )
    typer.echo(str(outcome))
    if not getattr(outcome, "ok", True):
        raise typer.Exit(1)


def quote_add(
    text: Annotated[str, typer.Argument(metavar="TEXT", help="The quote, in quotes.")],
    author: Annotated[
        str, typer.Option("--author", metavar="NAME", help="Who said it (required).")
    ],
    article: Annotated[
        str | None,
        typer.Option("--article", metavar="ID", help="ID of the article it appears in."),
    ] = None,
) -> None:
    """Append a quote to quotes.yaml (its comments are kept)."""
    from index.ingest.quotes_file import add_quote

    settings = load_settings(silence=CURATION_LOGGERS)
    try:
        entry = add_quote(content_folder(settings), text, author, article)
    except CoachError as exc:
        fail(str(exc))
    typer.echo(f"added quote {entry.number}: “{entry.text}” — {entry.author}")


def quote_list(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array.")] = False,
) -> None:
    """Every quote with its number (for `retire`); retired ones are marked."""
    from index.ingest.quotes_file import list_quotes

    settings = load_settings(silence=CURATION_LOGGERS)
    try:
        entries = list_quotes(content_folder(settings))
    except CoachError as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps([e.__dict__ for e in entries], indent=2, ensure_ascii=False))
        return
    for e in entries:
        flag = " [retired]" if e.retired else ""
        source = f" ({e.article})" if e.article else ""
        typer.echo(f"{e.number:>3}.{flag} “{e.text}” — {e.author}{source}")


def quote_retire(
    number: Annotated[int, typer.Argument(metavar="N", help="As `coach quote list` shows.")],
) -> None:
    """Mark quote N retired: the daily post never picks it again."""
    from index.ingest.quotes_file import retire_quote

    settings = load_settings(silence=CURATION_LOGGERS)
    try:
        entry = retire_quote(content_folder(settings), number)
    except CoachError as exc:
        fail(str(exc))
    typer.echo(f"retired quote {entry.number}: “{entry.text}” — {entry.author}")
