"""Session-wide fixtures for the library tests: one model load, one index build.

Importing torch and loading the embedding model takes seconds, so every test that needs
them shares the objects built here. Tests that damage an index work on a copy.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from bot.settings import default_model  # noqa: E402
from index.embedder import Embedder  # noqa: E402
from index.library import Library, library_embedder  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_CONTENT = REPO_ROOT / "content"
COACH = Path(sys.executable).with_name("coach")

__all__ = [
    "COACH",
    "REPO_ROOT",
    "SHIPPED_CONTENT",
    "bundled_library",
    "coach_env",
    "copy_content",
    "lib_data_dir",
    "lib_embedder",
    "run_coach",
    "shipped_library",
    "write_article",
]


def write_article(
    folder: Path,
    name: str,
    body: str,
    *,
    title: str | None = "A Test Article",
    author: str | None = "Test Author",
    extra: str = "",
) -> Path:
    """Write `folder/name.md` with simple front matter and return its path."""
    lines = ["---"]
    if title is not None:
        lines.append(f"title: {title}")
    if author is not None:
        lines.append(f"author: {author}")
    if extra:
        lines.append(extra.rstrip("\n"))
    lines.append("---")
    path = folder / f"{name}.md"
    path.write_text("\n".join(lines) + "\n\n" + body.strip() + "\n", encoding="utf-8")
    return path


def copy_content(destination: Path) -> Path:
    """A private copy of the shipped content/ that a test may edit."""
    shutil.copytree(SHIPPED_CONTENT, destination)
    return destination


@pytest.fixture(scope="session")
def lib_embedder(lib_data_dir: Path) -> Embedder:
    """The model the shipped library searches with (the bundled one, adapted by
    content/model/), loaded once for the whole session, on ONNX Runtime as the app runs it:
    made and exported in lib_data_dir/index, where every `coach` run by the tests finds it."""
    embedder = library_embedder(default_model(), SHIPPED_CONTENT, lib_data_dir / "index")
    _ = embedder.dimensions  # load now, so no test pays for it alone
    return embedder


def built_once_per_run(
    tmp_path_factory: pytest.TempPathFactory, target: Path, build: Callable[[Path], object]
) -> None:
    """Under pytest-xdist, `target` (a folder) built once for the whole run: the first worker
    to get here runs `build(target)` and leaves a copy in the folder the run's workers share;
    the others wait for it and copy that. In one process: nothing (the fixture that needs the
    folder builds it when a test first asks)."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return
    run_root = tmp_path_factory.getbasetemp().parent  # popen-gw0, popen-gw1, ... are in it
    shared = run_root / f"built-{target.name}"
    with (run_root / f"built-{target.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if shared.exists():
            shutil.copytree(shared, target)
            return
        build(target)
        staging = run_root / f"building-{target.name}"
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(target, staging)
        staging.rename(shared)


def _build_shipped_index(index_dir: Path) -> None:
    embedder = library_embedder(default_model(), SHIPPED_CONTENT, index_dir)
    Library.open(SHIPPED_CONTENT, index_dir, embedder.model_name, embedder=embedder)


@pytest.fixture(scope="session")
def lib_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DATA_DIR whose index/ is built from the shipped content (by `shipped_library`; under
    pytest-xdist once per run, here, and copied by the other workers: the index and the
    vectors of the curated questions and out-of-scope examples are then only read, the
    adapted model made again only for its ONNX export, whose name holds the folder's path)."""
    folder = tmp_path_factory.mktemp("coach-data")
    built_once_per_run(tmp_path_factory, folder / "index", _build_shipped_index)
    return folder


@pytest.fixture(scope="session")
def shipped_library(lib_embedder: Embedder, lib_data_dir: Path) -> Library:
    """The shipped content/, indexed once into lib_data_dir/index."""
    return Library.open(
        SHIPPED_CONTENT, lib_data_dir / "index", lib_embedder.model_name, embedder=lib_embedder
    )


def _open_bundled(folder: Path) -> Library:
    embedder = Embedder(default_model(), onnx_dir=folder)
    return Library.open(SHIPPED_CONTENT, folder, default_model(), embedder=embedder)


@pytest.fixture(scope="session")
def bundled_library(lib_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Library:
    """The shipped content searched with the bundled model, as a library without an adapter
    is (one without curated questions has none: they are what an adapter is trained on).
    Under pytest-xdist built once per run (its ONNX export too: the bundled model's path is
    the same in every worker)."""
    folder = lib_data_dir / "bundled-index"
    built_once_per_run(tmp_path_factory, folder, _open_bundled)
    return _open_bundled(folder)


@pytest.fixture(scope="session")
def coach_env(lib_data_dir: Path) -> dict[str, str]:
    """Environment for a `coach` subprocess: offline, shipped content, DATA_DIR=lib_data_dir.

    Request `shipped_library` too when the process should find the index already built.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "DATABASE_URL", "EMBEDDING_MODEL", "LOG_LEVEL"))
    }
    env.update(
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
        CONTENT_DIR=str(SHIPPED_CONTENT),
        DATA_DIR=str(lib_data_dir),
        NO_COLOR="1",
        COLUMNS="120",
        # Empty values win over a developer's .env, so nothing here talks to Slack.
        SLACK_BOT_TOKEN="",
        SLACK_APP_TOKEN="",
        SLACK_SIGNING_SECRET="",
        QUOTE_CHANNEL="",
    )
    return env


@pytest.fixture(scope="session")
def run_coach(coach_env: dict[str, str]) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run `coach ARGS...` in a fresh process; returns the CompletedProcess."""

    def run(
        *args: str,
        stdin: str | None = None,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(COACH), *args],
            input=stdin if stdin is not None else "",
            capture_output=True,
            text=True,
            env={**coach_env, **(env or {})},
            cwd=cwd or REPO_ROOT,
            timeout=300,
        )

    return run
