"""Hybrid search: dense (FAISS) + lexical (BM25), re-ranked by best-sentence similarity,
diversified, and able to abstain when the library has nothing relevant."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Collection

import numpy as np

from index.anisotropy import CommonDirections
from index.answer_gate import AnswerGate
from index.asked import AskedQuestions, AskedSignal
from index.chatter import without_chatter
from index.diversity import Diversity
from index.embedder import Embedder
from index.late_interaction import LateInteraction
from index.lexical import LexicalIndex
from index.passages import split_sentences
from index.question_text import truncate_question
from index.scope import ScopeMap, best_in_own_article, example_vectors, own_margin, text_margin
from index.spelling import Speller
from index.store import DenseIndex
from index.tuning import FUSED_SIGNALS, QUESTION_SIGNALS, SearchTuning
from index.types import Hit, OutOfScope, Passage, SearchResult
from index.vocabulary import Vocabulary
from index.vocabulary_tokens import VocabularyTokens

log = logging.getLogger(__name__)
_PER_PASSAGE = (*FUSED_SIGNALS, *QUESTION_SIGNALS, "best_sentence")
_EMPTY = np.zeros(0, dtype="float32")


def _z(signal: np.ndarray, over: np.ndarray | None = None) -> np.ndarray:
    """`signal` as z-scores, by the mean and spread of the entries `over` marks (all by
    default); zeros for a flat signal, which then adds nothing either way."""
    part = signal if over is None else signal[over]
    spread = float(part.std())
    if spread <= 1e-9:
        return np.zeros_like(signal)
    return (signal - part.mean()) / spread


def _near(f: dict[str, np.ndarray]) -> float | None:
    """The mean cosine of the question's three nearest curated questions, if any."""
    return float(f["asked_near"][0]) if len(f["asked_near"]) else None


class HybridSearcher:
    def __init__(
        self,
        passages: list[Passage],
        dense: DenseIndex,
        embedder: Embedder,
        tuning: SearchTuning | None = None,
        vocabulary: Vocabulary | None = None,
        scope: ScopeMap | None = None,
        scope_vectors: np.ndarray | None = None,
        asked: AskedQuestions | None = None,
        asked_vectors: np.ndarray | None = None,
    ) -> None:
        order = {pid: i for i, pid in enumerate(dense.passage_ids)}
        if [p.id for p in passages] != dense.passage_ids:
            passages = [p for p in passages if p.id in order]
            passages.sort(key=lambda p: order[p.id])
        self.passages = passages
        self.dense = dense
        self.embedder = embedder
        self.tuning = tuning or SearchTuning()
        self.vocabulary = vocabulary or Vocabulary()
        self._vocabulary_tokens = VocabularyTokens(self.vocabulary, embedder)
        self.scope = scope or ScopeMap()
        self._scope_vectors = scope_vectors  # embedded when first needed if not given
        self.lexical = LexicalIndex([p.embed_text for p in passages])
        self.late_interaction = LateInteraction(
            dense.token_vectors, dense.token_offsets, len(passages)
        )
        self._sentences = [split_sentences(p.text) or [p.text] for p in passages]
        n = dense.faiss_index.ntotal
        self._passage_vectors = dense.faiss_index.reconstruct_n(0, n) if n else _EMPTY[:, None]
        self._common = CommonDirections.fit(self._passage_vectors, self.tuning.common_directions)
        common = self._common or (lambda vectors: vectors)
        self._dense_passages = common(self._passage_vectors)
        self.asked, self._asked_vectors = asked or AskedQuestions(), asked_vectors
        self._asked: AskedSignal | None = None  # made when first needed
        self._diversity = Diversity(passages, self._sentences, self.tuning)

    def with_asked(self, asked: AskedQuestions) -> HybridSearcher:
        """The same library searched with other curated questions (another batch of them, or
        one article's taken out as if it had just been added)."""
        return HybridSearcher(
            self.passages,
            self.dense,
            self.embedder,
            self.tuning,
            self.vocabulary,
            self.scope,
            self._scope_vectors,
            asked,
        )

    def warm(self) -> None:
        """Embed every vocabulary entry and out-of-scope example now (about two seconds), so
        that no question pays for it; otherwise each is embedded when first needed."""
        self._vocabulary_tokens.prepare()
        self._scope_matrix()
        _ = self._own_margin, self._text_margin
        _ = self._gate, self._speller

    @functools.cached_property
    def _speller(self) -> Speller:
        """Typos corrected to this library's words (index/spelling.py)."""
        entries = self.vocabulary.entries.items()
        vocabulary = [" ".join(term + words) for term, words in entries]
        return Speller.of([*(p.embed_text for p in self.passages), *self.asked.texts, *vocabulary])

    def _scope_matrix(self) -> np.ndarray:
        """The out-of-scope examples' vectors (embedded once per library)."""
        if self._scope_vectors is None:
            self._scope_vectors = example_vectors(self.scope, self.embedder, None)
        return self._scope_vectors

    def _asked_signal(self) -> AskedSignal:
        """The questions the sections answer (embedded once per library)."""
        if self._asked is None:
            if self._asked_vectors is None:
                self._asked_vectors = self.asked.vectors(self.embedder, None)
            self._asked = AskedSignal(
                self.asked, self._asked_vectors, self.passages, self._passage_vectors
            )
        return self._asked

    @functools.cached_property
    def _own_margin(self) -> float | None:
        """The out-of-scope margin on the curated questions' side (set once per library)."""
        signal = self._asked_signal()  # embeds the questions when not given
        return own_margin(
            self._asked_vectors if signal else np.zeros((0, 1)),
            self.asked.sections,
            self._scope_matrix(),
            self.tuning.out_of_scope_share,
        )

    @functools.cached_property
    def _text_margin(self) -> float:
        """The out-of-scope margin on the side of passages without curated questions (set
        once per library); the fixed one when the library has too few questions."""
        signal = self._asked_signal()
        if not signal:
            return self.tuning.out_of_scope_margin
        own = best_in_own_article(
            self._asked_vectors,
            [article for article, _ in self.asked.sections],
            self.dense.sentence_vectors,
            self.dense.sentence_offsets,
            [p.article.id for p in self.passages],
        )
        margin = text_margin(
            self._asked_vectors, own, self._scope_matrix(), self.tuning.out_of_scope_share
        )
        return self.tuning.out_of_scope_margin if margin is None else margin

    # ---- scoring -------------------------------------------------------------------------
    def features(self, question: str, context: str | None = None) -> dict[str, np.ndarray]:
        text = f"{context} {question}" if context else question
        return self.features_batch([text])[0]

    def features_batch(self, texts: list[str]) -> list[dict[str, np.ndarray]]:
        """Per-passage signals for each question: dense (the library's common directions
        removed), best sentence, late interaction (as typed and with the manager's
        vocabulary added) and BM25 (with the vocabulary).

        One forward pass per batch of questions: the words a question gains from the
        vocabulary bring their own token vectors, each entry embedded once per library as
        a phrase (`VocabularyTokens`), instead of a second pass over the expanded question.
        """
        n = len(self.passages)
        texts = [self._speller.correct(t) for t in texts]
        gained = [self.vocabulary.expansion_groups(t) for t in texts]
        added = [[w for found in each for w in found.words] for each in gained]
        expanded = [" ".join([t, *words]) for t, words in zip(texts, added, strict=True)]
        extra = [i for i, each in enumerate(gained) if each]
        query_vectors, tokens = self.embedder.encode_with_tokens(texts)
        scope = self._scope_matrix()
        scope_scores = query_vectors @ scope.T if len(scope) else np.zeros((len(texts), 0))
        dense_queries = self._common(query_vectors) if self._common else query_vectors
        passage_scores = dense_queries @ self._dense_passages.T if n else None
        sentence_scores = query_vectors @ self.dense.sentence_vectors.T if n else None
        offsets = self.dense.sentence_offsets
        best_sentence = (
            np.maximum.reduceat(sentence_scores, offsets[:-1], axis=1) if n else _EMPTY[None]
        )
        asked = self._asked_signal()
        asked_sims = asked.similarities(query_vectors)
        asked_scores, asked_own = asked.scores(asked_sims)
        asked_near = asked.nearest(asked_sims)
        # each word's best matches once: the question's own words serve both signals
        li = self.late_interaction
        best = li.best_matches(self._vocabulary_tokens.with_expansions(list(tokens), gained))
        late = [li.mean_of(b, len(t)) for b, t in zip(best, tokens, strict=True)]
        late_vocab = {i: li.mean_of(best[i]) for i in extra}
        out: list[dict[str, np.ndarray]] = []
        for row in range(len(texts)):
            if n == 0:
                out.append(dict.fromkeys(_PER_PASSAGE, _EMPTY) | {"scope": scope_scores[row]})
                continue
            sims, sentence = sentence_scores[row], best_sentence[row]
            out.append(
                {
                    "dense": passage_scores[row],
                    "sentence": sentence.astype("float32"),
                    "lexical": self.lexical.scores(expanded[row]),
                    "tokens": late[row],
                    "tokens_vocab": late_vocab.get(row, late[row]),
                    "best_sentence": self._first_best(sims, sentence),
                    "asked": asked_scores[row],  # nearest question the section answers
                    "asked_passage": asked_own[row],  # nearest of those given the passage
                    "asked_near": asked_near[row : row + 1],  # mean of 3 nearest, any section
                    "scope": scope_scores[row],  # cosine to each out-of-scope example
                }
            )
        return out

    def _first_best(self, sims: np.ndarray, best: np.ndarray) -> np.ndarray:
        """Per passage, the index (within the passage) of its first best-scoring sentence."""
        offsets = self.dense.sentence_offsets
        owner = np.repeat(np.arange(len(best)), np.diff(offsets))
        at_best = np.flatnonzero(sims >= best[owner])
        _, first = np.unique(owner[at_best], return_index=True)
        return (at_best[first] - offsets[:-1]).astype("int64")

    def fused(self, f: dict[str, np.ndarray]) -> np.ndarray:
        """Weighted sum of the signals' z-scores over the passages (0 for a flat signal).

        A passage whose section has no curated questions yet (an article just added) has no
        question signals of its own: its z-score in each is its text's (the sum of the text
        signals' z-scores, standardised like the question signals, over the passages that
        have questions), so a new article ranks as its words deserve instead of below every
        section a curator has described (bench/quality_asked.md, "An article without
        questions yet").
        """
        text = np.zeros(len(self.passages), dtype="float64")
        for name in self.tuning.signals:
            if name not in QUESTION_SIGNALS:
                text += self.tuning.weight(name) * _z(f[name].astype("float64"))
        described = self._asked_signal().described if self.asked.texts else None
        if described is None or not described.any():
            return text
        stand_in = _z(text, described)
        total = text.copy()
        for name in self.tuning.signals:
            if name in QUESTION_SIGNALS:
                signal = _z(f[name].astype("float64"), described)
                total += self.tuning.weight(name) * np.where(described, signal, stand_in)
        return total

    @functools.cached_property
    def _gate(self) -> AnswerGate:
        """The cut-offs this library and model set themselves (set once per library)."""
        signal = self._asked_signal()  # embeds the questions when not given
        return AnswerGate.fit(
            self._asked_vectors if signal else np.zeros((0, 1)),
            self.asked.sections,
            self.dense.sentence_vectors,
            self.dense.sentence_offsets,
            library_share=self.tuning.library_share,
            near_share=self.tuning.near_share,
            sure_share=self.tuning.sure_share,
            fallback=self.tuning.answer_library,
        )

    def should_answer(self, question: str, f: dict[str, np.ndarray]) -> bool:
        """Answer when the question sits inside the library's subject: its best-sentence
        cosine, averaged over every passage, reaches the gate's cut-off
        (index/answer_gate.py), and its nearest curated questions are near enough.

        A best score alone rises with every article added (more sentences, more chance
        matches: "book a meeting room" finds a sentence about meetings); the average over the
        library stays where the library's subject is, whatever its size.
        """
        if not len(f["sentence"]):
            return False
        signal = self._asked_signal()
        undescribed = f["sentence"][~signal.described] if signal else _EMPTY
        best_new = float(undescribed.max()) if len(undescribed) else None
        return self._gate.admits(float(f["sentence"].mean()), _near(f), best_new)

    def out_of_scope(self, f: dict[str, np.ndarray]) -> OutOfScope | None:
        """The curator's out-of-scope topic the question is about, if any (index/scope.py):
        sections with curated questions are judged by those, the rest by their text."""
        if len(f["sentence"]) == 0:
            return None
        margin = self._own_margin
        described = self._asked_signal().described if margin is not None else None
        asked = float(f["asked_near"][0]) if described is not None else None
        rest = f["sentence"] if described is None else f["sentence"][~described]
        text = float(rest.max()) if len(rest) else None
        return self.scope.decline(f["scope"], asked, text, margin, self._text_margin)

    # ---- selection -----------------------------------------------------------------------
    def _diverse_order(
        self, ranked: list[int], score: np.ndarray, limit: int | None = None
    ) -> list[int]:
        return self._diversity.order(ranked, score, limit)

    def rank_all(self, question: str) -> list[Hit]:
        """Every passage in the order search would show them, as if it never abstained:
        where the right passage stands when an answer goes wrong (`coach eval --explain`)."""
        if not self.passages or not re.search(r"\w", question):
            return []
        f = self.features_batch([question])[0]
        score = self.fused(f)
        order = self._diverse_order([int(j) for j in np.argsort(-score, kind="stable")], score)
        return [
            Hit(
                rank=r + 1,
                score=round(float(score[j]), 4),
                passage=self.passages[j],
                key_sentence=self._sentences[j][int(f["best_sentence"][j])],
            )
            for r, j in enumerate(order)
        ]

    def search_many(
        self,
        questions: list[str],
        k: int = 3,
        *,
        offset: int = 0,
        context: str | None = None,
        max_chars: int = 500,
        exclude: Collection[str] = (),
    ) -> list[SearchResult]:
        """Answers for several questions, embedded in one batch; same order as given. Passages
        in `exclude` (fingerprints: shown already) are skipped, their near-duplicates too."""
        if context:
            context = without_chatter(truncate_question(context, max_chars)[0])
        prepared = [truncate_question(q, max_chars) for q in questions]
        plain = [without_chatter(q) for q, _ in prepared]  # searched without "hi", "thanks"
        texts = [f"{context} {q}" if context else q for q in plain]
        searchable = [
            i for i, (q, _) in enumerate(prepared) if re.search(r"\w", q) and self.passages
        ]
        features = dict(
            zip(searchable, self.features_batch([texts[i] for i in searchable]), strict=True)
        )
        results: list[SearchResult] = []
        for i, (question, truncated) in enumerate(prepared):
            f = features.get(i)
            answer = f is not None and self.should_answer(texts[i], f)
            # the out-of-scope map is asked about an answerable question, and about one the
            # library score declined that is still near the curated questions (an in-domain
            # topic the library lacks: the map can say who to ask), never an off-topic one
            asked = answer or (f is not None and self._gate.in_domain(_near(f)))
            declined = self.out_of_scope(f) if asked and f is not None else None
            if declined is None and not answer:
                results.append(SearchResult(question=question, answered=False, truncated=truncated))
                continue
            if declined is not None:
                results.append(
                    SearchResult(
                        question=question,
                        answered=False,
                        truncated=truncated,
                        out_of_scope=declined,
                    )
                )
                continue
            score = self.fused(f)
            ranked = [int(j) for j in np.argsort(-score, kind="stable")]
            order = self._diverse_order(ranked, score, limit=offset + len(exclude) + k + 1)
            new = [
                (r, j) for r, j in enumerate(order) if self.passages[j].fingerprint not in exclude
            ]
            hits = tuple(
                Hit(
                    rank=r + 1,
                    score=round(float(score[j]), 4),
                    passage=self.passages[j],
                    key_sentence=self._sentences[j][int(f["best_sentence"][j])],
                )
                for r, j in new[offset : offset + k]
            )
            results.append(
                SearchResult(
                    question=question,
                    answered=bool(hits),
                    hits=hits,
                    truncated=truncated,
                    more=len(new) > offset + k,
                )
            )
        return results
