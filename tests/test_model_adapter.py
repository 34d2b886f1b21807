"""The library's model adapter (content/model/adapter.safetensors): the shipped library
searches with the fine-tuned model it describes, and an adapter that cannot be used leaves
the coach searching with the bundled model, saying why in one line."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

from bot.settings import default_model
from index.adapter import (
    ADAPTER_DIR,
    ADAPTER_FILE,
    adapter_about,
    apply,
    extract,
    library_model,
    questions_fingerprint,
    save_adapter,
    weights_fingerprint,
)
from index.asked import AskedQuestions
from index.content import load_library
from index.embedder import Embedder
from index.library import Library
from tests.library_fixtures import SHIPPED_CONTENT, copy_content

SHIPPED_ADAPTER = SHIPPED_CONTENT / ADAPTER_DIR / ADAPTER_FILE


def _weights(seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "embeddings.word_embeddings.weight": rng.normal(size=(50, 8)).astype(np.float32),
        "encoder.layer.0.attention.self.query.weight": rng.normal(size=(8, 8)).astype(np.float32),
        "encoder.layer.0.output.LayerNorm.bias": rng.normal(size=8).astype(np.float32),
    }


def test_an_adapter_of_full_rank_gives_back_the_tuned_weights() -> None:
    base = _weights(1)
    tuned = {k: v.copy() for k, v in base.items()}
    tuned["embeddings.word_embeddings.weight"][[3, 7]] += 0.01  # two tokens trained
    tuned["encoder.layer.0.attention.self.query.weight"] += (
        0.02 * _weights(2)["encoder.layer.0.attention.self.query.weight"]
    )
    tuned["encoder.layer.0.output.LayerNorm.bias"] -= 0.005
    adapter = extract(base, tuned, rank=8)
    assert adapter["embeddings.word_embeddings.weight.rows"].tolist() == [3, 7]
    merged = apply(base, adapter)
    for name, weight in tuned.items():
        np.testing.assert_allclose(merged[name], weight, atol=1e-4)
        assert merged[name].dtype == weight.dtype


def test_the_shipped_adapter_fits_the_bundled_model_and_the_shipped_questions() -> None:
    about = adapter_about(SHIPPED_ADAPTER)
    asked = AskedQuestions.of(load_library(SHIPPED_CONTENT).articles)
    assert about["base"] == weights_fingerprint(Path(default_model()))
    assert about["questions"] == questions_fingerprint(asked)
    assert SHIPPED_ADAPTER.stat().st_size < 8_000_000  # kept in git beside the articles


def test_the_shipped_library_searches_with_the_adapted_model(
    shipped_library: Library, lib_data_dir: Path
) -> None:
    model = Path(shipped_library.searcher.embedder.model_name)
    assert model.parent == lib_data_dir / "index"
    bundled = Embedder(default_model(), onnx_dir=lib_data_dir / "bundled-onnx")
    question = ["my reps keep sandbagging their forecast, what do I do?"]
    adapted = shipped_library.searcher.embedder.encode(question)
    assert float((adapted @ bundled.encode(question).T)[0, 0]) < 0.999  # another model
    result = shipped_library.search("how do I motivate my reps?")
    assert result.answered and result.hits


def test_a_damaged_adapter_leaves_the_bundled_model_with_one_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    content = copy_content(tmp_path / "content")
    (content / ADAPTER_DIR / ADAPTER_FILE).write_bytes(b"\x00not safetensors at all")
    with caplog.at_level(logging.ERROR):
        model = library_model(default_model(), content, tmp_path / "index")
    assert model == default_model()
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert str(content / ADAPTER_DIR / ADAPTER_FILE) in errors[0]
    assert "coach index adapt" in errors[0]
    assert not (tmp_path / "index").exists()


def test_an_adapter_made_for_other_weights_is_not_applied(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    other = tmp_path / "other-model"
    shutil.copytree(default_model(), other)
    with (other / "model.safetensors").open("ab") as handle:
        handle.write(b" ")  # other weights, same shapes
    with caplog.at_level(logging.ERROR):
        model = library_model(str(other), SHIPPED_CONTENT, tmp_path / "index")
    assert model == str(other)
    assert "made for other weights than EMBEDDING_MODEL" in caplog.text
    assert "searching without it, with EMBEDDING_MODEL as it is" in caplog.text


def test_a_library_without_an_adapter_uses_the_model_as_named(tmp_path: Path) -> None:
    content = copy_content(tmp_path / "content")
    shutil.rmtree(content / ADAPTER_DIR)
    assert library_model(default_model(), content, tmp_path / "index") == default_model()


def test_a_new_adapter_makes_a_new_model_folder(tmp_path: Path) -> None:
    from safetensors.numpy import load_file

    content = copy_content(tmp_path / "content")
    first = library_model(default_model(), content, tmp_path / "index")
    adapter = load_file(str(content / ADAPTER_DIR / ADAPTER_FILE))
    about = adapter_about(content / ADAPTER_DIR / ADAPTER_FILE)
    halved = {
        k: (v / 2).astype(v.dtype) if v.dtype == np.float16 else v for k, v in adapter.items()
    }
    save_adapter(halved, content / ADAPTER_DIR / ADAPTER_FILE, about)
    second = library_model(default_model(), content, tmp_path / "index")
    assert first != second  # so the index made with the first is rebuilt
    assert library_model(default_model(), content, tmp_path / "index") == second
