"""Each supported format to Markdown with its headings kept, plus the metadata it carries.

Web pages go through trafilatura (main-text extraction made for this: it drops navigation,
cookie banners, share bars, comments and footers); Word through python-docx (heading
levels come from paragraph styles); PDF through pypdf (see index/ingest/pdf.py).
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import frontmatter
import trafilatura
import yaml

from index.content import section_questions
from index.errors import ContentError
from index.front_matter import FieldSlip, impossible_date, line_of, not_text
from index.ingest.document import Document, clean_text, first_heading, first_line
from index.ingest.errors import TooLongError, UnreadableSourceError, UnsupportedTypeError
from index.ingest.pdf import convert_pdf

MB = 1024 * 1024
MAX_FILE_BYTES = 50 * MB  # a file larger than this is no article (a URL may be 20 MB)
SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm", ".pdf", ".docx")


def _decode(data: bytes, source: str) -> str:
    """UTF-8, else UTF-16/32 with its byte-order mark (Notepad's "Unicode", Word's "Unicode
    text"), else Windows-1252. Text holding NUL characters is not text: UTF-16 without its
    mark, or a binary file, read as Windows-1252 made an article of "C\0o\0a\0c\0h"."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                break
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
    raise UnreadableSourceError(source, "not a text file (cannot decode it; save it as UTF-8)")


_BOMS = (  # UTF-32 first: its little-endian mark begins with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def convert_html(data: bytes | str, source: str, url: str | None = None) -> Document:
    """The article inside a web page, as Markdown, with title/author/date from its metadata."""
    html = data if isinstance(data, str) else _decode(data, source)
    if not html.strip():
        raise UnreadableSourceError(source, "the file is empty")
    markdown = trafilatura.extract(
        html,
        url=url,
        output_format="markdown",
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        include_formatting=True,
        favor_precision=True,
        deduplicate=False,  # True keeps a process-wide cache: a second add would be empty
    )
    meta = trafilatura.extract_metadata(html, default_url=url)
    if not markdown or not markdown.strip():
        raise UnreadableSourceError(source, "no article text found in the page")
    published = clean_text(meta.date) if meta else None
    if published and published.endswith("-01-01"):
        # htmldate's extensive search turns a footer's "Copyright 2025" into 2025-01-01, a
        # date the page never gives; a real one is found without it (metadata, byline, URL)
        strict = trafilatura.extract_metadata(html, default_url=url, extensive=False)
        published = clean_text(strict.date) if strict else None
    title = clean_text(meta.title) if meta else None
    site = clean_text(meta.sitename) if meta else None
    if title and site and title.endswith(site) and title != site:
        title = re.sub(r"\s*[|\-–—:]\s*$", "", title[: -len(site)]).strip() or title
    return Document(
        markdown=markdown,
        title=title,
        author=clean_text(meta.author) if meta else None,
        published=published,
        source=url,
    )


def convert_docx(data: bytes, source: str) -> Document:
    """Paragraphs and tables in order; 'Heading N' / 'Title' styles become '#' headings, list
    styles '-'."""
    import docx  # python-docx; imported here since only .docx needs it
    from docx.opc.exceptions import PackageNotFoundError

    from index.ingest.word_body import word_blocks
    from index.ingest.word_properties import word_properties

    if data.startswith(_OLE2):  # was "not a readable Word document (File is not a zip file)"
        raise UnreadableSourceError(source, _ole2_reason(data))
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise UnreadableSourceError(source, f"not a readable Word document ({exc})") from None
    lines: list[str] = []
    title_style: str | None = None
    for paragraph in word_blocks(document):  # tables too: `document.paragraphs` skips them
        if isinstance(paragraph, str):  # a table, as Markdown
            lines.append(paragraph)
            continue
        text = clean_text(paragraph.text)
        if not text:
            continue
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        level = _heading_level(style)
        if style == "Title":
            title_style = title_style or text
            lines.append(f"# {text}")
        elif level:
            lines.append(f"{'#' * min(level + 1, 6)} {text}")
        elif style.startswith("List"):
            if lines and lines[-1].startswith("- "):
                lines[-1] += f"\n- {text}"  # one list, not a paragraph per item
            else:
                lines.append(f"- {text}")
        else:
            lines.append(text)
    props = word_properties(document)
    return Document(
        markdown="\n\n".join(lines),
        title=props.title or title_style,
        author=props.author,
        published=props.published,
    )


# Word's password protection wraps the .docx in an OLE2 compound file (as the old .doc
# format is): both start with this, and python-docx reads neither
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")


def _ole2_reason(data: bytes) -> str:
    if _ENCRYPTED_PACKAGE in data:
        return "the Word file is password-protected (save a copy without a password)"
    return "an old-format Word file (.doc), not a .docx (open it in Word and save it as .docx)"


def _heading_level(style: str) -> int | None:
    match = re.fullmatch(r"Heading (\d)", style)
    return int(match.group(1)) if match else None


def convert_markdown(data: bytes, source: str) -> Document:
    """A Markdown file as it is; its front matter, if any, supplies the metadata."""
    text = _decode(data, source).removeprefix("\ufeff")
    _check_front_matter(text, source)
    try:
        post = frontmatter.loads(text)
    except yaml.YAMLError as exc:  # one line saying where, as `coach content check` does
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise UnreadableSourceError(
            source, f"front matter is not valid YAML at line {line} ({problem})"
        ) from None
    except (ValueError, TypeError) as exc:
        slip = impossible_date(text)  # was "cannot be converted (ValueError: month must ...)"
        if slip is not None:
            raise UnreadableSourceError(source, _where(slip)) from None
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UnreadableSourceError(source, f"front matter cannot be read ({first})") from None
    meta = post.metadata if isinstance(post.metadata, dict) else {}
    slip = not_text(meta, text)
    if slip is not None:
        raise UnreadableSourceError(source, _where(slip))
    tags = meta.get("tags") or []
    if isinstance(tags, str):
        tags = tags.split(",")
    if not isinstance(tags, list):
        raise UnreadableSourceError(
            source,
            f"front matter tags at line {line_of(text, 'tags')} must be a list, "
            "e.g. [motivation, coaching]",
        )
    source_url = clean_text(meta.get("source"))
    if source_url and not source_url.startswith(("http://", "https://")):  # was dropped
        raise UnreadableSourceError(
            source,
            f"front matter source at line {line_of(text, 'source')} must be a URL starting "
            f"with http(s):// or be empty (got {source_url!r})",
        )
    title = clean_text(meta.get("title"))
    try:  # kept, checked as the library checks them: a curator's questions are work
        questions = section_questions(
            Path(source),
            text,
            meta.get("questions"),
            title or first_heading(post.content) or first_line(post.content) or "",
            post.content,
        )
    except ContentError as exc:
        raise UnreadableSourceError(source, f"line {exc.line}: {exc.reason}") from None
    return Document(
        markdown=post.content,
        title=title,
        author=clean_text(meta.get("author")),
        published=_iso(meta.get("published")),
        source=source_url,
        tags=tuple(t for t in (clean_text(t) for t in tags if t) if t),
        owner=clean_text(meta.get("owner")),
        review_by=_iso(meta.get("review_by")),
        questions=questions,
    )


def _check_front_matter(text: str, source: str) -> None:
    """Refuse front matter the YAML reader would pass over in silence: one never closed
    (its fields became the article's first line and title) or one that is not key: value
    pairs (a list was dropped, the file added as if it had none)."""
    lines = text.splitlines()
    if not lines or lines[0].rstrip() != "---":
        return
    end = next((n for n, line in enumerate(lines[1:], 1) if line.strip() == "---"), None)
    if end is None:
        raise UnreadableSourceError(
            source, "front matter opened with '---' at line 1 is never closed with a '---' line"
        )
    try:
        value = yaml.safe_load("\n".join(lines[1:end]))
    except (yaml.YAMLError, ValueError, TypeError):
        return  # frontmatter.loads reports it with its line
    if value is not None and not isinstance(value, dict):
        raise UnreadableSourceError(
            source, "front matter at line 2 must be key: value pairs (title: ..., author: ...)"
        )


def _where(slip: FieldSlip) -> str:
    """A front-matter slip as `content add` says it: the field, its line, what is wrong."""
    return f"front matter {slip.key} at line {slip.line} {slip.what}"


def convert_text(data: bytes, source: str) -> Document:
    """Plain text: paragraphs as they are (Markdown reads plain text as paragraphs)."""
    return Document(markdown=_decode(data, source).replace("\r\n", "\n"))


def _iso(value: object) -> str | None:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return clean_text(value)


CONVERTERS: dict[str, Callable[[bytes, str], Document]] = {
    ".md": convert_markdown,
    ".markdown": convert_markdown,
    ".txt": convert_text,
    ".html": convert_html,
    ".htm": convert_html,
    ".pdf": convert_pdf,
    ".docx": convert_docx,
}


# documents a curator can save in a supported format from the program that made them
_SAVE_AS = {
    ".doc": ".docx",
    ".rtf": ".docx",
    ".odt": ".docx",
    ".pages": ".docx",
    ".mhtml": ".html",
    ".mht": ".html",
    ".webarchive": ".html",
}


def by_first_bytes(data: bytes) -> Callable[[bytes, str], Document] | None:
    """A PDF, Word file or web page by its first bytes (a link such as `/download?id=7`
    served as application/octet-stream, or with no Content-Type at all)."""
    head = data[:1024].removeprefix(b"\xef\xbb\xbf").lstrip()
    if head.startswith(b"%PDF-"):
        return convert_pdf
    if head.startswith(b"PK\x03\x04") and b"word/" in data:
        return convert_docx
    if re.match(rb"<(?:!doctype\s+html|html|head|body)\b", head, re.IGNORECASE):
        return convert_html
    return None


def _as_it_is(
    data: bytes, source: str, named: Callable[[bytes, str], Document]
) -> Callable[[bytes, str], Document]:
    """The converter for what the file is: a PDF or Word file saved under another extension
    (a download named `.txt`, a Word file named `.pdf`) was refused as "not a text file" or
    "not a readable PDF (Stream has ended unexpectedly)"; a web page saved as `.pdf` or
    `.docx` (a failed download's error or sign-in page) is refused saying what it is."""
    found = by_first_bytes(data)
    if found in (convert_pdf, convert_docx):
        return found
    if found is convert_html and named in (convert_pdf, convert_docx):
        kind = "PDF" if named is convert_pdf else "Word document"
        raise UnreadableSourceError(
            source,
            f"a web page, not a {kind} (a download that saved an error or sign-in page? "
            "open it in a browser)",
        )
    return named


def convert_file(path: Path) -> Document:
    """A local file by its extension; refusals name the file."""
    source = str(path)
    if path.is_dir():  # was "unsupported file type '(none)'"
        raise UnsupportedTypeError(
            source, f"a folder, not a file: give its files (e.g. {path}/*.md {path}/*.pdf)"
        )
    converter = CONVERTERS.get(path.suffix.lower())
    if converter is None:
        kinds = " ".join(SUFFIXES)
        save_as = _SAVE_AS.get(path.suffix.lower())
        hint = f"save it as {save_as}, or " if save_as else ""
        raise UnsupportedTypeError(
            source,
            f"unsupported file type {path.suffix or '(none)'!r} ({hint}use {kinds} or a URL)",
        )
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:  # refused unread: a 500 MB PDF took 1.7 GB and 45 s
            raise TooLongError(
                source,
                f"{-(-size // MB)} MB, larger than the {MAX_FILE_BYTES // MB} MB a file may be "
                "(split it into articles)",
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise UnreadableSourceError(source, "no such file") from None
    except OSError as exc:
        raise UnreadableSourceError(source, f"cannot be read ({exc.strerror})") from None
    if not data.strip():
        raise UnreadableSourceError(source, "the file is empty")
    return _as_it_is(data, source, converter)(data, source)
