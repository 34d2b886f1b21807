"""`coach index build|status|adapt`: build the passage index, say what it holds, or train
the library's model adapter (bot/cli/adapt.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.adapt import adapter_lines, index_adapt
from bot.cli.common import (
    CONTENT_LOGGERS,
    CoachTyper,
    content_folder,
    load_settings,
    open_library,
)

if TYPE_CHECKING:
    from bot.settings import Settings


def register(app: typer.Typer) -> None:
    index_app = CoachTyper(
        help="Build and inspect the passage index; train the model adapter.", no_args_is_help=True
    )
    index_app.command("build")(index_build)
    index_app.command("status")(index_status)
    index_app.command("adapt")(index_adapt)
    app.add_typer(index_app, name="index")


def index_build(
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Re-embed everything.")] = False,
) -> None:
    """Build (or refresh) the index from content/; only changed passages are re-embedded."""
    settings = load_settings()
    library = open_library(settings, progress=sys.stderr.isatty(), rebuild=rebuild)
    dense = library.searcher.dense
    manifest = dense.manifest
    embedder = library.searcher.embedder
    _ = embedder.dimensions  # the model loads: an ONNX export is made now, not at serve
    # this run's work, not the manifest's (which keeps the last build's counts)
    built = dense.embedded or dense.reused
    work = f"embedded {dense.embedded}, reused {dense.reused}" if built else "already up to date"
    typer.echo(
        f"index ready: {manifest.get('articles')} articles, {manifest.get('passages')} passages, "
        f"{manifest.get('sentences')} sentences; {work} ({settings.index_dir})"
    )
    if library.problems:
        raise typer.Exit(1)


def index_status() -> None:
    """Show what the index holds and whether it is up to date with content/."""
    # each content problem is a `problem:` line below, not also the loader's log line
    # and an adapter that cannot be used is the `adapter:` warning, not also a log line
    settings = load_settings(silence=(*CONTENT_LOGGERS, "index.adapter"))
    from index.adapter import library_model
    from index.content import load_library
    from index.embedder import Embedder
    from index.errors import IndexCorruptError
    from index.ingest.catalog import file_errors
    from index.passages import split_articles
    from index.store import IndexStore

    store = IndexStore(settings.index_dir)
    report = load_library(content_folder(settings))
    model = library_model(
        settings.embedding_model, settings.content_dir, settings.index_dir, make=False
    )
    passages = split_articles(report.articles)
    try:
        manifest = store.read_manifest()
        stale = store.stale_reason(passages, Embedder(model))
        if manifest is not None:
            store.load()
    except IndexCorruptError as exc:
        manifest, stale = None, str(exc)
    typer.echo(f"content:   {settings.content_dir} ({len(report.articles)} articles)")
    for problem in file_errors(settings.content_dir, report):  # search runs without them
        typer.secho(f"  problem: {problem}", fg=typer.colors.YELLOW)
    typer.echo(f"index:     {settings.index_dir}")
    if manifest:
        for key in ("model", "dimensions", "articles", "passages", "sentences", "built_at"):
            typer.echo(f"  {key + ':':<12}{manifest.get(key)}")
    typer.echo("state:     " + ("up to date" if stale is None else f"needs rebuild ({stale})"))
    typer.echo("encoder:   " + encoder_state(settings, model))
    for line in adapter_lines(settings, report.articles):
        typer.echo(line)


def encoder_state(settings: Settings, model: str) -> str:
    """Which runtime will run the model, and whether its ONNX export is ready."""
    from index.encoders import EmbeddingBackend
    from index.onnx_encoder import check_onnx, onnx_paths, read_recipe

    if settings.embedding_backend is EmbeddingBackend.TORCH:
        return "torch (EMBEDDING_BACKEND=torch)"
    if model != settings.embedding_model and not Path(model).exists():
        return "onnx, exported at the next build or start (the adapted model is not made yet)"
    recipe = read_recipe(model)
    if isinstance(recipe, str):
        return f"torch (ONNX Runtime cannot run the model: {recipe})"
    folder = settings.index_dir if model == settings.embedding_model else Path(model)
    problem = check_onnx(folder, recipe)
    if problem is None:
        return f"onnx, ready ({onnx_paths(folder, recipe)[0].name})"
    return f"onnx, exported at the next build or start ({problem})"
