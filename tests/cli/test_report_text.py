"""`coach report` prints what leaders typed as they typed it: square brackets in a question
or a reason are text, not Rich markup (which ate `[link]` and crashed on `[/]`)."""

from __future__ import annotations

import io
from collections.abc import Sequence
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
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def printed(
    gaps: Sequence[Gap], reasons: Sequence[Reason] = (), *, not_helpful: int = 0, width: int
) -> str:
    """What `coach report` prints for a week since NOW whose every question was a gap."""
    report = GapReport(
        since=NOW,
        answered=0,
        abstained=sum(gap.count for gap in gaps),
        helpful=0,
        not_helpful=not_helpful,
        gaps=tuple(gaps),
        reasons=tuple(reasons),
    )
    out = io.StringIO()
    print_report(report, 7, Console(file=out, width=width, color_system=None))
    return out.getvalue()


def test_report_shows_questions_and_reasons_with_square_brackets_verbatim() -> None:
    text = printed(
        [Gap(question=q, count=1) for q in BRACKETED],
        [Reason(BRACKETED[2], "a [template] for the [/red] review", NOW)],
        not_helpful=1,
        width=300,
    )
    for question in BRACKETED:
        assert question in text
    assert "a [template] for the [/red] review" in text


def test_each_gap_shows_when_it_was_last_asked_and_the_wordings_merged_into_it() -> None:
    """The table gave a count and one wording per gap: the curator could not tell a need
    asked this morning from one asked six days ago (perhaps covered since), nor what the
    count of a merged gap was made of."""
    lines = printed(
        [
            Gap(
                question="How do I design commission accelerators?",
                count=3,
                wordings=(
                    "How do I design commission accelerators?",
                    "accelerators in our comp plan?",
                ),
                last_asked=datetime(2026, 11, 22, 16, 5, tzinfo=UTC),
            ),
            Gap(question="Which CRM?", count=1, last_asked=datetime(2026, 11, 17, tzinfo=UTC)),
        ],
        width=120,
    ).splitlines()
    [first] = [line for line in lines if "How do I design commission accelerators?" in line]
    assert " 3 " in first and "2026-11-22" in first
    [second] = [line for line in lines if "Which CRM?" in line]
    assert "2026-11-17" in second
    assert any("accelerators in our comp plan?" in line for line in lines)
    assert "Last 7 days, since 2026-11-23 10:00 UTC" in lines[0]
