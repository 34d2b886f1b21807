"""`coach eval`: score search on a question file; for a person, the metrics table by kind of
question and, on request, each miss (found by index.evaluate.misses)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bot.cli.common import fail, load_settings, open_library
from index.errors import CoachError
from index.evaluate import EvalReport, MissKind, evaluate, load_questions, misses
from index.library import Library

console = Console()


def print_metrics(metrics: dict[str, float | int]) -> None:
    table = Table(title="Search quality", show_header=True)
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_row(
        "questions (answerable / uncovered / off-topic)",
        f"{metrics['answerable']} / {metrics['uncovered']} / {metrics['off_topic']}",
    )
    for key in ("hit@1", "hit@3", "mrr@10", "false_abstain"):
        # of no answerable question there is no rate: "0.000" read as search finding nothing
        table.add_row(key, f"{metrics[key]:.3f}" if metrics["answerable"] else "-")
    if not metrics["answerable"]:
        table.caption = "hit@1 to false_abstain need answerable questions (with gold phrases)"
    for kind, label in (("uncovered", "uncovered abstain"), ("off_topic", "off-topic abstain")):
        if metrics[kind]:
            table.add_row(
                label,
                f"{metrics[f'{kind}_abstain']:.3f} ({metrics[f'{kind}_abstained']} of "
                f"{metrics[kind]})",
            )
    console.print(table)


def json_metrics(metrics: dict[str, float | int]) -> dict[str, float | int | None]:
    """For --json: a rate over no question is null (as the table's "-"), never a 0.0 that
    reads as search finding nothing."""
    shown: dict[str, float | int | None] = dict(metrics)
    if not metrics["answerable"]:
        shown.update(dict.fromkeys(("hit@1", "hit@3", "mrr@10", "false_abstain")))
    for kind in ("uncovered", "off_topic"):
        if not metrics[kind]:
            shown[f"{kind}_abstain"] = None
    return shown


def _snippet(text: str, width: int = 110) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def print_explain(report: EvalReport, library: Library) -> None:
    """For each question not answered first: what was shown, and where the right passage
    ranks when the whole library is ranked (or that no passage holds the gold phrase)."""
    found = misses(report, library.searcher.rank_all)
    if not found:
        console.print(
            "[green]No misses: every answerable question had the right passage first, "
            "and every uncovered or off-topic one abstained.[/green]"
        )
        return
    for miss in found:
        o = miss.outcome
        console.rule(  # question texts, ids and passages are text, never markup
            f"[bold]{escape(o.question.id)}[/bold] ({o.question.kind}) "
            f"{escape(o.question.question)}"
        )
        where = miss.kind.value
        if miss.kind is MissKind.WRONG_FIRST:
            where = f"right passage: {'rank ' + str(o.first_rank) if o.first_rank else 'not shown'}"
        console.print(f"[red]{where}[/red]")
        for hit in o.result.hits[:3]:
            console.print(
                f"  shown {hit.rank} ({hit.score:.3f}) {escape(f'[{hit.passage.id}]')} "
                f"{escape(_snippet(hit.passage.text))}"
            )
        if not o.question.gold:
            continue
        if not miss.gold_in_library:
            console.print(
                "  [red]no passage contains a gold phrase whole "
                "(split across passages, or cleaned away)[/red]"
            )
        elif miss.right is not None:
            console.print(
                f"  right passage ranks {miss.full_rank} when the whole library is ranked "
                f"({miss.right.score:.3f}) {escape(f'[{miss.right.passage.id}]')} "
                f"{escape(_snippet(miss.right.passage.text))}"
            )


def register(app: typer.Typer) -> None:
    app.command("eval")(eval_command)


def eval_command(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            metavar="FILE.jsonl",
            help='{"id", "question", "gold"} a line.',
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Metrics as JSON.")] = False,
    explain: Annotated[bool, typer.Option("--explain", help="Show each miss.")] = False,
    k: Annotated[int, typer.Option("-k", metavar="N", help="Passages shown per question.")] = 10,
) -> None:
    """Score search on a question file (hit@1, hit@3, MRR@10, abstention)."""
    settings = load_settings()

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
        typer.echo(json.dumps(json_metrics(metrics)))
    else:
        print_metrics(metrics)
    if explain:
        print_explain(report, library)
