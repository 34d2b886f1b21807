"""Typos in a question: corrected to the library's words, names and shorthand left alone."""

from __future__ import annotations

import pytest

from index.library import Library
from index.spelling import Speller

LIBRARY_TEXTS = [
    "Coaching underperforming reps starts with one clear expectation.",
    "A weekly pipeline review keeps the forecast honest.",
    "Trailing indicators tell you what already happened.",
]


@pytest.fixture(scope="module")
def speller() -> Speller:
    return Speller.of(LIBRARY_TEXTS)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("how do I coach underperfomring reps?", "how do I coach underperforming reps?"),
        ("our weekly pipline review drags on", "our weekly pipeline review drags on"),
        ("Coachng tips for a new manager?", "Coaching tips for a new manager?"),
        ("the forcast is always late", "the forecast is always late"),
    ],
)
def test_a_mistyped_library_word_is_searched_as_the_library_spells_it(
    speller: Speller, typed: str, meant: str
) -> None:
    assert speller.correct(typed) == meant


@pytest.mark.parametrize(
    "question",
    [
        "we are trialing a new dialer",  # English words the library lacks: not typos
        "how do our revops folks fit in?",  # shorthand near no library word
        "should I ask Coachin about it?",  # a name mid-sentence
        "we moved the pipline to SaaS",  # an acronym ("SaaS"): left, the typo still fixed
        "is a rep's forecast their own?",  # possessive of a known word
    ],
)
def test_names_shorthand_and_real_words_are_left_as_typed(speller: Speller, question: str) -> None:
    corrected = speller.correct(question)
    for word in ("trialing", "dialer", "revops", "Coachin", "SaaS", "rep's"):
        if word in question:
            assert word in corrected
    if "pipline" in question:
        assert "pipeline" in corrected


def test_a_question_with_typos_finds_what_its_spelled_version_finds(
    shipped_library: Library,
) -> None:
    spelled = shipped_library.search("How do I motivate my reps after a terrible quarter?", 3)
    typed = shipped_library.search("How do I motivtae my reps after a terible quartre?", 3)
    assert spelled.answered and typed.answered
    assert typed.question == "How do I motivtae my reps after a terible quartre?"
    assert [h.passage.id for h in typed.hits] == [h.passage.id for h in spelled.hits]
