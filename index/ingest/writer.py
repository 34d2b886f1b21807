"""Write an article: a slug for its file name, YAML front matter, an atomic file write."""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

MAX_SLUG = 60


def slugify(title: str) -> str:
    """A file name from a title: ASCII, lower case, words joined by '-'.

    Hand-written (five lines) rather than a dependency: the id must stay stable across
    versions, since quotes and the index refer to it.
    """
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > MAX_SLUG:
        slug = slug[:MAX_SLUG].rsplit("-", 1)[0]
    return slug or "article"


@dataclass(frozen=True)
class ArticleFile:
    """What `content add` writes: the front matter fields, in this order, then the body."""

    title: str
    body: str
    author: str | None = None
    published: str | None = None
    source: str | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)
    owner: str | None = None
    review_by: date | None = None
    added: date | None = None

    def render(self) -> str:
        meta = {
            "title": self.title,
            "author": self.author,
            "published": _as_date(self.published),
            "source": self.source,
            "tags": list(self.tags),
            "owner": self.owner,
            "review_by": self.review_by,
            "added": self.added,
        }
        # default_flow_style=None: a list of tags reads `tags: [a, b]`, as in hand-written files
        head = yaml.safe_dump(
            meta, sort_keys=False, allow_unicode=True, width=1000, default_flow_style=None
        )
        head = head.replace(": null\n", ":\n")
        return f"---\n{head}---\n\n{self.body.strip()}\n"


def _as_date(value: str | None) -> date | str | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return value


def free_path(content_dir: Path, slug: str, taken: set[str] | None = None) -> Path:
    """content_dir/<slug>.md, or <slug>-2.md and so on when that name is used."""
    taken = taken or set()
    candidate, n = slug, 1
    while (content_dir / f"{candidate}.md").exists() or candidate in taken:
        n += 1
        candidate = f"{slug}-{n}"
    return content_dir / f"{candidate}.md"


def write_atomic(path: Path, text: str) -> None:
    """Write beside the target then rename: a running server never reads half an article."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
