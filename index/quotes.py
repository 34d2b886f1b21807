"""Attributed quotes for the daily post, from content/quotes.yaml (an admin may add more).

A quote marked `retired: true` is skipped. The rotation keys quotes by author and text and
orders each cycle by a hash of that key, so dropping one never reshuffles the others.

The file is read as YAML nodes (`index/yaml_file.py`, as the vocabulary and the out-of-scope
map are): every field is the text the curator wrote, so no value (a date no calendar has, a
tag) can fail to convert, and every failure is one ContentError naming the file and line.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from index.errors import ContentError
from index.types import Article, Quote
from index.yaml_file import compose_file

QUOTES_FILE = "quotes.yaml"
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"


def load_quotes(content_dir: Path, articles: list[Article]) -> list[Quote]:
    """Quotes with their attribution; raises ContentError naming the file and line."""
    path = Path(content_dir) / QUOTES_FILE
    if not path.exists():
        return []
    root = compose_file(path)
    if root is None:
        return []
    if not isinstance(root, yaml.SequenceNode):
        raise ContentError(
            path, "expected a list of quotes (lines starting with '- text:')", _line(root)
        )
    titles = {a.meta.id: a.meta.title for a in articles}
    quotes: list[Quote] = []
    seen: set[str] = set()
    for node in root.value:
        line = _line(node)
        if not isinstance(node, yaml.MappingNode):
            raise ContentError(path, "each quote needs `text:` and `author:`", line)
        fields = {k.value: (k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)}
        if _is_true(fields.get("retired")):
            continue  # retired by `coach quote retire`: never chosen again
        for key in ("text", "author", "article"):  # `author: [A, B]` was posted as "['A', 'B']"
            kind = _not_text(fields[key][1]) if key in fields else None
            if kind:
                raise ContentError(
                    path, f"quote {key} must be text, not {kind}", _line(fields[key][0])
                )
        text, author, article_id = (_text(fields.get(key)) for key in ("text", "author", "article"))
        if not text:
            raise ContentError(path, "quote has no text", line)
        if not author:
            raise ContentError(path, "quote has no author (every quote is attributed)", line)
        if article_id and article_id not in titles and _unreadable(path, article_id):
            article_id = ""  # its own problem is reported; the quote stays, unlinked till fixed
        if article_id and article_id not in titles:
            raise ContentError(
                path,
                f"article {article_id!r} is not in content/ (use its file name without .md)",
                line,
            )
        quote = Quote(
            text=text,
            author=author,
            article_id=article_id or None,
            article_title=titles.get(article_id) if article_id else None,
        )
        if quote.key in seen:
            continue
        seen.add(quote.key)
        quotes.append(quote)
    return quotes


def _unreadable(path: Path, article_id: str) -> bool:
    """The article is in content/ but did not load (a typo in its front matter): every quote
    was lost with it, the daily post had none, and quotes.yaml was said not to name it."""
    return (path.parent / f"{article_id}.md").is_file()


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _not_text(node: yaml.Node) -> str | None:
    """What a field holds instead of text, or None when it is text."""
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if isinstance(node, yaml.MappingNode):
        return "key: value pairs"
    return "true/false" if node.tag == _BOOL else None


def _text(field: tuple[yaml.Node, yaml.Node] | None) -> str:
    """A scalar field as written ('' when absent or null)."""
    if field is None or field[1].tag == _NULL:
        return ""
    return str(field[1].value).strip()


def _is_true(field: tuple[yaml.Node, yaml.Node] | None) -> bool:
    """`retired: true` (or YAML's other spellings of true)."""
    if field is None or field[1].tag != _BOOL:
        return False
    return yaml.SafeLoader.bool_values.get(str(field[1].value).lower()) is True
