"""`coach quote add|list|retire`: edit quotes.yaml, keeping its comments.

Registered on the `coach quote` group by bot/cli.py; its own two helpers (as
bot/cli_quote_schedule.py) keep bot/cli.py out of its imports.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from index.errors import CoachError

if TYPE_CHECKING:
    from bot.settings import Settings


def fail(message: str, code: int = 1) -> NoReturn:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def load_settings() -> Settings:
    """Settings; the loader's own log of malformed files is silenced, since these commands
    report every problem themselves, once."""
    from bot.settings import Settings

    try:
        settings = Settings.from_env()
    except CoachError as exc:
        fail(str(exc))
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("index.content", "trafilatura", "htmldate", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    return settings


def register(quote_app: typer.Typer) -> None:
    quote_app.command("add")(quote_add)
    quote_app.command("list")(quote_list)
    quote_app.command("retire")(quote_retire)


def quote_add(
    text: Annotated[str, typer.Argument(help="The quote, in quotes.")],
    author: Annotated[str, typer.Option("--author", help="Who said it (required).")],
    article: Annotated[
        str | None, typer.Option("--article", help="ID of the article it appears in.")
    ] = None,
) -> None:
    """Append a quote to quotes.yaml (its comments are kept)."""
    from index.ingest.quotes_file import add_quote

    settings = load_settings()
    try:
        entry = add_quote(settings.content_dir, text, author, article)
    except CoachError as exc:
        fail(str(exc))
    typer.echo(f"added quote {entry.number}: “{entry.text}” — {entry.author}")


def quote_list(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array.")] = False,
) -> None:
    """Every quote with its number (for `retire`); retired ones are marked."""
    from index.ingest.quotes_file import list_quotes

    settings = load_settings()
    try:
        entries = list_quotes(settings.content_dir)
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

    settings = load_settings()
    try:
        entry = retire_quote(settings.content_dir, number)
    except CoachError as exc:
        fail(str(exc))
    typer.echo(f"retired quote {entry.number}: “{entry.text}” — {entry.author}")
