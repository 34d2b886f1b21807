"""The curator's vocabulary file read as written: no YAML typing of words, errors by line."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.errors import ContentError
from index.scope import load_scope
from index.vocabulary import load_vocabulary


def test_words_yaml_would_read_as_booleans_or_numbers_are_kept_as_words(tmp_path: Path) -> None:
    (tmp_path / "vocabulary.yaml").write_text(
        "pto: [time, off]\nooo: [away, no, yes, on]\n1:1: [meeting, coaching]\n",
        encoding="utf-8",
    )
    vocabulary = load_vocabulary(tmp_path)
    assert vocabulary.expansions("taking pto next week") == ["time", "off"]
    assert vocabulary.expansions("I'm ooo friday") == ["away", "no", "yes", "on"]
    assert vocabulary.expansions("my 1:1 with a rep") == ["meeting", "coaching"]


def test_a_term_without_a_word_list_is_reported_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "vocabulary.yaml").write_text("crew: [team]\nsquad: team\n", encoding="utf-8")
    with pytest.raises(ContentError, match=r"vocabulary\.yaml:2.*squad"):
        load_vocabulary(tmp_path)


@pytest.mark.parametrize("name", ["vocabulary.yaml", "scope.yaml"])
def test_a_file_not_saved_as_utf8_is_reported_with_its_line_not_raised(
    tmp_path: Path, name: str
) -> None:
    """A curator's file saved in Latin-1 ("naïve") stopped the library from opening at all:
    the decoding error was not one the library lists and opens without."""
    text = (
        "crew: [team]\nnaïve: [new]\n"
        if name == "vocabulary.yaml"
        else ("out_of_scope:\n  - topic: visas\n    ask: HR\n    examples: [naïve?]\n")
    )
    (tmp_path / name).write_bytes(text.encode("latin-1"))
    load = load_vocabulary if name == "vocabulary.yaml" else load_scope
    with pytest.raises(ContentError, match=rf"{name}:[24]: not UTF-8"):
        load(tmp_path)
