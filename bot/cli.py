"""The `coach` command line: build and inspect the index, ask, evaluate, quote, serve."""

from __future__ import annotations

import json
import logging
import os
import select
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from bot import cli_quote_edit
from bot.cli_content import app as content_app
from bot.cli_quote_schedule import app as quote_schedule_app
from index.errors import CoachError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from bot.settings import Settings
    from index.library import Library
    from index.types import Quote, SearchResult

app = typer.Typer(
    help="Leadership Coach: cited answers for sales leaders, from a curated library.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
index_app = typer.Typer(help="Build and inspect the passage index.", no_args_is_help=True)
app.add_typer(index_app, name="index")

log = logging.getLogger("coach")


def fail(message: str, code: int = 1) -> NoReturn:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def load_settings(*, quiet: bool = True) -> Settings:
    """Settings from the environment; `quiet` keeps INFO chatter off a person's terminal
    unless LOG_LEVEL asks for it."""
    from bot.settings import Settings

    try:
        settings = Settings.from_env()
    except CoachError as exc:
        fail(str(exc))
    level = settings.log_level
    if quiet and "log_level" not in settings.model_fields_set:
        level = "WARNING"
    logging.basicConfig(
        level=getattr(logging, level),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    from bot.log_safety import install_token_filter

    install_token_filter()
    for noisy in ("sentence_transformers", "transformers", "httpx", "urllib3", "bm25s", "faiss"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return settings


def open_library(settings: Settings, *, progress: bool = False, rebuild: bool = False) -> Library:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from index.library import Library

    try:
        library = Library.open(
            settings.content_dir,
            settings.index_dir,
            settings.embedding_model,
            progress=progress,
            rebuild=rebuild,
        )
    except CoachError as exc:
        fail(str(exc))
    for problem in library.problems:
        typer.secho(f"warning: {problem} (skipped)", fg=typer.colors.YELLOW, err=True)
    return library


def result_json(question: str, result: SearchResult) -> dict[str, object]:
    """The `coach ask --json` contract; other tools rely on these keys."""
    return {
        "question": question,
        "answered": result.answered,
        "passages": [
            {
                "rank": hit.rank,
                "score": hit.score,
                "text": hit.passage.text,
                "article": {
                    "id": hit.passage.article.id,
                    "title": hit.passage.article.title,
                    "author": hit.passage.article.author,
                    "source": hit.passage.article.source,
                },
            }
            for hit in (result.hits if result.answered else ())
        ],
    }


def _stdin_batches(batch: int = 64) -> Iterator[list[str]]:
    """Lines of standard input in batches of what is already available, so piped input is
    embedded in bulk while an interactive writer still gets each answer promptly."""
    stream = sys.stdin
    while True:
        line = stream.readline()
        if not line:
            return
        lines = [line]
        while len(lines) < batch:
            try:
                ready, _, _ = select.select([stream], [], [], 0)
            except (OSError, ValueError):
                break
            if not ready:
                break
            line = stream.readline()
            if not line:
                break
            lines.append(line)
        yield [ln.rstrip("\r\n") for ln in lines]


@index_app.command("build")
def index_build(
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Re-embed everything.")] = False,
) -> None:
    """Build (or refresh) the index from content/; only changed passages are re-embedded."""
    settings = load_settings()
    library = open_library(settings, progress=sys.stderr.isatty(), rebuild=rebuild)
    manifest = library.searcher.dense.manifest
    typer.echo(
        f"index ready: {manifest.get('articles')} articles, {manifest.get('passages')} passages, "
        f"{manifest.get('sentences')} sentences; embedded {manifest.get('embedded', 0)}, "
        f"reused {manifest.get('reused', 0)} ({settings.index_dir})"
    )
    if library.problems:
        raise typer.Exit(1)


@index_app.command("status")
def index_status() -> None:
    """Show what the index holds and whether it is up to date with content/."""
    settings = load_settings()
    from index.content import load_library
    from index.embedder import Embedder
    from index.errors import IndexCorruptError
    from index.passages import split_articles
    from index.store import IndexStore

    store = IndexStore(settings.index_dir)
    report = load_library(settings.content_dir)
    passages = split_articles(report.articles)
    try:
        manifest = store.read_manifest()
        stale = store.stale_reason(passages, Embedder(settings.embedding_model))
        if manifest is not None:
            store.load()
    except IndexCorruptError as exc:
        manifest, stale = None, str(exc)
    typer.echo(f"content:   {settings.content_dir} ({len(report.articles)} articles)")
    for problem in report.errors:
        typer.secho(f"  problem: {problem}", fg=typer.colors.YELLOW)
    typer.echo(f"index:     {settings.index_dir}")
    if manifest:
        for key in ("model", "dimensions", "articles", "passages", "sentences", "built_at"):
            typer.echo(f"  {key + ':':<12}{manifest.get(key)}")
    typer.echo("state:     " + ("up to date" if stale is None else f"needs rebuild ({stale})"))


@app.command()
def ask(
    question: Annotated[str | None, typer.Argument(help="Omit to read one per line.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    k: Annotated[int, typer.Option("-k", "--top", min=1, max=50, help="Passages.")] = 3,
) -> None:
    """Answer a question with cited passages (or each line of standard input)."""
    settings = load_settings()
    library = open_library(settings)
    from bot.coach import Coach
    from bot.render_text import render_result

    coach = Coach(settings, library)
    batches = iter([[question]]) if question is not None else _stdin_batches()
    for batch in batches:
        results = coach.search_many(batch, k)
        for text, result in zip(batch, results, strict=True):
            if as_json:
                sys.stdout.write(json.dumps(result_json(text, result), ensure_ascii=False) + "\n")
            else:
                typer.echo(f"Q: {text}\n" if question is None else "", nl=False)
                typer.echo(render_result(result, library.topics[:6]) + "\n")
        sys.stdout.flush()


@app.command("eval")
def eval_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Questions .jsonl")],
    as_json: Annotated[bool, typer.Option("--json", help="Metrics as JSON.")] = False,
    explain: Annotated[bool, typer.Option("--explain", help="Show each miss.")] = False,
    k: Annotated[int, typer.Option("-k", help="Passages shown per question.")] = 10,
) -> None:
    """Score search on a question file (hit@1, hit@3, MRR@10, abstention)."""
    settings = load_settings()
    from index.evaluate import evaluate, load_questions

    try:
        questions = load_questions(file)
    except CoachError as exc:
        fail(str(exc))
    library = open_library(settings)
    results = dict(
        zip(
            [q.question for q in questions],
            library.search_many([q.question for q in questions], k),
            strict=False,
        )
    )
    report = evaluate(questions, lambda q: results[q])
    metrics = report.metrics()
    if as_json:
        typer.echo(json.dumps(metrics))
    else:
        from bot.eval_report import print_metrics

        print_metrics(metrics)
    if explain:
        from bot.eval_report import print_explain

        print_explain(report, library)


def _engine(settings: Settings) -> Engine:
    from bot.store.engine import make_engine

    try:
        return make_engine(settings.db_url)
    except Exception as exc:  # noqa: BLE001 - any database failure is the same admin error
        fail(f"DATABASE_URL={settings.db_url!r} cannot be opened: {str(exc).splitlines()[0]}")


quote_app = typer.Typer(
    help="The morning quote: today's, another day's, post it, schedule channels; add, list "
    "and retire quotes."
)
app.add_typer(quote_app, name="quote")
quote_app.add_typer(quote_schedule_app, name="schedule")
cli_quote_edit.register(quote_app)
app.add_typer(content_app, name="content")


@quote_app.callback(invoke_without_command=True)
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
    engine = _engine(settings)
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


def _register_report() -> None:
    from bot.gaps.command import report

    app.command("report")(report)


_register_report()


@app.command()
def serve() -> None:
    """Run the Slack app: Socket Mode with SLACK_APP_TOKEN, else HTTP on PORT."""
    settings = load_settings(quiet=False)
    from bot.slack.serve import serve as run_server

    raise typer.Exit(run_server(settings))


@app.command()
def console() -> None:
    """The coach in the terminal: questions, /leadership-tip, /quote."""
    settings = load_settings()
    raise typer.Exit(_console(settings))


def _console(settings: Settings) -> int:
    library = open_library(settings)
    from bot.coach import Coach
    from bot.console import Console

    engines: list[Engine | None] = []  # opened on the first /quote, then reused

    def todays_quote() -> Quote | None:
        from bot.daily_quote.rotation import quote_of_the_day

        if not engines:
            try:
                engines.append(_engine(settings))
            except typer.Exit:  # the error is printed; quotes then go by date
                engines.append(None)
        return quote_of_the_day(settings, library, engines[0])

    return Console(Coach(settings, library), todays_quote=todays_quote).run()


@app.command()
def run() -> None:
    """What `make run` does: the Slack app when SLACK_BOT_TOKEN is set, else the console."""
    settings = load_settings()
    if settings.slack_enabled:
        logging.getLogger().setLevel(settings.log_level)
        from bot.slack.serve import serve as run_server

        raise typer.Exit(run_server(settings))
    typer.secho(
        "No SLACK_BOT_TOKEN set: starting the console (see README to connect Slack).",
        fg=typer.colors.CYAN,
        err=True,
    )
    raise typer.Exit(_console(settings))


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except BrokenPipeError:
        raise SystemExit(0) from None
