"""The model on ONNX Runtime gives what sentence-transformers on torch gives, and a missing,
damaged or unloadable .onnx file never stops the app: it is exported again, or torch runs."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import index.onnx_encoder as onnx_encoder
from bot.settings import default_model
from index.embedder import Embedder, plan_batches
from index.encoders import EmbeddingBackend
from index.library import Library
from index.search import HybridSearcher
from tests.library_fixtures import REPO_ROOT, SHIPPED_CONTENT

QUESTIONS = REPO_ROOT / "bench" / "data" / "own_questions.jsonl"


def questions() -> list[str]:
    lines = QUESTIONS.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()]


@pytest.fixture(scope="module")
def torch_embedder(lib_embedder: Embedder) -> Embedder:
    """The app's model (the library's adapted one) on torch."""
    return Embedder(lib_embedder.model_name, backend=EmbeddingBackend.TORCH)


def exported(directory: Path) -> Path:
    files = sorted(directory.glob("encoder-*.onnx"))
    assert len(files) == 1, files
    return files[0]


def test_the_app_runs_the_model_on_onnx_runtime(lib_embedder: Embedder) -> None:
    assert lib_embedder.encoder.backend is EmbeddingBackend.ONNX


def test_both_backends_give_the_same_vectors(
    lib_embedder: Embedder, torch_embedder: Embedder, shipped_library: Library
) -> None:
    texts = questions()[:40] + [p.text for p in shipped_library.passages[:40]] + ["", "?"]
    onnx_vectors, onnx_tokens = lib_embedder.encode_with_tokens(texts)
    torch_vectors, torch_tokens = torch_embedder.encode_with_tokens(texts)
    assert torch_embedder.encoder.backend is EmbeddingBackend.TORCH
    assert (onnx_vectors * torch_vectors).sum(axis=1).min() > 0.9999
    for ours, theirs in zip(onnx_tokens, torch_tokens, strict=True):
        assert ours.shape == theirs.shape  # the same content tokens chosen
        assert (ours * theirs).sum(axis=1).min() > 0.999


def test_both_backends_rank_passages_the_same(
    shipped_library: Library, torch_embedder: Embedder
) -> None:
    searcher = shipped_library.searcher
    on_torch = HybridSearcher(
        searcher.passages,
        searcher.dense,
        torch_embedder,
        vocabulary=searcher.vocabulary,
        scope=searcher.scope,  # its examples embedded on torch too
        asked=searcher.asked,  # and the sections' questions
    )
    asked = questions()
    for ours, theirs in zip(
        searcher.search_many(asked, 3), on_torch.search_many(asked, 3), strict=True
    ):
        assert ours.answered == theirs.answered, ours.question
        for mine, other in zip(ours.hits, theirs.hits, strict=True):
            # the same passage at each rank, or a near tie (fused scores within 1%) that
            # the backends' last digits flip: z-scores of the adapted model's closer cosines
            # magnify them (two overlapping windows of one section, 26.36 against 26.24)
            same = mine.passage.id == other.passage.id
            assert same or abs(mine.score - other.score) < 0.01 * abs(mine.score), ours.question


def test_a_damaged_onnx_file_is_exported_again(
    lib_embedder: Embedder, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ready = exported(lib_embedder.onnx_dir)
    shutil.copy(ready, tmp_path / ready.name)
    shutil.copy(ready.with_suffix(".json"), tmp_path / ready.with_suffix(".json").name)
    damaged = tmp_path / ready.name
    damaged.write_bytes(damaged.read_bytes()[: damaged.stat().st_size // 2])  # cut short
    embedder = Embedder(lib_embedder.model_name, onnx_dir=tmp_path)
    texts = questions()[:5]
    with caplog.at_level(logging.WARNING):
        vectors = embedder.encode(texts)
    assert embedder.encoder.backend is EmbeddingBackend.ONNX
    assert "damaged" in caplog.text and "exporting it" in caplog.text
    assert damaged.stat().st_size == ready.stat().st_size
    assert np.allclose(vectors, lib_embedder.encode(texts), atol=1e-5)


def test_an_onnx_file_that_cannot_be_loaded_nor_exported_falls_back_to_torch(
    lib_embedder: Embedder,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ready = exported(lib_embedder.onnx_dir)
    garbage = tmp_path / ready.name
    garbage.write_bytes(b"not an onnx model" * 100)
    meta = json.loads(ready.with_suffix(".json").read_text())
    meta.update(bytes=garbage.stat().st_size, sha256=onnx_encoder.file_sha256(garbage))
    garbage.with_suffix(".json").write_text(json.dumps(meta))  # passes the checksum
    monkeypatch.setattr(onnx_encoder, "_run_export", lambda recipe, path: "no torch here")
    embedder = Embedder(lib_embedder.model_name, onnx_dir=tmp_path)
    texts = questions()[:5]
    with caplog.at_level(logging.WARNING):
        vectors = embedder.encode(texts)
    assert embedder.encoder.backend is EmbeddingBackend.TORCH
    assert "does not load" in caplog.text and "export failed (no torch here): using torch" in (
        caplog.text
    )
    assert (vectors * lib_embedder.encode(texts)).sum(axis=1).min() > 0.9999


def test_a_model_onnx_cannot_reproduce_runs_on_torch(
    lib_embedder: Embedder, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    model = Path(shutil.copytree(default_model(), tmp_path / "model"))
    pooling = model / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text())
    config.update(pooling_mode_mean_tokens=False, pooling_mode_weightedmean_tokens=True)
    pooling.write_text(json.dumps(config))
    embedder = Embedder(str(model), onnx_dir=tmp_path / "onnx")
    with caplog.at_level(logging.WARNING):
        _ = embedder.dimensions
    assert embedder.encoder.backend is EmbeddingBackend.TORCH
    assert "ONNX Runtime cannot run" in caplog.text and "using torch" in caplog.text
    assert not (tmp_path / "onnx").exists() or not list((tmp_path / "onnx").glob("*.onnx"))


def test_searching_with_an_exported_model_never_imports_torch(
    shipped_library: Library, lib_data_dir: Path, coach_env: dict[str, str]
) -> None:
    """What a serving process loads: the library, the model, a search (no torch: seconds
    less to start, hundreds of MB less memory)."""
    script = (
        "import sys\n"
        "from bot.slack import serve, app\n"
        "from index.library import Library\n"
        f"library = Library.open({str(SHIPPED_CONTENT)!r}, {str(lib_data_dir / 'index')!r}, "
        f"{default_model()!r})\n"
        "library.searcher.embedder.use_threads(1)\n"
        "print(library.search('how do I motivate my reps?').hits[0].passage.id)\n"
        "print(sorted(m for m in ('torch', 'sentence_transformers', 'transformers')"
        " if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, **coach_env},
        cwd=REPO_ROOT,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]", done.stdout + done.stderr


def test_embedding_backend_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.settings import Settings, SettingsError

    assert Settings().embedding_backend is EmbeddingBackend.ONNX
    monkeypatch.setenv("EMBEDDING_BACKEND", "Torch")
    assert Settings.from_env(dotenv=False).embedding_backend is EmbeddingBackend.TORCH
    monkeypatch.setenv("EMBEDDING_BACKEND", "gpu")
    with pytest.raises(SettingsError, match="EMBEDDING_BACKEND='gpu' is not valid: expected onnx"):
        Settings.from_env(dotenv=False)


def test_a_question_gets_the_same_vectors_alone_and_in_a_burst(lib_embedder: Embedder) -> None:
    """Texts are grouped into passes by token count: a short question's vectors (and with
    them its answer) do not depend on the long texts asked at the same time."""
    asked = questions()
    short = min(asked, key=len)
    long_ones = sorted(asked, key=len)[-20:]
    alone_vector, alone_tokens = lib_embedder.encode_with_tokens([short])
    vectors, tokens = lib_embedder.encode_with_tokens([*long_ones, short, *long_ones])
    assert float(vectors[len(long_ones)] @ alone_vector[0]) > 0.9999
    assert tokens[len(long_ones)].shape == alone_tokens[0].shape
    assert (tokens[len(long_ones)] * alone_tokens[0]).sum(axis=1).min() > 0.9999
    assert np.array_equal(vectors[0], vectors[len(long_ones) + 1])  # asked twice: run once
    assert np.array_equal(tokens[0], tokens[len(long_ones) + 1])


def test_passes_group_texts_of_similar_length() -> None:
    lengths = [40, 6, 41, 7, 6, 39, 8, 7, 40, 6] * 3
    groups = plan_batches(lengths, max_size=8)
    assert sorted(i for group in groups for i in group) == list(range(len(lengths)))
    assert all(0 < len(group) <= 8 for group in groups)
    for group in groups:  # no short text padded to a long one
        assert max(lengths[i] for i in group) - min(lengths[i] for i in group) <= 2
    assert plan_batches([], max_size=8) == []
    assert plan_batches([12], max_size=8) == [[0]]


def test_passes_side_by_side_give_the_same_vectors(lib_embedder: Embedder) -> None:
    asked = questions()[:40]
    one_by_one, tokens = lib_embedder.encode_with_tokens(asked)
    lib_embedder.run_passes_side_by_side(3)
    try:
        side_by_side, side_tokens = lib_embedder.encode_with_tokens(asked)
    finally:
        lib_embedder.run_passes_side_by_side(1)
    assert np.array_equal(one_by_one, side_by_side)
    for ours, theirs in zip(tokens, side_tokens, strict=True):
        assert np.array_equal(ours, theirs)
