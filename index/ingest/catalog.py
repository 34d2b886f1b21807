"""`content list`, `content check` and `content remove`: what is in the library, what
needs an admin's attention, and taking an article out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from index.content import LoadReport, load_library
from index.errors import ContentError
from index.ingest.duplicates import duplicate_pairs
from index.ingest.errors import ArticleNotFoundError
from index.ingest.quotes_file import unlink_article
from index.passages import split_articles
from index.quotes import load_quotes
from index.scope import load_scope
from index.types import Article
from index.vocabulary import load_vocabulary


@dataclass(frozen=True)
class ContentRow:
    id: str
    title: str
    author: str | None
    owner: str | None
    review_by: str | None
    passages: int
    stale: bool  # review_by is before today
    questions: int = 0  # curated questions its sections answer (front matter `questions:`)
    sections_without_questions: int = 0  # sections leaders' own wording cannot reach yet

    def as_json(self) -> dict[str, object]:
        return dict(self.__dict__)


def review_date(article: Article) -> date | None:
    """The article's review_by as a date; None when absent or not a date."""
    if not article.meta.review_by:
        return None
    try:
        return date.fromisoformat(article.meta.review_by[:10])
    except ValueError:
        return None


def list_content(
    content_dir: Path, today: date, report: LoadReport | None = None
) -> list[ContentRow]:
    """A row per article that loads (`report`: the folder as already loaded)."""
    articles = (report or load_library(content_dir)).articles
    counts: dict[str, int] = {}
    sections: dict[str, set[str | None]] = {}
    for passage in split_articles(articles):
        counts[passage.article.id] = counts.get(passage.article.id, 0) + 1
        sections.setdefault(passage.article.id, set()).add(passage.section)
    rows = []
    for article in articles:
        due = review_date(article)
        rows.append(
            ContentRow(
                id=article.meta.id,
                title=article.meta.title,
                author=article.meta.author,
                owner=article.meta.owner,
                review_by=article.meta.review_by,
                passages=counts.get(article.meta.id, 0),
                stale=due is not None and due < today,
                questions=sum(len(asked) for _, asked in article.questions),
                sections_without_questions=len(
                    sections.get(article.meta.id, set())
                    - {heading for heading, asked in article.questions if asked}
                ),
            )
        )
    return rows


@dataclass(frozen=True)
class Problem:
    """One thing `content check` found, with the file it is in."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def file_errors(content_dir: Path, report: LoadReport) -> list[ContentError]:
    """Each file in content/ that cannot be read as it should: articles, then vocabulary,
    scope and quotes (a broken quotes.yaml was "no problems", yet the daily post had none)."""
    errors = list(report.errors)
    try:  # a term written twice loads (the last list is used), yet one list is dead
        errors.extend(load_vocabulary(content_dir).repeats)
    except ContentError as error:
        errors.append(error)
    for load in (load_scope, lambda d: load_quotes(d, report.articles)):
        try:
            load(content_dir)
        except ContentError as error:
            errors.append(error)
    return errors


def check_content(content_dir: Path, today: date) -> list[Problem]:
    """Every problem an admin should fix, unreadable files first."""
    report = load_library(content_dir)
    problems = [_from_error(error) for error in file_errors(content_dir, report)]
    if content_dir.is_dir() and not report.articles:  # `coach serve` would not start on it
        problems.append(
            Problem(str(content_dir), "no articles: the coach has nothing to answer from")
        )
    for article in report.articles:
        path = article.path or str(content_dir / f"{article.meta.id}.md")
        if not article.meta.owner:
            problems.append(Problem(path, "no owner (add `owner: NAME` to the front matter)"))
        if article.meta.review_by is None:
            problems.append(Problem(path, "no review_by date (add `review_by: YYYY-MM-DD`)"))
        else:
            due = review_date(article)
            if due is None:
                problems.append(
                    Problem(path, f"review_by {article.meta.review_by!r} is not a YYYY-MM-DD date")
                )
            elif due < today:
                problems.append(Problem(path, f"review_by {due.isoformat()} has passed (stale)"))
    by_id = {a.meta.id: a for a in report.articles}
    for a_id, b_id, how in duplicate_pairs([(a.meta.id, a.body) for a in report.articles]):
        path = by_id[b_id].path or b_id
        problems.append(Problem(path, f"nearly the same text as {a_id!r} ({how.describe()})"))
    return problems


def _from_error(error: ContentError) -> Problem:
    where = f"{error.path}:{error.line}" if error.line else str(error.path)
    return Problem(where, error.reason)


def remove_article(content_dir: Path, article_id: str) -> tuple[Path, int]:
    """Delete CONTENT_DIR/<id>.md; quotes citing it keep their text but lose the link.

    Returns the path removed and how many quotes were unlinked. The index drops the
    article's passages the next time it is refreshed (any `coach` command, or the
    running server's reloader).
    """
    path = content_dir / f"{article_id}.md"
    if "/" in article_id or "\\" in article_id or not path.is_file():
        raise ArticleNotFoundError(article_id, str(content_dir))
    unlinked = unlink_article(content_dir, article_id)
    path.unlink()
    return path, unlinked
