"""Attributed quotes for the daily post, from content/quotes.yaml (an admin may add more).

A quote marked `retired: true` is skipped. The rotation keys quotes by author and text and
orders each cycle by a hash of that key, so dropping one never reshuffles the others.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from index.errors import ContentError
from index.types import Article, Quote

QUOTES_FILE = "quotes.yaml"


def load_quotes(content_dir: Path, articles: list[Article]) -> list[Quote]:
    """Quotes with their attribution; raises ContentError naming the file and line."""
    path = Path(content_dir) / QUOTES_FILE
    if not path.exists():
        return []
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ContentError(path, "not UTF-8 text", raw[: exc.start].count(b"\n") + 1) from None
    try:
        nodes = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ContentError(
            path,
            f"not valid YAML ({getattr(exc, 'problem', exc)})",
            mark.line + 1 if mark else None,
        ) from None
    if data is None:
        return []
    if not isinstance(data, list):
        raise ContentError(path, "expected a list of quotes (lines starting with '- text:')", 1)
    titles = {a.meta.id: a.meta.title for a in articles}
    quotes: list[Quote] = []
    seen: set[str] = set()
    for i, item in enumerate(data):
        line = nodes.value[i].start_mark.line + 1 if nodes is not None else None
        if not isinstance(item, dict):
            raise ContentError(path, "each quote needs `text:` and `author:`", line)
        if item.get("retired") is True:
            continue  # retired by `coach quote retire`: never chosen again
        for key in ("text", "author", "article"):  # `author: [A, B]` was posted as "['A', 'B']"
            if isinstance(item.get(key), list | dict | bool):
                kind = {list: "a list", dict: "key: value pairs", bool: "true/false"}
                raise ContentError(
                    path,
                    f"quote {key} must be text, not {kind[type(item[key])]}",
                    _field_line(nodes.value[i], key, line) if nodes is not None else line,
                )
        text = str(item.get("text") or "").strip()
        author = str(item.get("author") or "").strip()
        if not text:
            raise ContentError(path, "quote has no text", line)
        if not author:
            raise ContentError(path, "quote has no author (every quote is attributed)", line)
        article_id = str(item["article"]).strip() if item.get("article") else None
        if article_id and article_id not in titles:
            raise ContentError(
                path,
                f"article {article_id!r} is not in content/ (use its file name without .md)",
                line,
            )
        quote = Quote(
            text=text,
            author=author,
            article_id=article_id,
            article_title=titles.get(article_id) if article_id else None,
        )
        if quote.key in seen:
            continue
        seen.add(quote.key)
        quotes.append(quote)
    return quotes


def _field_line(node: yaml.Node, key: str, default: int | None) -> int | None:
    """The file line of `key:` within one quote's mapping node."""
    for key_node, _ in getattr(node, "value", []):
        if getattr(key_node, "value", None) == key:
            return int(key_node.start_mark.line) + 1
    return default
