"""Write an article: a slug for its file name, YAML front matter, an atomic file write."""

from __future__ import annotations

import os
import re
import stat
import tempfile
import unicodedata
from datetime import date
from pathlib import Path

import yaml

from index.types import Article

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


def render(article: Article) -> str:
    """The file `content add` writes: front matter (these fields, in this order; no id, which
    is the file name), then the body."""
    meta = article.meta
    fields = {
        "title": meta.title,
        "author": meta.author,
        "published": _as_date(meta.published),
        "source": meta.source,
        "tags": list(meta.tags),
        "owner": meta.owner,
        "review_by": _as_date(meta.review_by),
        "added": _as_date(meta.added),
    }
    # default_flow_style=None: a list of tags reads `tags: [a, b]`, as in hand-written files
    head = yaml.safe_dump(
        fields, sort_keys=False, allow_unicode=True, width=1000, default_flow_style=None
    )
    head = head.replace(": null\n", ":\n")
    if article.questions:  # block style, one question a line, as hand-written files have
        asked = {heading or meta.title: list(qs) for heading, qs in article.questions}
        head += yaml.safe_dump(
            {"questions": asked}, sort_keys=False, allow_unicode=True, width=1000
        )
    return f"---\n{head}---\n\n{article.body.strip()}\n"


def _as_date(value: str | None) -> date | str | None:
    """An ISO date as a date, so YAML writes it unquoted (2027-01-31), as people do."""
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
    """Write beside the target then rename: a running server never reads half an article.

    The file gets the mode a plain write would give it (an existing file's own, else what
    the umask allows), not mkstemp's owner-only 0600: a `coach serve` running as another
    user must still read the article, or quotes.yaml after `coach quote add`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _mode_for(path: Path) -> int:
    """The permission bits `open(path, "w")` would leave: kept if it exists, else 0666
    less the umask (read by setting it and putting it back: there is no getter)."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask
