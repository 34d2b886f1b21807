"""Lexical side of search: tokens and BM25 (bm25s). The manager's vocabulary that expands
a question lives in content/vocabulary.yaml (index/vocabulary.py)."""

from __future__ import annotations

import logging
import re

import bm25s
import numpy as np
import Stemmer

# bm25s sets its own logger to DEBUG on import; its index-building chatter is not ours.
logging.getLogger("bm25s").setLevel(logging.WARNING)

# Common English function words plus question scaffolding ("how do I", "what is").
STOPWORDS = frozenset(
    """a about above after again against all am an and any are aren't as at be because been
    before being below between both but by can can't cannot could couldn't did didn't do does
    doesn't doing don't down during each few for from further had hadn't has hasn't have
    haven't having he he'd he'll he's her here here's hers herself him himself his how how's i
    i'd i'll i'm i've if in into is isn't it it's its itself let's me more most mustn't my
    myself no nor not of off on once only or other ought our ours ourselves out over own same
    shan't she she'd she'll she's should shouldn't so some such than that that's the their
    theirs them themselves then there there's these they they'd they'll they're they've this
    those through to too under until up very was wasn't we we'd we'll we're we've were weren't
    what what's when when's where where's which while who who's whom why why's with won't would
    wouldn't you you'd you'll you're you've your yours yourself yourselves get got getting
    really also just like thing things way ways something someone tell say said use using
    make makes making want wants good best better well much many one ones kind lot lots""".split()
)

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


class Tokenizer:
    """Lower-case word stems without stop words; the same for passages and questions."""

    def __init__(self) -> None:
        self._stemmer = Stemmer.Stemmer("english")

    def words(self, text: str) -> list[str]:
        text = text.lower().replace("’", "'").replace("-", " ")
        return [w for w in _WORD.findall(text) if w not in STOPWORDS and len(w) > 1]

    def stems(self, text: str) -> list[str]:
        return self._stemmer.stemWords(self.words(text))


class LexicalIndex:
    """BM25 over passage texts (with their titles and sections)."""

    def __init__(self, texts: list[str], tokenizer: Tokenizer | None = None) -> None:
        self.tokenizer = tokenizer or Tokenizer()
        corpus = [self.tokenizer.stems(t) or ["_empty_"] for t in texts]
        self.vocabulary = {stem for doc in corpus for stem in doc}
        self._bm25 = bm25s.BM25()
        self._bm25.index(corpus, show_progress=False)
        self.size = len(texts)

    def scores(self, question: str) -> np.ndarray:
        """BM25 of each passage; pass the question already expanded with the vocabulary."""
        stems = [s for s in self.tokenizer.stems(question) if s in self.vocabulary]
        if not stems or self.size == 0:
            return np.zeros(self.size, dtype="float32")
        return np.asarray(self._bm25.get_scores(stems), dtype="float32")

    def coverage(self, question: str) -> float:
        """Share of the question's own content words the library uses at all."""
        stems = self.tokenizer.stems(question)
        if not stems:
            return 0.0
        return sum(1 for s in stems if s in self.vocabulary) / len(stems)
