"""README's table of `coach` commands and the commands' own --help agree: every option a
command takes is in its README row, and every option a row shows exists."""

from __future__ import annotations

import re
from typing import Any

import typer.main

from bot.cli import app
from tests.library_fixtures import REPO_ROOT


def readme_rows() -> dict[tuple[str, ...], str]:
    """Command path -> the usage README's table shows for it (rows of one command joined)."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The `coach` command", 1)[1].split("\n## ", 1)[0]
    rows: dict[tuple[str, ...], str] = {}
    for line in section.splitlines():
        if not line.startswith("| `coach "):
            continue
        usages = line.split("|")[1].strip().split("` / `")
        path: tuple[str, ...] = ()
        for usage in usages:
            words = usage.strip("` ").split()
            if words[0] == "coach":
                words = words[1:]
            else:  # "`coach quote schedule list` / `remove CHANNEL`": a sibling command
                words = [*path[:-1], *words]
            path = tuple(w for w in _leading_names(words))
            rows[path] = rows.get(path, "") + " " + " ".join(words[len(path) :])
    return rows


def _leading_names(words: list[str]) -> list[str]:
    names = []
    for word in words:
        if not re.fullmatch(r"[a-z]+", word):
            break
        names.append(word)
    return names


def command_options(path: tuple[str, ...]) -> list[list[str]]:
    """Each option of `coach PATH...` as its spellings, e.g. [["--top", "-k"], ["--json"]]."""
    command: Any = typer.main.get_command(app)  # typer's own click: duck-typed
    for name in path:
        command = command.commands[name]
    return [
        [*p.opts, *p.secondary_opts]
        for p in command.params
        if p.param_type_name == "option" and "--help" not in p.opts
    ]


def test_readme_shows_every_option_of_every_command_and_no_other() -> None:
    rows = readme_rows()
    assert ("ask",) in rows and ("quote", "schedule", "remove") in rows, rows
    for path, usage in rows.items():
        shown = set(re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", usage))
        options = command_options(path)
        for spellings in options:
            assert shown & set(spellings), f"coach {' '.join(path)}: README omits {spellings}"
        known = {s for spellings in options for s in spellings}
        assert shown <= known, f"coach {' '.join(path)}: README shows {shown - known}"
