"""`content list/check/remove` and `quote add/list/retire` on a private content folder."""

from __future__ import annotations

import shutil
import stat
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.daily_quote.rotation import record_choice
from bot.store.engine import make_engine
from index.content import load_library
from index.ingest.catalog import check_content, list_content, remove_article
from index.ingest.errors import ArticleNotFoundError, QuoteEditError
from index.ingest.quotes_file import add_quote, list_quotes, retire_quote
from index.quotes import load_quotes
from tests.library_fixtures import SHIPPED_CONTENT, write_article

TODAY = date(2026, 11, 25)
BODY = (
    "Hold a one-to-one with every rep each week. Let the rep set the agenda, and keep "
    "the last five minutes for their career goals, not their pipeline."
)
OTHER = (
    "Compensation plans should pay for the behaviour you want: a simple plan with one or "
    "two measures beats a clever plan nobody can explain to a new hire."
)


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "content"
    folder.mkdir()
    write_article(
        folder,
        "one-to-ones",
        BODY,
        title="Weekly One-to-Ones",
        extra="owner: Ann Lee\nreview_by: 2027-01-31",
    )
    write_article(
        folder,
        "comp-plans",
        OTHER,
        title="Simple Comp Plans",
        author=None,
        extra="owner: Bo Chan\nreview_by: 2026-11-24",
    )
    return folder


def test_list_has_the_columns_and_marks_stale(folder: Path) -> None:
    rows = {r.id: r.as_json() for r in list_content(folder, TODAY)}
    assert rows["one-to-ones"] == {
        "id": "one-to-ones",
        "title": "Weekly One-to-Ones",
        "author": "Test Author",
        "owner": "Ann Lee",
        "review_by": "2027-01-31",
        "passages": 1,
        "stale": False,
        "questions": 0,
        "sections_without_questions": 1,
    }
    assert rows["comp-plans"]["stale"] is True  # review_by was yesterday
    assert rows["comp-plans"]["author"] is None
    assert list_content(folder, date(2027, 2, 1))[1].stale is True


def test_check_is_clean_then_names_every_problem(folder: Path) -> None:
    assert check_content(folder, date(2026, 11, 1)) == []
    write_article(folder, "no-owner", "Forecast honestly. " * 5, title="Forecasts")
    write_article(
        folder,
        "copy",
        BODY + " Then follow up in writing.",
        title="Copy of 1:1s",
        extra="owner: Ann Lee\nreview_by: 2030-01-01",
    )
    (folder / "untitled.md").write_text("---\nauthor: X\n---\n\nText here.\n", encoding="utf-8")
    (folder / "empty-body.md").write_text("---\ntitle: Empty\n---\n\n", encoding="utf-8")
    (folder / "binary.md").write_bytes(b"---\ntitle: \xff\xfe\n---\n")
    problems = [str(p) for p in check_content(folder, TODAY)]
    expected = [
        ("binary.md", "not UTF-8"),
        ("empty-body.md", "no text"),
        ("untitled.md", "no title"),
        ("comp-plans.md", "review_by 2026-11-24 has passed"),
        ("no-owner.md", "no owner"),
        ("no-owner.md", "no review_by"),
        ("one-to-ones.md", "nearly the same text as 'copy'"),
    ]
    for name, words in expected:
        assert any(name in p and words in p for p in problems), (name, words, problems)
    assert len(problems) == len(expected), problems


def test_remove_deletes_the_file_and_unlinks_its_quotes(folder: Path) -> None:
    add_quote(folder, "Let the rep set the agenda.", "Ann Lee", "one-to-ones")
    path, unlinked = remove_article(folder, "one-to-ones")
    assert not path.exists() and unlinked == 1
    assert [a.meta.id for a in load_library(folder).articles] == ["comp-plans"]
    quotes = load_quotes(folder, load_library(folder).articles)  # still loads
    assert [(q.text, q.article_id) for q in quotes] == [("Let the rep set the agenda.", None)]
    with pytest.raises(ArticleNotFoundError, match="'one-to-ones'"):
        remove_article(folder, "one-to-ones")
    with pytest.raises(ArticleNotFoundError):
        remove_article(folder, "../content/comp-plans")


# ---- quotes.yaml --------------------------------------------------------------------------


def test_quote_round_trip_keeps_comments_and_layout(tmp_path: Path) -> None:
    folder = Path(shutil.copytree(SHIPPED_CONTENT, tmp_path / "content"))
    original = (folder / "quotes.yaml").read_text(encoding="utf-8")
    shipped = list_quotes(folder)
    added = add_quote(folder, "Coach the player, not the scoreboard.", "Ann Lee")
    assert added.number == len(shipped) + 1
    retire_quote(folder, 2)
    text = (folder / "quotes.yaml").read_text(encoding="utf-8")
    # every original line is still there (comments included), in order
    original_lines = original.splitlines()
    lines = text.splitlines()
    kept = [line for line in lines if line in set(original_lines)]
    assert kept == original_lines
    assert lines[-2:] == ["- text: Coach the player, not the scoreboard.", "  author: Ann Lee"]
    assert "  retired: true" in lines
    entries = list_quotes(folder)
    assert entries[1].retired and not entries[0].retired
    assert entries[-1].text == "Coach the player, not the scoreboard."


def test_a_retired_quote_is_never_chosen_and_others_keep_their_order(tmp_path: Path) -> None:
    folder = Path(shutil.copytree(SHIPPED_CONTENT, tmp_path / "content"))
    articles = load_library(folder).articles
    before = load_quotes(folder, articles)
    retired = retire_quote(folder, 3)
    after = load_quotes(folder, articles)
    assert retired.text not in {q.text for q in after}
    assert [q.key for q in after] == [q.key for q in before if q.text != retired.text]

    engine = make_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    keys = [q.key for q in after]
    day = date(2026, 1, 1)
    chosen = [record_choice(engine, keys, day + timedelta(d), TODAY_DT) for d in range(len(keys))]
    assert sorted(chosen) == sorted(keys)  # each once before any repeats, the retired never
    next_cycle = record_choice(engine, keys, day + timedelta(len(keys)), TODAY_DT)
    assert next_cycle in keys


def test_quote_add_refusals(folder: Path) -> None:
    with pytest.raises(QuoteEditError, match="not in"):
        add_quote(folder, "Text.", "Ann Lee", "no-such-article")
    with pytest.raises(QuoteEditError, match="needs its text"):
        add_quote(folder, "  ", "Ann Lee")
    first = add_quote(folder, "Listen first.", "Ann Lee")
    assert first.number == 1
    assert (folder / "quotes.yaml").read_text(encoding="utf-8").startswith("# Quotes")
    with pytest.raises(QuoteEditError, match="quote 1 already says this"):
        add_quote(folder, "Listen first.", "Ann Lee")
    with pytest.raises(QuoteEditError, match="no quote 5"):
        retire_quote(folder, 5)


def test_retiring_the_rotation_keys_is_stable_for_the_rest(tmp_path: Path) -> None:
    """The rotation orders a cycle by a hash of each key: removing one leaves the others'
    relative order as it was, so retiring never reshuffles the days ahead."""
    from bot.daily_quote.rotation import shuffled

    folder = Path(shutil.copytree(SHIPPED_CONTENT, tmp_path / "content"))
    keys = [q.key for q in load_quotes(folder, load_library(folder).articles)]
    for cycle in range(3):
        full = shuffled(keys, cycle)
        assert shuffled([k for k in keys if k != full[1]], cycle) == [
            k for k in full if k != full[1]
        ]


TODAY_DT = __import__("datetime").datetime(2026, 1, 1, tzinfo=__import__("datetime").UTC)


def test_quote_add_and_retire_keep_quotes_yaml_readable_by_the_bot(tmp_path: Path) -> None:
    """quotes.yaml came back owner-only (0600, mkstemp's mode) after `coach quote add`, so
    a `coach serve` running as another user could no longer read the quotes."""
    folder = Path(shutil.copytree(SHIPPED_CONTENT, tmp_path / "content"))
    quotes = folder / "quotes.yaml"
    quotes.chmod(0o644)
    add_quote(folder, "Coach the player, not the scoreboard.", "Ann Lee")
    assert stat.S_IMODE(quotes.stat().st_mode) == 0o644
    quotes.chmod(0o664)
    retire_quote(folder, 1)
    assert stat.S_IMODE(quotes.stat().st_mode) == 0o664


@pytest.mark.parametrize(
    ("yaml_text", "where", "words"),
    [
        ("- text: Listen first.\n  author: Ann Lee\n - text: B\n", "quotes.yaml:3", "not valid"),
        ("- text: Listen first.\n  author: [Ann, Bo]\n", "quotes.yaml:2", "author must be text"),
    ],
)
def test_check_names_a_broken_quotes_file_and_its_line(
    folder: Path, yaml_text: str, where: str, words: str
) -> None:
    """`content check` said "no problems" while the daily post had no quotes (broken YAML)
    or would have posted the author as "['Ann', 'Bo']"."""
    (folder / "quotes.yaml").write_text(yaml_text, encoding="utf-8")
    problems = [str(p) for p in check_content(folder, date(2026, 11, 1))]
    assert len(problems) == 1 and where in problems[0] and words in problems[0], problems


def test_quote_commands_name_the_line_of_broken_yaml(folder: Path) -> None:
    """`coach quote add|list|retire` said only "cannot be read (while parsing a block
    mapping)", not where."""
    (folder / "quotes.yaml").write_text("- text: A\n  author: X\n - text: B\n", encoding="utf-8")
    for edit in (lambda: list_quotes(folder), lambda: add_quote(folder, "New.", "Ann Lee")):
        with pytest.raises(QuoteEditError) as caught:
            edit()
        assert str(caught.value).startswith(f"{folder / 'quotes.yaml'}:3: not valid YAML (")


def test_quote_commands_name_the_line_of_a_file_not_saved_as_utf8(folder: Path) -> None:
    """Saved in Latin-1: `coach quote add|list|retire` said "cannot be read ('utf-8' codec
    can't decode byte 0xe9 in position 30 ...)", with no line, unlike `coach index status`."""
    text = "- text: Listen first.\n  author: Ann Lee\n- text: Ça va.\n  author: Bo\n"
    (folder / "quotes.yaml").write_bytes(text.encode("latin-1"))
    for edit in (lambda: list_quotes(folder), lambda: retire_quote(folder, 1)):
        with pytest.raises(QuoteEditError) as caught:
            edit()
        assert str(caught.value) == (
            f"{folder / 'quotes.yaml'}:3: not UTF-8 text (save the file as UTF-8)"
        )


def test_quote_commands_keep_a_field_in_no_calendars_date_form_as_written(folder: Path) -> None:
    """`author: 2024-13-45` ended `coach quote list|add|retire` with a ValueError traceback;
    the daily post reads it as the text written, and so do they."""
    quotes = folder / "quotes.yaml"
    quotes.write_text("- text: Listen first.\n  author: 2024-13-45\n", encoding="utf-8")
    assert [(q.text, q.author) for q in list_quotes(folder)] == [("Listen first.", "2024-13-45")]
    add_quote(folder, "Coach the player, not the scoreboard.", "Ann Lee")
    assert [q.author for q in load_quotes(folder, [])] == ["2024-13-45", "Ann Lee"]
