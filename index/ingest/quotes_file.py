"""Edit content/quotes.yaml in place, keeping the admin's comments and layout (ruamel.yaml
round trip). Quotes are numbered by their place in the file, retired ones included, so a
number never moves when another quote is retired."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import ScalarNode

from index.errors import ContentError
from index.ingest.errors import QuoteEditError
from index.ingest.writer import write_atomic
from index.quotes import QUOTES_FILE
from index.yaml_file import compose_file

HEADER = (
    "# Quotes for the daily post. Each needs `text` and `author`; `article` (optional) is the\n"
    "# file name of the article it appears in (without .md). `retired: true` keeps a quote\n"
    "# out of the rotation. Edit with `coach quote add|list|retire`.\n"
)


@dataclass(frozen=True)
class QuoteEntry:
    number: int  # 1-based place in the file
    text: str
    author: str
    article: str | None
    retired: bool


class _Constructor(RoundTripConstructor):
    """A value in YAML's date form that no calendar has (`author: 2024-13-45`) kept as the
    text written, as the daily post reads it (`index/quotes.py`), not a ValueError."""

    def construct_yaml_timestamp(self, node: ScalarNode, values: Any = None) -> Any:
        try:
            return super().construct_yaml_timestamp(node, values)
        except ValueError:
            return self.construct_scalar(node)


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _Constructor.construct_yaml_timestamp)


def _yaml() -> YAML:
    yaml = YAML()  # round trip: comments, order and quoting style survive
    yaml.Constructor = _Constructor
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=2, offset=0)
    yaml.preserve_quotes = True
    return yaml


def _load(path: Path) -> CommentedSeq:
    if not path.exists():
        return CommentedSeq()
    try:  # not UTF-8, not YAML: the same line `coach index status` shows
        compose_file(path)
    except ContentError as exc:
        raise QuoteEditError(f"{path}:{exc.line}" if exc.line else str(path), exc.reason) from None
    try:
        data = _yaml().load(path.read_text(encoding="utf-8"))
    except YAMLError as exc:  # where, as `coach content check` says it
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise QuoteEditError(where, f"not valid YAML ({problem})") from None
    except (UnicodeDecodeError, OSError) as exc:
        raise QuoteEditError(str(path), f"cannot be read ({str(exc).splitlines()[0]})") from None
    if data is None:
        return CommentedSeq()
    if not isinstance(data, CommentedSeq):
        raise QuoteEditError(str(path), "expected a list of quotes (lines starting '- text:')")
    return data


def _save(path: Path, data: CommentedSeq, *, new_file: bool) -> None:
    buffer = io.StringIO()
    _yaml().dump(data, buffer)
    write_atomic(path, (HEADER if new_file else "") + buffer.getvalue())


def _entry(number: int, item: Any) -> QuoteEntry:
    if not isinstance(item, dict):
        return QuoteEntry(number, "", "", None, False)
    article = item.get("article")
    return QuoteEntry(
        number,
        str(item.get("text") or "").strip(),
        str(item.get("author") or "").strip(),
        str(article).strip() if article else None,
        item.get("retired") is True,
    )


def list_quotes(content_dir: Path) -> list[QuoteEntry]:
    return [_entry(i, item) for i, item in enumerate(_load(content_dir / QUOTES_FILE), 1)]


def add_quote(content_dir: Path, text: str, author: str, article: str | None = None) -> QuoteEntry:
    """Append a quote; refuses an empty text or author, an unknown article, a repeat."""
    path = content_dir / QUOTES_FILE
    text, author = text.strip(), author.strip()
    if not text or not author:
        raise QuoteEditError(str(path), "a quote needs its text and --author")
    if article and not (content_dir / f"{article}.md").is_file():
        raise QuoteEditError(
            str(path), f"article {article!r} is not in {content_dir} (see `coach content list`)"
        )
    data = _load(path)
    for entry in (_entry(i, item) for i, item in enumerate(data, 1)):
        if entry.text == text and entry.author == author:
            raise QuoteEditError(str(path), f"quote {entry.number} already says this")
    item = CommentedMap(text=text, author=author)
    if article:
        item["article"] = article
    new_file = not path.exists()
    data.append(item)
    _save(path, data, new_file=new_file)
    return _entry(len(data), item)


def retire_quote(content_dir: Path, number: int) -> QuoteEntry:
    """Mark quote `number` retired: the daily rotation never picks it again."""
    path = content_dir / QUOTES_FILE
    data = _load(path)
    if not 1 <= number <= len(data) or not isinstance(data[number - 1], dict):
        raise QuoteEditError(str(path), f"no quote {number} (see `coach quote list`)")
    data[number - 1]["retired"] = True
    _save(path, data, new_file=False)
    return _entry(number, data[number - 1])


def unlink_article(content_dir: Path, article_id: str) -> int:
    """Drop `article: <id>` from quotes citing a removed article (the quote stays); how many."""
    path = content_dir / QUOTES_FILE
    if not path.exists():
        return 0
    data = _load(path)
    changed = 0
    for item in data:
        if isinstance(item, dict) and str(item.get("article") or "").strip() == article_id:
            del item["article"]
            changed += 1
    if changed:
        _save(path, data, new_file=False)
    return changed
