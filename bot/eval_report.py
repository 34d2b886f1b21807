"""Printing `coach eval` results for a person: the metrics table and, on request, each miss."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from index.evaluate import EvalReport, first_answering_rank, normalise
from index.library import Library

console = Console()


def print_metrics(metrics: dict[str, float | int]) -> None:
    table = Table(title="Search quality", show_header=True)
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_row(
        "questions (answerable / off-topic)", f"{metrics['answerable']} / {metrics['off_topic']}"
    )
    for key in ("hit@1", "hit@3", "mrr@10", "false_abstain"):
        table.add_row(key, f"{metrics[key]:.3f}")
    table.add_row(
        "off-topic abstain",
        f"{metrics['off_topic_abstain']:.3f} ({metrics['off_topic_abstained']} of "
        f"{metrics['off_topic']})",
    )
    console.print(table)


def _snippet(text: str, width: int = 110) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def print_explain(report: EvalReport, library: Library) -> None:
    """For each question not answered first: what was shown, and where the right passage
    ranks in the full ranking (or that no passage holds the gold phrase whole)."""
    misses = [
        o
        for o in report.outcomes
        if (o.question.off_topic and not o.abstained)
        or (not o.question.off_topic and o.first_rank != 1)
    ]
    if not misses:
        console.print(
            "[green]No misses: every answerable question had the right passage first, "
            "and every off-topic one abstained.[/green]"
        )
        return
    for o in misses:
        q = o.question
        console.rule(f"[bold]{q.id}[/bold] {q.question}")
        if q.off_topic:
            console.print("[red]off-topic, but the coach answered[/red]")
        elif o.abstained:
            console.print("[red]abstained on an answerable question[/red]")
        else:
            where = f"rank {o.first_rank}" if o.first_rank else "not in the passages shown"
            console.print(f"right passage: [yellow]{where}[/yellow]")
        for hit in o.result.hits[:3]:
            console.print(
                f"  shown {hit.rank} ({hit.score:.3f}) [{hit.passage.id}] "
                f"{_snippet(hit.passage.text)}"
            )
        if q.gold:
            holders = [
                p
                for p in library.passages
                if any(normalise(g) in normalise(p.text) for g in q.gold)
            ]
            if not holders:
                console.print(
                    "  [red]no passage contains a gold phrase whole "
                    "(split across passages, or cleaned away)[/red]"
                )
                continue
            full = library.searcher.search(q.question, k=len(library.passages), max_chars=10_000)
            if not full.answered:
                console.print("  the coach abstained, so nothing ranks")
                continue
            rank = first_answering_rank(full, q.gold)
            best = next(h for h in full.hits if h.rank == rank) if rank else None
            if best:
                console.print(
                    f"  right passage ranks {rank} in the full ranking "
                    f"({best.score:.3f}) [{best.passage.id}] "
                    f"{_snippet(best.passage.text)}"
                )
