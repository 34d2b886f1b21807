"""Fixtures for the `coach` command line tests.

`coach ask --json`, the console and a few fast paths run as a user runs them, in a fresh
process (`run_coach`, tests/library_fixtures.py); each such process loads the model
(seconds), so their checks are batched. The rest run the same Typer app in this process
with the session's already loaded model (`coach_in_process`).
"""

from __future__ import annotations

import os
import sys
from unittest import mock

import pytest
from click.testing import Result
from rich.console import Console
from typer.testing import CliRunner

from bot.cli import app
from index.embedder import Embedder
from tests.cli.coach_cli import CoachInProcess


def _fresh_consoles(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    """A module-level rich Console (bot/cli/evaluate.py's) reads the terminal's size from
    COLUMNS when it is made, at import: in a fresh `coach` process, from that run's
    environment. In this process it was made at collection, from pytest's (where
    pytest-xdist's workers set COLUMNS=80): made again here from the run's environment."""
    with mock.patch.dict(os.environ, env, clear=True):
        for name, module in list(sys.modules.items()):
            if name.startswith("bot.cli.") and isinstance(
                getattr(module, "console", None), Console
            ):
                monkeypatch.setattr(module, "console", Console())


@pytest.fixture
def coach_in_process(
    monkeypatch: pytest.MonkeyPatch, lib_embedder: Embedder, coach_env: dict[str, str]
) -> CoachInProcess:
    """Run `coach ARGS...` in this process, reusing the session's loaded model."""
    monkeypatch.setattr(Embedder, "_load", lambda self: lib_embedder.encoder)

    def run(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> Result:
        environment = {**coach_env, **(env or {})}
        _fresh_consoles(monkeypatch, environment)
        return CliRunner().invoke(app, list(args), input=stdin, env=environment)

    return run
