"""Front-matter slips a curator makes that YAML does not report with a line: a date that
does not exist (`review_by: 2027-13-45`, which YAML turns into a bare "month must be in
1..12") and a text field written as a list or key: value pairs (`author: [Ann, Bo]`, which
came out as "['Ann', 'Bo']" in every citation). Shared by the library loader and
`content add`, so both name the field and its line the same way."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

# the fields an article keeps as text
TEXT_FIELDS = ("title", "author", "published", "source", "owner", "review_by", "added")

# a `key: value` line whose unquoted value YAML reads as a date (YYYY-MM-DD, maybe a time)
_DATE_LINE = re.compile(r"^\s*([\w-]+)\s*:\s*(\d{4})-(\d\d?)-(\d\d?)(?=$|[\sTt])")


@dataclass(frozen=True)
class FieldSlip:
    """A field the article cannot keep: its key, its file line and what is wrong."""

    key: str
    line: int
    what: str  # e.g. "must be text, not a list"


def line_of(text: str, key: str) -> int:
    """The file line of `key:` (1 when not found)."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith(f"{key}:"):
            return number
    return 1


def not_text(meta: dict[str, object], text: str) -> FieldSlip | None:
    """The first text field given as a list, key: value pairs or true/false."""
    kinds = {list: "a list", dict: "key: value pairs", bool: "true/false"}
    for key in TEXT_FIELDS:
        kind = kinds.get(type(meta.get(key)))
        if kind:
            return FieldSlip(key, line_of(text, key), f"must be text, not {kind}")
    return None


def impossible_date(text: str) -> FieldSlip | None:
    """The first front-matter field whose value reads as a date no calendar has; None when
    there is none (the YAML reader's error is then about something else)."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return None
    for number, line in enumerate(lines[1:], start=2):
        if line.strip() == "---":
            break
        found = _DATE_LINE.match(line)
        if not found:
            continue
        key, year, month, day = found.groups()
        try:
            date(int(year), int(month), int(day))
        except ValueError as exc:
            value = f"{year}-{month}-{day}"
            return FieldSlip(key, number, f"is not a date: {value} ({exc}; write YYYY-MM-DD)")
    return None
