"""Sources for the `content add` tests, built here: a cluttered blog page, a two-page PDF
with running header/footer and page numbers, a Word file with headings, a bare Markdown
file, and a local HTTP server that serves a page (or refuses, or stalls)."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

__all__ = ["dead_url", "server_hits", "sources", "web_server"]


def server_hits(path: str) -> int:
    """How many GET requests the test web server has had for `path`."""
    return _Handler.hits[path]


BLOG_CLUTTER = (
    "We use cookies",
    "Accept all cookies",
    "Pricing",
    "Log in",
    "Share on LinkedIn",
    "Subscribe",
    "e-book",
    "About the author",
    "two dogs",
    "Comments",
    "cheap leads",
    "All rights reserved",
    "Privacy policy",
    "By Dana Whitfield",
)

BLOG_HTML = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Running a Weekly Pipeline Review That Reps Don't Dread | Quota Club Blog</title>
<meta name="author" content="Dana Whitfield">
<meta property="article:published_time" content="2024-03-12">
</head><body>
<div id="cookie-banner" class="cookie-consent">We use cookies to improve your experience.
<button>Accept all cookies</button></div>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/pricing">Pricing</a></li>
<li><a href="/blog">Blog</a></li><li><a href="/login">Log in</a></li></ul></nav></header>
<main><article>
<h1>Running a Weekly Pipeline Review That Reps Don't Dread</h1>
<p class="byline">By Dana Whitfield, March 12, 2024</p>
<div class="share-bar">Share on Twitter Share on LinkedIn Share on Facebook Copy link</div>
<p>A pipeline review is the one meeting each week where a sales manager sees every open
deal in one place. Done badly it becomes an interrogation in which reps defend stale
opportunities. Done well it is a coaching session that moves deals forward and makes the
forecast honest.</p>
<h2>Inspect the next step, not the amount</h2>
<p>For each deal, ask what the next customer commitment is and when it will happen. A deal
without a dated next step agreed with the buyer is not really in the pipeline. Spend your
time on deals where the next step is vague, and leave the healthy ones alone.</p>
<h2>Keep the meeting short and predictable</h2>
<p>Hold the review at the same time every week and cap it at forty-five minutes. Ask reps
to update the CRM the day before, so the meeting is spent on judgement rather than data
entry. Review deals by stage, starting with those expected to close this quarter.</p>
<h2>Close with clear actions</h2>
<p>End every review by writing down one action per deal discussed, with an owner and a
date. Open the next review by checking those actions. Reps quickly learn that the pipeline
meeting is where help arrives, not where blame is handed out.</p>
<aside class="newsletter">Subscribe to our newsletter! Get the free e-book "50 Sales
Scripts" delivered to your inbox. <a href="/ebook">Download the e-book now</a></aside>
<div class="author-bio"><h3>About the author</h3><p>Dana Whitfield is VP of Sales at Quota
Club and has coached more than two hundred sales managers. She lives in Denver with her two
dogs.</p></div>
</article>
<section id="comments" class="comments"><h3>12 Comments</h3>
<div class="comment"><p>Great post, we started doing this last month and love it!</p></div>
<div class="comment"><p>Check out my site for cheap leads!!!</p></div>
</section></main>
<footer><p>© 2024 Quota Club Inc. All rights reserved.</p><ul><li><a href="/privacy">Privacy
policy</a></li><li><a href="/terms">Terms</a></li></ul></footer>
</body></html>
"""

TERRITORY_HTML = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Drawing Fair Sales Territories</title>
<meta name="author" content="Lena Okafor">
</head><body>
<nav><a href="/">Home</a> <a href="/about">About us</a> <a href="/contact">Contact</a></nav>
<article>
<h1>Drawing Fair Sales Territories</h1>
<p>Territory planning decides how much opportunity each account executive can reach before
the year even starts. Uneven territories create quota attainment gaps that no amount of
coaching will close, and they quietly drive good sellers to quit.</p>
<h2>Start from potential, not history</h2>
<p>Estimate the total addressable revenue in each region using firmographic data such as
company count, employee size and industry. Last year's bookings reward whoever happened to
own the best accounts; potential tells you what a rep could win.</p>
<h2>Balance workload as well as revenue</h2>
<p>Two territories with equal potential can still differ in travel time and account count.
Aim for territories within ten percent of each other on both revenue potential and the
number of accounts a rep must cover, then review the split every year.</p>
</article>
<footer>Copyright 2025 Field Notes. Follow us on LinkedIn.</footer>
</body></html>
"""

BURNOUT_MD = """# Spotting Burnout on a Remote Sales Team

Remote sellers rarely announce that they are exhausted. The signs show up in the data
first: calls logged late at night, shorter customer meetings, cameras switched off, and a
rep who stops asking questions in team meetings.

## Protect recovery time

Agree core hours for the team and keep internal meetings inside them. Ask managers to
notice when someone has not taken leave in six months and to schedule it with them.

## Talk about workload in one-to-ones

Ask each rep directly how sustainable their current pace feels, on a scale of one to ten,
and write the answer down. A falling number over several weeks is an early warning you can
act on before a resignation letter arrives.
"""

PDF_RUNNING_HEAD = "Acme Sales Enablement - Confidential"

PDF_SECTIONS: list[tuple[str, list[str]]] = [
    (
        "The first thirty days",
        [
            "A new account executive should spend the first month learning, not selling. "
            "Pair each new hire with a peer mentor who has been on the team for at least a "
            "year. Have them listen to twenty recorded discovery calls and write down the "
            "questions that worked best.",
            "By the end of the month the new rep should be able to give the company pitch "
            "from memory and explain the three most common customer problems the product "
            "solves.",
        ],
    ),
    (
        "Days thirty to sixty",
        [
            "In the second month the rep runs discovery calls with the mentor listening in. "
            "After every call the mentor gives one piece of feedback, never more, so the new "
            "hire can act on it the next day.",
            "Set an activity goal rather than a revenue goal for this period: meetings "
            "booked and opportunities created tell you whether the ramp is on track long "
            "before any deal closes.",
        ],
    ),
    (
        "Days sixty to ninety",
        [
            "The third month is about owning a small pipeline. The rep carries a reduced "
            "quota, typically half of the full number, and the manager reviews each deal "
            "weekly.",
            "At day ninety, compare the rep against the ramp plan agreed on day one, and "
            "decide together which skills to keep coaching in the next quarter.",
        ],
    ),
]


def make_pdf(path: Path) -> Path:
    """Two pages; each has the running head, a 'Page N of 2' footer; headings in larger type."""
    from fpdf import FPDF

    class Booklet(FPDF):
        def header(self) -> None:
            self.set_font("Helvetica", size=9)
            self.cell(0, 8, PDF_RUNNING_HEAD, align="C")
            self.ln(12)

        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("Helvetica", size=9)
            self.cell(0, 8, f"Page {self.page_no()} of {{nb}}", align="C")

    pdf = Booklet()
    pdf.set_title("Ramping New Sales Reps in Ninety Days")
    pdf.set_author("Priya Raman")
    pdf.set_creation_date(dt.datetime(2023, 5, 4, tzinfo=dt.UTC))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 20)
    pdf.multi_cell(0, 10, "Ramping New Sales Reps in Ninety Days", new_x="LMARGIN", new_y="NEXT")
    for heading, paragraphs in PDF_SECTIONS:
        if heading.startswith("Days sixty"):
            pdf.add_page()
        pdf.set_font("Helvetica", "B", 14)
        pdf.multi_cell(0, 10, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        pdf.set_font("Helvetica", size=11)
        for paragraph in paragraphs:
            pdf.multi_cell(0, 6, paragraph, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(4)
    pdf.output(str(path))
    return path


def make_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    props = document.core_properties
    props.title = "Coaching a Rep Who Keeps Missing Quota"
    props.author = "Marcus Lee"
    props.created = dt.datetime(2022, 9, 1)
    document.add_heading("Coaching a Rep Who Keeps Missing Quota", 0)
    document.add_heading("Find the broken stage", 1)
    document.add_paragraph(
        "When an account executive misses quota two quarters in a row, look at the funnel "
        "before you look at effort. Compare their conversion at each stage with the team "
        "average; the stage where they fall furthest behind is where coaching will pay off."
    )
    document.add_heading("Agree a written improvement plan", 1)
    document.add_paragraph(
        "Write down two or three measurable behaviours to change, such as qualifying budget "
        "on the first call, and review them together every week for six weeks."
    )
    document.add_paragraph("Ride along on their calls.", style="List Bullet")
    document.add_paragraph("Role-play the hardest objection.", style="List Bullet")
    document.add_heading("Decide, then move on", 2)
    document.add_paragraph(
        "If the behaviours change but results do not, the role may be the wrong fit. Be "
        "honest early; a long, vague improvement plan is unkind to everyone."
    )
    document.save(str(path))
    return path


class _Handler(BaseHTTPRequestHandler):
    pages: dict[str, tuple[int, str, bytes]] = {}
    hits: ClassVar[Counter[str]] = Counter()  # requests per path, for the retry test

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.hits[self.path] += 1
        if self.path == "/slow":
            time.sleep(2)
        status, kind, body = self.pages.get(self.path, (404, "text/plain", b"not found"))
        self.send_response(status)
        if kind:  # "": a server that does not say what it sends
            self.send_header("Content-Type", kind)
        if status in (429, 503):
            self.send_header("Retry-After", "1")
        if status == 302:  # /loop: a redirect to itself
            self.send_header("Location", self.path)
        # /cut: the page promised at four times its length, then the connection closes
        self.send_header("Content-Length", str(len(body) * (4 if self.path == "/cut" else 1)))
        self.end_headers()
        with contextlib.suppress(OSError):  # the client gave up (the time-out tests)
            if self.path == "/trickle":  # a byte stream that never stalls long: 5 s in all
                for start in range(0, len(body), len(body) // 25 + 1):
                    self.wfile.write(body[start : start + len(body) // 25 + 1])
                    self.wfile.flush()
                    time.sleep(0.2)
            else:
                self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """http://127.0.0.1:PORT serving /territory (an article page), /empty, /slow (stalls),
    /trickle (the page a few bytes at a time), /cut (closed mid-page), /broken (500), /busy
    (503 with Retry-After), /loop (redirects to itself), /download (a PDF as
    application/octet-stream), /untyped (the page with no Content-Type), /photo
    (image/png), 404s."""
    pdf = make_pdf(tmp_path_factory.mktemp("served") / "ramp.pdf").read_bytes()
    _Handler.pages = {
        "/busy": (503, "text/html", b"<h1>down for maintenance</h1>"),
        "/download": (200, "application/octet-stream", pdf),
        "/untyped": (200, "", TERRITORY_HTML.encode()),
        "/photo": (200, "image/png", b"\x89PNG\r\n\x1a\n" + bytes(200)),
        "/territory": (200, "text/html; charset=utf-8", TERRITORY_HTML.encode()),
        "/empty": (200, "text/html", b""),
        "/slow": (200, "text/html", TERRITORY_HTML.encode()),
        "/trickle": (200, "text/html", TERRITORY_HTML.encode()),
        "/broken": (500, "text/html", b"<h1>oops</h1>"),
        "/cut": (200, "text/html", TERRITORY_HTML.encode()),
        "/loop": (302, "text/html", b""),
    }
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def dead_url() -> str:
    """A loopback port with nothing listening: the connection is refused."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/article"


@pytest.fixture(scope="session")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One local file per supported kind, built once."""
    folder = tmp_path_factory.mktemp("sources")
    (folder / "pipeline-review.html").write_text(BLOG_HTML, encoding="utf-8")
    (folder / "remote-burnout.md").write_text(BURNOUT_MD, encoding="utf-8")
    return {
        "html": folder / "pipeline-review.html",
        "pdf": make_pdf(folder / "ramp-plan.pdf"),
        "docx": make_docx(folder / "missing-quota.docx"),
        "md": folder / "remote-burnout.md",
    }
