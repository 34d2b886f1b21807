"""`content add` of a URL as servers really answer: a PDF behind a download link, a page
sent without a Content-Type, a site that is down for a while."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from index.content import load_library
from index.ingest.add import Curation, add_sources
from index.ingest.errors import FetchError, UnsupportedTypeError
from tests.library_fixtures import SHIPPED_CONTENT

CURATION = Curation(today=date(2026, 11, 25), owner="Sam Admin", timeout=5.0)


@pytest.fixture()
def content(tmp_path: Path) -> Path:
    return Path(shutil.copytree(SHIPPED_CONTENT, tmp_path / "content"))


def added_title(content: Path, url: str) -> str:
    plan = add_sources(content, [url], CURATION)
    assert [str(e) for e in plan.refused] == [] and len(plan.written) == 1
    [article] = [a for a in load_library(content).articles if a.meta.source == url]
    return article.meta.title


def test_a_pdf_behind_a_download_link_is_added(content: Path, web_server: str) -> None:
    """A link such as /download?id=7 served as application/octet-stream (S3, a CMS's
    attachment) was refused: "unsupported content type 'application/octet-stream'"."""
    assert added_title(content, f"{web_server}/download") == "Ramping New Sales Reps in Ninety Days"


def test_a_page_sent_without_a_content_type_is_added(content: Path, web_server: str) -> None:
    """It was refused as "unsupported content type ''"."""
    assert added_title(content, f"{web_server}/untyped") == "Drawing Fair Sales Territories"


def test_an_image_is_refused_saying_what_a_url_can_give(content: Path, web_server: str) -> None:
    plan = add_sources(content, [f"{web_server}/photo"], CURATION)
    [error] = plan.refused
    assert isinstance(error, UnsupportedTypeError) and plan.written == []
    assert "'image/png'" in error.reason and "web page, a PDF, a Word file" in error.reason


def test_a_site_that_is_down_says_its_status_and_to_try_again_later(
    content: Path, web_server: str
) -> None:
    """A 503 with Retry-After read "the URL did not answer (too many 503 error responses)",
    as if nothing had answered; a 404 says to check the address."""
    before = sorted(p.name for p in content.iterdir())
    plan = add_sources(content, [f"{web_server}/busy"], CURATION)
    [error] = plan.refused
    assert isinstance(error, FetchError)
    assert error.reason.startswith("the server answered HTTP 503")
    assert error.reason.endswith("(the site is busy or down: try again later)")
    plan = add_sources(content, [f"{web_server}/nothing-here"], CURATION)
    assert [e.reason for e in plan.refused] == ["the server answered HTTP 404 (check the address)"]
    assert sorted(p.name for p in content.iterdir()) == before
