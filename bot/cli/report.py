"""`coach report`: what leaders asked that the library did not answer, for its curator.

Reads the bot's own DATABASE_URL; prints questions and reasons only (never who asked, a
token or an e-mail address). Sweeps rows past FEEDBACK_RETENTION_DAYS first, so a report
never shows what should have been deleted.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from bot.cli.common import fail, load_settings, open_engine, shown_url
from bot.gaps.cluster import Gap
from bot.gaps.report import GapReport, write_eval
from index.errors import CoachError

log = logging.getLogger(__name__)


def register(app: typer.Typer) -> None:
    app.command("report")(report)


def report(
    days: Annotated[
        int, typer.Option("--days", min=1, max=3650, metavar="N", help="Look back N days.")
    ] = 7,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
    eval_out: Annotated[
        Path | None,
        typer.Option(
            "--eval-out",
            dir_okay=False,
            metavar="FILE",
            help="Also write the gap questions as an eval file (shared/eval format).",
        ),
    ] = None,
) -> None:
    """Content gaps: questions the coach abstained on or that got "Not helpful"."""
    from bot.gaps.service import Gaps
    from index.library import library_embedder

    settings = load_settings()
    engine = open_engine(settings)
    embedder = library_embedder(
        settings.embedding_model,
        settings.content_dir,
        settings.index_dir,
        backend=settings.embedding_backend,
    )
    try:
        _ = embedder.dimensions  # load now: a broken EMBEDDING_MODEL is reported here
        encode = embedder.encode
    except CoachError as exc:
        typer.secho(
            f"warning: {exc}; merging identical wordings only", fg=typer.colors.YELLOW, err=True
        )
        encode = None  # type: ignore[assignment]
    try:
        result = Gaps(engine, encode, settings.feedback_retention_days).report(days)
    except Exception as exc:  # noqa: BLE001 - a database failure is one admin error
        fail(f"DATABASE_URL={shown_url(settings)} cannot be read: {str(exc).splitlines()[0]}")
    if eval_out is not None:
        try:
            written = write_eval(eval_out, result.gaps)
        except OSError as exc:
            fail(f"--eval-out {eval_out}: {exc.strerror or exc}")
        typer.secho(f"wrote {written} gap question(s) to {eval_out}", err=True)
    if as_json:
        typer.echo(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        print_report(result, days)


def _rate(part: int, whole: int) -> str:
    return f"{part} ({round(100 * part / whole)}%)" if whole else str(part)


def _question_cell(gap: Gap) -> Text:
    """The gap's leading wording, then (dim) the other wordings merged into it, so the
    curator sees what the count is made of. Leaders' words: Text, never markup."""
    cell = Text(gap.question)
    others = [w for w in gap.wordings if w != gap.question]
    for wording in others[:3]:
        cell.append(f"\n  {wording}", style="dim")
    if len(others) > 3:
        cell.append(f"\n  and {len(others) - 3} more", style="dim")
    return cell


def print_report(result: GapReport, days: int, console: Console | None = None) -> None:
    console = console or Console()
    votes = result.helpful + result.not_helpful
    console.print(f"Last {days} days, since {result.since:%Y-%m-%d %H:%M} UTC", style="bold")
    summary = Table()
    summary.add_column("")
    summary.add_column("count", justify="right")
    summary.add_row("questions", str(result.questions))
    summary.add_row("answered", _rate(result.answered, result.questions))
    summary.add_row("abstained", _rate(result.abstained, result.questions))
    summary.add_row("helpful", _rate(result.helpful, votes))
    summary.add_row("not helpful", _rate(result.not_helpful, votes))
    console.print(summary)
    if result.gaps:
        gaps = Table(title="Content gaps (abstained or not helpful), most frequent first")
        gaps.add_column("asked", justify="right")
        gaps.add_column("last asked")
        gaps.add_column("question (other wordings merged into it below)")
        for gap in result.gaps:
            last = f"{gap.last_asked:%Y-%m-%d}" if gap.last_asked else "-"
            gaps.add_row(str(gap.count), last, _question_cell(gap))
        console.print(gaps)
    elif result.questions:
        console.print("No content gaps: every question found a passage nobody disliked.")
    else:
        console.print("No questions were asked in this period.")
    if result.left_to_others:
        others = Table(title="Left to others (content/scope.yaml), not content gaps")
        others.add_column("asked", justify="right")
        others.add_column("topic")
        for topic, count in result.left_to_others:
            others.add_row(str(count), Text(topic))
        console.print(others)
    if result.reasons:
        reasons = Table(title='"What were you looking for?"')
        reasons.add_column("question")
        reasons.add_column("reason")
        for reason in result.reasons:
            reasons.add_row(Text(reason.question), Text(reason.reason))
        console.print(reasons)
