"""What the index folder keeps besides the index itself (the curated questions' and the
out-of-scope examples' vectors, the library's adapted model) is checked when it is read: a
file damaged on disk is made again, never searched with."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from index.library import Library

QUESTION = "how do I motivate my reps?"


def _scribble(path: Path, length: int = 4096) -> None:
    """Random bytes over the middle of the file, its size and header kept: what a bad disk
    block or a stray write leaves."""
    data = bytearray(path.read_bytes())
    rng = random.Random(1)
    start = len(data) // 2
    for i in range(start, min(start + length, len(data))):
        data[i] = rng.randrange(256)
    path.write_bytes(bytes(data))


@pytest.fixture
def data_copy(shipped_library: Library, lib_data_dir: Path, tmp_path: Path) -> Path:
    """A private DATA_DIR holding the shipped library's built index, to damage."""
    copy = tmp_path / "data"
    shutil.copytree(lib_data_dir / "index", copy / "index", symlinks=True)
    return copy


@pytest.mark.parametrize("prefix", ["asked", "scope"])
def test_a_scribbled_vector_cache_is_embedded_again_and_the_question_answered(
    prefix: str, data_copy: Path, run_coach: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    """Before: the damaged vectors were loaded as they were (same size, same header), and
    'how do I motivate my reps?' was not answered (asked-) or declined as out of scope
    (scope-), with numpy's RuntimeWarnings on stderr."""
    (cache,) = (data_copy / "index").glob(f"{prefix}-*.npy")
    _scribble(cache)
    done = run_coach("ask", "--json", QUESTION, env={"DATA_DIR": str(data_copy)})
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["answered"] and answer["passages"], answer
    assert "out_of_scope" not in answer
    assert "RuntimeWarning" not in done.stderr and "Traceback" not in done.stderr
    assert str(cache) in done.stderr and "damaged" in done.stderr  # one line says so
    again = run_coach("ask", "--json", QUESTION, env={"DATA_DIR": str(data_copy)})
    assert json.loads(again.stdout)["answered"] and "damaged" not in again.stderr
