"""`coach quote add|list|retire`: edit quotes.yaml, keeping its comments.

Registered on the `coach quote` group by bot/cli.py; it shares bot/cli_content.py's two
helpers, which keep bot/cli.py out of its imports.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from bot.cli_content import fail, load_settings
from index.errors import CoachError


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
