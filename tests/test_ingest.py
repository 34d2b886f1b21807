"""`content add` from each kind of source: the file written, its front matter, no page
clutter, and the coach answering a reworded question from it."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import frontmatter
import pytest

from index.content import parse_article
from index.embedder import Embedder
from index.ingest.add import Curation, plan_additions, write_plan
from index.library import Library
from index.passages import split_articles
from tests.ingest_fixtures import BLOG_CLUTTER, PDF_RUNNING_HEAD
from tests.library_fixtures import SHIPPED_CONTENT

TODAY = date(2026, 11, 25)
CURATION = Curation(today=TODAY, owner="Sam Admin", review_by=date(2027, 6, 1), tags=("ramp",))


@pytest.fixture(scope="module")
def added(
    tmp_path_factory: pytest.TempPathFactory,
    sources: dict[str, Path],
    web_server: str,
) -> dict[str, Path]:
    """A copy of the shipped library with every kind of source added in one `add`."""
    content = tmp_path_factory.mktemp("curated") / "content"
    shutil.copytree(SHIPPED_CONTENT, content)
    order = ["html", "pdf", "docx", "md"]
    plan = plan_additions(
        content, [str(sources[k]) for k in order] + [f"{web_server}/territory"], CURATION
    )
    assert not plan.refused, [str(e) for e in plan.refused]
    written = write_plan(plan)
    return dict(zip([*order, "url"], written, strict=True))


@pytest.fixture(scope="module")
def curated_library(
    added: dict[str, Path],
    shipped_library: Library,
    lib_data_dir: Path,
    lib_embedder: Embedder,
    tmp_path_factory: pytest.TempPathFactory,
) -> Library:
    """The library after `add`, indexed from a copy of the shipped index (incremental)."""
    index_dir = tmp_path_factory.mktemp("curated-index") / "index"
    shutil.copytree(lib_data_dir / "index", index_dir)
    content = next(iter(added.values())).parent
    return Library.open(content, index_dir, lib_embedder.model_name, embedder=lib_embedder)


def meta_and_body(path: Path) -> tuple[dict[str, object], str]:
    post = frontmatter.loads(path.read_text(encoding="utf-8"))
    return post.metadata, post.content


def test_each_source_becomes_a_slugged_markdown_file(added: dict[str, Path]) -> None:
    assert {k: p.name for k, p in added.items()} == {
        "html": "running-a-weekly-pipeline-review-that-reps-don-t-dread.md",
        "pdf": "ramping-new-sales-reps-in-ninety-days.md",
        "docx": "coaching-a-rep-who-keeps-missing-quota.md",
        "md": "spotting-burnout-on-a-remote-sales-team.md",
        "url": "drawing-fair-sales-territories.md",
    }
    for path in added.values():
        parse_article(path)  # the library reads every written file


def test_front_matter_has_every_field_in_order(added: dict[str, Path], web_server: str) -> None:
    """A page whose only date is its footer's "Copyright 2025" (the territory page) has no
    published date: it was given 2025-01-01, shown in every citation."""
    fields = ["title", "author", "published", "source", "tags", "owner", "review_by", "added"]
    expected = {
        "html": (
            "Running a Weekly Pipeline Review That Reps Don't Dread",
            "Dana Whitfield",
            "2024-03-12",
        ),
        "pdf": ("Ramping New Sales Reps in Ninety Days", "Priya Raman", "2023-05-04"),
        "docx": ("Coaching a Rep Who Keeps Missing Quota", "Marcus Lee", "2022-09-01"),
        "md": ("Spotting Burnout on a Remote Sales Team", None, None),
        "url": ("Drawing Fair Sales Territories", "Lena Okafor", None),
    }
    for kind, path in added.items():
        meta, _ = meta_and_body(path)
        assert list(meta) == fields, kind
        title, author, published = expected[kind]
        assert meta["title"] == title
        assert meta["author"] == author
        assert (str(meta["published"]) if meta["published"] else None) == published, kind
        assert meta["owner"] == "Sam Admin"
        assert meta["review_by"] == date(2027, 6, 1)
        assert meta["added"] == TODAY
        assert meta["tags"] == ["ramp"]
    assert meta_and_body(added["url"])[0]["source"] == f"{web_server}/territory"
    assert meta_and_body(added["pdf"])[0]["source"] is None


def test_headings_are_kept(added: dict[str, Path]) -> None:
    headings = {
        "html": ["## Inspect the next step, not the amount", "## Close with clear actions"],
        "pdf": ["## The first thirty days", "## Days sixty to ninety"],
        "docx": ["## Find the broken stage", "### Decide, then move on"],
        "md": ["## Protect recovery time"],
        "url": ["## Balance workload as well as revenue"],
    }
    for kind, wanted in headings.items():
        _, body = meta_and_body(added[kind])
        lines = body.splitlines()
        for heading in wanted:
            assert heading in lines, (kind, heading, body[:400])


def test_web_page_clutter_is_gone(added: dict[str, Path]) -> None:
    _, body = meta_and_body(added["html"])
    assert "dated next step agreed with the buyer" in body
    for clutter in BLOG_CLUTTER:
        assert clutter.lower() not in body.lower(), clutter
    _, url_body = meta_and_body(added["url"])
    assert "Copyright" not in url_body and "About us" not in url_body


def test_pdf_running_head_footer_and_page_numbers_are_gone(added: dict[str, Path]) -> None:
    _, body = meta_and_body(added["pdf"])
    assert PDF_RUNNING_HEAD not in body
    assert "Page 1" not in body and "of 2" not in body
    # paragraphs are whole, not one line of the page each
    assert (
        "Pair each new hire with a peer mentor who has been on the team for at least a year."
        in body
    )


def test_docx_list_and_paragraphs(added: dict[str, Path]) -> None:
    _, body = meta_and_body(added["docx"])
    assert "- Ride along on their calls.\n- Role-play the hardest objection." in body


QUESTIONS = {
    "html": "what should I cover in my weekly deal inspection meeting with the team?",
    "pdf": "how do I get a freshly hired account executive productive in their first months?",
    "docx": "one of my sellers has fallen short of target for two quarters, what do I do?",
    "md": "my sellers working from home seem worn out, how can I tell and help?",
    "url": "how should I split regions between my account executives fairly?",
}


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param(
            kind,
            marks=pytest.mark.xfail(
                strict=True,
                reason="issue 14: declined as billing at the 3% out-of-scope share "
                "cross-validation chose, one of the ~1% of answerable questions it costs "
                "(bench/scope_text_margin.md)",
            ),
        )
        if kind == "docx"
        else kind
        for kind in sorted(QUESTIONS)
    ],
)
def test_a_reworded_question_is_answered_from_the_new_article(
    kind: str, added: dict[str, Path], curated_library: Library
) -> None:
    result = curated_library.search(QUESTIONS[kind])
    assert result.answered
    # The shipped library has its own articles on these topics (pipeline reviews, ramp,
    # missed quota, burnout, territories): the new one must be among the passages shown.
    assert added[kind].stem in [hit.passage.article.id for hit in result.hits]


def test_only_the_new_articles_are_embedded(
    added: dict[str, Path], curated_library: Library
) -> None:
    """The index refreshed itself from the shipped one: every shipped text was reused."""
    new_ids = {p.stem for p in added.values()}
    new_passages = [p for p in curated_library.passages if p.article.id in new_ids]
    fresh = split_articles([a for a in curated_library.articles if a.meta.id in new_ids])
    assert len(new_passages) == len(fresh) > 0
    dense = curated_library.searcher.dense
    from index.passages import split_sentences

    texts = {p.embed_text for p in fresh} | {
        s for p in fresh for s in (split_sentences(p.text) or [p.text])
    }
    assert dense.embedded == len(texts) + len(fresh)  # + one token matrix per new passage
    assert dense.reused > 0
