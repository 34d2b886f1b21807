"""Quotes for the daily post: attributed, really in their articles, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.content import load_library
from index.embedder import Embedder
from index.errors import ContentError
from index.evaluate import normalise
from index.library import Library
from index.quotes import load_quotes
from index.types import Article, Quote
from tests.library_fixtures import SHIPPED_CONTENT, write_article

# Names from the seed articles' testimonials and sign-offs: never a "leadership quote".
TESTIMONIAL_WORDS = ("Javorski", "Cancalosi", "Brent Filson knows", "his programs", "Sell well")


@pytest.fixture(scope="module")
def articles() -> list[Article]:
    return load_library(SHIPPED_CONTENT).articles


@pytest.fixture(scope="module")
def shipped_quotes(articles: list[Article]) -> list[Quote]:
    return load_quotes(SHIPPED_CONTENT, articles)


def quotes_dir(tmp_path: Path, yaml_text: str) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    write_article(tmp_path, "coaching", "Coach every week. Listen first.", title="Coaching")
    (tmp_path / "quotes.yaml").write_text(yaml_text, encoding="utf-8")
    return tmp_path


def load(tmp_path: Path, yaml_text: str) -> list[Quote]:
    folder = quotes_dir(tmp_path, yaml_text)
    return load_quotes(folder, load_library(folder).articles)


# ---- the shipped quotes ------------------------------------------------------------------


def test_enough_shipped_quotes_each_attributed(shipped_quotes: list[Quote]) -> None:
    assert len(shipped_quotes) >= 15
    assert len({q.key for q in shipped_quotes}) == len(shipped_quotes)
    for quote in shipped_quotes:
        assert quote.text.strip() and quote.author.strip()
        assert "," not in quote.author, f"looks like a testimonial byline: {quote.author}"


def test_no_shipped_quote_is_a_testimonial(shipped_quotes: list[Quote]) -> None:
    for quote in shipped_quotes:
        for word in TESTIMONIAL_WORDS:
            assert word.lower() not in f"{quote.text} {quote.author}".lower(), quote


def test_each_shipped_quote_appears_in_its_article(
    shipped_quotes: list[Quote], articles: list[Article]
) -> None:
    bodies = {a.meta.id: normalise(a.body) for a in articles}
    titles = {a.meta.id: a.meta.title for a in articles}
    for quote in shipped_quotes:
        assert quote.article_id in bodies, f"quote without its article: {quote.text[:60]}"
        assert normalise(quote.text) in bodies[quote.article_id], quote.text[:80]
        assert quote.article_title == titles[quote.article_id]


# ---- an admin's quotes.yaml --------------------------------------------------------------


def test_quotes_file_is_read_and_duplicates_dropped(tmp_path: Path) -> None:
    quotes = load(
        tmp_path,
        '- text: "Listen first."\n  author: Ann Lee\n  article: coaching\n'
        '- text: "Listen first."\n  author: Ann Lee\n'
        "- text: Coach every week.\n  author: Bo Chan\n",
    )
    assert [(q.text, q.author, q.article_title) for q in quotes] == [
        ("Listen first.", "Ann Lee", "Coaching"),
        ("Coach every week.", "Bo Chan", None),
    ]


def test_missing_quotes_file_means_no_quotes(tmp_path: Path) -> None:
    write_article(tmp_path, "coaching", "Coach every week.", title="Coaching")
    assert load_quotes(tmp_path, load_library(tmp_path).articles) == []


@pytest.mark.parametrize(
    ("yaml_text", "line", "words"),
    [
        ('- text: "A"\n  author: X\n- text: "B"\n  article: coaching\n', 3, "no author"),
        ("# header\n- author: X\n", 2, "no text"),
        ("- text: A\n  author: X\n - text: B\n", 3, "not valid YAML"),
        ("- text: A\n\tauthor: X\n", 2, "not valid YAML"),
        ("text: A\nauthor: X\n", 1, "expected a list"),
        ("- just a sentence\n", 1, "needs `text:` and `author:`"),
        ("- text: A\n  author: X\n- text: B\n  author: [Y, Z]\n", 4, "author must be text"),
        ("- text:\n    a: b\n  author: X\n", 1, "text must be text, not key: value"),
    ],
)
def test_malformed_quotes_file_names_line(
    tmp_path: Path, yaml_text: str, line: int, words: str
) -> None:
    with pytest.raises(ContentError) as caught:
        load(tmp_path, yaml_text)
    assert caught.value.path.name == "quotes.yaml"
    assert caught.value.line == line
    assert f"quotes.yaml:{line}" in str(caught.value)
    assert words in str(caught.value)


def test_quote_naming_an_unknown_article_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ContentError) as caught:
        load(tmp_path, "- text: A\n  author: X\n- text: B\n  author: Y\n  article: no-such\n")
    assert caught.value.line == 3
    assert "'no-such' is not in content/" in str(caught.value)


def test_bad_quotes_file_does_not_stop_the_library(tmp_path: Path, lib_embedder: Embedder) -> None:
    """The Library still opens (quotes empty, problem reported) when quotes.yaml is broken."""
    folder = quotes_dir(tmp_path / "content", "- text: [broken\n")
    library = Library.open(
        folder, tmp_path / "index", lib_embedder.model_name, embedder=lib_embedder
    )
    assert library.quotes == []
    assert [p.path.name for p in library.problems] == ["quotes.yaml"]
    assert library.search("how often should I coach?", 1).answered


@pytest.mark.parametrize(
    ("raw", "line", "words"),
    [
        ("- text: Listen first.\n  author: José\n".encode("latin-1"), 2, "not UTF-8 text (save"),
        ("- text: A\n  author: X\n".encode("utf-16"), 1, "not UTF-8 text (save"),
        (b"- text: A\n  author: X\n- text: B\x00\n  author: Y\n", 3, "character #x0000"),
    ],
    ids=["latin-1", "utf-16", "nul"],
)
def test_a_quotes_file_not_saved_as_utf8_text_names_its_line(
    tmp_path: Path, raw: bytes, line: int, words: str
) -> None:
    """Saved in Latin-1 or as Notepad's "Unicode", or holding a NUL: one problem with the
    file and line (a NUL's was the file alone, with a second line about "<unicode string>")."""
    folder = quotes_dir(tmp_path, "")
    (folder / "quotes.yaml").write_bytes(raw)
    with pytest.raises(ContentError) as caught:
        load_quotes(folder, load_library(folder).articles)
    assert str(caught.value).startswith(f"{folder / 'quotes.yaml'}:{line}: ")
    assert words in str(caught.value) and "\n" not in str(caught.value)


def test_a_field_yaml_would_read_as_another_type_is_kept_as_written(tmp_path: Path) -> None:
    """`author: 2024-13-45` (YAML's date form, no calendar's date) stopped the library from
    opening: a ValueError `coach serve` did not catch; `007` was posted as 7."""
    quotes = load(
        tmp_path, "- text: Listen first.\n  author: 2024-13-45\n- text: .inf\n  author: 007\n"
    )
    assert [(q.text, q.author) for q in quotes] == [
        ("Listen first.", "2024-13-45"),
        (".inf", "007"),
    ]


def test_a_quotes_file_that_is_not_utf8_does_not_stop_the_library(
    tmp_path: Path, lib_embedder: Embedder
) -> None:
    folder = quotes_dir(tmp_path / "content", "")
    (folder / "quotes.yaml").write_bytes("- text: Ça va.\n  author: X\n".encode("latin-1"))
    library = Library.open(
        folder, tmp_path / "index", lib_embedder.model_name, embedder=lib_embedder
    )
    assert library.quotes == []
    assert [(p.path.name, p.line) for p in library.problems] == [("quotes.yaml", 1)]


def test_a_quote_citing_an_article_that_does_not_load_is_kept_and_so_are_the_others(
    tmp_path: Path,
) -> None:
    """A typo in one article's front matter lost every quote: quotes.yaml was reported as
    naming an article "not in content/" (it was there), and the daily post had none."""
    folder = quotes_dir(
        tmp_path,
        "- text: Listen first.\n  author: Ann\n  article: coaching\n"
        "- text: Coach weekly.\n  author: Bo\n  article: broken\n",
    )
    (folder / "broken.md").write_text("---\ntitle: [unclosed\n---\nText.\n", encoding="utf-8")
    quotes = load_quotes(folder, load_library(folder).articles)
    assert [(q.text, q.article_title) for q in quotes] == [
        ("Listen first.", "Coaching"),
        ("Coach weekly.", None),  # its link back when the article loads again
    ]
