"""A converted source before it is written: Markdown body plus what it says about itself."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$")
_WORD = re.compile(r"\w+")

# more is a book or a dump, not an article: every passage of it would be embedded and searched
# (the longest shipped article has about 1,200 words; a 32 MB file made ~50,000 passages)
MAX_WORDS = 50_000


def before_tomorrow(moment: datetime) -> bool:
    """Whether a file's creation time (naive, UTC) can be the day it was published: a wrong
    clock writes dates in the future."""
    return moment < datetime.now(UTC).replace(tzinfo=None) + timedelta(days=1)


def count_words(text: str) -> int:
    """Words as the article limits count them."""
    return sum(1 for _ in _WORD.finditer(text))


@dataclass(frozen=True)
class Document:
    markdown: str  # the article's own words, headings as '#' lines
    title: str | None = None
    author: str | None = None
    published: str | None = None  # ISO date when known
    source: str | None = None  # the URL it came from
    tags: tuple[str, ...] = field(default_factory=tuple)
    owner: str | None = None
    review_by: str | None = None
    # front matter `questions:` by section heading (None: the text before the first one)
    questions: tuple[tuple[str | None, tuple[str, ...]], ...] = ()


def first_heading(markdown: str) -> str | None:
    for line in markdown.splitlines():
        match = _HEADING.match(line.strip())
        if match:
            return match.group(1).strip()
    return None


def first_line(markdown: str, limit: int = 90) -> str | None:
    """The first line as a title: whole when short, else its first sentence when that
    fits (a text file with no title line was titled "Deal desks should approve in hours.
    Deal…"), else cut between words."""
    for line in markdown.splitlines():
        plain = line.strip().lstrip("#>*-_ ").strip()
        if plain:
            if len(plain) <= limit:
                return plain
            sentence = _FIRST_SENTENCE.match(plain[: limit + 1])
            if sentence:
                return sentence.group(1)
            return plain[:limit].rsplit(" ", 1)[0] + "…"
    return None


# a sentence of 20 characters or more, up to its full stop (or ! ?) and a space
_FIRST_SENTENCE = re.compile(r"(.{20,}?)[.!?]\s")


def drop_title_heading(markdown: str, title: str) -> str:
    """The body without a leading heading, or a first line standing alone (a text file's
    title line), that only repeats the title: the title is said once, in the front matter."""
    lines = markdown.strip().splitlines()
    if lines:
        first = lines[0].strip()
        match = _HEADING.match(first)
        alone = len(lines) == 1 or not lines[1].strip()
        if _norm(match.group(1) if match else first) == _norm(title) and (match or alone):
            return "\n".join(lines[1:]).strip()
    return markdown.strip()


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text).strip().lower()


def clean_text(value: object) -> str | None:
    if value is None:
        return None
    text = re.sub(r"\s+", " ", str(value)).strip()
    return text or None
