"""Articles in content/*.md: front matter, cleaning, and clear errors for malformed files."""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import frontmatter
import yaml

from index.errors import ContentError
from index.front_matter import impossible_date, line_of, not_text
from index.passages import headings
from index.types import Article, ArticleMeta

log = logging.getLogger(__name__)

# A paragraph or line that starts one of these ends the coaching: what follows is a bio,
# a sign-off, a copyright line or an advert, never something the bot should quote.
_END_MARKERS = re.compile(
    r"""^(
        about\ the\ author\b
      | about\ [A-Z][\w.]*(\ [A-Z][\w.]*)?\s*:?$
      | (best\ wishes|kind\ regards|regards|sincerely|cheers|yours\ truly),?$
      | (sell\ well|all\ the\ best),?$
      | .*\ball\ rights\ reserved\b
      | (copyright\b|©|\(c\)\ \d{4}|\d{4}\ ©)
      | note\ from\ [A-Z][\w.]*(\ [A-Z][\w.]*)*\s*:
      | \$[\d,]+\ guarantee\b
    )""",
    re.IGNORECASE | re.VERBOSE,
)

# Single paragraphs that are calls to action or reader prompts rather than coaching.
_DROP_PARAGRAPH = re.compile(
    r"""(
        ^share\ (some\ of\ )?your\b.*\bbelow\.?$
      | \bread\ this\ e-?book\b
      | \b(download|get|grab|claim)\b.{0,40}\b(e-?book|white\ ?paper)\b
      | \bfree\ (e-?book|white\ ?paper|guide|checklist|template|webinar)\b
      | \b(subscribe|sign\ up)\ (to|for)\ (our|my|the)\ (newsletter|blog)\b
      | ^click\ here\b
      | ^\(?see\ [A-Z][\w ]+ archives?\.?\)?$
      | \bto\ receive\ a\ free\b
      | \bfollow\ (me|him|her|us)\ on\ (twitter|facebook|linkedin)\b
    )""",
    re.IGNORECASE | re.VERBOSE,
)

# A testimonial: a quotation followed by "—Name, Title, Company".
_TESTIMONIAL = re.compile(r"^[\"“].+[\"”]\s*$")
_ATTRIBUTION_LINE = re.compile(r"^[—–-]\s*[A-Z][\w.' -]+,\s*.+$")

_SENTENCE_END = re.compile(r"[.!?:;\"”’)\]]\s*$")


@dataclass
class LoadReport:
    """Articles that loaded, and a ContentError for each file that did not."""

    articles: list[Article] = field(default_factory=list)
    errors: list[ContentError] = field(default_factory=list)


def normalise_whitespace(text: str) -> str:
    text = unicodedata.normalize("NFC", text).replace("\u00a0", " ").replace("\r\n", "\n")
    text = text.replace("\r", "\n")
    return re.sub(r"[ \t]+", " ", text)


def clean_body(body: str) -> str:
    """Keep the article's own coaching words; drop ads, bios, sign-offs and calls to action.

    Also rejoins a paragraph that a stray blank line broke mid-sentence.
    """
    body = normalise_whitespace(body)
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", body) if p.strip()]
    kept: list[str] = []
    for para in paragraphs:
        lines = [ln.strip() for ln in para.split("\n") if ln.strip()]
        out_lines: list[str] = []
        stop = False
        for line in lines:
            plain = line.lstrip("#*_> ").strip()
            if _END_MARKERS.match(plain):
                stop = True
                break
            if _DROP_PARAGRAPH.search(plain):
                continue
            if _ATTRIBUTION_LINE.match(plain) and out_lines and _TESTIMONIAL.match(out_lines[-1]):
                out_lines.pop()  # the testimonial quote above this attribution
                continue
            out_lines.append(line)
        if out_lines:
            kept.append("\n".join(out_lines))
        if stop:
            break
    # Drop a trailing testimonial left as its own paragraphs ("quote" then "—Name, Title").
    merged: list[str] = []
    for para in kept:
        if (
            merged
            and _ATTRIBUTION_LINE.match(para)
            and _TESTIMONIAL.match(merged[-1].replace("\n", " "))
        ):
            merged.pop()
            continue
        if (
            merged
            and not merged[-1].startswith("#")
            and not para.startswith("#")
            and not _SENTENCE_END.search(merged[-1])
            and para[:1].islower()
        ):
            merged[-1] = f"{merged[-1]} {para}"  # a paragraph broken mid-sentence
            continue
        merged.append(para)
    return "\n\n".join(merged)


def _decode(path: Path, raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ContentError(path, "not UTF-8 text (save the file as UTF-8)", line) from None


def _as_text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def parse_article(path: Path) -> Article:
    """One Markdown article; raises ContentError naming the file and line on any problem."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ContentError(path, f"cannot be read ({exc.strerror})") from None
    text = _decode(path, raw)
    if not text.strip():
        raise ContentError(path, "the file is empty", 1)
    if text.startswith("\ufeff"):
        text = text[1:]
    if (
        text.lstrip().startswith("---")
        and text.count("\n---") == 0
        and not text.startswith("---\n---")
    ):
        raise ContentError(path, "front matter opened with '---' is never closed", 1)
    try:
        post = frontmatter.loads(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1  # the YAML text starts on the '---' line
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ContentError(path, f"front matter is not valid YAML ({problem})", line) from None
    except (ValueError, TypeError) as exc:
        slip = impossible_date(text)  # YAML said only "month must be in 1..12", at line 1
        if slip is not None:
            raise ContentError(path, f"front matter {slip.key} {slip.what}", slip.line) from None
        raise ContentError(path, f"front matter cannot be read ({exc})", 1) from None
    meta = post.metadata
    if not isinstance(meta, dict):
        raise ContentError(path, "front matter must be key: value pairs", 2)
    slip = not_text(meta, text)  # was loaded as its Python repr: "['Ann', 'Bo']" in citations
    if slip is not None:
        raise ContentError(path, f"front matter {slip.key} {slip.what}", slip.line)
    title = _as_text(meta.get("title"))
    if not title:
        raise ContentError(
            path, "front matter has no title (add `title: ...`)", line_of(text, "title")
        )
    tags_raw = meta.get("tags") or []
    if isinstance(tags_raw, str):
        tags_raw = [t for t in tags_raw.split(",")]
    if not isinstance(tags_raw, list):
        raise ContentError(
            path, "tags must be a list, e.g. [motivation, coaching]", line_of(text, "tags")
        )
    tags = tuple(t for t in (_as_text(t) for t in tags_raw) if t)
    source = _as_text(meta.get("source"))
    if source and not re.match(r"https?://", source):
        raise ContentError(
            path,
            f"source must be a URL starting with http(s):// (got {source!r})",
            line_of(text, "source"),
        )
    body = clean_body(post.content)
    if not re.search(r"\w", body):
        raise ContentError(path, "the article has no text after its front matter", _body_line(text))
    article_id = path.stem
    questions = section_questions(path, text, meta.get("questions"), title, body)
    return Article(
        meta=ArticleMeta(
            id=article_id,
            title=title,
            author=_as_text(meta.get("author")),
            source=source,
            published=_as_text(meta.get("published")),
            tags=tags,
            owner=_as_text(meta.get("owner")),
            review_by=_as_text(meta.get("review_by")),
            added=_as_text(meta.get("added")),
        ),
        body=body,
        path=str(path),
        questions=questions,
    )


def section_questions(
    path: Path, text: str, value: object, title: str, body: str
) -> tuple[tuple[str | None, tuple[str, ...]], ...]:
    """Front matter `questions:`: for each section heading (or the title, for the text before
    the first heading), the questions leaders ask that it answers, in their own words."""
    if value is None:
        return ()
    where = line_of(text, "questions")
    if not isinstance(value, dict):
        raise ContentError(
            path, "questions must map a section heading to a list of questions", where
        )
    sections = headings(body)
    out: list[tuple[str | None, tuple[str, ...]]] = []
    for key, asked in value.items():
        heading = _as_text(key) or ""
        line = _line_containing(text, heading, where)
        if heading != title and heading not in sections:
            raise ContentError(
                path,
                f"questions: {heading!r} is not a heading of this article (nor its title)",
                line,
            )
        if not isinstance(asked, list) or not all(isinstance(q, str) for q in asked):
            raise ContentError(path, f"questions: {heading!r} needs a list of questions", line)
        kept = tuple(" ".join(q.split()) for q in asked if q.strip())
        out.append((None if heading == title and heading not in sections else heading, kept))
    return tuple(out)


def _line_containing(text: str, needle: str, default: int) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if number >= default and needle and needle in line:
            return number
    return default


def _body_line(text: str) -> int:
    lines = text.splitlines()
    if lines and lines[0].strip() == "---":
        for number, line in enumerate(lines[1:], start=2):
            if line.strip() == "---":
                return number + 1
    return 1


def load_library(content_dir: Path) -> LoadReport:
    """Every *.md in content_dir, in name order; a bad file is reported, the rest still load."""
    report = LoadReport()
    if not content_dir.is_dir():
        report.errors.append(ContentError(content_dir, "content folder does not exist"))
        return report
    for path in sorted(content_dir.glob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        try:
            report.articles.append(parse_article(path))
        except ContentError as exc:
            log.error("%s", exc)
            report.errors.append(exc)
    return report


def load_articles(content_dir: Path) -> list[Article]:
    return load_library(content_dir).articles
