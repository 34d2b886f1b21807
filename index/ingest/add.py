"""`content add`: every source converted and checked first, then all written or none.

Planning before writing is what makes a refusal leave nothing behind, even when one of
several sources is refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit, urlunsplit

from index.content import clean_body, load_library
from index.ingest.convert import (
    CONVERTERS,
    by_first_bytes,
    convert_docx,
    convert_file,
    convert_html,
    convert_markdown,
    convert_text,
)
from index.ingest.document import (
    MAX_WORDS,
    Document,
    count_words,
    drop_title_heading,
    first_heading,
    first_line,
)
from index.ingest.duplicates import find_duplicate
from index.ingest.errors import (
    DuplicateSourceError,
    FetchError,
    IngestError,
    NearDuplicateError,
    TooLongError,
    UnreadableSourceError,
    UnsupportedTypeError,
)
from index.ingest.fetch import fetch
from index.ingest.pdf import convert_pdf
from index.ingest.writer import free_path, render, slugify, write_atomic
from index.types import Article, ArticleMeta

Converter = Callable[[bytes, str], Document]
REVIEW_AFTER = timedelta(days=365)  # review date when --review-by is not given
MIN_WORDS = 20  # fewer is a menu or a stub, not an article

_BY_CONTENT_TYPE = {
    "text/html": convert_html,
    "application/xhtml+xml": convert_html,
    "application/pdf": convert_pdf,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": convert_docx,
    "text/markdown": convert_markdown,
    "text/x-markdown": convert_markdown,
    "text/plain": convert_text,
}


@dataclass(frozen=True)
class Curation:
    """What the admin says on the command line, applied to every source added."""

    today: date
    owner: str | None = None
    review_by: date | None = None
    tags: tuple[str, ...] = ()
    timeout: float = 15.0


@dataclass
class Plan:
    """The files `add` would write, and the sources it refuses (then it writes none)."""

    articles: list[tuple[Path, Article]] = field(default_factory=list)
    refused: list[IngestError] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # worth a look, not a reason to refuse


def is_url(source: str) -> bool:
    return re.match(r"^https?://", source, re.IGNORECASE) is not None


def same_source_key(url: str) -> str:
    """A URL compared loosely: scheme and host case, trailing slash and fragment ignored."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # "https://[oops/x" in an article's source: compared as written
        return url.strip().lower()
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


def load_source(source: str, timeout: float = 15.0) -> Document:
    """Convert one SOURCE (a path or an http(s) URL); IngestError says why not."""
    if not is_url(source):
        if re.match(r"^[a-z][a-z0-9+.-]*://", source, re.IGNORECASE):
            raise UnsupportedTypeError(source, "only http:// and https:// URLs can be added")
        return convert_file(Path(source))
    try:
        host = urlsplit(source).hostname
    except ValueError as exc:  # e.g. "http://[::1": a converter's error line said "ValueError"
        raise FetchError(source, f"not a valid URL ({exc})") from None
    if not host:
        raise FetchError(source, "not a valid URL (no host name)")
    got = fetch(source, timeout=timeout)
    converter = _BY_CONTENT_TYPE.get(got.content_type)
    if converter is None:
        converter = CONVERTERS.get(PurePosixPath(urlsplit(got.url).path).suffix.lower())
    if converter is None and got.content_type in _UNTELLING:
        converter = by_first_bytes(got.data)  # a download link's PDF was refused
    if converter is None:
        kind = repr(got.content_type) if got.content_type else "(none given)"
        raise UnsupportedTypeError(
            source,
            f"unsupported content type {kind} (a URL can give a web page, a PDF, a Word "
            "file, Markdown or text)",
        )
    if not got.data.strip():
        raise UnreadableSourceError(source, "the page is empty")
    if converter is convert_html:
        document = convert_html(got.data, source, url=got.url)
    else:
        document = converter(got.data, source)
    return Document(**{**document.__dict__, "source": source})  # as the admin gave it


# content types that say nothing of what a download is: its first bytes tell instead
_UNTELLING = frozenset(
    {
        "",
        "application/octet-stream",
        "binary/octet-stream",
        "application/binary",
        "application/download",
        "application/force-download",
        "application/x-download",
    }
)


def _fallback_title(source: str) -> str:
    stem = PurePosixPath(urlsplit(source).path if is_url(source) else source).stem
    return re.sub(r"[-_]+", " ", stem).strip().capitalize() or "Untitled"


def to_article(document: Document, source: str, curation: Curation) -> Article:
    """The article to write: metadata from the document, the admin's options on top; its id
    is the slug of its title until the file name is chosen."""
    title = (
        document.title
        or first_heading(document.markdown)
        or first_line(document.markdown)
        or _fallback_title(source)
    )
    text = drop_title_heading(document.markdown, title)
    words = count_words(text)
    if words > MAX_WORDS:  # counted before cleaning, which only drops words: a book is
        # refused without running every line of it through the clutter rules (8 s for 16 MB)
        raise TooLongError(
            source,
            f"{words:,} words, more than the {MAX_WORDS:,} an article may have "
            "(split it into articles)",
        )
    body = clean_body(text)
    words = count_words(body)
    if words < MIN_WORDS:
        found = f"only {words} words of" if words else "no"  # was "no ... found" of 12 words
        raise UnreadableSourceError(
            source,
            f"{found} article text found once the title and clutter are removed; "
            f"an article needs {MIN_WORDS} words or more",
        )
    review_by = curation.review_by
    if review_by is None and document.review_by:
        try:
            review_by = date.fromisoformat(document.review_by)
        except ValueError:  # was dropped for a year from today: the curator's date lost
            raise UnreadableSourceError(
                source,
                f"front matter review_by {document.review_by!r} is not a date "
                "(write YYYY-MM-DD, or give --review-by)",
            ) from None
    spelled: dict[str, str] = {}  # `--tags Coaching` on a page tagged "coaching" wrote both
    for tag in [*document.tags, *curation.tags]:
        spelled.setdefault(tag.casefold(), tag)
    tags = tuple(spelled.values())
    meta = ArticleMeta(
        id=slugify(title),
        title=title,
        author=document.author,
        source=document.source,
        published=document.published,
        tags=tags,
        owner=curation.owner or document.owner,
        review_by=(review_by or curation.today + REVIEW_AFTER).isoformat(),
        added=curation.today.isoformat(),
    )
    return Article(meta=meta, body=body, questions=document.questions)


def plan_additions(content_dir: Path, sources: list[str], curation: Curation) -> Plan:
    """Convert and check every source; nothing is written here."""
    existing = load_library(content_dir).articles
    known_sources = {same_source_key(a.meta.source): a.meta.id for a in existing if a.meta.source}
    texts = [(a.meta.id, a.body) for a in existing]
    titles = {_title_key(a.meta.title): a.meta.id for a in existing}
    plan = Plan()
    taken: set[str] = set()
    given: dict[str, str] = {}  # id planned in this run -> the source it comes from

    def same_source(source: str, other: str) -> DuplicateSourceError:
        if other in given:  # was "already in the library as ...", though nothing was written
            return DuplicateSourceError(source, f"given twice: the same as {given[other]!r}")
        return DuplicateSourceError(source, f"already in the library as {other!r}")

    for source in sources:
        try:
            if is_url(source) and same_source_key(source) in known_sources:
                raise same_source(source, known_sources[same_source_key(source)])
            document = load_source(source, timeout=curation.timeout)
            if document.source and same_source_key(document.source) in known_sources:
                raise same_source(source, known_sources[same_source_key(document.source)])
            article = to_article(document, source, curation)
            found = find_duplicate(article.body, texts)
            if found:
                other, how = found
                named = f"{given[other]!r}, given before it" if other in given else repr(other)
                raise NearDuplicateError(
                    source, f"nearly the same text as {named} ({how.describe()})"
                )
        except IngestError as exc:
            plan.refused.append(exc)
            continue
        except Exception as exc:  # noqa: BLE001 - a converter's own bug: one refusal line,
            # never a traceback that leaves the curator guessing which source broke
            first = (str(exc).splitlines() or [""])[0]
            why = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
            plan.refused.append(UnreadableSourceError(source, f"cannot be converted ({why})"))
            continue
        path = free_path(content_dir, article.meta.id, taken)
        taken.add(path.stem)
        article = replace(article, meta=replace(article.meta, id=path.stem), path=str(path))
        plan.articles.append((path, article))
        given[path.stem] = source
        texts.append((path.stem, article.body))
        same_title = titles.setdefault(_title_key(article.meta.title), path.stem)
        if same_title != path.stem:
            plan.notes.append(
                f"{path.name}: {same_title!r} has the same title, {article.meta.title!r}; "
                "their citations will read alike (change one title to tell them apart)"
            )
        if article.meta.source:
            known_sources[same_source_key(article.meta.source)] = path.stem
    return plan


def _title_key(title: str) -> str:
    return " ".join(re.findall(r"\w+", title.lower()))


def write_plan(plan: Plan) -> list[Path]:
    """Write every planned article (only call when nothing was refused)."""
    for path, article in plan.articles:
        write_atomic(path, render(article))
        plan.written.append(path)
    return plan.written


def add_sources(content_dir: Path, sources: list[str], curation: Curation) -> Plan:
    """Plan, then write all when none is refused; `plan.refused` says why nothing was."""
    plan = plan_additions(content_dir, sources, curation)
    if not plan.refused:
        write_plan(plan)
    return plan
