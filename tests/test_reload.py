"""A running process picks up added, changed and removed articles without a restart."""

from __future__ import annotations

import logging
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from bot.settings import default_model
from index.adapter import adapter_about, adapter_path, save_adapter
from index.embedder import Embedder
from index.library import Library
from index.passages import split_articles, split_sentences
from index.reload import LibraryReloader, content_fingerprint
from index.store import IndexStore
from tests.library_fixtures import SHIPPED_CONTENT, write_article

TERRITORY = (
    "## Balance the book\n\n"
    "Territory planning decides how much opportunity each account executive can reach. "
    "Estimate the revenue potential of every region from company counts and sizes, then "
    "draw territories so that each rep has about the same potential and the same number of "
    "accounts to cover. Review the split once a year."
)
QUESTION = "how do I divide regions fairly between my account executives?"


@pytest.fixture()
def world(
    tmp_path: Path, shipped_library: Library, lib_data_dir: Path, lib_embedder: Embedder
) -> tuple[Path, Path, LibraryReloader]:
    content = Path(shutil.copytree(SHIPPED_CONTENT, tmp_path / "content"))
    return _reloading(content, tmp_path, lib_data_dir, lib_embedder)


def _reloading(
    content: Path, tmp_path: Path, lib_data_dir: Path, lib_embedder: Embedder
) -> tuple[Path, Path, LibraryReloader]:
    """`content` opened on a copy of the session's index, with a reloader watching it."""
    index_dir = Path(shutil.copytree(lib_data_dir / "index", tmp_path / "index"))
    library = Library.open(content, index_dir, lib_embedder.model_name, embedder=lib_embedder)
    return content, index_dir, LibraryReloader(library, content, index_dir, lib_embedder)


# Three of the shipped articles, one on motivating reps: a new model re-embeds every text
# (passages, sentences, the sections' questions) and exports the model to ONNX, twice in the
# retrained-adapter test; on the whole library that took two minutes, on these a fraction.
SMALL_LIBRARY = (
    "coaching-underperforming-reps",
    "sales-burnout-quota-pressure",
    "sales-one-on-ones",
)


@pytest.fixture()
def small_world(
    tmp_path: Path, shipped_library: Library, lib_data_dir: Path, lib_embedder: Embedder
) -> tuple[Path, Path, LibraryReloader]:
    """`world` with SMALL_LIBRARY's articles and the shipped adapter (content/model/)."""
    content = tmp_path / "content"
    content.mkdir()
    for name in SMALL_LIBRARY:
        shutil.copy(SHIPPED_CONTENT / f"{name}.md", content)
    shutil.copytree(SHIPPED_CONTENT / "model", content / "model")
    opened = _reloading(content, tmp_path, lib_data_dir, lib_embedder)
    assert len(opened[2].current.articles) == len(SMALL_LIBRARY)
    return opened


def test_add_change_remove_are_picked_up(world: tuple[Path, Path, LibraryReloader]) -> None:
    content, _, reloader = world
    first = reloader.current
    assert reloader.check_now().changed is False

    path = write_article(content, "territories", TERRITORY, title="Fair Territories")
    outcome = reloader.check_now()
    assert outcome.swapped and outcome.error is None
    assert reloader.current is not first
    hit = reloader.current.search(QUESTION).hits[0]
    assert hit.passage.article.id == "territories"
    # only the new article's texts were embedded; the rest came from the previous build
    new = split_articles([a for a in reloader.current.articles if a.meta.id == "territories"])
    texts = {p.embed_text for p in new} | {s for p in new for s in split_sentences(p.text)}
    assert outcome.embedded == len(texts) + len(new)
    # the old library object still answers (a search in flight finishes on it)
    assert first.search("how do I motivate my team?").answered
    assert all(h.passage.article.id != "territories" for h in first.search(QUESTION).hits)

    path.write_text(
        path.read_text(encoding="utf-8").replace("Fair Territories", "Drawing Territories"),
        encoding="utf-8",
    )
    assert reloader.check_now().swapped
    assert reloader.current.search(QUESTION).hits[0].passage.article.title == "Drawing Territories"

    path.unlink()
    assert reloader.check_now().swapped
    assert "territories" not in {a.meta.id for a in reloader.current.articles}
    hits = reloader.current.search(QUESTION).hits
    assert all(h.passage.article.id != "territories" for h in hits)


def test_quotes_file_changes_are_picked_up(world: tuple[Path, Path, LibraryReloader]) -> None:
    content, _, reloader = world
    before = len(reloader.current.quotes)
    with (content / "quotes.yaml").open("a", encoding="utf-8") as handle:
        handle.write("- text: Coach the player, not the scoreboard.\n  author: Ann Lee\n")
    assert reloader.check_now().swapped
    assert len(reloader.current.quotes) == before + 1


def test_a_failed_build_keeps_the_old_library(
    world: tuple[Path, Path, LibraryReloader], caplog: pytest.LogCaptureFixture
) -> None:
    content, _, reloader = world
    first = reloader.current
    for path in content.glob("*.md"):
        path.unlink()  # nothing left to search: the build fails
    with caplog.at_level(logging.ERROR, logger="index.reload"):
        outcome = reloader.check_now()
    assert outcome.changed and not outcome.swapped and "no articles" in (outcome.error or "")
    assert reloader.current is first and first.search("how do I motivate my team?").answered
    assert len([r for r in caplog.records if r.name == "index.reload"]) == 1
    assert reloader.check_now().changed is False  # not retried until the folder changes again


def test_searches_keep_answering_during_a_reload(
    world: tuple[Path, Path, LibraryReloader],
) -> None:
    content, _, reloader = world
    write_article(content, "territories", TERRITORY, title="Fair Territories")
    answered: list[bool] = []
    stop = threading.Event()

    def ask() -> None:
        while not stop.is_set():
            answered.append(reloader.current.search("how do I motivate my team?").answered)

    worker = threading.Thread(target=ask)
    worker.start()
    try:
        assert reloader.check_now().swapped
    finally:
        stop.set()
        worker.join()
    assert answered and all(answered)


def test_background_thread_reloads(world: tuple[Path, Path, LibraryReloader]) -> None:
    content, index_dir, reloader = world
    swapped = threading.Event()
    live = LibraryReloader(
        reloader.current,
        content,
        index_dir,
        reloader.embedder,
        interval=0.2,
        on_swap=lambda _library: swapped.set(),
    ).start()
    try:
        write_article(content, "territories", TERRITORY, title="Fair Territories")
        assert swapped.wait(120)
        assert live.current.search(QUESTION).hits[0].passage.article.id == "territories"
    finally:
        live.stop()


def test_fingerprint_sees_size_and_name_changes(tmp_path: Path) -> None:
    empty = content_fingerprint(tmp_path)
    path = write_article(tmp_path, "a", "Text one.")
    one = content_fingerprint(tmp_path)
    path.rename(tmp_path / "b.md")
    renamed = content_fingerprint(tmp_path)
    (tmp_path / "scope.yaml").write_text("out_of_scope: []\n", encoding="utf-8")
    # the curator's out-of-scope map is reloaded like the articles
    assert len({empty, one, renamed, content_fingerprint(tmp_path)}) == 4


def test_two_processes_sharing_an_index_never_mix_builds(
    world: tuple[Path, Path, LibraryReloader], lib_embedder: Embedder
) -> None:
    """Two stores on one folder building different content at once: each gets its own
    index whole, and what is left on disk loads and matches one of them."""
    content, index_dir, reloader = world
    passages = reloader.current.passages
    variants = [passages[: len(passages) // 2], passages[len(passages) // 2 :]]
    results: dict[int, object] = {}

    def build(i: int) -> None:
        results[i] = IndexStore(index_dir).ensure(variants[i], lib_embedder)

    threads = [threading.Thread(target=build, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for i, variant in enumerate(variants):
        assert results[i].passage_ids == [p.id for p in variant]  # type: ignore[attr-defined]
    on_disk = IndexStore(index_dir).load()  # checksums verified
    assert on_disk.passage_ids in ([p.id for p in v] for v in variants)


def test_a_retrained_adapter_is_searched_with_without_a_restart(
    small_world: tuple[Path, Path, LibraryReloader], caplog: pytest.LogCaptureFixture
) -> None:
    """`coach index adapt` writes a new adapter: the running process re-embeds its library
    with the model it makes and swaps it in; the adapter removed, the model as named."""
    from safetensors.numpy import load_file

    content, index_dir, reloader = small_world
    live = LibraryReloader(
        reloader.current, content, index_dir, reloader.embedder, base_model=default_model()
    )
    first = live.current
    started_with = first.searcher.embedder.model_name
    assert live.check_now().changed is False

    path = adapter_path(content)
    adapter = load_file(str(path))
    halved = {
        k: (v / 2).astype(v.dtype) if v.dtype == np.float16 else v for k, v in adapter.items()
    }
    save_adapter(halved, path, adapter_about(path))  # as `coach index adapt` writes it
    with caplog.at_level(logging.INFO):
        outcome = live.check_now()
    assert outcome.swapped and outcome.error is None
    retrained = live.current.searcher.embedder.model_name
    assert retrained != started_with and Path(retrained).parent == index_dir
    assert "model adapter changed: re-embedding the library" in caplog.text
    assert outcome.embedded >= len(live.current.passages)  # every text again, new model
    assert live.current.search("how do I motivate my reps?").answered
    assert first.search("how do I motivate my reps?").answered  # the old one still serves
    assert live.check_now().changed is False

    path.unlink()  # the curator went back to the bundled model
    assert live.check_now().swapped
    assert live.current.searcher.embedder.model_name == default_model()
