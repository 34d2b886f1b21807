"""README's table of `coach` commands and the commands' own --help agree: every option a
command takes is in its README row, and every option a row shows exists. And --help reads
as a person types: a flag shows no value after it (`--json <bool>` read as `--json true`,
which asked the question "true"), an option that takes one names it (`--owner NAME`)."""

from __future__ import annotations

import re
from typing import Any

import typer.main
from typer.testing import CliRunner

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


def command_paths(command: Any = None, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and group of `coach`, the root included."""
    command = command or typer.main.get_command(app)
    found = [path]
    for name, sub in getattr(command, "commands", {}).items():
        found += command_paths(sub, (*path, name))
    return found


def rendered_help(path: tuple[str, ...]) -> str:
    result = CliRunner().invoke(app, [*path, "--help"], prog_name="coach", env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    return result.output


def options_section(text: str) -> str:
    """The Options part of a --help page (Arguments and Commands left out)."""
    tail = re.split(r"^\W*Options\W*$", text, maxsplit=1, flags=re.MULTILINE)[1]
    return re.split(r"^\W*Commands\W*$", tail, maxsplit=1, flags=re.MULTILINE)[0]


TYPE_PLACEHOLDER = re.compile(r"<[a-z][a-z\[\] ]*>")  # <bool>, <str>, <int range>, <file>


def test_no_option_of_any_command_shows_a_type_placeholder() -> None:
    paths = command_paths()
    assert ("content", "add") in paths and ("quote", "schedule", "add") in paths
    for path in paths:
        options = options_section(rendered_help(path))
        assert "--help" in options
        assert not TYPE_PLACEHOLDER.search(options), f"coach {' '.join(path)}:\n{options}"


def option_line(text: str, option: str) -> str:
    [line] = [x for x in text.splitlines() if re.search(rf"(^|[\s,]){option}\b", x)]
    return line


def test_a_flag_shows_no_value_and_an_option_names_the_value_it_takes() -> None:
    ask = rendered_help(("ask",))
    assert option_line(ask, "--json").split("--json", 1)[1].split()[:3] == ["One", "JSON", "object"]
    assert "N" in option_line(ask, "--top").split()
    add = rendered_help(("content", "add"))
    assert "NAME" in option_line(add, "--owner").split()
    assert "YYYY-MM-DD" in option_line(add, "--review-by").split()
    assert "TAGS" in option_line(add, "--tags").split()
    assert option_line(add, "--help").split("--help", 1)[1].split()[:2] == ["Show", "this"]
