"""`coach index build`: incremental, says what it skipped, and says when nothing changed."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from index.embedder import Embedder
from index.library import Library
from tests.cli.coach_cli import CoachInProcess
from tests.library_fixtures import copy_content, write_article


def test_index_build_is_incremental_and_reports_bad_files(
    shipped_library: Library,
    coach_in_process: CoachInProcess,
    lib_embedder: Embedder,
    lib_data_dir: Path,
    tmp_path: Path,
) -> None:
    content = copy_content(tmp_path / "content")
    shutil.copytree(lib_data_dir / "index", tmp_path / "data" / "index")
    write_article(
        content,
        "zz-trade-show",
        "Staff the trade show booth in two-hour shifts. Greet visitors standing, never seated.",
        title="Trade Show Booths",
    )
    (content / "zz-broken.md").write_bytes(b"---\nauthor: Nobody\n---\n\nText.\n")
    env = {"CONTENT_DIR": str(content), "DATA_DIR": str(tmp_path / "data")}
    proc = coach_in_process("index", "build", env=env)
    assert proc.exit_code == 1, proc.output  # built, but a file was skipped
    assert "zz-broken.md:1" in proc.stderr and "(skipped)" in proc.stderr
    articles = len(shipped_library.articles) + 1
    match = re.search(
        rf"index ready: {articles} articles, .* embedded (\d+), reused (\d+)", proc.stdout
    )
    assert match, proc.stdout
    embedded, reused = int(match[1]), int(match[2])
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(content / "zz-trade-show.md", alone)
    cost = Library.open(alone, tmp_path / "alone-index", "unused", embedder=lib_embedder)
    assert embedded == cost.searcher.dense.embedded  # only the new article was embedded
    assert reused >= shipped_library.searcher.dense.manifest["embedded"]
    ask = coach_in_process("ask", "--json", "how should we staff our trade show booth?", env=env)
    assert json.loads(ask.stdout)["passages"][0]["article"]["id"] == "zz-trade-show"


def test_an_index_build_with_nothing_changed_says_up_to_date_not_the_last_builds_counts(
    shipped_library: Library, coach_in_process: CoachInProcess, lib_data_dir: Path, tmp_path: Path
) -> None:
    """It printed the manifest's counts of whatever build came before ("embedded 1136,
    reused 0" after a first build), as if every run re-embedded the library."""
    content = copy_content(tmp_path / "content")
    shutil.copytree(lib_data_dir / "index", tmp_path / "data" / "index")
    env = {"CONTENT_DIR": str(content), "DATA_DIR": str(tmp_path / "data")}
    proc = coach_in_process("index", "build", env=env)
    assert proc.exit_code == 0, proc.output
    articles = len(shipped_library.articles)
    assert re.search(rf"index ready: {articles} articles, .*; already up to date \(", proc.stdout)
    assert "embedded" not in proc.stdout
