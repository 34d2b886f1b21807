"""Chatter around a question ("hey coach, ... thanks!"): left out of what is searched."""

from __future__ import annotations

import pytest

from index.chatter import without_chatter
from index.library import Library


@pytest.mark.parametrize(
    ("typed", "searched"),
    [
        (
            "hey coach, quick question: how do I run a pipeline review? thanks!",
            "how do I run a pipeline review?",
        ),
        (
            "Morning all - how should I pay SDRs? Any pointers appreciated.",
            "how should I pay SDRs?",
        ),
        ("hey coach how do i run a QBR thx", "how do i run a QBR"),
        (
            "hi! what makes a good ramp plan thanks in advance \U0001f64f",
            "what makes a good ramp plan",
        ),
        (
            "ok so my top rep wants to quit, what do I do? cheers",
            "my top rep wants to quit, what do I do?",
        ),
    ],
)
def test_greetings_and_thanks_around_a_question_are_not_searched(typed: str, searched: str) -> None:
    assert without_chatter(typed) == searched


@pytest.mark.parametrize(
    "question",
    [
        "how do I run a pipeline review?",  # nothing around it
        "team building ideas for remote reps?",  # "team" is the topic here, not an address
        "how do I get my reps bought in",  # a closing "in" with no thanks
        "is it worth thanking reps publicly for a good quarter?",
        "thanks!",  # all chatter: small talk, answered before search
        "hey coach",
        "U.S. reps vs EMEA reps: how do I split territories?",  # "U." is no clause
        "u.s. reps vs emea reps, how do I split territories?",
        "my 1:1s run long, any fix?",
    ],
)
def test_a_question_without_chatter_or_with_nothing_else_is_searched_as_typed(
    question: str,
) -> None:
    assert without_chatter(question) == question


@pytest.mark.parametrize(
    "question", ["How do I keep remote reps engaged?", "What should a new sales manager do first?"]
)
def test_a_question_wrapped_in_chatter_finds_what_the_bare_question_finds(
    shipped_library: Library, question: str
) -> None:
    bare = shipped_library.search(question, 3)
    chatty = shipped_library.search(f"hey coach, quick question: {question} thanks in advance!", 3)
    assert bare.answered and chatty.answered
    # what was typed is what the answer (and the curator's report) carries
    assert chatty.question.startswith("hey coach, quick question:")
    assert [h.passage.id for h in chatty.hits] == [h.passage.id for h in bare.hits]
