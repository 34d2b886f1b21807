"""Passages: whole sentences, sensible sizes, metadata and positions kept."""

from __future__ import annotations

import re

import pytest

from index.content import load_library
from index.passages import split_article, split_articles, split_sentences
from index.types import Article, ArticleMeta, Passage
from tests.library_fixtures import SHIPPED_CONTENT

# A passage ends a sentence, a quotation, or a quote's attribution ("— Peter Drucker").
# A passage ends a sentence: with . ! ? …, a closing quote, an attribution ("— Name"), or a
# colon ending a lead-in sentence whose list is the next passage.
_ENDS_SENTENCE = re.compile(r"([.!?…:][\"”’')\]]*|[—–-] ?[A-Z][\w.' ]+)$")


def article(body: str, article_id: str = "test-article") -> Article:
    meta = ArticleMeta(id=article_id, title="Test Title", author="A. Writer", tags=("coaching",))
    return Article(meta=meta, body=body)


def body_sentences(body: str) -> list[str]:
    """Every sentence of an article body in order, headings left out."""
    sentences: list[str] = []
    for para in body.split("\n\n"):
        if para.strip() and not re.match(r"^#{1,6}\s", para.strip()):
            sentences.extend(split_sentences(para))
    return sentences


def assert_runs_of_whole_sentences(passages: list[Passage], sentences: list[str]) -> None:
    """Each passage is a contiguous run of the article's sentences; together they cover all."""
    covered: set[int] = set()
    for passage in passages:
        spans = [
            (i, j)
            for i in range(len(sentences))
            for j in range(i + 1, len(sentences) + 1)
            if " ".join(sentences[i:j]) == passage.text
        ]
        assert spans, f"not a run of whole sentences: {passage.text[:100]!r}"
        covered.update(range(*spans[0]))
    missing = [s for i, s in enumerate(sentences) if i not in covered]
    assert not missing, f"sentences in no passage: {missing[:3]}"


@pytest.fixture(scope="module")
def shipped() -> list[Article]:
    return load_library(SHIPPED_CONTENT).articles


# ---- sentences ---------------------------------------------------------------------------


def test_abbreviations_and_initials_do_not_end_a_sentence() -> None:
    text = (
        "Perhaps my favorite definition comes from Dwight D. Eisenhower. "
        "Sales vs. marketing is another matter. Mr. Smith, Dr. Jones etc. agreed. "
        "The U.S. team won."
    )
    assert split_sentences(text) == [
        "Perhaps my favorite definition comes from Dwight D. Eisenhower.",
        "Sales vs. marketing is another matter.",
        "Mr. Smith, Dr. Jones etc. agreed.",
        "The U.S. team won.",
    ]


def test_sentences_end_at_question_and_exclamation_marks_and_quotes() -> None:
    text = 'Why? It is simple! He said: "Lead from the front." Then he left.'
    assert split_sentences(text) == [
        "Why?",
        "It is simple!",
        'He said: "Lead from the front."',
        "Then he left.",
    ]


def test_decimal_numbers_do_not_end_a_sentence() -> None:
    assert split_sentences("Quota grew 2.5 times this year. Nobody expected it.") == [
        "Quota grew 2.5 times this year.",
        "Nobody expected it.",
    ]


# ---- passages ----------------------------------------------------------------------------


def test_shipped_passages_are_runs_of_whole_sentences(shipped: list[Article]) -> None:
    for item in shipped:
        passages = split_article(item)
        assert passages, item.meta.id
        assert_runs_of_whole_sentences(passages, body_sentences(item.body))
        for passage in passages:
            assert _ENDS_SENTENCE.search(passage.text), passage.text[-80:]
            assert passage.text[0].isupper() or passage.text[0] in "“\"'‘(", passage.text[:40]


def test_shipped_passage_sizes_are_within_bounds(shipped: list[Article]) -> None:
    passages = split_articles(shipped)
    assert len(passages) >= 30
    for passage in passages:
        one_sentence = len(split_sentences(passage.text)) == 1
        assert len(passage.text) <= 600 or one_sentence, passage.id
        assert len(passage.text) >= 80, f"{passage.id} too short to read alone: {passage.text!r}"


def test_short_paragraphs_join_and_long_ones_become_windows() -> None:
    shorts = [
        " ".join(f"Short point {p}.{n} matters to the team." for n in range(2)) for p in "abc"
    ]
    long = " ".join(
        f"Long sentence {n} explains one more idea about coaching reps." for n in range(30)
    )
    body = "\n\n".join([*shorts, long])
    passages = split_article(article(body), max_chars=300, min_chars=150)
    assert_runs_of_whole_sentences(passages, body_sentences(body))
    assert all(len(p.text) <= 300 for p in passages)
    assert len(passages[0].text) >= 150  # the short paragraphs were joined
    windows = [p for p in passages if p.text.startswith("Long sentence")]
    assert len(windows) >= 3
    for first, second in zip(windows, windows[1:], strict=False):
        last_of_first = split_sentences(first.text)[-1]
        assert second.text.startswith(last_of_first)  # one sentence of overlap


def test_a_single_sentence_longer_than_the_limit_is_kept_whole() -> None:
    sentence = "This sentence " + "keeps going " * 80 + "until it finally stops."
    passages = split_article(article(sentence), max_chars=200)
    assert [p.text for p in passages] == [sentence]


def test_metadata_positions_and_sections_are_kept() -> None:
    body = (
        "## Motivation\n\n"
        + "Motivation comes from inside each rep. " * 6
        + "\n\n## Feedback\n\n"
        + "Give feedback the same day you see the behaviour. " * 6
    )
    item = article(body, "coaching-guide")
    passages = split_article(item, max_chars=600, min_chars=100)
    assert [p.position for p in passages] == list(range(len(passages)))
    assert [p.id for p in passages] == [f"coaching-guide#{i}" for i in range(len(passages))]
    assert all(p.article is item.meta for p in passages)
    assert passages[0].section == "Motivation"
    assert passages[-1].section == "Feedback"
    assert not any(p.text.startswith("#") for p in passages)
    # The title and section give a passage its context for the embedding.
    assert passages[-1].embed_text.startswith("Test Title - Feedback. Give feedback")
    # Passages never straddle two sections.
    assert not any("Motivation" in p.text and "feedback" in p.text for p in passages)


def test_split_articles_keeps_article_order() -> None:
    first = article("First article sentence one. " * 3, "a-first")
    second = article("Second article sentence one. " * 3, "b-second")
    passages = split_articles([first, second])
    assert [p.article.id for p in passages] == ["a-first", "b-second"]
    assert [p.position for p in passages] == [0, 0]
