"""What every command needs: settings, logging, the library, the database, one error line,
and a typer app whose --help shows a flag as a flag."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from typer.core import TyperCommand, TyperGroup

from index.errors import CoachError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from bot.settings import Settings
    from index.library import Library


def readable(text: str) -> str:
    """An argument as text: bytes the shell passed that are not UTF-8 (which Python keeps as
    lone surrogates, which the tokenizer and stdout refuse) become U+FFFD."""
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate not made by surrogateescape
        raw = text.encode("utf-8", "replace")
    return raw.decode("utf-8", "replace")


def fail(message: str, code: int = 1) -> NoReturn:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def require_channel_id(channel: str) -> None:
    """One error line for a channel given by its name ("#general") where its ID is wanted."""
    from bot.settings import CHANNEL_ID

    if not CHANNEL_ID.fullmatch(channel):
        fail(f"{channel!r} is not a channel ID: copy it from the channel's details (C0123ABCD)")


# Curating commands report every malformed file themselves, once: the loaders' own log of
# the same problem would say it twice.
CURATION_LOGGERS = ("index.content", "trafilatura", "htmldate", "urllib3", "pypdf")
# The loaders' loggers, which say nothing but "this content file is malformed": a command
# that opens the library prints each problem once itself (open_library).
CONTENT_LOGGERS = ("index.content", "index.library")
# libraries' chatter kept off a person's terminal below WARNING (alembic's: the plugins it
# sets up on import, which read like migrations running)
NOISY_LOGGERS = (
    "sentence_transformers",
    "transformers",
    "httpx",
    "urllib3",
    "bm25s",
    "faiss",
    "alembic.runtime.plugins",
)


def load_settings(*, quiet: bool = True, silence: tuple[str, ...] = ()) -> Settings:
    """Settings from the environment; `quiet` keeps INFO chatter off a person's terminal
    unless LOG_LEVEL asks for it; loggers in `silence` say nothing at all."""
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
    from bot.log_safety import install_log_filters

    install_log_filters()
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    for name in silence:
        logging.getLogger(name).setLevel(logging.CRITICAL)
    return settings


def content_folder(settings: Settings) -> Path:
    """CONTENT_DIR for a command that reads or edits it, or one error line when it is no
    folder: `content add` and `quote add` created the mistyped folder and wrote there, where
    the coach never reads; `content list` ended in a traceback, `quote list` printed nothing."""
    from index.errors import NoContentFolderError

    if not settings.content_dir.is_dir():
        fail(str(NoContentFolderError(settings.content_dir)))
    return settings.content_dir


def open_library(settings: Settings, *, progress: bool = False, rebuild: bool = False) -> Library:
    """The library, each malformed content file said once on stderr as a warning (the
    loaders' own log line of it is silenced), or one error line."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from index.content import load_library
    from index.errors import EmptyLibraryError
    from index.library import Library

    for name in CONTENT_LOGGERS:
        logging.getLogger(name).setLevel(logging.CRITICAL)
    try:
        library = Library.open(
            settings.content_dir,
            settings.index_dir,
            settings.embedding_model,
            progress=progress,
            rebuild=rebuild,
            backend=settings.embedding_backend,
        )
    except EmptyLibraryError as exc:  # every file malformed: say why, each once
        if settings.content_dir.is_dir():
            _skipped(load_library(settings.content_dir).errors)
        fail(str(exc))
    except CoachError as exc:
        fail(str(exc))
    _skipped(library.problems)
    return library


def _skipped(problems: Sequence[CoachError]) -> None:
    for problem in problems:
        typer.secho(f"warning: {problem} (skipped)", fg=typer.colors.YELLOW, err=True)


def open_engine(settings: Settings) -> Engine:
    """The database, or one error line naming DATABASE_URL."""
    from bot.store.engine import make_engine

    try:
        return make_engine(settings.db_url)
    except CoachError as exc:  # already names DATABASE_URL, password hidden
        fail(str(exc).splitlines()[0])
    except Exception as exc:  # noqa: BLE001 - any database failure is the same admin error
        fail(f"DATABASE_URL={shown_url(settings)} cannot be opened: {str(exc).splitlines()[0]}")


def shown_url(settings: Settings) -> str:
    """DATABASE_URL as an error line may show it: password hidden; a value that is not a URL
    ends the command with what is expected (it cannot be shown safely, nor used)."""
    from bot.store.migrate import safe_url

    try:
        return safe_url(settings.db_url)
    except Exception:  # noqa: BLE001 - not a URL, so no password can be hidden in it
        fail(
            "DATABASE_URL is not a database URL: expected sqlite:///PATH or "
            "postgresql://USER:PASS@HOST:PORT/DB"
        )


def _bare_flags(params: list[Any]) -> list[Any]:
    """A flag takes no value, so --help shows none after it: typer's Rich help writes its
    type there (`--json <bool>`, even `--help <bool>`), read as a value to give (`coach ask
    --json true` asked the question "true"). An empty metavar is typer's way to show none."""
    for param in params:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
    return params


class _Command(TyperCommand):
    def get_params(self, ctx: Any) -> list[Any]:
        return _bare_flags(super().get_params(ctx))


class _Group(TyperGroup):
    def get_params(self, ctx: Any) -> list[Any]:
        return _bare_flags(super().get_params(ctx))


class CoachTyper(typer.Typer):
    """typer.Typer whose groups and commands (unless given another `cls`) show flags bare
    in --help; an option taking a value names it with its own metavar (`--owner NAME`)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cls=_Group, **kwargs)

    def command(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("cls", _Command)
        return super().command(*args, **kwargs)
