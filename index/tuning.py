"""What search is tuned by: the signals fused and the abstention's shares and cut-offs,
every figure chosen by cross-validation (bench/quality.py --cv, bench/adapt_abstain.py)."""

from __future__ import annotations

from dataclasses import dataclass

# The signals summed, each standardised over the library's passages for the question.
FUSED_SIGNALS = ("dense", "sentence", "tokens", "tokens_vocab", "lexical")
# The signals from the questions each section answers (front matter `questions:`).
QUESTION_SIGNALS = ("asked", "asked_passage")


@dataclass(frozen=True)
class SearchTuning:
    """Fusion and abstention; every figure chosen by cross-validation (bench/quality.py --cv).

    Fusion sums per-question z-scores of the signals: no weights to tune, and a signal
    that is flat for a question (BM25 with no shared word) adds nothing either way.
    """

    signals: tuple[str, ...] = (*FUSED_SIGNALS, *QUESTION_SIGNALS)
    per_article: int = 2  # at most this many passages of one article among those shown
    near_duplicate: float = 0.5  # share of words two shown passages may have in common
    # Abstain unless the question is this close to the library as a whole: the mean, over
    # the library's passages, of its best-sentence cosine. Relative to the library, so it
    # holds as articles are added (the same cut-off was chosen by cross-validation on the
    # five seed articles and on the grown library); see bench/quality.py --cv.
    answer_library: float = 0.096
    # ...but only when the library has too few curated questions to set its own cut-offs
    # (index/answer_gate.py): then, answer when the question's library score declines no
    # more than `library_share` of the curated questions, and its three nearest curated
    # questions no more than `near_share` (chosen by leave-one-set-out over every set, on
    # the library's adapted model; bench/adapt_abstain.py, bench/adapt_model.md).
    library_share: float = 0.002
    near_share: float = 0.005
    # ...and answer, whatever its library score, a question whose three nearest curated
    # questions are as near as those of all but this share of the curated questions (0.4:
    # chosen by leave-one-set-out for seven held-out sets of eight; pooled false abstain
    # 15 -> 13 of 474, uncovered and off-topic unchanged: bench/gate_near_override.md).
    sure_share: float = 0.4
    # Share of the best fused score still "about as relevant": 0.6 keeps one answer in six
    # from a single article, as before the curated questions (bench/quality_asked.md).
    relevant_ratio: float = 0.6
    # The dense signal compares question and passage with the library's mean passage vector
    # and its top principal directions removed (all-but-the-top; index/anisotropy.py): 2,
    # chosen by cross-validation (bench/quality_anisotropy.py); 0 = plain cosine.
    common_directions: int = 2
    # Decline a question whose three nearest out-of-scope examples (content/scope.yaml) are,
    # on average, closer than its three nearest curated section questions by more than the
    # margin that would decline this share of the curated questions themselves, each with
    # its section left out (index/scope.py own_margin). 3%: chosen by leave-one-set-out over
    # all eight sets on the adapted model (bench/adapt_scope_share.py: uncovered declined
    # 87 -> 96 of 114, off-topic 68 -> 70 of 72, false abstain 12 -> 15 of 474), and with
    # each article in turn as if just added (bench/scope_text_margin.md).
    out_of_scope_share: float = 0.03
    # Passages without curated questions (an article just added) are judged by their best
    # sentence instead, by a margin set the same way (index/scope.py text_margin); this
    # fixed one (cosine, fitted to the bundled model: bench/quality_scope.md) only when the
    # library has too few curated questions to set it.
    out_of_scope_margin: float = 0.07
    # The nearest of the questions a section answers (front matter `questions:`) counts
    # this many times a signal of the passage's own text, and the nearest of those given
    # the passage itself ("asked_passage") once. 2 with the bundled model
    # (bench/quality_asked.md); 8 with the library's adapted model, fine-tuned on those
    # questions, which makes them the strongest signal: leave-one-set-out over all eight
    # sets chose 8 (the grid's top; 4-8 within 0.01 MRR) for seven held-out sets of eight
    # (own5: 6), the passage's own at 1 for five (1 kept); worst held-out MRR@10 0.47 ->
    # 0.53, mean 0.66 -> 0.69 (bench/quality_weights.md).
    asked_weight: float = 8.0

    def weight(self, signal: str) -> float:
        return self.asked_weight if signal == "asked" else 1.0
