"""`coach db upgrade`: create or upgrade the database schema (DATABASE_URL) before replicas
start; each `coach serve` also runs the migrations at start, under a lock."""

from __future__ import annotations

import typer

from bot.cli.common import CoachTyper, fail, load_settings, shown_url
from index.errors import CoachError


def register(app: typer.Typer) -> None:
    db_app = CoachTyper(
        help="The database (DATABASE_URL): schema migrations.", no_args_is_help=True
    )
    db_app.command("upgrade")(db_upgrade)
    app.add_typer(db_app, name="db")


def db_upgrade() -> None:
    """Create or upgrade the schema (`coach serve` also does this at start, under a lock)."""
    settings = load_settings()
    shown_url(settings)  # a value that is not a URL: one line, not a traceback
    from bot.store.engine import make_engine
    from bot.store.migrate import normalise_url, safe_url, upgrade

    try:
        before, after = upgrade(make_engine(settings.db_url, migrate=False))
    except CoachError as err:
        fail(str(err))
    change = "already at" if before == after else f"{before or 'empty'} ->"
    typer.echo(f"{safe_url(normalise_url(settings.db_url))}: {change} {after}")
