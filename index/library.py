"""The one object the bot and the CLI use: load content, keep the index fresh, search."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from index.adapter import library_model
from index.asked import AskedQuestions
from index.content import load_library
from index.embedder import Embedder
from index.encoders import EmbeddingBackend
from index.errors import ContentError, EmptyLibraryError
from index.passages import split_articles
from index.quotes import load_quotes
from index.scope import ScopeMap, example_vectors, load_scope
from index.search import HybridSearcher
from index.store import IndexStore
from index.tips import stands_alone, tip_candidates
from index.types import Article, Passage, Quote, SearchResult
from index.vocabulary import Vocabulary, load_vocabulary

log = logging.getLogger(__name__)
T = TypeVar("T")


def one_blas_thread() -> None:
    """numpy's BLAS on one thread, for the rest of the process. The library's matrices are
    small (hundreds to a few thousand rows of 384), and a second BLAS thread that has to
    wait for a core another process is using stalls every LAPACK call: the 30 ms SVD of
    `index/anisotropy.py` took 2.0 s then, and a batch of searches a third longer
    (bench/blas_threads.py). The model's own threads are set apart (`Embedder.use_threads`)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="blas")


def _or_reported(
    load: Callable[[Path], T], content_dir: Path | str, problems: list[ContentError], default: T
) -> T:
    """One of the curator's files (quotes, vocabulary, out-of-scope map): when it cannot be
    read it is logged and listed with the library's problems, and the library opens without
    it rather than not at all."""
    try:
        return load(Path(content_dir))
    except ContentError as exc:
        log.error("%s", exc)
        problems.append(exc)
        return default


def _log_repeats(vocabulary: Vocabulary) -> None:
    """Terms the vocabulary writes more than once: one log line (the shipped file has many;
    `coach index status` and `coach content check` list each)."""
    if len(vocabulary.repeats) == 1:
        log.warning("%s", vocabulary.repeats[0])
    elif vocabulary.repeats:
        first = vocabulary.repeats[0]
        log.warning(
            "%s: %d terms are written more than once (the first at line %s); only the last "
            "list of each is used; `coach index status` lists them",
            first.path,
            len(vocabulary.repeats),
            first.line,
        )


def library_embedder(
    model: str,
    content_dir: Path | str,
    index_dir: Path | str,
    *,
    backend: EmbeddingBackend | str = EmbeddingBackend.ONNX,
) -> Embedder:
    """The embedder the library searches with: `model`, adapted by the library's own adapter
    when it has one (index/adapter.py). Its ONNX export lives beside the model it came from
    when that model was made here, else in the index folder."""
    used = library_model(model, Path(content_dir), Path(index_dir))
    onnx_dir = Path(index_dir) if used == model else Path(used)
    return Embedder(used, backend=backend, onnx_dir=onnx_dir)


@dataclass
class Library:
    """Articles, their passages, the search over them and the quotes for the daily post.

    Build it once per process with `Library.open(...)`: it loads the model once.
    """

    articles: list[Article]
    passages: list[Passage]
    quotes: list[Quote]
    searcher: HybridSearcher
    store: IndexStore
    problems: list[ContentError] = field(default_factory=list)  # files that did not load
    _tip_pool: list[Passage] | None = field(default=None, repr=False)

    @classmethod
    def open(
        cls,
        content_dir: Path,
        index_dir: Path,
        model: str,
        *,
        progress: bool = False,
        rebuild: bool = False,
        embedder: Embedder | None = None,
        backend: EmbeddingBackend | str = EmbeddingBackend.ONNX,
    ) -> Library:
        """Load content/, rebuild the index if stale or corrupt, and get ready to search.

        Without an `embedder`, `library_embedder` makes one for `model` on `backend`."""
        one_blas_thread()
        report = load_library(Path(content_dir))
        articles, problems = report.articles, list(report.errors)
        if not articles:
            raise EmptyLibraryError(content_dir)
        passages = split_articles(articles)
        quotes = _or_reported(lambda d: load_quotes(d, articles), content_dir, problems, [])
        vocabulary = _or_reported(load_vocabulary, content_dir, problems, Vocabulary())
        _log_repeats(vocabulary)
        scope = _or_reported(load_scope, content_dir, problems, ScopeMap())
        embedder = embedder or library_embedder(model, content_dir, index_dir, backend=backend)
        store = IndexStore(index_dir)
        index = store.ensure(passages, embedder, progress=progress, rebuild=rebuild)
        asked = AskedQuestions.of(articles)
        searcher = HybridSearcher(
            passages,
            index,
            embedder,
            vocabulary=vocabulary,
            scope=scope,
            scope_vectors=example_vectors(scope, embedder, Path(index_dir)),
            asked=asked,
            asked_vectors=asked.vectors(embedder, Path(index_dir)),
        )
        return cls(articles, passages, quotes, searcher, store, problems)

    @property
    def topics(self) -> list[str]:
        """Tags across the library, most used first: what the coach can talk about."""
        counts: dict[str, int] = {}
        for article in self.articles:
            for tag in article.meta.tags:
                counts[tag] = counts.get(tag, 0) + 1
        return sorted(counts, key=lambda t: (-counts[t], t))

    def search(
        self,
        question: str,
        k: int = 3,
        *,
        offset: int = 0,
        context: str | None = None,
        max_chars: int = 500,
        exclude: Collection[str] = (),
    ) -> SearchResult:
        """Ranked passages that answer `question`, or answered=False when none does.

        `exclude` (passage fingerprints) and `offset` page through further passages ("More
        like this"): the fingerprints of those already shown name the same words whatever a
        reload did to the ranking, so none is shown twice. `context` is an earlier question
        in the same conversation, used when `question` is a short follow-up. Questions
        longer than `max_chars` are cut (result.truncated tells).
        """
        return self.searcher.search_many(
            [question], k, offset=offset, context=context, max_chars=max_chars, exclude=exclude
        )[0]

    def search_many(
        self, questions: list[str], k: int = 3, *, max_chars: int = 500
    ) -> list[SearchResult]:
        """Several questions at once (one embedding batch), answers in the same order."""
        return self.searcher.search_many(questions, k, max_chars=max_chars)

    def tip_pool(self) -> list[Passage]:
        """Passages that answer one of the library's topics, short enough for a tip: a tip
        asked for with no topic still gives advice, not an article's introduction (its
        opening before the first heading, which a topic's search can still rank high), nor
        a passage that only makes sense after the one before it, nor a survey's statistic
        (`stands_alone`)."""
        if self._tip_pool is None:
            ids: set[str] = set()
            for result in self.search_many(self.topics, 3):
                if result.hits:
                    best = result.hits[0].score
                    ids.update(h.passage.id for h in result.hits if h.score >= 0.85 * best)
            opening = {p.id for p in self.passages if p.position == 0 and p.section is None}
            ranked = [p for p in self.passages if p.id in ids - opening]
            pool = [p for p in tip_candidates(ranked) if stands_alone(p)]
            self._tip_pool = pool or tip_candidates(ranked) or tip_candidates(self.passages)
        return self._tip_pool
