"""`content add` of plain text and Markdown as a curator hands them over: a text file's
first line is its title once (not again as the first paragraph), and a Markdown file whose
front matter is broken is refused in one line that says where."""

from __future__ import annotations

import codecs
import os
import shutil
import stat
from datetime import date
from pathlib import Path

import pytest

from index.ingest import convert
from index.ingest.add import Curation, add_sources
from index.ingest.errors import UnreadableSourceError
from tests.library_fixtures import SHIPPED_CONTENT

CURATION = Curation(today=date(2026, 11, 25), owner="Sam Admin")
BODY = (
    "A strong team culture carries reps through a hard quarter. Celebrate small wins in "
    "the weekly meeting and make it normal to ask for help with a difficult deal."
)


@pytest.fixture()
def content(tmp_path: Path) -> Path:
    return Path(shutil.copytree(SHIPPED_CONTENT, tmp_path / "content"))


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_a_text_files_first_line_is_its_title_not_also_its_first_paragraph(
    content: Path, tmp_path: Path, encoding: str
) -> None:
    path = tmp_path / "culture.txt"
    path.write_bytes(f"Café culture for sales teams\n\n{BODY}\n".encode(encoding))
    plan = add_sources(content, [str(path)], CURATION)
    assert plan.refused == [], [str(e) for e in plan.refused]
    text = plan.written[0].read_text(encoding="utf-8")
    head, body = text.split("\n---\n", 1)
    assert "title: Café culture for sales teams" in head.splitlines()
    assert body.strip().startswith("A strong team culture"), body
    assert text.count("Café culture for sales teams") == 1


def test_a_text_file_without_a_title_line_keeps_all_its_words(
    content: Path, tmp_path: Path
) -> None:
    path = tmp_path / "notes.txt"
    path.write_text(BODY + "\n", encoding="utf-8")
    plan = add_sources(content, [str(path)], CURATION)
    assert plan.refused == []
    text = plan.written[0].read_text(encoding="utf-8")
    assert BODY in text
    # titled by its first sentence; was "A strong team culture ... quarter. Celebrate small
    # wins in the…", two sentences cut mid-way, in every citation
    assert "title: A strong team culture carries reps through a hard quarter\n" in text


def test_broken_front_matter_is_refused_in_one_line_naming_the_line(
    content: Path, tmp_path: Path
) -> None:
    path = tmp_path / "broken.md"
    path.write_text(f'---\ntitle: "Broken\nauthor: [x\n---\n\n{BODY}\n', encoding="utf-8")
    plan = add_sources(content, [str(path)], CURATION)
    assert plan.written == []
    [error] = plan.refused
    assert isinstance(error, UnreadableSourceError)
    assert "\n" not in str(error)
    assert str(error).startswith(f"{path}: front matter is not valid YAML at line 4 ("), error


@pytest.mark.parametrize(
    ("front", "said"),
    [
        ("title: Deal reviews\ntags: 5", "front matter tags at line 3 must be a list"),
        ("title: [1, 2]", "front matter title at line 2 must be text, not a list"),
        ("title: Deals\nauthor: {name: Pat}", "front matter author at line 3 must be text, not"),
        ("title: Deals\npublished: yes", "front matter published at line 3 must be text, not"),
    ],
)
def test_front_matter_of_the_wrong_type_is_refused_in_one_line_naming_field_and_line(
    content: Path, tmp_path: Path, front: str, said: str
) -> None:
    """`tags: 5` was a TypeError traceback out of `coach content add`; `title: [1, 2]` was
    written out as the title '[1, 2]'."""
    path = tmp_path / "typed.md"
    path.write_text(f"---\n{front}\n---\n\n{BODY}\n", encoding="utf-8")
    before = sorted(p.name for p in content.iterdir())
    plan = add_sources(content, [str(path)], CURATION)
    assert plan.written == [] and sorted(p.name for p in content.iterdir()) == before
    [error] = plan.refused
    assert isinstance(error, UnreadableSourceError)
    assert str(error).startswith(f"{path}: {said}"), error


def test_a_converter_failing_unexpectedly_is_one_refusal_line_not_a_traceback(
    content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A library's own bug on an odd file (pypdf, trafilatura, python-docx) names the source
    and writes nothing, as every other refusal does."""

    def broken(data: bytes, source: str) -> None:
        raise KeyError("/Root")

    monkeypatch.setitem(convert.CONVERTERS, ".md", broken)
    path = tmp_path / "odd.md"
    path.write_text(BODY, encoding="utf-8")
    plan = add_sources(content, [str(path)], CURATION)
    assert plan.written == []
    [error] = plan.refused
    assert str(error) == f"{path}: cannot be converted (KeyError: '/Root')"


def test_an_added_article_gets_the_mode_of_any_new_file_not_owner_only(
    content: Path, tmp_path: Path
) -> None:
    """Added articles were written 0600 (mkstemp's mode): a `coach serve` running as
    another user could not read them, while the hand-written articles beside them were
    0644."""
    path = tmp_path / "culture.txt"
    path.write_text(f"Team culture\n\n{BODY}\n", encoding="utf-8")
    old = os.umask(0o022)
    try:
        plan = add_sources(content, [str(path)], CURATION)
    finally:
        os.umask(old)
    assert plan.refused == []
    assert stat.S_IMODE(plan.written[0].stat().st_mode) == 0o644


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_a_unicode_text_file_with_its_byte_order_mark_is_read_as_such(
    content: Path, tmp_path: Path, encoding: str
) -> None:
    """A text file saved as Notepad's "Unicode" was read as Windows-1252: the article
    'yc-o-a-c-h-i-n-g...' with a NUL between every letter was written and indexed."""
    path = tmp_path / "culture.txt"
    data = f"Café culture for sales teams\n\n{BODY}\n".encode(encoding)
    if encoding == "utf-16-be":
        data = codecs.BOM_UTF16_BE + data
    path.write_bytes(data)
    plan = add_sources(content, [str(path)], CURATION)
    assert plan.refused == [], [str(e) for e in plan.refused]
    assert plan.written[0].name == "cafe-culture-for-sales-teams.md"
    text = plan.written[0].read_text(encoding="utf-8")
    assert "\x00" not in text and BODY in text


def test_text_holding_nul_characters_is_refused_as_not_text(content: Path, tmp_path: Path) -> None:
    """UTF-16 without its mark (or a binary file) decoded as Windows-1252 became an article
    of letters and NULs; it is refused, and the line says what to do."""
    path = tmp_path / "notes.md"
    path.write_bytes(f"Team culture\n\n{BODY}\n".encode("utf-16-le"))
    plan = add_sources(content, [str(path)], CURATION)
    assert plan.written == []
    [error] = plan.refused
    assert str(error) == f"{path}: not a text file (cannot decode it; save it as UTF-8)"


def test_a_tag_given_again_in_other_capitals_is_written_once(content: Path, tmp_path: Path) -> None:
    """`--tags Coaching,New` on a page tagged `coaching` wrote `[coaching, Coaching, New]`:
    the Home tab then listed "coaching" and "Coaching" as two topics."""
    path = tmp_path / "culture.md"
    path.write_text(f"---\ntitle: Team Culture\ntags: [coaching]\n---\n\n{BODY}\n", "utf-8")
    curation = Curation(today=date(2026, 11, 25), owner="Sam Admin", tags=("Coaching", "New"))
    plan = add_sources(content, [str(path)], curation)
    assert plan.refused == [], [str(e) for e in plan.refused]
    head = plan.written[0].read_text(encoding="utf-8").split("\n---\n", 1)[0]
    assert "tags: [coaching, New]" in head.splitlines()
