"""Plain data the library hands out: articles, passages, search results, quotes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ArticleMeta:
    """What a citation needs; fields the article does not state are None."""

    id: str
    title: str
    author: str | None = None
    source: str | None = None
    published: str | None = None
    tags: tuple[str, ...] = ()
    owner: str | None = None  # who keeps the article current
    review_by: str | None = None  # ISO date after which the article is stale
    added: str | None = None  # ISO date `content add` wrote it


@dataclass(frozen=True)
class Article:
    meta: ArticleMeta
    body: str  # cleaned Markdown body, paragraphs separated by blank lines
    path: str = ""
    # What leaders ask that each section answers (front matter `questions:`), by section
    # heading; None is the text before the first heading.
    questions: tuple[tuple[str | None, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class Passage:
    """A few whole sentences that read on their own, with where they came from."""

    id: str  # "<article id>#<position>"
    article: ArticleMeta
    position: int  # 0-based order within the article
    text: str  # what a reader sees
    section: str | None = None  # Markdown heading the passage sits under

    @property
    def embed_text(self) -> str:
        """Title and section give a short passage the context a reader would have."""
        head = self.article.title
        if self.section:
            head = f"{head} - {self.section}"
        return f"{head}. {self.text}"

    @property
    def fingerprint(self) -> str:
        """A short digest of the text: an id names a place in its article ("#3"), which an
        edited article gives to other words, so a button that shows a passage carries this
        too and finds those very words again (`Coach.passage`)."""
        return hashlib.sha1(self.text.encode("utf-8")).hexdigest()[:10]


@dataclass(frozen=True)
class Hit:
    rank: int  # 1-based
    score: float  # higher is better; comparable within one result
    passage: Passage
    key_sentence: str  # the sentence of the passage that best answers the question


@dataclass(frozen=True)
class OutOfScope:
    """A topic the curator marked as not the library's (content/scope.yaml), and who to ask."""

    topic: str
    ask: str


@dataclass(frozen=True)
class SearchResult:
    question: str  # the question as searched (after any truncation)
    answered: bool
    hits: tuple[Hit, ...] = ()
    truncated: bool = False  # the question was cut to a sane length before searching
    more: bool = False  # further relevant passages exist beyond these ("More like this")
    out_of_scope: OutOfScope | None = None  # why it was declined, when a curator said so

    @property
    def searched_chars(self) -> int | None:
        """How many characters of a cut question were searched (the cut falls between words,
        so often a few under MAX_QUESTION_CHARS); None when the whole question was. What
        every reply that says so (Slack, the console, `coach ask`) quotes."""
        return len(self.question) if self.truncated else None


@dataclass(frozen=True)
class Quote:
    text: str
    author: str
    article_id: str | None = None
    article_title: str | None = None
    key: str = field(default="")  # stable identity for the ledger

    def __post_init__(self) -> None:
        if not self.key:
            import hashlib

            digest = hashlib.sha1(f"{self.author}|{self.text}".encode()).hexdigest()[:12]
            object.__setattr__(self, "key", digest)
