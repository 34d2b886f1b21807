"""`coach content ...` and `coach quote add|list|retire` as an admin runs them."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.ingest_fixtures import BURNOUT_MD
from tests.library_fixtures import SHIPPED_CONTENT, write_article

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture()
def admin(
    run_coach: Run, shipped_library: object, lib_data_dir: Path, tmp_path: Path
) -> tuple[Run, Path]:
    """`coach` on a private copy of the shipped content and index."""
    content = Path(shutil.copytree(SHIPPED_CONTENT, tmp_path / "content"))
    data = tmp_path / "data"
    shutil.copytree(lib_data_dir / "index", data / "index")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return run_coach(*args, env={"CONTENT_DIR": str(content), "DATA_DIR": str(data)})

    return run, content


def test_add_then_ask_answers_from_it(
    admin: tuple[Run, Path], tmp_path: Path, web_server: str
) -> None:
    run, content = admin
    source = tmp_path / "burnout.md"
    source.write_text(BURNOUT_MD, encoding="utf-8")
    added = run(
        "content",
        "add",
        str(source),
        f"{web_server}/territory",
        "--owner",
        "Sam Admin",
        "--review-by",
        (date.today() + timedelta(days=200)).isoformat(),
        "--tags",
        "remote,burnout",
    )
    assert added.returncode == 0, added.stderr
    paths = [Path(line) for line in added.stdout.splitlines()]
    assert [p.name for p in paths] == [
        "spotting-burnout-on-a-remote-sales-team.md",
        "drawing-fair-sales-territories.md",
    ]
    assert all(p.parent == content and p.exists() for p in paths)
    text = paths[0].read_text(encoding="utf-8")
    assert "owner: Sam Admin" in text and "tags: [remote, burnout]" in text
    asked = run("ask", "--json", "my sellers working from home seem worn out, what can I do?")
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert answer["answered"]
    assert answer["passages"][0]["article"]["id"] == paths[0].stem


def test_refusals_are_one_line_each_and_nothing_is_written(
    admin: tuple[Run, Path], tmp_path: Path, dead_url: str
) -> None:
    run, content = admin
    before = sorted(p.name for p in content.iterdir())
    sheet = tmp_path / "plan.xlsx"
    sheet.write_bytes(b"PK..")
    good = tmp_path / "burnout.md"
    good.write_text(BURNOUT_MD, encoding="utf-8")
    result = run("content", "add", str(good), str(sheet), dead_url)
    assert result.returncode == 1 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert lines[0] == f"refused: {sheet}: unsupported file type '.xlsx' " + (
        "(use .md .markdown .txt .html .htm .pdf .docx or a URL)"
    )
    assert lines[1].startswith(f"refused: {dead_url}: ") and "refused" in lines[1]
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in content.iterdir()) == before
    bad_date = run("content", "add", str(good), "--review-by", "next year")
    assert bad_date.returncode != 0 and "--review-by" in bad_date.stderr
    last_year = (date.today() - timedelta(days=365)).isoformat()
    past = run("content", "add", str(good), "--review-by", last_year)
    assert past.returncode == 1 and past.stdout == ""
    assert f"--review-by {last_year} is in the past" in past.stderr
    assert "Traceback" not in past.stderr
    assert sorted(p.name for p in content.iterdir()) == before


def test_ask_names_a_malformed_article_once_and_still_answers(admin: tuple[Run, Path]) -> None:
    run, content = admin
    (content / "zz-broken.md").write_text("---\nauthor: Nobody\n---\n\nText.\n", "utf-8")
    asked = run("ask", "how do I motivate my reps?")
    assert asked.returncode == 0, asked.stderr
    assert asked.stdout.startswith("1. ")
    [said] = [line for line in asked.stderr.splitlines() if "zz-broken.md" in line]
    assert said == f"warning: {content / 'zz-broken.md'}:1: front matter has no title " + (
        "(add `title: ...`) (skipped)"
    )


def test_a_library_of_only_malformed_articles_says_why_once(run_coach: Run, tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    (content / "broken.md").write_text("---\nauthor: Nobody\n---\n\nText.\n", "utf-8")
    asked = run_coach("ask", "how do I coach?", env={"CONTENT_DIR": str(content)})
    assert asked.returncode == 1
    assert [line for line in asked.stderr.splitlines() if "broken.md" in line] == [
        f"warning: {content / 'broken.md'}:1: front matter has no title (add `title: ...`) "
        "(skipped)"
    ]
    assert f"error: {content}: no articles" in asked.stderr


@pytest.mark.parametrize(
    "command",
    [
        ("content", "add", "ARTICLE"),
        ("content", "list"),
        ("content", "remove", "burnout"),
        ("quote", "add", "Lead by example.", "--author", "Ann Lee"),
        ("quote", "list"),
        ("quote", "retire", "1"),
        ("index", "status"),
    ],
)
def test_a_mistyped_content_dir_is_one_line_and_nothing_is_created(
    run_coach: Run, tmp_path: Path, command: tuple[str, ...]
) -> None:
    # before: `content add` and `quote add` created the folder and wrote there, where the
    # coach never reads; `content list` was a traceback, `quote list` printed nothing (exit
    # 0), `index status` said "needs rebuild (content changed)"
    article = tmp_path / "burnout.md"
    article.write_text(BURNOUT_MD, encoding="utf-8")
    typo = tmp_path / "contnet"
    args = [str(article) if a == "ARTICLE" else a for a in command]
    result = run_coach(*args, env={"CONTENT_DIR": str(typo), "DATA_DIR": str(tmp_path / "d")})
    assert result.returncode == 1, result.stdout
    assert result.stderr == (
        f"error: CONTENT_DIR={typo}: no such folder (unset it to use the checkout's content/)\n"
    )
    assert not typo.exists()


def test_an_empty_library_is_listed_and_checked_without_a_traceback(
    run_coach: Run, tmp_path: Path
) -> None:
    content = tmp_path / "content"
    content.mkdir()
    env = {"CONTENT_DIR": str(content)}
    listed = run_coach("content", "list", env=env)  # before: TypeError traceback
    assert (listed.returncode, listed.stderr) == (0, "")
    assert listed.stdout == (
        f"{content}: no articles yet (add one with `coach content add FILE_OR_URL`)\n"
    )
    assert json.loads(run_coach("content", "list", "--json", env=env).stdout) == []
    checked = run_coach("content", "check", env=env)  # before: "no problems", exit 0
    assert checked.returncode == 1
    assert checked.stdout == f"{content}: no articles: the coach has nothing to answer from\n"


def test_list_json_and_table(admin: tuple[Run, Path]) -> None:
    run, content = admin
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    write_article(
        content,
        "old-news",
        "Forecast honestly every week. " * 4,
        title="Old News",
        extra=f"owner: Ann Lee\nreview_by: {yesterday}",
    )
    listed = run("content", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = {row["id"]: row for row in json.loads(listed.stdout)}
    assert rows["old-news"] == {
        "id": "old-news",
        "title": "Old News",
        "author": "Test Author",
        "owner": "Ann Lee",
        "review_by": yesterday,
        "passages": 1,
        "stale": True,
        "questions": 0,
        "sections_without_questions": 1,
    }
    assert set(rows) >= {p.stem for p in SHIPPED_CONTENT.glob("*.md")}
    table = run("content", "list").stdout.splitlines()
    assert table[0].split() == [
        "id",
        "title",
        "author",
        "owner",
        "review_by",
        "passages",
        "questions",
        "stale",
    ]
    assert any(line.startswith("old-news") and line.endswith("STALE") for line in table)
    [old] = [line for line in table if line.startswith("old-news")]
    assert " 0 (1 section without) " in old, old  # before: "(1 sections without)"


def test_check_exit_codes(admin: tuple[Run, Path], tmp_path: Path) -> None:
    run, _ = admin
    clean = tmp_path / "clean"
    clean.mkdir()
    write_article(
        clean, "a", "Coach weekly. " * 5, title="A", extra="owner: Ann\nreview_by: 2099-01-01"
    )
    ok = run_in(run, clean, "content", "check")
    assert ok.returncode == 0 and "no problems" in ok.stdout
    write_article(clean, "b", "Something else entirely here. " * 5, title="B")
    (clean / "c.md").write_text("---\ntitle: [unclosed\n---\nx\n", encoding="utf-8")
    bad = run_in(run, clean, "content", "check")
    assert bad.returncode == 1
    assert any("b.md" in line and "no owner" in line for line in bad.stdout.splitlines())
    assert any("c.md:3" in line and "not valid YAML" in line for line in bad.stdout.splitlines())
    assert "c.md" not in bad.stderr  # each problem once, on stdout
    status = run_in(run, clean, "index", "status")
    assert "c.md:3" in status.stdout  # `index status` still reports malformed files


def test_index_status_lists_the_curators_other_files_too(
    admin: tuple[Run, Path], tmp_path: Path
) -> None:
    """A broken vocabulary.yaml, scope.yaml or quotes.yaml (search then runs without the
    vocabulary or scope, the daily post without quotes) was missing from `index status`:
    it listed malformed articles only."""
    run, _ = admin
    folder = tmp_path / "curated"
    folder.mkdir()
    write_article(folder, "a", "Coach weekly. " * 5, title="A")
    (folder / "vocabulary.yaml").write_text("crew: team\n", encoding="utf-8")
    (folder / "scope.yaml").write_text("out_of_scope:\n  - topic: x\n   ask: y\n", "utf-8")
    (folder / "quotes.yaml").write_text("- text: Listen.\n  author: [A, B]\n", "utf-8")
    problems = [
        line.strip()
        for line in run_in(run, folder, "index", "status").stdout.splitlines()
        if line.strip().startswith("problem:")
    ]
    assert [p.split(": ", 2)[1].rsplit("/", 1)[-1] for p in problems] == [
        "vocabulary.yaml:1",
        "scope.yaml:3",
        "quotes.yaml:2",
    ], problems


def run_in(run: Run, content: Path, *args: str) -> subprocess.CompletedProcess[str]:
    from tests.library_fixtures import COACH, REPO_ROOT

    del run
    import os

    env = {**os.environ, "CONTENT_DIR": str(content), "HF_HUB_OFFLINE": "1", "NO_COLOR": "1"}
    env = {k: v for k, v in env.items() if not k.startswith("SLACK_")}
    return subprocess.run(
        [str(COACH), *args], capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=300
    )


def test_remove_takes_it_out_of_answers(admin: tuple[Run, Path], tmp_path: Path) -> None:
    run, content = admin
    source = tmp_path / "burnout.md"
    source.write_text(BURNOUT_MD, encoding="utf-8")
    path = Path(run("content", "add", str(source)).stdout.strip())
    question = "my sellers working from home seem worn out, what can I do?"
    first = json.loads(run("ask", "--json", question).stdout)
    assert first["passages"][0]["article"]["id"] == path.stem
    removed = run("content", "remove", path.stem)
    assert removed.returncode == 0 and str(path) in removed.stdout and not path.exists()
    after = json.loads(run("ask", "--json", question).stdout)
    assert all(p["article"]["id"] != path.stem for p in after["passages"])
    missing = run("content", "remove", path.stem)
    assert missing.returncode == 1 and f"no article '{path.stem}'" in missing.stderr


def test_quote_round_trip(admin: tuple[Run, Path]) -> None:
    run, content = admin
    before = json.loads(run("quote", "list", "--json").stdout)
    added = run("quote", "add", "Coach the player, not the scoreboard.", "--author", "Ann Lee")
    assert added.returncode == 0, added.stderr
    assert f"added quote {len(before) + 1}" in added.stdout
    retired = run("quote", "retire", "1")
    assert retired.returncode == 0 and "retired quote 1" in retired.stdout
    after = json.loads(run("quote", "list", "--json").stdout)
    assert after[0]["retired"] is True and after[-1]["text"].startswith("Coach the player")
    assert (content / "quotes.yaml").read_text(encoding="utf-8").startswith("# Quotes")
    table = run("quote", "list").stdout.splitlines()
    assert table[0].startswith("  1. [retired]")
    # the day's quote still works as before, and never the retired one
    for offset in range(3):
        day = (date(2027, 1, 4) + timedelta(days=offset)).isoformat()
        shown = run("quote", "--date", day)
        assert shown.returncode == 0, shown.stderr
        assert before[0]["text"][:40] not in shown.stdout
    assert run("quote", "retire", "999").returncode == 1
    assert run("quote", "add", "No author").returncode != 0


def test_a_corrupt_pdf_is_our_one_refusal_line_without_pypdf_warnings(
    admin: tuple[Run, Path], tmp_path: Path
) -> None:
    """pypdf logged 'invalid pdf header' and 'EOF marker not found' above the refusal."""
    run, _content = admin
    broken = tmp_path / "report.pdf"
    broken.write_bytes(b"\x88\x87j\x00 these bytes were never a PDF\n" * 100)
    result = run("content", "add", str(broken))
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"refused: {broken}: not a readable PDF (Stream has ended unexpectedly)"
    ]


def test_a_source_longer_than_the_word_limit_is_refused_naming_count_and_limit(
    admin: tuple[Run, Path], tmp_path: Path
) -> None:
    """A 1.5 MB Markdown file (240,000 words, thousands of passages) used to be added."""
    run, content = admin
    before = sorted(p.name for p in content.iterdir())
    handbook = tmp_path / "handbook.md"
    paragraph = " ".join(f"word{i}" for i in range(50)) + ".\n\n"
    handbook.write_text("# Handbook\n\n" + paragraph * 1001, encoding="utf-8")  # 50,050 words
    result = run("content", "add", str(handbook))
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"refused: {handbook}: 50,050 words, more than the 50,000 an article may have "
        "(split it into articles)"
    ]
    assert sorted(p.name for p in content.iterdir()) == before


def test_an_article_with_the_title_of_one_in_the_library_is_added_with_a_note(
    admin: tuple[Run, Path], tmp_path: Path
) -> None:
    """It was added without a word: two articles titled alike, whose citations in Slack
    read the same."""
    run, content = admin
    [existing] = [p for p in content.glob("*.md") if p.stem == "sales-one-on-ones"]
    title = existing.read_text(encoding="utf-8").split("title: ", 1)[1].splitlines()[0]
    page = tmp_path / "same-title.md"
    body = "Ask about territory splits, travel time and account counts before quotas. " * 4
    page.write_text(f"---\ntitle: {title}\n---\n\n{body}\n", encoding="utf-8")
    result = run("content", "add", str(page))
    assert result.returncode == 0, result.stderr
    written = Path(result.stdout.strip())
    assert written.parent == content and written.stem != "sales-one-on-ones"
    assert result.stderr.strip().splitlines() == [
        f"note: {written.name}: 'sales-one-on-ones' has the same title, "
        f"{title.strip(chr(34))!r}; their citations will read alike (change one title to "
        "tell them apart)"
    ]


def test_a_term_the_vocabulary_writes_twice_is_a_problem_naming_both_lines(
    run_coach: Run, tmp_path: Path
) -> None:
    """`lead:` written twice (and `leads:`, the same term once folded): YAML keeps the last
    list and search used it without a word to the curator, who thought both were in use."""
    folder = tmp_path / "curated"
    folder.mkdir()
    write_article(
        folder, "a", "Coach weekly. " * 5, title="A", extra="owner: Ann\nreview_by: 2099-01-01"
    )
    (folder / "vocabulary.yaml").write_text(
        "lead: [prospect, customer]\nleads: [prospects]\ncrew: [team]\nlead: [leadership, guide]\n",
        encoding="utf-8",
    )
    problem = (
        f"{folder / 'vocabulary.yaml'}:1: 'lead' is written again at line 2 as 'leads' and "
        "line 4 (plurals and capitals fold to one term); only line 4's list is used: "
        "[leadership, guide]"
    )
    status = run_in(run_coach, folder, "index", "status")
    assert f"  problem: {problem}" in status.stdout.splitlines(), status.stdout
    checked = run_in(run_coach, folder, "content", "check")
    assert checked.returncode == 1 and checked.stdout.splitlines() == [problem], checked.stdout


def test_list_names_each_article_it_cannot_read(run_coach: Run, tmp_path: Path) -> None:
    """An article with broken front matter, or saved in Latin-1, was missing from `content
    list` (and its JSON) without a word: the curator saw the file in the folder, not why."""
    folder = tmp_path / "curated"
    folder.mkdir()
    write_article(folder, "a", "Coach weekly. " * 5, title="A")
    (folder / "b.md").write_text("---\ntitle: [unclosed\n---\nText.\n", encoding="utf-8")
    (folder / "c.md").write_bytes("---\ntitle: Café\n---\nText.\n".encode("latin-1"))
    warnings = [
        f"warning: {folder / 'b.md'}:3: front matter is not valid YAML (did not find expected "
        "',' or ']') (not listed)",
        f"warning: {folder / 'c.md'}:2: not UTF-8 text (save the file as UTF-8) (not listed)",
    ]
    for args in (("content", "list"), ("content", "list", "--json")):
        listed = run_in(run_coach, folder, *args)
        assert listed.returncode == 0 and listed.stderr.splitlines() == warnings, listed.stderr
        assert "b.md" not in listed.stdout and "c.md" not in listed.stdout
    assert [row["id"] for row in json.loads(listed.stdout)] == ["a"]
    (folder / "a.md").unlink()
    alone = run_in(run_coach, folder, "content", "list")
    assert alone.stdout == f"{folder}: no readable articles (fix the files named above)\n"
