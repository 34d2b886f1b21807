"""What `content add` refuses: one line naming the source and why, and nothing written."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from index.ingest.add import Curation, add_sources
from index.ingest.errors import (
    DuplicateSourceError,
    FetchError,
    IngestError,
    NearDuplicateError,
    TooLongError,
    UnreadableSourceError,
    UnsupportedTypeError,
)
from tests.ingest_fixtures import BLOG_HTML, TERRITORY_HTML, make_docx, make_pdf, server_hits
from tests.library_fixtures import SHIPPED_CONTENT, write_article

HAND_WRITTEN = (
    "A hand-written article whose source line was mistyped by its curator; it still has "
    "words enough to be an article, on how a manager runs a weekly pipeline review."
)
CURATION = Curation(today=date(2026, 11, 25), owner="Sam Admin", timeout=1.0)


@pytest.fixture()
def content(tmp_path: Path) -> Path:
    return Path(shutil.copytree(SHIPPED_CONTENT, tmp_path / "content"))


def files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def refuse(content: Path, sources: list[str], kind: type[IngestError]) -> IngestError:
    """Add `sources`; exactly one is refused with `kind`, and the folder is unchanged."""
    before = files(content)
    plan = add_sources(content, sources, CURATION)
    assert [type(e) for e in plan.refused] == [kind], [str(e) for e in plan.refused]
    assert plan.written == []
    assert files(content) == before
    error = plan.refused[0]
    assert "\n" not in str(error)
    assert str(error).startswith(f"{error.source}: ")
    return error


def test_unsupported_type(content: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "forecast.xlsx"
    sheet.write_bytes(b"PK\x03\x04 not really")
    error = refuse(content, [str(sheet)], UnsupportedTypeError)
    assert error.source == str(sheet) and "'.xlsx'" in error.reason
    refuse(content, ["ftp://example.org/a.pdf"], UnsupportedTypeError)


def test_a_folder_is_refused_with_what_to_give_instead(content: Path, tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "one.md").write_text("# One\n\nText.\n", encoding="utf-8")
    error = refuse(content, [str(folder)], UnsupportedTypeError)
    # before: "unsupported file type '(none)' (use .md .markdown ...)"
    assert error.reason == (
        f"a folder, not a file: give its files (e.g. {folder}/*.md {folder}/*.pdf)"
    )


def test_a_short_note_is_refused_saying_how_many_words_an_article_needs(
    content: Path, tmp_path: Path
) -> None:
    note = tmp_path / "note.md"
    note.write_text("# Quick tip\n\nAsk each rep for one win and one blocker every Monday.\n")
    error = refuse(content, [str(note)], UnreadableSourceError)
    # before: "no article text found (only 11 words once clutter is removed)"
    assert error.reason == (
        "only 11 words of article text found once the title and clutter are removed; "
        "an article needs 20 words or more"
    )


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.md", b"", "empty"),
        ("blank.txt", b"  \n\n ", "empty"),
        ("broken.pdf", b"%PDF-1.4\n this is not a pdf at all", "not a readable PDF"),
        ("broken.docx", b"PK\x03\x04 truncated zip", "not a readable Word document"),
        ("nothing.html", b"<html><body><nav>Home</nav></body></html>", "no article text found"),
    ],
)
def test_corrupt_or_empty_file(
    content: Path, tmp_path: Path, name: str, data: bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    assert reason in refuse(content, [str(path)], UnreadableSourceError).reason


def test_missing_file(content: Path, tmp_path: Path) -> None:
    error = refuse(content, [str(tmp_path / "nowhere.md")], UnreadableSourceError)
    assert error.reason == "no such file"


def test_url_that_refuses_the_connection(content: Path, dead_url: str) -> None:
    error = refuse(content, [dead_url], FetchError)
    assert error.source == dead_url and "refused" in error.reason


@pytest.mark.parametrize(("path", "reason"), [("/missing", "HTTP 404"), ("/broken", "HTTP 500")])
def test_url_answering_an_error_status(
    content: Path, web_server: str, path: str, reason: str
) -> None:
    assert reason in refuse(content, [web_server + path], FetchError).reason


def test_url_that_does_not_answer_in_time(content: Path, web_server: str) -> None:
    assert "time-out" in refuse(content, [f"{web_server}/slow"], FetchError).reason


def test_a_url_that_does_not_answer_is_asked_once(content: Path, web_server: str) -> None:
    """The time-out is the whole wait (README: no answer within 15 s), not one per retry:
    a stalled server used to be asked twice, so `content add` waited 30 s."""
    before = server_hits("/slow")
    refuse(content, [f"{web_server}/slow"], FetchError)
    assert server_hits("/slow") - before == 1


def test_a_url_trickling_its_page_is_refused_at_the_time_out(
    content: Path, web_server: str
) -> None:
    """README: no answer within 15 s is refused. A server sending its page a few bytes at a
    time never let the per-read time-out run out, so `content add` waited for as long as it
    kept sending (a 90 s wait on a test server, with no output)."""
    error = refuse(content, [f"{web_server}/trickle"], FetchError)
    assert error.reason == "the page was still coming after 1 s"


def test_a_page_cut_off_mid_way_says_so(content: Path, web_server: str) -> None:
    """Before: 'the URL did not answer (('Connection broken: IncompleteRead(17 bytes read,
    99983 more expected)', IncompleteRead(...)))', though it did answer."""
    error = refuse(content, [f"{web_server}/cut"], FetchError)
    size = len(TERRITORY_HTML.encode())
    assert error.reason == (
        f"the connection closed before the page was complete ({size:,} of {4 * size:,} bytes)"
    )


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://[::1", "not a valid URL (Invalid IPv6 URL)"),
        ("https:///article", "not a valid URL (no host name)"),
    ],
)
def test_a_malformed_url_is_refused_as_one(content: Path, url: str, reason: str) -> None:
    """Before: 'cannot be converted (ValueError: Invalid IPv6 URL)', as if a converter broke."""
    assert refuse(content, [url], FetchError).reason == reason


def test_an_article_whose_source_is_no_url_leaves_content_add_working(
    content: Path, tmp_path: Path, run_coach: Callable[..., Any]
) -> None:
    """A hand-written article with `source: "https://[oops/x"`: every `coach content add`
    ended in a ValueError traceback (the sources were compared as URLs), adding nothing."""
    write_article(content, "hand-written", HAND_WRITTEN, extra='source: "https://[oops/x"')
    note = tmp_path / "note.txt"
    note.write_text(
        "Coaching reps weekly\n\nA weekly coaching slot with each rep, kept even in busy "
        "weeks, does more for their skills than any training day: pick one call, listen "
        "together and agree on one thing to try next time.\n",
        encoding="utf-8",
    )
    proc = run_coach("content", "add", str(note), env={"CONTENT_DIR": str(content)})
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(content / "coaching-reps-weekly.md")


def test_empty_page(content: Path, web_server: str) -> None:
    refuse(content, [f"{web_server}/empty"], UnreadableSourceError)


def test_same_source_twice(content: Path, web_server: str) -> None:
    url = f"{web_server}/territory"
    first = add_sources(content, [url], CURATION)
    assert first.refused == [] and len(first.written) == 1
    error = refuse(content, [url + "/"], DuplicateSourceError)
    assert first.written[0].stem in error.reason


def test_nearly_the_same_text_as_an_article_in_the_library(content: Path, tmp_path: Path) -> None:
    page = tmp_path / "pipeline.html"
    page.write_text(BLOG_HTML, encoding="utf-8")
    assert add_sources(content, [str(page)], CURATION).refused == []
    # the same article re-typed as plain text, with a new last sentence
    retyped = tmp_path / "pipeline-notes.txt"
    retyped.write_text(
        BLOG_HTML.split("<h2>Inspect")[0].split("</div>\n<p>")[1].replace("</p>", "")
        + "\n\n"
        + "For each deal, ask what the next customer commitment is and when it will happen. "
        "A deal without a dated next step agreed with the buyer is not really in the "
        "pipeline. Spend your time on deals where the next step is vague, and leave the "
        "healthy ones alone. Hold the review at the same time every week and cap it at "
        "forty-five minutes.",
        encoding="utf-8",
    )
    error = refuse(content, [str(retyped)], NearDuplicateError)
    assert "running-a-weekly-pipeline-review" in error.reason


def test_one_refusal_means_nothing_is_written(
    content: Path, tmp_path: Path, web_server: str, dead_url: str
) -> None:
    """A good source beside a refused one is not written either: the admin fixes and reruns."""
    before = files(content)
    plan = add_sources(content, [f"{web_server}/territory", dead_url], CURATION)
    assert len(plan.refused) == 1 and plan.written == []
    assert files(content) == before


def test_two_sources_that_repeat_each_other(content: Path, tmp_path: Path) -> None:
    one = tmp_path / "territories.html"
    one.write_text(TERRITORY_HTML, encoding="utf-8")
    two = tmp_path / "territories-copy.html"
    two.write_text(TERRITORY_HTML, encoding="utf-8")
    error = refuse(content, [str(one), str(two)], NearDuplicateError)
    assert error.source == str(two)
    # before: "nearly the same text as 'drawing-fair-sales-territories'", an article that
    # is not in the library: nothing was written
    assert error.reason == (
        f"nearly the same text as {str(one)!r}, given before it "
        "(100% of the shorter text is shared)"
    )


def test_one_url_given_twice_says_so(content: Path, web_server: str) -> None:
    url = f"{web_server}/territory"
    error = refuse(content, [url, url], DuplicateSourceError)
    # before: "already in the library as 'drawing-fair-sales-territories'": it was not
    assert error.reason == f"given twice: the same as {url!r}"


def test_a_file_with_front_matter_keeps_it(content: Path, tmp_path: Path) -> None:
    path = write_article(
        tmp_path,
        "forecast-calls",
        "## Call the number\n\nA forecast call asks each rep for a commit, a best case and "
        "the risks to both, and writes the answers down for next week.",
        title="Forecast Calls Without Drama",
        author="Ann Lee",
        extra="tags: [forecasting]\nowner: Rita Ops\nreview_by: 2027-02-01",
    )
    plan = add_sources(content, [str(path)], Curation(today=date(2026, 11, 25), tags=("calls",)))
    assert plan.refused == []
    text = plan.written[0].read_text(encoding="utf-8")
    assert plan.written[0].name == "forecast-calls-without-drama.md"
    for line in (
        "author: Ann Lee",
        "tags: [forecasting, calls]",
        "owner: Rita Ops",
        "review_by: 2027-02-01",
        "added: 2026-11-25",
    ):
        assert line in text.splitlines(), line
    assert "## Call the number" in text


def test_a_long_pdf_is_refused_once_the_pages_read_prove_it_without_reading_the_rest(
    content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 400-page handbook (144,000 words) took 26 s to refuse: every page was extracted
    before the words were counted. The limit is lowered here so a 12-page PDF stands in."""
    from fpdf import FPDF

    from index.ingest import pdf

    monkeypatch.setattr(pdf, "MAX_WORDS", 300)
    book = FPDF()
    book.set_font("Helvetica", size=10)
    for page in range(12):
        book.add_page()
        for line in range(10):
            book.cell(0, 6, f"chapter {page} line {line} coaching reps on pipeline and quota")
            book.ln(8)
    path = tmp_path / "handbook.pdf"
    book.output(str(path))
    read: list[int] = []
    page_lines = pdf._page_lines
    monkeypatch.setattr(pdf, "_page_lines", lambda page: read.append(1) or page_lines(page))
    error = refuse(content, [str(path)], TooLongError)
    assert error.reason == (
        "more than 300 words by page 6 of 12, more than an article may have "
        "(split it into articles)"
    )
    assert len(read) == 6


def test_a_huge_text_file_is_refused_before_its_clutter_is_cleaned(
    content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every line of a 16 MB Markdown file went through the clutter rules (8 s) before its
    2.5 million words were counted; cleaning only drops words, so a book needs no cleaning
    to be refused."""
    from index.ingest import add

    cleaned: list[int] = []
    clean_body = add.clean_body
    monkeypatch.setattr(add, "clean_body", lambda text: cleaned.append(1) or clean_body(text))
    path = tmp_path / "handbook.md"
    path.write_text("# Handbook\n\n" + "coach the rep on the next step. " * 10_001, "utf-8")
    error = refuse(content, [str(path)], TooLongError)
    assert error.reason.startswith("70,007 words, more than the 50,000")
    assert cleaned == []


def test_a_file_over_the_size_cap_is_refused_before_it_is_read(
    content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 500 MB PDF was read whole (1.7 GB resident, 45 s) to be refused as 'not a readable
    PDF'; the size says enough. A sparse file stands in: it takes no disk."""
    path = tmp_path / "scanned-handbook.pdf"
    with path.open("wb") as f:
        f.write(b"%PDF-1.4\n")
        f.truncate(50 * 1024 * 1024 + 1)  # the cap and a byte
    read: list[Path] = []
    read_bytes = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda p: read.append(p) or read_bytes(p))
    error = refuse(content, [str(path)], TooLongError)
    assert error.reason == "51 MB, larger than the 50 MB a file may be (split it into articles)"
    assert path not in read


def _protected_copy(original: Path, path: Path, user_password: str) -> str:
    """`original` encrypted (RC4, pypdf's default) with this password to open it."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(original))
    writer.encrypt(user_password=user_password, owner_password="owner-only")
    writer.write(path)
    return str(path)


def test_a_pdf_that_opens_without_a_password_is_added(content: Path, tmp_path: Path) -> None:
    """Protected against printing or copying only (no password to open it, as many vendors'
    white papers): it was refused as "the PDF is encrypted" though any viewer opens it."""
    source = _protected_copy(make_pdf(tmp_path / "r.pdf"), tmp_path / "locked.pdf", "")
    plan = add_sources(content, [source], CURATION)
    assert plan.refused == [] and len(plan.written) == 1
    assert "## Days sixty to ninety" in plan.written[0].read_text(encoding="utf-8")


def test_a_pdf_that_needs_a_password_is_refused(content: Path, tmp_path: Path) -> None:
    source = _protected_copy(make_pdf(tmp_path / "r.pdf"), tmp_path / "secret.pdf", "s3cret")
    error = refuse(content, [source], UnreadableSourceError)
    assert error.reason == "the PDF is encrypted (save a copy without a password or protection)"


@pytest.mark.parametrize(
    ("make", "name", "words"),
    [
        (make_pdf, "ramping.txt", "The third month is about owning a small pipeline."),
        (make_pdf, "ramping.docx", "The third month is about owning a small pipeline."),
        (make_docx, "coaching.pdf", "look at the funnel before you look at effort"),
        (make_docx, "coaching.md", "look at the funnel before you look at effort"),
    ],
)
def test_a_pdf_or_word_file_saved_under_another_extension_is_read_as_what_it_is(
    content: Path, tmp_path: Path, make: Callable[[Path], Path], name: str, words: str
) -> None:
    """A download saved as `.txt`, a Word file named `.pdf`: refused as "not a text file
    (cannot decode it; save it as UTF-8)" or "not a readable PDF (Stream has ended
    unexpectedly)", neither of which said what the file was."""
    source = make(tmp_path / name)
    plan = add_sources(content, [str(source)], CURATION)
    assert plan.refused == [], [str(e) for e in plan.refused]
    assert words in plan.written[0].read_text(encoding="utf-8")


@pytest.mark.parametrize(("name", "kind"), [("guide.pdf", "PDF"), ("guide.docx", "Word document")])
def test_a_web_page_saved_as_a_pdf_or_word_file_is_refused_saying_so(
    content: Path, tmp_path: Path, name: str, kind: str
) -> None:
    """A failed download that saved the site's sign-in page as `guide.pdf` was refused as "not
    a readable PDF (Stream has ended unexpectedly)"."""
    source = tmp_path / name
    source.write_text("<!DOCTYPE html><html><body><form>Sign in</form></body></html>", "utf-8")
    before = files(content)
    plan = add_sources(content, [str(source)], CURATION)
    assert [str(e) for e in plan.refused] == [
        f"{source}: a web page, not a {kind} (a download that saved an error or sign-in page? "
        "open it in a browser)"
    ]
    assert files(content) == before


def test_a_url_redirecting_in_a_loop_or_not_speaking_https_says_what_happened(
    content: Path, web_server: str
) -> None:
    """Both read "the URL did not answer (...)", though the server had answered: with a
    redirect to itself, or in plain http to an https:// address ("([SSL:
    WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006))")."""
    looped = refuse(content, [f"{web_server}/loop"], FetchError)
    assert looped.reason == (
        "the page redirects in a loop (open it in a browser and add where it ends)"
    )
    secure = refuse(content, [web_server.replace("http://", "https://") + "/territory"], FetchError)
    assert secure.reason.startswith("the secure connection failed (")  # OpenSSL's reason
    assert secure.reason.endswith(
        "): check the address (does the site answer at http:// rather than https://?)"
    )
    assert "_ssl.c" not in secure.reason
