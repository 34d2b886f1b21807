"""The curator's YAML files (the vocabulary, the out-of-scope map, the quotes) read as node
trees: each scalar stays the text the curator wrote, and any failure is one ContentError
naming the file and line."""

from __future__ import annotations

from pathlib import Path

import yaml

from index.errors import ContentError


def compose_file(path: Path) -> yaml.Node | None:
    """The file's YAML nodes (None for an empty file)."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ContentError(path, "not UTF-8 text (save the file as UTF-8)", line) from None
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.reader.ReaderError as exc:  # a control character such as NUL
        line = text[: exc.position].count("\n") + 1
        found = f"character #x{exc.character:04x}" if isinstance(exc.character, int) else "byte"
        raise ContentError(path, f"not valid YAML ({found}: {exc.reason})", line) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise ContentError(path, f"not valid YAML ({getattr(exc, 'problem', exc)})", line) from None
    except RecursionError:  # thousands of nested brackets
        raise ContentError(path, "not valid YAML (nested too deeply)") from None
