"""`coach index adapt`: train the library's model adapter (CONTENT_DIR/model/) on its curated
questions; and the `adapter:` lines of `coach index status`."""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.common import content_folder, fail, load_settings

if TYPE_CHECKING:
    from bot.settings import Settings
    from index.types import Article

HOW_TO_ADD = (
    "add front matter `questions:` to the articles (each section heading mapped to the "
    "questions leaders ask that it answers, in their words), then run `coach index adapt`"
)
# a batch of the measured full run (bench/adapt_model.md: 144 batches in 978 s on 2 cores),
# from which the time a run will take is said before it starts
SECONDS_PER_BATCH = 6.8


def index_adapt(
    rank: Annotated[
        int,
        typer.Option(min=1, metavar="N", help="Rank of each weight matrix's change kept."),
    ] = 16,
    epochs: Annotated[
        int, typer.Option(min=1, metavar="N", help="Passes over the curated questions.")
    ] = 1,
    seed: Annotated[int, typer.Option(metavar="N", help="Fixes the batches and dropout.")] = 13,
) -> None:
    """Train the library's model adapter (CONTENT_DIR/model/) on its curated questions."""
    settings = load_settings()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from index.adapt_training import train_adapter
    from index.adapter import WEIGHTS, adapter_path
    from index.asked import AskedQuestions
    from index.content import load_library
    from index.embedder import Embedder
    from index.errors import CoachError, EmptyLibraryError

    content = content_folder(settings)
    report = load_library(content)
    for problem in report.errors:
        typer.secho(f"warning: {problem} (skipped)", fg=typer.colors.YELLOW, err=True)
    if not report.articles:
        fail(str(EmptyLibraryError(content)))
    asked = AskedQuestions.of(report.articles)
    if not len(asked):
        fail(f"{content}: no curated questions to train on; {HOW_TO_ADD}")
    base = Path(settings.embedding_model).expanduser()
    if not (base / WEIGHTS).is_file():
        fail(
            f"EMBEDDING_MODEL={settings.embedding_model} is no local model folder with {WEIGHTS}:"
            " the adapter is trained against one (unset EMBEDDING_MODEL for the bundled model)"
        )
    out = adapter_path(content)
    started = time.perf_counter()
    typer.echo(
        f"{len(asked)} curated questions in {len(report.articles)} articles: giving each its "
        "nearest passage with the base model ...",
        err=True,
    )
    embedder = Embedder(str(base), backend=settings.embedding_backend, onnx_dir=settings.index_dir)
    show = _Progress(sys.stderr.isatty())
    try:
        trained = train_adapter(
            report.articles,
            base,
            embedder,
            out,
            rank=rank,
            epochs=epochs,
            seed=seed,
            trained=datetime.now(UTC).date().isoformat(),
            progress=show.step,
            mined=lambda pairs, steps: show.start(pairs, steps, epochs),
        )
    except KeyboardInterrupt:
        show.end()
        typer.echo(f"stopped: nothing written ({out} is as it was)", err=True)
        raise typer.Exit(130) from None
    except (CoachError, ValueError, OSError) as exc:  # the model, the library, the disk
        show.end()
        fail(f"{str(exc).splitlines()[0]}; nothing written to {out}")
    show.end()
    seconds = time.perf_counter() - started
    typer.echo(
        f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB): trained on {trained.questions} "
        f"curated questions, {trained.steps} batches, rank {rank}, in {seconds:.0f} s"
    )
    typer.echo(
        "a running `coach serve` searches with it at its next look (every RELOAD_SECONDS; "
        "0 = never) once it has re-embedded the library (about a minute); otherwise the next "
        "`coach index build` or start does (the index is rebuilt: the model changed)"
    )


class _Progress:
    """Batches done of all, time spent and left: one line rewritten on a terminal, one line
    per batch elsewhere (a log)."""

    def __init__(self, tty: bool) -> None:
        self._tty = tty
        self._started = time.perf_counter()
        self._shown = False

    def start(self, pairs: int, steps: int, epochs: int) -> None:
        typer.echo(
            f"training on {pairs} pairs: {steps} batches ({epochs} epoch(s)); "
            f"about {_duration(steps * SECONDS_PER_BATCH)} on 2 cores; Ctrl-C stops it, "
            "writing nothing",
            err=True,
        )
        self._started = time.perf_counter()

    def step(self, done: int, total: int) -> None:
        if not done:  # the model is loaded: time the batches from here
            self._started = time.perf_counter()
            return
        spent = time.perf_counter() - self._started
        left = spent / done * (total - done)
        line = f"batch {done}/{total}, {_duration(spent)} elapsed, about {_duration(left)} left"
        if self._tty:
            sys.stderr.write(f"\r{line}\x1b[K")
            sys.stderr.flush()
            self._shown = True
        else:
            typer.echo(line, err=True)

    def end(self) -> None:
        if self._shown:
            sys.stderr.write("\n")
            self._shown = False


def _duration(seconds: float) -> str:
    whole = int(round(seconds))
    return f"{whole} s" if whole < 60 else f"{whole // 60} min {whole % 60:02d} s"


def adapter_lines(settings: Settings, articles: list[Article]) -> list[str]:
    """`coach index status`'s adapter line and its warnings: none, or the file with when
    and on what it was trained; older than the library's curated questions; not used."""
    from index.adapter import adapter_about, adapter_path, check_adapter, questions_fingerprint
    from index.asked import AskedQuestions
    from index.errors import AdapterError

    path = adapter_path(settings.content_dir)
    if not path.exists():
        return ["adapter:   none (the model as it is; `coach index adapt` trains one)"]
    try:
        about = adapter_about(path)
    except AdapterError as exc:
        return [f"adapter:   {path}", f"  warning: {exc}"]
    count = about.get("question_count", "?")
    lines = [
        f"adapter:   {path} (trained {about.get('trained', '?')} on {count} curated "
        f"questions, rank {about.get('rank', '?')})"
    ]
    asked = AskedQuestions.of(articles)
    if about.get("questions") != questions_fingerprint(asked):
        now = (
            f"the library now has {len(asked)}"
            if str(len(asked)) != count
            else "they changed since"
        )
        lines.append(
            f"  warning: trained on {count} curated questions; {now}: run `coach index adapt`"
        )
    try:
        check_adapter(path, settings.embedding_model)
    except AdapterError as exc:
        lines.append(f"  warning: {exc}")
    return lines
