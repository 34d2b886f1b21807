"""Fixtures for the `coach` command line tests.

`coach ask --json`, the console and a few fast paths run as a user runs them, in a fresh
process (`run_coach`, tests/library_fixtures.py); each such process loads the model
(seconds), so their checks are batched. The rest run the same Typer app in this process
with the session's already loaded model (`coach_in_process`).
"""

from __future__ import annotations

import pytest
from click.testing import Result
from typer.testing import CliRunner

from bot.cli import app
from index.embedder import Embedder
from tests.cli.coach_cli import CoachInProcess


@pytest.fixture
def coach_in_process(
    monkeypatch: pytest.MonkeyPatch, lib_embedder: Embedder, coach_env: dict[str, str]
) -> CoachInProcess:
    """Run `coach ARGS...` in this process, reusing the session's loaded model."""
    monkeypatch.setattr(Embedder, "_load", lambda self: lib_embedder.encoder)

    def run(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> Result:
        return CliRunner().invoke(app, list(args), input=stdin, env={**coach_env, **(env or {})})

    return run
