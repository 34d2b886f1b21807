"""A Word file's title, author and date from its core properties, when its author set them.

python-docx builds every new document from its own template, whose core properties name
"python-docx" as the author and 2013-12-23 as the day it was created: a document made with
it keeps both unless its maker sets others, and every such article was dated 2013 and
cited as written by "python-docx". A file without core properties at all is given
python-docx's defaults when they are read (the title "Word Document"). None of these is
the article's; nor is a creation date in the future (a wrong clock).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

import docx
from docx.opc.constants import RELATIONSHIP_TYPE

from index.ingest.document import before_tomorrow, clean_text


@dataclass(frozen=True)
class WordProperties:
    title: str | None = None
    author: str | None = None
    published: str | None = None  # ISO date


@cache
def _template() -> tuple[str | None, datetime | None]:
    """The author and creation time python-docx's own template carries (read from it, so
    a python-docx release with another template is recognised too)."""
    blank = docx.Document().core_properties
    return clean_text(blank.author), blank.created


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def word_properties(document: Any) -> WordProperties:
    """What `document` (a python-docx Document) says of itself that its author said."""
    rels = document.part.package.rels.values()
    if not any(rel.reltype == RELATIONSHIP_TYPE.CORE_PROPERTIES for rel in rels):
        return WordProperties()  # reading them would make up python-docx's defaults
    props = document.core_properties
    template_author, template_created = _template()
    author = clean_text(props.author)
    created = props.created
    published = None
    if isinstance(created, datetime):
        when = _naive(created)
        from_template = template_created is not None and when == _naive(template_created)
        if not from_template and before_tomorrow(when):
            published = when.date().isoformat()
    return WordProperties(
        title=clean_text(props.title),
        author=None if author == template_author else author,
        published=published,
    )
