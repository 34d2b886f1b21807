"""The curator's vocabulary file read as written: no YAML typing of words, errors by line."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from index.embedder import Embedder
from index.errors import ContentError
from index.library import Library
from index.scope import load_scope
from index.vocabulary import load_vocabulary
from tests.library_fixtures import write_article


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


def test_a_term_written_twice_is_reported_and_the_last_list_still_used(tmp_path: Path) -> None:
    """YAML keeps the last of a repeated key, and the loader folds `leads` into `lead`: the
    first lists were dropped without a word. Which list is used does not change."""
    path = tmp_path / "vocabulary.yaml"
    path.write_text(
        "lead: [prospect, customer]\ncrew: [team]\nLeads: [prospects]\nlead: [leadership]\n",
        encoding="utf-8",
    )
    vocabulary = load_vocabulary(tmp_path)
    assert vocabulary.expansions("how do I lead my crew") == ["leadership", "team"]
    assert [str(problem) for problem in vocabulary.repeats] == [
        f"{path}:1: 'lead' is written again at line 3 as 'Leads' and line 4 (plurals and "
        "capitals fold to one term); only line 4's list is used: [leadership]"
    ]
    path.write_text("crew: [team]\nsquad: [team]\n", encoding="utf-8")
    assert load_vocabulary(tmp_path).repeats == ()


def test_a_singular_and_its_plural_each_with_its_own_list_are_no_problem(tmp_path: Path) -> None:
    """How the shipped file is written ("rep:" then "reps:"): the plural's list is used, and
    the curator is not told of it as a slip (117 such lines buried the one real repeat)."""
    (tmp_path / "vocabulary.yaml").write_text(
        "rep: [salesperson]\nreps: [salespeople]\n", encoding="utf-8"
    )
    vocabulary = load_vocabulary(tmp_path)
    assert vocabulary.repeats == ()
    assert vocabulary.expansions("my rep") == ["salespeople"]


def test_the_shipped_vocabulary_writes_no_term_twice() -> None:
    shipped = Path(__file__).resolve().parents[1] / "content"
    assert [str(problem) for problem in load_vocabulary(shipped).repeats] == []


def test_a_term_written_twice_is_one_line_in_the_servers_log(
    tmp_path: Path, lib_embedder: Embedder, caplog: pytest.LogCaptureFixture
) -> None:
    """`coach serve` logs each curator-file problem at start; a repeated term too."""
    content = tmp_path / "content"
    content.mkdir()
    write_article(content, "a", "Coach your team every week and listen first. " * 3, title="A")
    (content / "vocabulary.yaml").write_text("lead: [prospect]\nlead: [leadership]\n", "utf-8")
    with caplog.at_level(logging.WARNING, logger="index.library"):
        library = Library.open(
            content, tmp_path / "index", lib_embedder.model_name, embedder=lib_embedder
        )
    assert library.problems == []  # the vocabulary is used: nothing was skipped
    assert [r.getMessage() for r in caplog.records if r.name == "index.library"] == [
        f"{content / 'vocabulary.yaml'}:1: 'lead' is written again at line 2; only line 2's "
        "list is used: [leadership]"
    ]
