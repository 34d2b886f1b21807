"""`coach content ...`: add, list, check and remove the library's articles."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer

from bot.cli.common import CURATION_LOGGERS, CoachTyper, content_folder, fail, load_settings
from index.errors import CoachError

app = CoachTyper(
    help="Curate the library: add articles from files and URLs, list, check, remove.",
    no_args_is_help=True,
)


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} {value!r} is not a date (use YYYY-MM-DD)")


def _future(value: date | None, option: str) -> date | None:
    """A review date already past would make the new article stale from its first day (a
    year typed wrong, most often): refused before anything is read or written."""
    if value is not None and value < date.today():
        fail(
            f"{option} {value.isoformat()} is in the past: the article would be stale at once "
            "(use a later date, or leave it out for a year from today)"
        )
    return value


@app.command("add")
def content_add(
    sources: Annotated[
        list[str],
        typer.Argument(
            metavar="SOURCE", help="Files (.md .txt .html .htm .pdf .docx) or http(s) URLs."
        ),
    ],
    owner: Annotated[
        str | None, typer.Option(metavar="NAME", help="Who keeps these articles current.")
    ] = None,
    review_by: Annotated[
        str | None,
        typer.Option("--review-by", metavar="YYYY-MM-DD", help="Default: a year from today."),
    ] = None,
    tags: Annotated[
        str | None, typer.Option(metavar="TAGS", help="Comma-separated topics, e.g. a,b.")
    ] = None,
) -> None:
    """Convert each SOURCE to CONTENT_DIR/<slug>.md; all are written, or none."""
    from index.ingest.add import Curation, add_sources

    settings = load_settings(silence=CURATION_LOGGERS)
    curation = Curation(
        today=date.today(),
        owner=owner.strip() if owner and owner.strip() else None,
        review_by=_future(_date(review_by, "--review-by"), "--review-by"),
        tags=tuple(t.strip() for t in (tags or "").split(",") if t.strip()),
    )
    try:
        plan = add_sources(content_folder(settings), sources, curation)
    except OSError as exc:
        fail(f"{settings.content_dir}: cannot write ({exc.strerror})")
    for refusal in plan.refused:
        typer.secho(f"refused: {refusal}", fg=typer.colors.RED, err=True)
    if plan.refused:
        if len(plan.refused) < len(sources):
            typer.echo("nothing written: fix or drop the refused sources and run again", err=True)
        raise typer.Exit(1)
    for path in plan.written:
        typer.echo(str(path))
    for note in plan.notes:
        typer.secho(f"note: {note}", fg=typer.colors.YELLOW, err=True)


@app.command("list")
def content_list(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array.")] = False,
) -> None:
    """Every article: id, title, author, owner, review_by, passages, questions, stale."""
    from index.content import load_library
    from index.ingest.catalog import list_content

    settings = load_settings(silence=CURATION_LOGGERS)
    folder = content_folder(settings)
    report = load_library(folder)
    rows = list_content(folder, date.today(), report)
    for error in report.errors:  # such a file was missing from the list without a word
        typer.secho(f"warning: {error} (not listed)", fg=typer.colors.YELLOW, err=True)
    if as_json:
        typer.echo(json.dumps([row.as_json() for row in rows], indent=2))
        return
    if not rows and report.errors:
        typer.echo(f"{folder}: no readable articles (fix the files named above)")
        return
    if not rows:  # the table's widths came from its rows: an empty library was a traceback
        typer.echo(f"{folder}: no articles yet (add one with `coach content add FILE_OR_URL`)")
        return
    headers = ("id", "title", "author", "owner", "review_by", "passages", "questions", "stale")
    table = [
        (
            r.id,
            r.title if len(r.title) <= 48 else r.title[:47] + "…",
            r.author or "-",
            r.owner or "-",
            r.review_by or "-",
            str(r.passages),
            f"{r.questions}"
            + (
                f" ({r.sections_without_questions} section"
                f"{'' if r.sections_without_questions == 1 else 's'} without)"
                if r.sections_without_questions
                else ""
            ),
            "STALE" if r.stale else "",
        )
        for r in rows
    ]
    widths = [max(len(h), *(len(row[i]) for row in table)) for i, h in enumerate(headers)]
    for row in [headers, *table]:
        typer.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


@app.command("check")
def content_check() -> None:
    """Print every problem (exit 1), or say the library is clean (exit 0)."""
    from index.ingest.catalog import check_content

    settings = load_settings(silence=CURATION_LOGGERS)
    problems = check_content(settings.content_dir, date.today())
    for problem in problems:
        typer.echo(str(problem))
    if problems:
        typer.secho(f"{len(problems)} problem(s)", fg=typer.colors.RED, err=True)
        raise typer.Exit(1)
    typer.echo(f"{settings.content_dir}: no problems")


@app.command("remove")
def content_remove(
    article_id: Annotated[str, typer.Argument(metavar="ID", help="As `coach content list` shows.")],
) -> None:
    """Delete the article; the index drops its passages on its next refresh."""
    from index.ingest.catalog import remove_article

    settings = load_settings(silence=CURATION_LOGGERS)
    try:
        path, unlinked = remove_article(content_folder(settings), article_id)
    except CoachError as exc:
        fail(str(exc))
    typer.echo(f"removed {path}")
    if unlinked:
        typer.echo(f"{unlinked} quote(s) no longer name it as their article")
