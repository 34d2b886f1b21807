"""Articles in content/: front matter, cleaning of ads and bios, and clear errors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import frontmatter
import pytest

from index.content import clean_body, load_library, parse_article
from index.errors import ContentError
from index.passages import split_articles
from tests.library_fixtures import SHIPPED_CONTENT, write_article

# Phrases from the seed articles' adverts, bios, sign-offs and reader prompts.
AD_PHRASES = (
    "Guarantee",
    "Best wishes",
    "About the author",
    "e-book",
    "TheSalesHunter",
    "All rights reserved",
    "Share some of your favorite",
    "Sell well",
    "Note from Brent",
    "Javorski",
    "Cancalosi",
    "one-day session",
    "my web site",
)

# Seed-like raw text: coaching first, then everything a reader should never be quoted.
RAW_SEED = """\
Leaders set the direction for the team. They ask what the customer needs before they pitch.

Sales leaders coach their reps every week, and they

review the pipeline together so nobody is surprised at the end of the quarter.

Share some of your favorite and most inspirational leadership quotes below.

"Brent Filson knows how to help others get results! His programs are proven in many settings."
—Joe Javorski, Director, Worldwide Staffing, Analog Devices

Coaching is a habit, not an event. Great managers schedule it like a customer meeting.

Reps are getting social. Read this e-book for everything you need.

$50,000 Guarantee:
I can help your individual leaders boost their job and career performance with a $50,000 guarantee.

Here's a one-day session for leaders.

“One of the key components of Brent’s methodologies is their tremendous value in driving change.”
—Robert Cancalosi, Global General Manager, General Electric Medical

Best wishes,

Brent Filson
"""


def assert_no_ad_phrases(texts: list[str]) -> None:
    for text in texts:
        for phrase in AD_PHRASES:
            assert phrase.lower() not in text.lower(), f"{phrase!r} left in: {text[:120]!r}"


# ---- front matter ------------------------------------------------------------------------


def test_front_matter_fields_are_read(tmp_path: Path) -> None:
    path = write_article(
        tmp_path,
        "coaching-weekly",
        "Coach your reps every week.",
        title="Coaching Every Week",
        author="Pat Lee",
        extra="published: 2024-03-05\nsource: https://example.com/coaching\n"
        "tags: [coaching, feedback]",
    )
    article = parse_article(path)
    assert article.meta.id == "coaching-weekly"
    assert article.meta.title == "Coaching Every Week"
    assert article.meta.author == "Pat Lee"
    assert article.meta.published == "2024-03-05"
    assert article.meta.source == "https://example.com/coaching"
    assert article.meta.tags == ("coaching", "feedback")
    assert article.body == "Coach your reps every week."


def test_empty_front_matter_fields_become_none(tmp_path: Path) -> None:
    path = write_article(
        tmp_path,
        "sparse",
        "Listen more than you talk.",
        author=None,
        extra='author:\npublished: ""\nsource:\ntags:',
    )
    meta = parse_article(path).meta
    assert (meta.author, meta.published, meta.source, meta.tags) == (None, None, None, ())


def test_crlf_and_byte_order_mark_are_accepted(tmp_path: Path) -> None:
    (tmp_path / "crlf.md").write_bytes(
        b"\xef\xbb\xbf---\r\ntitle: Windows\r\nauthor: A\r\n---\r\n\r\nOne.\r\n\r\nTwo.\r\n"
    )
    article = parse_article(tmp_path / "crlf.md")
    assert article.meta.title == "Windows"
    assert article.body == "One.\n\nTwo."


# ---- cleaning ----------------------------------------------------------------------------


def test_cleaning_keeps_coaching_and_drops_ads_bios_and_signoffs() -> None:
    body = clean_body(RAW_SEED)
    assert "Leaders set the direction for the team." in body
    assert "Coaching is a habit, not an event." in body
    assert_no_ad_phrases([body])
    assert "Brent Filson" not in body
    assert "knows how to help others" not in body


def test_about_the_author_bio_and_cta_are_dropped() -> None:
    raw = (
        "Good leaders listen first. Then they decide.\n\n"
        "About the author\n"
        "Mark Hunter, “The Sales Hunter,” is author of High-Profit Selling. "
        "Visit www.TheSalesHunter.com.\n"
        "To keep pace with today’s consumers, reps are getting social. "
        "Read this e-book for everything you need.\n"
    )
    assert clean_body(raw) == "Good leaders listen first. Then they decide."


@pytest.mark.parametrize(
    "advert",
    [
        "Download our free e-book on sales coaching!",
        "Get the 2024 State of Sales Leadership white paper here.",
        "Grab your free checklist: 12 questions for every pipeline review.",
    ],
)
def test_an_e_book_or_free_download_advert_in_the_article_is_dropped(advert: str) -> None:
    # a blog's call to action written as one of the article's paragraphs (not an <aside>,
    # which trafilatura drops) was kept and could be quoted as coaching
    raw = f"Good leaders listen first.\n\n{advert}\n\nThen they decide."
    assert clean_body(raw) == "Good leaders listen first.\n\nThen they decide."


@pytest.mark.parametrize(
    "footer",
    [
        "2007 © The Filson Leadership Group, Inc. All rights reserved.",
        "Copyright 2019 Example Media. All rights reserved.",
        "Best wishes,\n\nBrent Filson",
        "Sell well",
    ],
)
def test_copyright_and_signoff_end_the_article(footer: str) -> None:
    raw = f"Good leaders listen first.\n\n{footer}\n\nA line after the footer."
    assert clean_body(raw) == "Good leaders listen first."


def test_testimonial_in_the_middle_is_dropped_but_text_around_it_kept() -> None:
    raw = (
        "Praise your team in public.\n\n"
        '"She transformed our sales floor in a month."\n'
        "—Dana Smith, VP Sales, Acme Corp\n\n"
        "Correct them in private."
    )
    assert clean_body(raw) == "Praise your team in public.\n\nCorrect them in private."


def test_testimonial_as_separate_paragraphs_is_dropped() -> None:
    raw = (
        "Praise your team in public.\n\n"
        "“She transformed our sales floor in a month.”\n\n"
        "—Dana Smith, VP Sales, Acme Corp\n\n"
        "Correct them in private."
    )
    assert "transformed" not in clean_body(raw)
    assert "Correct them in private." in clean_body(raw)


def test_paragraph_broken_mid_sentence_is_rejoined() -> None:
    raw = (
        "Sales leaders coach their reps every week, and they\n\n"
        "review the pipeline together.\n\nA new paragraph starts here."
    )
    assert clean_body(raw) == (
        "Sales leaders coach their reps every week, and they review the pipeline together."
        "\n\nA new paragraph starts here."
    )


def test_finished_paragraphs_are_not_joined() -> None:
    raw = "The first idea ends here.\n\nthe second one starts in lower case."
    assert clean_body(raw).split("\n\n") == [
        "The first idea ends here.",
        "the second one starts in lower case.",
    ]


def test_cleaned_seed_article_passages_hold_no_ads(tmp_path: Path) -> None:
    write_article(tmp_path, "seed", RAW_SEED, title="Sales And Leadership")
    report = load_library(tmp_path)
    assert report.errors == []
    passages = split_articles(report.articles)
    texts = [p.text for p in passages]
    assert_no_ad_phrases(texts)
    joined = " ".join(texts)
    assert "they review the pipeline together" in joined
    assert "Coaching is a habit, not an event." in joined


# ---- malformed files ---------------------------------------------------------------------

MALFORMED = {
    # name: (raw bytes, expected line, words the message must contain)
    "no-title": (b"---\nauthor: Someone\n---\n\nBody text.\n", 1, "no title"),
    "latin1": (b"---\ntitle: Caf\n---\n\nLine four.\nCaf\xe9 au lait.\n", 6, "UTF-8"),
    "empty": (b"", 1, "empty"),
    "blank": (b"  \n\n", 1, "empty"),
    "unclosed": (b"---\ntitle: Open\nauthor: X\n\nBody never closes.\n", 1, "never closed"),
    "bad-source": (
        b"---\ntitle: Src\nauthor: X\nsource: www.example.com/a\n---\n\nBody.\n",
        4,
        "source must be a URL",
    ),
    "bad-tags": (b"---\ntitle: T\ntags: 5\n---\n\nBody.\n", 3, "tags must be a list"),
    "no-body": (b"---\ntitle: Only a title\n---\n\n", 4, "no text"),
    # was "bad-date.md:1: front matter cannot be read (month must be in 1..12)"
    "bad-date": (
        b"---\ntitle: T\nreview_by: 2027-13-45\n---\n\nBody.\n",
        3,
        "front matter review_by is not a date: 2027-13-45 (month must be in 1..12",
    ),
    # was loaded, its citations reading "['Ann Lee', 'Bo Roe']"
    "author-list": (
        b"---\ntitle: T\nauthor: [Ann Lee, Bo Roe]\n---\n\nBody.\n",
        3,
        "front matter author must be text, not a list",
    ),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_file_names_file_and_line(tmp_path: Path, name: str) -> None:
    raw, line, words = MALFORMED[name]
    path = tmp_path / f"{name}.md"
    path.write_bytes(raw)
    with pytest.raises(ContentError) as caught:
        parse_article(path)
    error = caught.value
    assert error.path == path
    assert error.line == line
    assert f"{name}.md:{line}" in str(error)
    assert words in str(error)


def test_bad_yaml_is_reported_with_file_name(tmp_path: Path) -> None:
    path = tmp_path / "bad-yaml.md"
    path.write_text("---\ntitle: Bad\nauthor: [unclosed\n---\n\nBody.\n", encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        parse_article(path)
    assert "bad-yaml.md:" in str(caught.value)
    assert "not valid YAML" in str(caught.value)
    assert caught.value.line is not None and caught.value.line >= 3


def test_yaml_error_points_at_the_offending_line(tmp_path: Path) -> None:
    path = tmp_path / "bad-yaml.md"
    path.write_text("---\ntitle: Good\nauthor: x: y\ntags: [a]\n---\n\nBody.\n", encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        parse_article(path)
    assert caught.value.line == 3  # "author: x: y"


def test_one_bad_file_does_not_drop_the_others(tmp_path: Path) -> None:
    write_article(tmp_path, "a-good", "Leaders listen.", title="Good One")
    (tmp_path / "b-bad.md").write_bytes(b"---\ntitle: [broken\n---\n\nBody.\n")
    (tmp_path / "c-latin.md").write_bytes(b"---\ntitle: X\n---\n\nCaf\xe9\n")
    write_article(tmp_path, "d-good", "Managers coach.", title="Good Two")
    report = load_library(tmp_path)
    assert [a.meta.id for a in report.articles] == ["a-good", "d-good"]
    assert sorted(e.path.name for e in report.errors) == ["b-bad.md", "c-latin.md"]


def test_missing_content_folder_is_reported(tmp_path: Path) -> None:
    report = load_library(tmp_path / "nope")
    assert report.articles == []
    assert len(report.errors) == 1
    assert "does not exist" in str(report.errors[0])


# ---- the shipped library -----------------------------------------------------------------


def test_shipped_content_loads_cleanly() -> None:
    report = load_library(SHIPPED_CONTENT)
    assert report.errors == []
    assert len(report.articles) >= 5
    for article in report.articles:
        assert article.meta.title.strip()
        assert len(article.body) > 500
    passages = split_articles(report.articles)
    assert_no_ad_phrases([p.text for p in passages])


def test_every_shipped_article_has_a_curator_and_a_review_date() -> None:
    """The library's admin needs to know who keeps each article and when it gets stale."""
    paths = sorted(p for p in SHIPPED_CONTENT.glob("*.md") if p.name.lower() != "readme.md")
    assert paths
    for path in paths:
        meta = frontmatter.load(str(path)).metadata
        assert str(meta.get("owner") or "").strip(), f"{path.name}: no owner"
        review_by, added = meta.get("review_by"), meta.get("added")
        assert isinstance(review_by, date), f"{path.name}: review_by is not YYYY-MM-DD"
        assert isinstance(added, date), f"{path.name}: added is not YYYY-MM-DD"
        assert added < review_by, f"{path.name}: review date before it was added"
        if meta.get("source"):
            assert str(meta.get("author") or "").strip(), f"{path.name}: a source needs its author"
