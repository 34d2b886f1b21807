"""`content add` of a Word file made with python-docx: its article is dated and attributed
only by what its author set, never by python-docx's template (created 2013-12-23, author
"python-docx") nor by the defaults python-docx makes up for a file without properties."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import zipfile
from pathlib import Path

import docx
import frontmatter
import pytest

from index.ingest.add import Curation, add_sources
from tests.library_fixtures import SHIPPED_CONTENT

CURATION = Curation(today=dt.date(2026, 11, 25), owner="Sam Admin")
TITLE = "Running a Pipeline Review That Helps"


@pytest.fixture()
def content(tmp_path: Path) -> Path:
    return Path(shutil.copytree(SHIPPED_CONTENT, tmp_path / "content"))


def word_file(path: Path, **properties: object) -> Path:
    """A document as a script makes one with python-docx, setting only `properties`."""
    document = docx.Document()
    for name, value in properties.items():
        setattr(document.core_properties, name, value)
    document.add_heading(TITLE, 0)
    document.add_paragraph(
        "Start the pipeline review with the deals that moved, not the ones that stalled: "
        "ask each rep what the buyer did last and what they will do next, so the forecast "
        "rests on what buyers do rather than on how reps feel."
    )
    document.add_paragraph(
        "End with one commitment per rep and check it the next week; a review without a "
        "follow-up teaches reps that the meeting is theatre."
    )
    document.save(str(path))
    return path


def added_front_matter(content: Path, source: Path) -> dict[str, object]:
    plan = add_sources(content, [str(source)], CURATION)
    assert plan.refused == [], [str(e) for e in plan.refused]
    [written] = plan.written
    return frontmatter.loads(written.read_text(encoding="utf-8")).metadata


def test_a_document_left_with_the_templates_properties_has_no_date_nor_author(
    content: Path, tmp_path: Path
) -> None:
    meta = added_front_matter(content, word_file(tmp_path / "review.docx"))
    assert meta["title"] == TITLE
    assert meta["published"] is None  # was 2013-12-23, python-docx's template
    assert meta["author"] is None  # was "python-docx"


def test_a_date_and_author_the_author_set_are_kept(content: Path, tmp_path: Path) -> None:
    source = word_file(
        tmp_path / "review.docx", author="Dana Ortiz", created=dt.datetime(2021, 3, 4, 9, 30)
    )
    meta = added_front_matter(content, source)
    assert meta["published"] == dt.date(2021, 3, 4)
    assert meta["author"] == "Dana Ortiz"


def test_a_creation_date_in_the_future_is_no_publication_date(
    content: Path, tmp_path: Path
) -> None:
    source = word_file(tmp_path / "review.docx", created=dt.datetime(2099, 1, 1))
    assert added_front_matter(content, source)["published"] is None


def test_a_document_without_properties_is_titled_by_its_title_not_word_document(
    content: Path, tmp_path: Path
) -> None:
    made = word_file(tmp_path / "made.docx")
    bare = tmp_path / "review.docx"  # as some tools write it: no docProps/core.xml at all
    with zipfile.ZipFile(made) as src, zipfile.ZipFile(bare, "w") as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "docProps/core.xml":
                continue
            if item.filename in ("_rels/.rels", "[Content_Types].xml"):
                data = re.sub(rb"<(Relationship|Override) [^>]*core[^>]*/>", b"", data)
            out.writestr(item, data)
    meta = added_front_matter(content, bare)
    assert meta["title"] == TITLE  # was "Word Document", python-docx's stand-in
    assert meta["published"] is None and meta["author"] is None


# Word's "Encrypt with Password" and the old .doc format are both OLE2 compound files: the
# first bytes below, then sectors; a protected .docx holds a stream named EncryptedPackage
# (checked against one made with msoffcrypto-tool's OOXML encryption)
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        (
            "locked.docx",
            OLE2 + "EncryptedPackage".encode("utf-16-le") + bytes(64),
            "the Word file is password-protected (save a copy without a password)",
        ),
        (
            "renamed.docx",
            OLE2 + "WordDocument".encode("utf-16-le") + bytes(64),
            "an old-format Word file (.doc), not a .docx (open it in Word and save it as .docx)",
        ),
        (
            "minutes.doc",
            OLE2 + "WordDocument".encode("utf-16-le") + bytes(64),
            "unsupported file type '.doc' (save it as .docx, or use .md .markdown .txt .html "
            ".htm .pdf .docx or a URL)",
        ),
    ],
)
def test_a_word_file_python_docx_cannot_open_says_what_to_do(
    content: Path, tmp_path: Path, name: str, data: bytes, reason: str
) -> None:
    """Each read "not a readable Word document (File is not a zip file)" (or only listed the
    types): nothing said the file was password-protected or an old .doc to save again."""
    source = tmp_path / name
    source.write_bytes(data)
    before = sorted(p.name for p in content.iterdir())
    plan = add_sources(content, [str(source)], CURATION)
    assert [e.reason for e in plan.refused] == [reason]
    assert plan.written == [] and sorted(p.name for p in content.iterdir()) == before


def test_the_text_in_a_word_files_tables_is_kept_in_place(content: Path, tmp_path: Path) -> None:
    """Text in a table (a one-cell box around a tip, a table of figures) was dropped without
    a word; a file whose words were all in a layout table was refused as having none."""
    document = docx.Document()
    document.add_heading(TITLE, 0)
    document.add_paragraph(
        "Start the pipeline review with the deals that moved, not the ones that stalled."
    )
    box = document.add_table(rows=1, cols=1).cell(0, 0)
    box.text = "Ask each rep what the buyer did last and what they will do next."
    box.add_paragraph("Then ask what would make the deal slip.")
    figures = document.add_table(rows=2, cols=2)
    for (row, col), text in {(0, 0): "Stage", (0, 1): "Questions", (1, 0): "Late"}.items():
        figures.cell(row, col).text = text
    figures.cell(1, 1).text = "Who signs | and when?"
    document.add_paragraph("End with one commitment per rep and check it the next week.")
    document.save(str(tmp_path / "review.docx"))
    plan = add_sources(content, [str(tmp_path / "review.docx")], CURATION)
    assert plan.refused == [], [str(e) for e in plan.refused]
    body = frontmatter.loads(plan.written[0].read_text(encoding="utf-8")).content
    assert body.split("\n\n") == [
        "Start the pipeline review with the deals that moved, not the ones that stalled.",
        "Ask each rep what the buyer did last and what they will do next.",
        "Then ask what would make the deal slip.",
        "| Stage | Questions |\n|---|---|\n| Late | Who signs \\| and when? |",
        "End with one commitment per rep and check it the next week.",
    ]
