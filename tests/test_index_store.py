"""The index on disk: build/load, staleness, incremental re-embedding, repair of damage."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from index.adapter import ADAPTER_DIR
from index.content import load_library
from index.embedder import Embedder
from index.errors import IndexCorruptError
from index.library import Library
from index.passages import split_articles, split_sentences
from index.store import MANIFEST, PASSAGE_INDEX, PASSAGE_META, SENTENCE_VECTORS, IndexStore
from index.types import Passage
from tests.library_fixtures import SHIPPED_CONTENT, write_article

ARTICLES = {
    "motivation": (
        "Motivating a Sales Team",
        [
            "Motivation is mostly internal. A manager cannot switch it on, but can remove what "
            "kills it: unclear goals, unfair territories and surprise changes to commission.",
            "Recognise effort in public and correct in private. Reps who feel seen keep "
            "prospecting through a slow quarter.",
            "Tie every target to a reason the team believes in. People work harder for a cause "
            "than for a number on a spreadsheet.",
        ],
    ),
    "coaching": (
        "Coaching Reps Every Week",
        [
            "Coaching is a habit, not an event. Put a weekly one-to-one in the calendar and "
            "protect it like a customer meeting.",
            "Ride along on real calls. Afterwards ask the rep what they would change before you "
            "say anything yourself.",
            "Pick one skill per month to work on. Trying to fix everything at once fixes nothing.",
        ],
    ),
    "hiring": (
        "Hiring Your First Sales Manager",
        [
            "Your best seller is not automatically your best manager. Selling is an individual "
            "sport and managing is a team sport.",
            "Look for people who enjoy other people's wins. Ask candidates about a time they "
            "helped a colleague close a deal.",
        ],
    ),
}


def write_content(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, (title, paragraphs) in ARTICLES.items():
        write_article(folder, name, "\n\n".join(paragraphs), title=title)
    return folder


def fresh_cost(tmp_path: Path, embedder: Embedder, *articles: Path) -> int:
    """How many texts indexing only these article files from scratch embeds."""
    folder = tmp_path / f"alone-{'-'.join(a.stem for a in articles)}"
    (folder / "content").mkdir(parents=True)
    for article in articles:
        shutil.copy(article, folder / "content" / article.name)
    library = open_library(folder, embedder)
    return library.searcher.dense.embedded


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class OtherModel(Embedder):
    """The same weights under another fingerprint: what the store sees when the model changes."""

    def __init__(self, base: Embedder) -> None:
        super().__init__(base.model_name)
        self._encoder = base.encoder

    @property
    def fingerprint(self) -> str:
        return "another-model-00"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, lib_embedder: Embedder) -> Path:
    """content/ and data/index/ built once; tests copy them before changing anything."""
    root = tmp_path_factory.mktemp("store-base")
    write_content(root / "content")
    # the shipped library's adapter, and the model folder made from it, so that `coach`
    # finds the model (and its ONNX export) these tests build with
    shutil.copytree(SHIPPED_CONTENT / ADAPTER_DIR, root / "content" / ADAPTER_DIR)
    made = Path(lib_embedder.model_name)
    shutil.copytree(made, root / "data" / "index" / made.name)
    Library.open(
        root / "content", root / "data" / "index", lib_embedder.model_name, embedder=lib_embedder
    )
    return root


@pytest.fixture
def work(tmp_path: Path, base: Path) -> Path:
    """A private copy of the base content and index."""
    shutil.copytree(base / "content", tmp_path / "content")
    shutil.copytree(base / "data", tmp_path / "data")
    return tmp_path


def open_library(root: Path, embedder: Embedder) -> Library:
    return Library.open(
        root / "content", root / "data" / "index", embedder.model_name, embedder=embedder
    )


def passages_of(root: Path) -> list[Passage]:
    return split_articles(load_library(root / "content").articles)


# ---- build and load ----------------------------------------------------------------------


def test_manifest_describes_the_build(base: Path, lib_embedder: Embedder) -> None:
    index_dir = base / "data" / "index"
    manifest = json.loads((index_dir / MANIFEST).read_text(encoding="utf-8"))
    passages = passages_of(base)
    assert manifest["model"] == lib_embedder.model_name
    assert manifest["dimensions"] == 384
    assert manifest["articles"] == 3
    assert manifest["passages"] == len(passages)
    assert manifest["sentences"] == sum(len(split_sentences(p.text)) for p in passages)
    assert manifest["embedded"] >= len(passages) + manifest["sentences"]
    assert manifest["reused"] == 0
    assert len(manifest["content_hash"]) == 64
    assert set(manifest["files"]) >= {PASSAGE_INDEX, SENTENCE_VECTORS, PASSAGE_META}
    for name, checksum in manifest["files"].items():
        assert sha256(index_dir / name) == checksum


def test_loading_gives_the_same_results_as_building(work: Path, lib_embedder: Embedder) -> None:
    built = Library.open(
        work / "content", work / "fresh-index", lib_embedder.model_name, embedder=lib_embedder
    )
    loaded = Library.open(
        work / "content", work / "fresh-index", lib_embedder.model_name, embedder=lib_embedder
    )
    assert built.searcher.dense.embedded > 0
    assert loaded.searcher.dense.embedded == 0  # read from disk, nothing re-embedded
    for question in ("how do I motivate my reps?", "should my best seller become manager?"):
        a, b = built.search(question, 3), loaded.search(question, 3)
        assert a.answered and b.answered
        assert [h.passage.id for h in a.hits] == [h.passage.id for h in b.hits]
        assert [h.score for h in a.hits] == pytest.approx([h.score for h in b.hits], abs=1e-3)


def test_fresh_index_is_not_stale(base: Path, lib_embedder: Embedder) -> None:
    store = IndexStore(base / "data" / "index")
    assert store.stale_reason(passages_of(base), lib_embedder) is None


# ---- staleness and incremental builds ----------------------------------------------------


def test_editing_one_article_reembeds_only_its_passages(
    work: Path, tmp_path: Path, lib_embedder: Embedder
) -> None:
    path = work / "content" / "coaching.md"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "Pick one skill per month to work on.",
            "Pick one skill per month, such as discovery questions, to work on.",
        ),
        encoding="utf-8",
    )
    after = passages_of(work)
    store = IndexStore(work / "data" / "index")
    assert store.stale_reason(after, lib_embedder) == "content changed"
    full = json.loads((store.directory / MANIFEST).read_text(encoding="utf-8"))["embedded"]

    library = open_library(work, lib_embedder)
    dense = library.searcher.dense
    assert 0 < dense.embedded <= fresh_cost(tmp_path, lib_embedder, path)  # only this article
    assert dense.embedded + dense.reused == full  # everything else kept its vectors
    assert dense.manifest["embedded"] == dense.embedded
    assert dense.manifest["reused"] == dense.reused
    assert store.stale_reason(after, lib_embedder) is None
    hit = library.search("which discovery questions skill should we practise?", 3).hits[0]
    assert "discovery questions" in hit.passage.text


def test_adding_and_removing_articles(work: Path, tmp_path: Path, lib_embedder: Embedder) -> None:
    new = write_article(
        work / "content",
        "forecasting",
        "Forecast from evidence, not hope. Ask what the buyer has done, not what they said.",
        title="Honest Forecasts",
    )
    (work / "content" / "hiring.md").unlink()
    library = open_library(work, lib_embedder)
    dense = library.searcher.dense
    assert dense.embedded == fresh_cost(tmp_path, lib_embedder, new)  # the new article only
    assert {p.article.id for p in library.passages} == {"motivation", "coaching", "forecasting"}
    assert len(dense.passage_ids) == dense.faiss_index.ntotal == len(library.passages)
    result = library.search("how do I make my sales forecast honest?", 3)
    assert result.answered and result.hits[0].passage.article.id == "forecasting"


def test_model_change_makes_the_index_stale(work: Path, lib_embedder: Embedder) -> None:
    other = OtherModel(lib_embedder)
    store = IndexStore(work / "data" / "index")
    passages = passages_of(work)
    reason = store.stale_reason(passages, other)
    assert reason is not None and reason.startswith("model changed")
    dense = store.ensure(passages, other)
    assert dense.manifest["model_fingerprint"] == "another-model-00"
    assert store.stale_reason(passages, other) is None
    assert store.stale_reason(passages, lib_embedder) is not None


def test_model_change_reembeds_everything(work: Path, lib_embedder: Embedder) -> None:
    store = IndexStore(work / "data" / "index")
    passages = passages_of(work)
    full = json.loads((store.directory / MANIFEST).read_text(encoding="utf-8"))["embedded"]
    dense = store.ensure(passages, OtherModel(lib_embedder))
    assert dense.reused == 0
    assert dense.embedded == full


# ---- damaged files -----------------------------------------------------------------------


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])


def flip_bytes(path: Path) -> None:
    data = bytearray(path.read_bytes())
    for i in range(len(data) - 200, len(data) - 100):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


DAMAGE: dict[str, Callable[[Path], None]] = {
    "faiss truncated": lambda d: truncate(d / PASSAGE_INDEX),
    "faiss emptied": lambda d: (d / PASSAGE_INDEX).write_bytes(b""),
    "vectors bit-flipped": lambda d: flip_bytes(d / SENTENCE_VECTORS),
    "passage list deleted": lambda d: (d / PASSAGE_META).unlink(),
    "passage list garbage": lambda d: (d / PASSAGE_META).write_text("{not json", encoding="utf-8"),
    "manifest garbage": lambda d: (d / MANIFEST).write_bytes(b"\x00\xff{{garbage"),
    "manifest empty": lambda d: (d / MANIFEST).write_bytes(b""),
    "manifest a list": lambda d: (d / MANIFEST).write_text("[]", encoding="utf-8"),
    "manifest truncated": lambda d: truncate(d / MANIFEST),
    "manifest deleted": lambda d: (d / MANIFEST).unlink(),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_damaged_index_is_rebuilt_and_queries_work(
    work: Path, lib_embedder: Embedder, damage: str
) -> None:
    index_dir = work / "data" / "index"
    DAMAGE[damage](index_dir)
    store = IndexStore(index_dir)
    if damage != "manifest deleted":
        with pytest.raises(IndexCorruptError):
            store.load()

    library = open_library(work, lib_embedder)
    assert library.searcher.dense.faiss_index.ntotal == len(library.passages)
    result = library.search("how do I keep my team motivated?", 3)
    assert result.answered and result.hits[0].passage.article.id == "motivation"
    store.load()  # repaired on disk: loads without error
    assert store.stale_reason(library.passages, lib_embedder) is None


@pytest.mark.parametrize("files", [None, ["passages.faiss"], "x", {}])
def test_manifest_with_wrong_files_field_is_rebuilt(
    work: Path, lib_embedder: Embedder, files: object
) -> None:
    path = work / "data" / "index" / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["files"] = files
    path.write_text(json.dumps(manifest), encoding="utf-8")
    truncate(work / "data" / "index" / PASSAGE_INDEX)  # and the checksums no longer guard it
    library = open_library(work, lib_embedder)
    assert library.search("how do I keep my team motivated?", 3).answered


# ---- `coach index status` ----------------------------------------------------------------


def status(run_coach: Callable[..., subprocess.CompletedProcess[str]], root: Path) -> str:
    proc = run_coach(
        "index",
        "status",
        env={"CONTENT_DIR": str(root / "content"), "DATA_DIR": str(root / "data")},
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_index_status_reports_each_state(
    work: Path, tmp_path: Path, run_coach: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    out = status(run_coach, work)
    assert "(3 articles)" in out
    assert "dimensions: 384" in out
    assert f"passages:   {len(passages_of(work))}" in out
    assert "state:     up to date" in out

    write_article(work / "content", "new", "Listen to your reps first.", title="New One")
    assert "needs rebuild (content changed)" in status(run_coach, work)

    truncate(work / "data" / "index" / PASSAGE_INDEX)
    out = status(run_coach, work)
    assert "needs rebuild" in out and "corrupt" in out

    shutil.rmtree(work / "data")
    assert "needs rebuild (no index built yet)" in status(run_coach, work)


def test_index_status_lists_each_content_problem_once(
    work: Path, run_coach: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    """Each problem is one `problem:` line; it also came as an ERROR log line on stderr."""
    (work / "content" / "broken.md").write_bytes(b"---\nauthor: Nobody\n---\n\nText.\n")
    proc = run_coach(
        "index",
        "status",
        env={"CONTENT_DIR": str(work / "content"), "DATA_DIR": str(work / "data")},
    )
    assert proc.returncode == 0, proc.stderr
    assert "problem:" in proc.stdout and "broken.md:1" in proc.stdout
    assert "no title" in proc.stdout
    assert "broken.md" not in proc.stderr, proc.stderr
