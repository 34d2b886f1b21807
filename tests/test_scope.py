"""The curator's out-of-scope map (content/scope.yaml): questions on topics the library leaves
to others are declined with who to ask, and everything else is searched as before."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from index.embedder import Embedder
from index.errors import ContentError
from index.ingest.catalog import check_content
from index.library import Library
from index.scope import (
    SCOPE_FILE,
    ScopeMap,
    ScopeTopic,
    best_in_own_article,
    example_vectors,
    load_scope,
    own_margin,
    text_margin,
)
from index.search import HybridSearcher

VENDOR_QUESTION = "which call-recording tool should we buy?"
COACHING_QUESTION = "how do I motivate my reps?"


def test_a_question_on_a_topic_the_library_leaves_to_others_says_who_to_ask(
    shipped_library: Library,
) -> None:
    declined = shipped_library.search(VENDOR_QUESTION)
    assert not declined.answered and not declined.hits
    assert declined.out_of_scope is not None
    assert "vendor" in declined.out_of_scope.topic
    assert "RevOps" in declined.out_of_scope.ask
    answered = shipped_library.search(COACHING_QUESTION)
    assert answered.answered and answered.hits and answered.out_of_scope is None


def test_it_is_the_scope_map_that_declines(bundled_library: Library) -> None:
    """Without the curator's map (and curated questions, so on the bundled model) the same
    question gets passages (that only share its words): the map knows the library's edges."""
    bare = HybridSearcher(
        bundled_library.passages,
        bundled_library.searcher.dense,
        bundled_library.searcher.embedder,
        vocabulary=bundled_library.searcher.vocabulary,
    )
    result = bare.search_many([VENDOR_QUESTION])[0]
    assert result.answered and result.out_of_scope is None


# In-domain questions no article answers, which share enough words with the library that its
# nearest sentence looked like an answer: our own wording, not from any question set.
NEAR_MISSES = (
    ("how do I fill out the customer's security questionnaire?", "security"),
    ("what's a good net revenue retention for a series B SaaS company?", "benchmarks"),
    ("which sales training vendor is better, Sandler or Challenger?", "methodologies"),
)


def _without_curated_questions(library: Library) -> HybridSearcher:
    """The shipped library as it would search with no front matter `questions:` at all (so
    with no adapter either: give it the bundled-model library)."""
    searcher = library.searcher
    return HybridSearcher(
        searcher.passages,
        searcher.dense,
        searcher.embedder,
        vocabulary=searcher.vocabulary,
        scope=searcher.scope,
    )


@pytest.mark.parametrize(("question", "topic"), NEAR_MISSES)
def test_a_question_nearer_the_map_than_the_sections_questions_is_declined(
    shipped_library: Library, bundled_library: Library, question: str, topic: str
) -> None:
    """Judged by the questions the sections answer, not by their prose: each of these was
    answered with passages that only share its words while the decline compared the map's
    examples with the library's nearest sentence."""
    result = shipped_library.search(question)
    assert not result.answered and not result.hits
    assert result.out_of_scope is not None and topic in result.out_of_scope.topic
    by_text = _without_curated_questions(bundled_library)
    assert by_text.search_many([question])[0].answered, "a library without questions: as before"


def test_a_library_without_curated_questions_still_declines_by_its_text(
    bundled_library: Library,
) -> None:
    by_text = _without_curated_questions(bundled_library)
    declined = by_text.search_many([VENDOR_QUESTION, COACHING_QUESTION])
    assert declined[0].out_of_scope is not None and declined[1].answered


def test_an_article_without_questions_yet_speaks_for_itself() -> None:
    """Passages whose section has no curated question (an article just added) are judged by
    their text: a question is declined only when the map's examples beat both the curated
    questions and that text."""
    scope = ScopeMap((ScopeTopic("tax", "finance", ("a", "b", "c")),))
    near = np.array([0.6, 0.6, 0.6])
    assert scope.decline(near, asked=0.4, text=None, asked_margin=0.0, text_margin=0.07)
    assert scope.decline(near, asked=0.4, text=0.58, asked_margin=0.0, text_margin=0.07) is None
    assert scope.decline(near, asked=0.4, text=0.4, asked_margin=0.0, text_margin=0.07)
    assert scope.decline(near, asked=0.65, text=0.4, asked_margin=0.0, text_margin=0.07) is None
    assert scope.decline(near, asked=None, text=None, asked_margin=None, text_margin=0.07) is None


def test_each_library_sets_its_own_margin_from_its_questions(shipped_library: Library) -> None:
    """The margin declines 1% of the library's own curated questions, each scored with its
    section left out; too few questions for 1% to be one question: no margin (text only)."""
    searcher = shipped_library.searcher
    vectors = searcher.asked.vectors(searcher.embedder, None)
    examples = example_vectors(searcher.scope, searcher.embedder, None)
    sections = searcher.asked.sections
    margin = own_margin(vectors, sections, examples, 0.01)
    assert margin is not None and -0.2 < margin < 0.2
    assert own_margin(vectors[:50], sections[:50], examples, 0.01) is None
    assert own_margin(vectors, sections, examples[:0], 0.01) is None
    stricter = own_margin(vectors, sections, examples, 0.05)
    assert stricter is not None and stricter < margin


def test_an_article_just_added_is_judged_by_a_margin_the_library_sets(
    shipped_library: Library,
) -> None:
    """Each curated question scored as if its article had just been added (its best sentence
    in that article): the margin declines the share asked of them, whatever the model's
    cosines (a fixed 0.07 fitted the bundled model only)."""
    searcher = shipped_library.searcher
    vectors = searcher.asked.vectors(searcher.embedder, None)
    examples = example_vectors(searcher.scope, searcher.embedder, None)
    articles = [article for article, _ in searcher.asked.sections]
    own = best_in_own_article(
        vectors,
        articles,
        searcher.dense.sentence_vectors,
        searcher.dense.sentence_offsets,
        [p.article.id for p in searcher.passages],
    )
    assert own.shape == (len(vectors),) and (own > 0).all()
    margin = text_margin(vectors, own, examples, 0.03)
    assert margin is not None
    out = np.sort(vectors @ examples.T, axis=1)[:, -3:].mean(axis=1)
    assert abs(float((out - own > margin).mean()) - 0.03) < 0.005
    stricter = text_margin(vectors, own, examples, 0.1)
    assert stricter is not None and stricter < margin
    assert text_margin(vectors[:10], own[:10], examples, 0.03) is None
    assert text_margin(vectors, own, examples[:0], 0.03) is None


def test_off_topic_questions_are_still_plain_abstentions(shipped_library: Library) -> None:
    result = shipped_library.search("What is the capital of Australia?")
    assert not result.answered and result.out_of_scope is None


def _scope(folder: Path, text: str) -> Path:
    (folder / SCOPE_FILE).write_text(text, encoding="utf-8")
    return folder


def test_the_shipped_scope_file_loads(shipped_library: Library) -> None:
    scope = shipped_library.searcher.scope
    assert len(scope) >= 20
    assert all(t.topic and t.ask and len(t.examples) >= 3 for t in scope.topics)


def test_scope_file_mistakes_name_the_file_and_line(tmp_path: Path) -> None:
    assert len(load_scope(tmp_path)) == 0  # no file: nothing declined
    _scope(tmp_path, "out_of_scope:\n  - topic: tax\n    ask: [finance\n")
    with pytest.raises(ContentError, match=rf"{SCOPE_FILE}:\d+: not valid YAML"):
        load_scope(tmp_path)
    _scope(
        tmp_path,
        "out_of_scope:\n"
        "  - topic: tax\n    ask: finance\n    examples:\n      - how is commission taxed\n"
        "  - topic: visas\n    examples:\n      - can we hire in Canada\n",
    )
    with pytest.raises(ContentError, match=rf"{SCOPE_FILE}:6: entry without ask"):
        load_scope(tmp_path)
    _scope(tmp_path, "- tax\n")
    with pytest.raises(ContentError, match="expected `out_of_scope:`"):
        load_scope(tmp_path)
    problems = [str(p) for p in check_content(tmp_path, date.today())]
    assert any(SCOPE_FILE in p and "out_of_scope" in p for p in problems)


def test_example_vectors_are_kept_in_the_index_folder(
    tmp_path: Path, lib_embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`coach ask` starts without embedding the examples again; an edited map is embedded
    once more and the old vectors go."""
    scope = ScopeMap((ScopeTopic("tax", "finance", ("how is commission taxed?",)),))
    first = example_vectors(scope, lib_embedder, tmp_path)
    assert first.shape == (1, lib_embedder.dimensions)

    def no_model(*args: object, **kwargs: object) -> object:
        raise AssertionError("embedded again")

    monkeypatch.setattr(lib_embedder, "encode", no_model)
    assert np.allclose(example_vectors(scope, lib_embedder, tmp_path), first)
    monkeypatch.undo()
    edited = ScopeMap((ScopeTopic("tax", "finance", ("is a bonus taxed like salary?",)),))
    example_vectors(edited, lib_embedder, tmp_path)
    assert len(list(tmp_path.glob("scope-*.npy"))) == 1
