"""PDF to Markdown with pypdf: lines from text positions, headings from font size, and the
running headers, footers and page numbers removed.

pypdf gives each text fragment with its position and font size (its `visitor_text`), which
is all this needs: lines repeated at the top or bottom of several pages are running heads,
bare numbers there are page numbers, larger type is a heading, a wider gap is a new
paragraph. Pure Python, no system packages.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError, PdfReadError, PyPdfError

from index.ingest.document import (
    MAX_WORDS,
    Document,
    before_tomorrow,
    clean_text,
    count_words,
)
from index.ingest.errors import TooLongError, UnreadableSourceError

EDGE_LINES = 2  # lines at each end of a page that may be a running head or foot
_PAGE_NUMBER = re.compile(
    r"^(page\s*)?[-–—(\[]?\s*\d{1,4}\s*[-–—)\]]?(\s*(/|of)\s*\d{1,4})?$", re.IGNORECASE
)


@dataclass
class Line:
    y: float
    size: float
    text: str


def _page_lines(page: Any) -> list[Line]:
    fragments: list[tuple[float, float, float, str]] = []

    def visit(text: str, cm: list[float], tm: list[float], _font: Any, size: float) -> None:
        if not text.strip():
            return
        scale = abs(tm[3] * cm[3]) or abs(tm[0] * cm[0]) or 1.0
        y = tm[5] * cm[3] + cm[5]
        x = tm[4] * cm[0] + cm[4]
        for part in text.split("\n"):
            if part.strip():
                fragments.append((y, x, size * scale, part))

    page.extract_text(visitor_text=visit)
    lines: list[Line] = []
    for y, _x, size, text in sorted(fragments, key=lambda f: (-round(f[0], 0), f[1])):
        if lines and abs(lines[-1].y - y) < max(size, lines[-1].size) * 0.5:
            lines[-1].text = f"{lines[-1].text} {text.strip()}".strip()
            lines[-1].size = max(lines[-1].size, size)
        else:
            lines.append(Line(y, size, text.strip()))
    for line in lines:
        line.text = re.sub(r"\s+", " ", line.text)
    return lines


def _shape(text: str) -> str:
    """A running head with its page number blanked: 'Page 3 of 9' ~ 'Page 4 of 9'."""
    return re.sub(r"\d+", "#", text.lower()).strip()


def strip_running_text(pages: list[list[Line]]) -> list[list[Line]]:
    """Drop page numbers, and lines at a page's edge that repeat on other pages' edges."""
    edge_shapes: Counter[str] = Counter()
    for lines in pages:
        edges = {_shape(line.text) for line in lines[:EDGE_LINES] + lines[-EDGE_LINES:]}
        edge_shapes.update(edges)
    repeated = {shape for shape, n in edge_shapes.items() if n >= 2} if len(pages) > 1 else set()
    kept: list[list[Line]] = []
    for lines in pages:
        edge = {id(line) for line in lines[:EDGE_LINES] + lines[-EDGE_LINES:]}
        kept.append(
            [
                line
                for line in lines
                if not (
                    id(line) in edge
                    and (_PAGE_NUMBER.match(line.text) or _shape(line.text) in repeated)
                )
            ]
        )
    return kept


def to_markdown(pages: list[list[Line]]) -> str:
    """Lines joined into paragraphs; larger type becomes a heading."""
    sizes: Counter[float] = Counter()
    for lines in pages:
        for line in lines:
            sizes[round(line.size, 1)] += len(line.text)
    if not sizes:
        return ""
    body = sizes.most_common(1)[0][0]
    heading_sizes = sorted({s for s in sizes if s >= body * 1.15}, reverse=True)
    blocks: list[str] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            blocks.append(" ".join(current))
            current.clear()

    for lines in pages:
        # line pitch: the commonest gap between two body lines; a wider one is a paragraph
        gaps = Counter(
            round(a.y - b.y)
            for a, b in zip(lines, lines[1:], strict=False)
            if a.y > b.y and round(a.size, 1) == round(b.size, 1) == body
        )
        usual = gaps.most_common(1)[0][0] if gaps else body * 1.2
        previous: Line | None = None
        for line in lines:
            size = round(line.size, 1)
            if size in heading_sizes and len(line.text) < 120:
                flush()
                level = min(heading_sizes.index(size) + 1, 6)
                blocks.append(f"{'#' * level} {line.text}")
            else:
                if previous is not None and previous.y - line.y > usual * 1.3:
                    flush()
                _append(current, line.text)
            previous = line
        # a paragraph may run on to the next page: keep `current` open
    flush()
    return "\n\n".join(blocks)


def _append(current: list[str], text: str) -> None:
    if current and current[-1].endswith("-") and text[:1].islower():
        current[-1] = current[-1][:-1] + text  # a word hyphenated across lines
    else:
        current.append(text)


def _pdf_date(value: object) -> str | None:
    """The creation date as the article's, unless no calendar has it (it was written into
    the front matter as given, "2024-13-45", and cited so) or it is in the future (a wrong
    clock, as for a Word file)."""
    if isinstance(value, datetime):
        day = value.date()
    else:
        match = re.match(r"D?:?(\d{4})(\d{2})(\d{2})", str(value or ""))
        if not match:
            return None
        try:
            day = date(*(int(part) for part in match.groups()))
        except ValueError:
            return None
    return day.isoformat() if before_tomorrow(datetime.combine(day, time())) else None


def _read_pages(reader: PdfReader, source: str) -> list[list[Line]]:
    """Every page's lines; TooLongError as soon as the pages read hold more than MAX_WORDS
    words away from their edges (running heads and page numbers live there), so a
    400-page handbook is refused after the pages that prove it, not after all of them
    (26 s for 400 pages here)."""
    pages: list[list[Line]] = []
    words = 0
    total = len(reader.pages)
    for number, page in enumerate(reader.pages, start=1):
        lines = _page_lines(page)
        pages.append(lines)
        words += sum(count_words(line.text) for line in lines[EDGE_LINES:-EDGE_LINES])
        if words > MAX_WORDS:
            raise TooLongError(
                source,
                f"more than {MAX_WORDS:,} words by page {number} of {total}, more than an "
                "article may have (split it into articles)",
            )
    return pages


def _opens_without_password(reader: PdfReader) -> bool:
    """An encrypted PDF with an empty user password (one that only restricts printing or
    copying) opens in any viewer without asking; it was refused as encrypted all the same.
    AES needs the `cryptography` package, not installed: such a PDF stays refused."""
    try:
        return reader.decrypt("") != PasswordType.NOT_DECRYPTED
    except (DependencyError, NotImplementedError):
        return False


def convert_pdf(data: bytes, source: str) -> Document:
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not _opens_without_password(reader):
            raise UnreadableSourceError(
                source, "the PDF is encrypted (save a copy without a password or protection)"
            )
        pages = _read_pages(reader, source)
        info = reader.metadata
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError) as exc:
        raise UnreadableSourceError(source, f"not a readable PDF ({exc})") from None
    markdown = to_markdown(strip_running_text(pages))
    if not re.search(r"\w", markdown):
        raise UnreadableSourceError(source, "the PDF has no text (a scan needs OCR first)")
    return Document(
        markdown=markdown,
        title=clean_text(info.title) if info else None,
        author=clean_text(info.author) if info else None,
        published=_pdf_date(info.get("/CreationDate")) if info else None,
    )
