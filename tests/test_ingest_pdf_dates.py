"""`content add` of a PDF dates its article by the file's creation date only when that can
be the day it was published: never a date no calendar has, nor one in the future."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import frontmatter
import pytest
from pypdf import PdfReader, PdfWriter

from index.content import load_library
from index.ingest.add import Curation, add_sources
from tests.ingest_fixtures import make_pdf
from tests.library_fixtures import SHIPPED_CONTENT

CURATION = Curation(today=dt.date(2026, 11, 25), owner="Sam Admin")


@pytest.fixture()
def content(tmp_path: Path) -> Path:
    return Path(shutil.copytree(SHIPPED_CONTENT, tmp_path / "content"))


def created_on(original: Path, path: Path, stamp: str) -> Path:
    """`original` with its CreationDate set to `stamp`, as the PDF's maker wrote it."""
    writer = PdfWriter(clone_from=PdfReader(original))
    writer.add_metadata({"/CreationDate": stamp})
    writer.write(path)
    return path


@pytest.mark.parametrize(
    ("stamp", "published"),
    [
        ("D:20230504093000Z", dt.date(2023, 5, 4)),
        ("D:20990101000000Z", None),  # a wrong clock
        ("D:20241345000000Z", None),  # month 13: was written as published: 2024-13-45
    ],
    ids=["kept", "future", "impossible"],
)
def test_a_pdf_is_dated_only_by_a_day_it_can_have_been_published(
    content: Path, tmp_path: Path, stamp: str, published: dt.date | None
) -> None:
    source = created_on(make_pdf(tmp_path / "r.pdf"), tmp_path / "ramp-plan.pdf", stamp)
    plan = add_sources(content, [str(source)], CURATION)
    assert plan.refused == [], [str(e) for e in plan.refused]
    [written] = plan.written
    assert frontmatter.loads(written.read_text(encoding="utf-8"))["published"] == published
    assert load_library(content).errors == []  # the library still reads every article
