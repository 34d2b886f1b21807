"""One exception per reason an article or quote is refused; each names what was refused."""

from __future__ import annotations

from index.errors import CoachError


class IngestError(CoachError):
    """A source that cannot become an article; nothing is written for it."""

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")


class UnsupportedTypeError(IngestError):
    """Not a kind of file the library can read (.md .txt .html .htm .pdf .docx or a URL)."""


class UnreadableSourceError(IngestError):
    """The file is missing, corrupt, or holds no text."""


class TooLongError(IngestError):
    """More words than one article may have (MAX_WORDS), or a file over MAX_FILE_BYTES: a book
    or a dump, not an article."""


class FetchError(IngestError):
    """The URL did not answer: refused, timed out, or a status other than 2xx."""


class DuplicateSourceError(IngestError):
    """An article from the same source (URL) is already in the library."""


class NearDuplicateError(IngestError):
    """The text is nearly the same as an article already in the library."""


class ArticleNotFoundError(CoachError):
    """`content remove ID` names no article in the content folder."""

    def __init__(self, article_id: str, content_dir: str) -> None:
        self.article_id = article_id
        super().__init__(f"{content_dir}: no article {article_id!r} (see `coach content list`)")


class QuoteEditError(CoachError):
    """quotes.yaml cannot be edited as asked (no such quote, duplicate, unreadable file)."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")
