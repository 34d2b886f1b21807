"""`content add` of a Markdown file keeps what its front matter says, or refuses it with
the line at fault: nothing the curator wrote is dropped in silence."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from index.content import load_library
from index.ingest.add import Curation, add_sources
from tests.library_fixtures import SHIPPED_CONTENT

CURATION = Curation(today=date(2026, 11, 25), owner="Sam Admin", timeout=1.0)

# words no shipped article has, so no source here is refused as a near-duplicate
BODY = "\n\n".join(
    f"Paragraph {n}: the quarterly kayak offsite taught {n} lessons on candour, courage and "
    f"calm, and each team lead wrote down {n} habits worth keeping next season."
    for n in range(1, 5)
)


@pytest.fixture()
def content(tmp_path: Path) -> Path:
    return Path(shutil.copytree(SHIPPED_CONTENT, tmp_path / "content"))


def source(tmp_path: Path, front_matter: str, body: str = BODY) -> str:
    path = tmp_path / "offsite.md"
    path.write_text(f"---\n{front_matter}\n---\n\n{body}\n", encoding="utf-8")
    return str(path)


def test_the_questions_each_section_answers_are_kept(content: Path, tmp_path: Path) -> None:
    """They were dropped: the written article had no `questions:` and `content list` said 0."""
    front = (
        "title: Lessons From the Kayak Offsite\n"
        "questions:\n"
        '  "Lessons From the Kayak Offsite":\n'
        '    - "team offsite ideas that actually stick?"\n'
        '  "Habits":\n'
        '    - "how do I get my leads to keep good habits: any tips"\n'
    )
    plan = add_sources(
        content, [source(tmp_path, front, BODY + "\n\n## Habits\n\n" + BODY)], CURATION
    )
    assert plan.refused == [] and len(plan.written) == 1
    added = {a.meta.id: a for a in load_library(content).articles}[plan.written[0].stem]
    assert added.questions == (
        (None, ("team offsite ideas that actually stick?",)),
        ("Habits", ("how do I get my leads to keep good habits: any tips",)),
    )


@pytest.mark.parametrize(
    ("front_matter", "reason"),
    [
        ("title: Offsite\nreview_by: next spring", "review_by 'next spring' is not a date"),
        # was "cannot be converted (ValueError: month must be in 1..12)": no field, no line
        ("title: Offsite\nreview_by: 2027-13-45", "review_by at line 3 is not a date: 2027-13-45"),
        ("- title\n- Offsite", "front matter at line 2 must be key: value pairs"),
        ("title: Offsite\nsource: HBR, April 2015", "source at line 3 must be a URL"),
        ("title: Offsite\nquestions: offsite ideas", "line 3: questions must map a section"),
        (
            'title: Offsite\nquestions:\n  "Agenda":\n    - "offsite agenda?"',
            "line 4: questions: 'Agenda' is not a heading",
        ),
    ],
)
def test_front_matter_it_would_drop_is_refused_with_its_line(
    content: Path, tmp_path: Path, front_matter: str, reason: str
) -> None:
    """Each was added with the field dropped (review_by became a year from today, a list or
    a bad `questions:` vanished), the curator never told."""
    before = sorted(p.name for p in content.iterdir())
    plan = add_sources(content, [source(tmp_path, front_matter)], CURATION)
    assert [reason in e.reason for e in plan.refused] == [True], [str(e) for e in plan.refused]
    assert sorted(p.name for p in content.iterdir()) == before


def test_front_matter_never_closed_is_refused(content: Path, tmp_path: Path) -> None:
    """It was added with the title 'title: Offsite' and the field lines as its first text."""
    path = tmp_path / "open.md"
    path.write_text(f"---\ntitle: Offsite\nauthor: Kim\n\n{BODY}\n", encoding="utf-8")
    plan = add_sources(content, [str(path)], CURATION)
    assert [e.reason for e in plan.refused] == [
        "front matter opened with '---' at line 1 is never closed with a '---' line"
    ]
    assert plan.written == []
