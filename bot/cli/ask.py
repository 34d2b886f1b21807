"""`coach ask`: cited passages for a question, or for each line of standard input."""

from __future__ import annotations

import json
import select
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.common import load_settings, open_library, readable

if TYPE_CHECKING:
    from index.types import SearchResult


def register(app: typer.Typer) -> None:
    app.command()(ask)


def result_json(question: str, result: SearchResult) -> dict[str, object]:
    """The `coach ask --json` contract; other tools rely on these keys. A question declined
    as out of scope (content/scope.yaml) also says which topic and who to ask."""
    declined = result.out_of_scope
    extra = {"out_of_scope": {"topic": declined.topic, "ask": declined.ask}} if declined else {}
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
        **extra,
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


def ask(
    question: Annotated[
        str | None,
        typer.Argument(metavar="QUESTION", help="Omit to read one per line from stdin."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    k: Annotated[
        int | None,
        typer.Option(
            "-k", "--top", min=1, max=50, metavar="N", help="Passages (default: SEARCH_TOP_K, 3)."
        ),
    ] = None,
) -> None:
    """Answer a question with cited passages (or each line of standard input)."""
    question = readable(question) if question is not None else None
    if question is not None and not question.strip() and not as_json:
        typer.echo(
            'Nothing to answer: ask a question, e.g. coach ask "how do I motivate my reps?"',
            err=True,
        )
        raise typer.Exit(2)
    settings = load_settings()
    library = open_library(settings)
    from bot.coach import Coach
    from bot.render_text import cut_note, render_result, render_small_talk
    from bot.small_talk import small_talk

    coach = Coach(settings, library)
    batches = iter([[question]]) if question is not None else _stdin_batches()
    line = 0
    for batch in batches:
        # as in Slack and the console, a greeting, "help", only emoji or a thanks is no
        # question: a person gets the help or "you're welcome"; --json stays a search
        talks = [None if as_json else small_talk(text) for text in batch]
        asked = [text for text, talk in zip(batch, talks, strict=True) if talk is None]
        results = iter(coach.search_many(asked, k) if asked else [])
        for text, talk in zip(batch, talks, strict=True):
            line += 1
            if talk is not None:
                typer.echo(f"Q: {text}\n" if question is None else "", nl=False)
                typer.echo(render_small_talk(talk, coach.suggestions(3, text)) + "\n")
                continue
            result = next(results)
            if as_json:
                sys.stdout.write(json.dumps(result_json(text, result), ensure_ascii=False) + "\n")
                if result.searched_chars is not None:  # said aside: stdout stays the contract
                    where = "" if question is not None else f"line {line}: "
                    typer.echo(where + cut_note(result.searched_chars), err=True)
            else:
                typer.echo(f"Q: {text}\n" if question is None else "", nl=False)
                typer.echo(render_result(result, library.topics[:6]) + "\n")
        sys.stdout.flush()
