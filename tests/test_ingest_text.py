"""`content add` of plain text and Markdown as a curator hands them over: a text file's
first line is its title once (not again as the first paragraph), and a Markdown file whose
front matter is broken is refused in one line that says where."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

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
    assert BODY in plan.written[0].read_text(encoding="utf-8")


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
