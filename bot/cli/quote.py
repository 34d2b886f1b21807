"""`coach quote`: the quote of a day, or post today's to QUOTE_CHANNEL (once per day)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from bot import cli_quote_edit
from bot.cli.common import fail, load_settings, open_engine, open_library
from bot.cli.quote_schedule import app as quote_schedule_app


def register(app: typer.Typer) -> None:
    quote_app = typer.Typer(
        help="The morning quote: today's, another day's, post it, schedule channels; add, list "
        "and retire quotes."
    )
    quote_app.callback(invoke_without_command=True)(quote)
    quote_app.add_typer(quote_schedule_app, name="schedule")
    cli_quote_edit.register(quote_app)
    app.add_typer(quote_app, name="quote")


def quote(
    ctx: typer.Context,
    on: Annotated[
        str | None, typer.Option("--date", help="YYYY-MM-DD (default: today)", metavar="DATE")
    ] = None,
    post: Annotated[bool, typer.Option("--post", help="Post today's quote now.")] = False,
    force: Annotated[bool, typer.Option("--force", help="With --post: even if posted.")] = False,
) -> None:
    """Print the quote of a day, or post today's to QUOTE_CHANNEL (once per day)."""
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
    library = open_library(settings)
    if not library.quotes:
        fail(f"no quotes: add some to {settings.content_dir / 'quotes.yaml'}")
    engine = open_engine(settings)
    from bot import daily_quote
    from bot.render_text import render_quote

    if not post:
        typer.echo(render_quote(daily_quote.todays_quote(settings, library, engine, today=day)))
        return
    if day is not None:
        fail("--post posts today's quote; it takes no --date")
    if not settings.quote_channel:
        fail("QUOTE_CHANNEL is not set: name the channel ID to post to")
    if not settings.slack_bot_token:
        fail("SLACK_BOT_TOKEN is not set")
    from bot.slack.client import make_client

    outcome = daily_quote.post_today(settings, library, make_client(settings), engine, force=force)
    typer.echo(str(outcome))
    if not getattr(outcome, "ok", True):
        raise typer.Exit(1)
