"""The coach itself, Slack-free: question -> answer, a tip, the quote of the day.

The Slack app, the console and the CLI all use this one service; it knows the library
(index/) and the database, never Slack. Searches are CPU bound: at most `search_lanes` run
at once (SEARCH_LANES, one by default), and plain questions that queue up meanwhile (a burst
of mentions) are searched together in one embedding batch.
"""

from __future__ import annotations

import os
import random
import threading
import weakref
from collections.abc import Collection, Sequence
from concurrent.futures import Future
from datetime import date
from typing import Protocol

import numpy as np
from sqlalchemy import Engine

from bot.daily_quote.rotation import quote_of_the_day
from bot.settings import Settings
from bot.store.tips import TipHistory, TipMemory
from index.library import Library
from index.reload import LibraryReloader
from index.tips import random_tip
from index.types import Passage, Quote, SearchResult

SUGGESTION_TEMPLATES = (  # phrasings that read well with any topic noun
    "Any advice on {t}?",
    "What should I know about {t}?",
)


def topic_label(topic: str) -> str:
    return topic.replace("-", " ").replace("_", " ").strip()


def suggest_questions(topics: Sequence[str], n: int = 3) -> list[str]:
    """Questions phrased from the library's own topics (never canned answers).

    The coach keeps only those the library really answers (Coach.suggestions).
    """
    out: list[str] = []
    for i, topic in enumerate(t for t in topics if t.strip()):
        if len(out) >= n:
            break
        out.append(SUGGESTION_TEMPLATES[i % len(SUGGESTION_TEMPLATES)].format(t=topic_label(topic)))
    return out


def cores() -> int:
    """The cores this process may use."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


def search_lanes(settings: Settings) -> int:
    """Searches run at once: SEARCH_LANES, or one per core this process may use."""
    return settings.search_lanes or cores()


def search_threads(settings: Settings) -> int:
    """Model passes of one search batch run side by side: SEARCH_THREADS, or one per core."""
    return settings.search_threads or cores()


class RecentTips(Protocol):
    """Which tips each person saw (the database in the Slack app, memory in the console)."""

    def recent(self, user_id: str, limit: int = 5) -> list[str]: ...

    def record(self, user_id: str, passage_id: str, topic: str | None = None) -> None: ...


Tip = tuple[Passage, str | None]  # the passage and its key sentence (None: no topic asked)


class Coach:
    """Everything a surface (Slack, console, CLI) asks of the library, created once."""

    # checked suggestions per library (they cost a few searches to find); a weak reference
    # beside each, so a reloaded library's reused id() never picks up another's list
    _suggestion_cache: dict[int, tuple[weakref.ref[Library], list[str]]] = {}

    def __init__(
        self,
        settings: Settings,
        library: Library,
        engine: Engine | None = None,
        *,
        tips: RecentTips | None = None,
        rng: random.Random | None = None,
        reloader: LibraryReloader | None = None,
    ) -> None:
        self.settings = settings
        self._library = library
        self.reloader = reloader  # when set, its current library is the one answering
        self.engine = engine
        self.tips: RecentTips = tips or (TipHistory(engine) if engine else TipMemory())
        self._rng = rng or random.Random()
        self._passages: tuple[Library, dict[str, Passage], dict[str, Passage]] | None = None
        self._lanes = threading.BoundedSemaphore(search_lanes(settings))
        self._queue_lock = threading.Lock()
        self._queue: list[tuple[str, Future[SearchResult]]] = []
        self.max_batch = 16
        self._suggestions: list[str] | None = None
        self._suggestions_for: Library | None = None

    @property
    def library(self) -> Library:
        """The library answering now: a hot reload swaps it between two questions, never
        during one (each search reads it once)."""
        return self.reloader.current if self.reloader is not None else self._library

    @property
    def quotes(self) -> list[Quote]:
        """The current library's quotes (what the daily quote scheduler reads)."""
        return self.library.quotes

    # ---- answers ------------------------------------------------------------------------
    def search(
        self,
        question: str,
        *,
        context: str | None = None,
        offset: int = 0,
        k: int | None = None,
        exclude: Collection[str] = (),
    ) -> SearchResult:
        """The passages that answer `question` (in the light of `context`, the question that
        started a thread), leaving out those whose fingerprint is in `exclude` (shown
        already: the page is the next `k` that are new, whatever the library did meanwhile)
        and then the first `offset`."""
        k = k or self.settings.top_k
        if context is None and offset == 0 and k == self.settings.top_k and not exclude:
            return self._search_batched(question)
        with self._lanes:
            return self.library.search(
                question,
                k,
                offset=offset,
                context=context,
                max_chars=self.settings.max_question_chars,
                exclude=frozenset(exclude),
            )

    def search_many(self, questions: list[str], k: int | None = None) -> list[SearchResult]:
        """Several questions in one embedding batch, answers in the same order (`coach ask`)."""
        with self._lanes:
            return self.library.search_many(
                questions, k or self.settings.top_k, max_chars=self.settings.max_question_chars
            )

    def _search_batched(self, question: str) -> SearchResult:
        """Join the queue of waiting questions; whoever gets a free lane searches a batch of
        them (maybe including this one), until this question has its answer."""
        mine: Future[SearchResult] = Future()
        with self._queue_lock:
            self._queue.append((question, mine))
        while not mine.done():
            with self._lanes:
                if mine.done():  # another thread's batch included this question
                    break
                with self._queue_lock:
                    batch = self._queue[: self.max_batch]
                    del self._queue[: self.max_batch]
                if batch:
                    self._run_batch(batch)
            if not batch:  # in a batch another lane is searching right now
                break
        return mine.result()

    def _run_batch(self, batch: list[tuple[str, Future[SearchResult]]]) -> None:
        try:
            results = self.library.search_many(
                [q for q, _ in batch],
                self.settings.top_k,
                max_chars=self.settings.max_question_chars,
            )
        except Exception as err:
            for _, future in batch:
                future.set_exception(err)
        else:
            for (_, future), result in zip(batch, results, strict=True):
                future.set_result(result)

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length embeddings of `texts` with the library's model (to merge questions
        that mean the same); waits for a lane like the searches."""
        with self._lanes:
            return self.library.searcher.embedder.encode(texts)

    def suggestions(self, n: int = 3, seed: str = "") -> list[str]:
        """Questions phrased from the library's topics that it really answers (checked once)."""
        library = self.library
        if self._suggestions_for is not library:  # first call, or a reload swapped it
            self._suggestions_for = library
            cached = Coach._suggestion_cache.get(id(library))
            self._suggestions = cached[1] if cached and cached[0]() is library else None
        if self._suggestions is None:
            found: list[str] = []
            for i, topic in enumerate(self.topics[:24]):
                for j in range(len(SUGGESTION_TEMPLATES)):
                    template = SUGGESTION_TEMPLATES[(i + j) % len(SUGGESTION_TEMPLATES)]
                    question = template.format(t=topic_label(topic))
                    if self.search(question).answered:
                        found.append(question)
                        break
                if len(found) >= 12:
                    break
            self._suggestions = found
            Coach._suggestion_cache[id(library)] = (weakref.ref(library), found)
        if not self._suggestions:
            return []
        start = sum(map(ord, seed)) % len(self._suggestions)
        rotated = self._suggestions[start:] + self._suggestions[:start]
        return rotated[:n]

    def passage(self, passage_id: str, fingerprint: str | None = None) -> Passage | None:
        """The passage a button showed. With its `fingerprint` (`Passage.fingerprint`), the
        same words even where an edit of its article moved them to another id; None when
        the library no longer has them (never other words that took over the id)."""
        library = self.library
        if self._passages is None or self._passages[0] is not library:
            by_id = {p.id: p for p in library.passages}
            by_text = {p.fingerprint: p for p in library.passages}
            self._passages = (library, by_id, by_text)
        found = self._passages[1].get(passage_id)
        if fingerprint is None or (found is not None and found.fingerprint == fingerprint):
            return found
        return self._passages[2].get(fingerprint)

    @property
    def topics(self) -> list[str]:
        return list(self.library.topics)

    # ---- tips and quotes ----------------------------------------------------------------
    def pick_tip(self, user_id: str, topic: str | None) -> Tip | None:
        """A short passage: on the topic if given, never the one this person saw last."""
        recent = self.tips.recent(user_id, limit=5)
        last = recent[0] if recent else None
        chosen: Tip
        if topic:
            result = self.search(topic, k=8)
            if not result.answered or not result.hits:
                return None
            hits = list(result.hits)
            fresh = [h for h in hits if h.passage.id not in recent]
            other = [h for h in hits if h.passage.id != last]
            hit = (fresh or other or hits)[0]
            chosen = (hit.passage, hit.key_sentence)
        else:
            picked = random_tip(self.library.tip_pool(), avoid=recent, rng=self._rng)
            if picked is None:
                return None
            chosen = (picked, None)
        self.tips.record(user_id, chosen[0].id, topic)
        return chosen

    def todays_quote(self, today: date | None = None) -> Quote | None:
        """Today's quote: the daily rotation's pick, or the library's by date without a DB."""
        return quote_of_the_day(self.settings, self.library, self.engine, today)


# ---- a /leadership-tip topic ------------------------------------------------------------
# How much of a topic is used: its first TOPIC_MAX_CHARS characters, cut between words.
# Slack and the console cut it the same way, and both tell the person when they did (a long
# topic was cut silently: the tip then seemed to ignore what came after).
TOPIC_MAX_CHARS = 200


def cut_topic(text: str) -> tuple[str, bool]:
    """The topic as searched (whitespace runs made one space) and whether it was cut. The
    cut falls before the word that would cross the limit; a single word longer than the
    limit is cut at the limit."""
    topic = " ".join(text.split())
    if len(topic) <= TOPIC_MAX_CHARS:
        return topic, False
    head = topic[:TOPIC_MAX_CHARS]
    if topic[TOPIC_MAX_CHARS] != " " and " " in head:
        head = head.rsplit(" ", 1)[0]
    return head.rstrip(" ,;:-"), True


def last_words(topic: str, count: int = 5) -> str:
    """Where a cut topic ends, to show the person what was used ("…motivate the team")."""
    return " ".join(topic.split()[-count:])[-60:]


def cut_sentence(topic: str) -> str:
    """The plain sentence a person is told when their topic was cut (`topic`: what was
    used), in Slack and in the console."""
    return (
        f"Your topic was over {TOPIC_MAX_CHARS} characters, so I used only its first part, "
        f"up to \u201c\u2026{last_words(topic)}\u201d."
    )
