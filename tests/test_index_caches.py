"""What the index folder keeps besides the index itself (the curated questions' and the
out-of-scope examples' vectors, the library's adapted model) is checked when it is read: a
file damaged on disk is made again, never searched with."""

from __future__ import annotations

import hashlib
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


@pytest.mark.parametrize("damage", ["truncated", "scribbled", "scribbled, made before checksums"])
def test_a_damaged_adapted_model_is_made_again_from_the_adapter(
    damage: str,
    shipped_library: Library,
    data_copy: Path,
    run_coach: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    """DATA_DIR/index/model-<key>/ is the bundled model with the library's adapter applied,
    made by the coach itself. Before: truncated, every start failed with 'EMBEDDING_MODEL=...
    could not be loaded ... Unset EMBEDDING_MODEL' (a setting nobody had set); scribbled
    over, it was searched with ('building the index: model changed', on damaged weights)."""
    (weights,) = (data_copy / "index").glob("model-*/model.safetensors")
    intact = hashlib.sha1(weights.read_bytes()).hexdigest()
    if damage == "truncated":
        with weights.open("r+b") as handle:
            handle.truncate(weights.stat().st_size // 2)
    else:
        _scribble(weights)
    if "before" in damage:  # a folder an older version made has no checksum beside it
        weights.with_name("model.safetensors.sha1").unlink(missing_ok=True)
    done = run_coach("ask", "--json", QUESTION, env={"DATA_DIR": str(data_copy)})
    assert done.returncode == 0, done.stderr
    assert "EMBEDDING_MODEL" not in done.stderr and "Traceback" not in done.stderr
    assert str(weights.parent) in done.stderr and "damaged" in done.stderr
    assert "building the index" not in done.stderr  # the same weights again: index kept
    assert hashlib.sha1(weights.read_bytes()).hexdigest() == intact
    expected = shipped_library.search(QUESTION)
    answer = json.loads(done.stdout)
    assert [p["text"] for p in answer["passages"]] == [h.passage.text for h in expected.hits]
    again = run_coach("ask", "--json", QUESTION, env={"DATA_DIR": str(data_copy)})
    assert json.loads(again.stdout) == answer and "damaged" not in again.stderr


def test_an_intact_adapted_model_made_before_checksums_is_kept(
    shipped_library: Library,
    data_copy: Path,
    run_coach: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    """Checked once against the weights made again, it gets its checksum and is used as it
    is: not called damaged, the index not built again."""
    (weights,) = (data_copy / "index").glob("model-*/model.safetensors")
    weights.with_name("model.safetensors.sha1").unlink()
    done = run_coach("ask", "--json", QUESTION, env={"DATA_DIR": str(data_copy)})
    assert done.returncode == 0 and json.loads(done.stdout)["answered"], done.stderr
    assert "damaged" not in done.stderr and "building the index" not in done.stderr
    assert weights.with_name("model.safetensors.sha1").exists()
