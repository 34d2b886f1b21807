"""`coach serve`, `coach console` and `coach run` (what `make run` does)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import typer

from bot.cli.common import fail, load_settings, open_engine, open_library

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from bot.settings import Settings
    from index.types import Quote


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(console)
    app.command()(run)


def serve() -> None:
    """Run the Slack app: Socket Mode with SLACK_APP_TOKEN, else HTTP on PORT."""
    settings = load_settings(quiet=False)
    if settings.slack_problem:  # before the app (and its database) is even imported
        fail(settings.slack_problem)
    from bot.slack.serve import serve as run_server

    raise typer.Exit(run_server(settings))


def console() -> None:
    """The coach in the terminal: questions, /leadership-tip, /quote."""
    settings = load_settings()
    raise typer.Exit(_console(settings))


def _console(settings: Settings) -> int:
    library = open_library(settings)
    from bot.cli.console import Console
    from bot.coach import Coach

    engines: list[Engine | None] = []  # opened on the first /quote, then reused

    def todays_quote() -> Quote | None:
        from bot.daily_quote.rotation import quote_of_the_day

        if not engines:
            try:
                engines.append(open_engine(settings))
            except typer.Exit:  # the error is printed; quotes then go by date
                engines.append(None)
        return quote_of_the_day(settings, library, engines[0])

    return Console(Coach(settings, library), todays_quote=todays_quote).run()


def run() -> None:
    """What `make run` does: the Slack app when SLACK_BOT_TOKEN is set, else the console."""
    settings = load_settings()
    if settings.slack_enabled:
        if settings.slack_problem:
            fail(settings.slack_problem)
        logging.getLogger().setLevel(settings.log_level)
        from bot.slack.serve import serve as run_server

        raise typer.Exit(run_server(settings))
    typer.secho(
        "No SLACK_BOT_TOKEN set: starting the console (see README to connect Slack).",
        fg=typer.colors.CYAN,
        err=True,
    )
    raise typer.Exit(_console(settings))
