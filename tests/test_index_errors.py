"""A data folder the index cannot be written to is one clear error naming it, not a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.embedder import Embedder
from index.errors import IndexWriteError, ModelLoadError
from index.library import Library
from tests.library_fixtures import SHIPPED_CONTENT


def test_unwritable_data_dir_is_a_clear_error(tmp_path: Path, lib_embedder: Embedder) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the data folder should be", encoding="utf-8")
    with pytest.raises(IndexWriteError) as caught:
        Library.open(
            SHIPPED_CONTENT, blocker / "index", lib_embedder.model_name, embedder=lib_embedder
        )
    assert "DATA_DIR" in str(caught.value) and str(blocker) in str(caught.value)


def test_a_folder_that_is_no_model_is_one_sentence_each() -> None:
    # transformers' reason ends with its own full stop: the line read "config.json.. Unset"
    error = ModelLoadError("/tmp", "Unrecognized model in /tmp. Should have a `model_type` key.")
    assert str(error) == (
        "EMBEDDING_MODEL='/tmp' could not be loaded: Unrecognized model in /tmp. Should have a "
        "`model_type` key. Unset EMBEDDING_MODEL to use the bundled all-MiniLM-L6-v2, or name a "
        "local folder."
    )
