"""`coach report` prints what leaders typed as they typed it: square brackets in a question
or a reason are text, not Rich markup (which ate `[link]` and crashed on `[/]`)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from rich.console import Console

from bot.cli.report import print_report
from bot.gaps.cluster import Gap
from bot.gaps.report import GapReport, Reason

BRACKETED = [
    "what does [/] mean in our CRM export?",
    "how do I share a [link](https://x) to a deal?",
    "is [bold]pipeline coverage[/bold] of 3x enough?",
]


def test_report_shows_questions_and_reasons_with_square_brackets_verbatim() -> None:
    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    report = GapReport(
        since=now,
        answered=0,
        abstained=3,
        helpful=0,
        not_helpful=1,
        gaps=tuple(Gap(question=q, count=1) for q in BRACKETED),
        reasons=(Reason(BRACKETED[2], "a [template] for the [/red] review", now),),
    )
    out = io.StringIO()
    print_report(report, 7, Console(file=out, width=300, color_system=None))
    text = out.getvalue()
    for question in BRACKETED:
        assert question in text
    assert "a [template] for the [/red] review" in text
