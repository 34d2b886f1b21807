"""The manager's vocabulary (content/vocabulary.yaml): words a sales leader types, mapped to
the plainer words articles use, so word-matching signals bridge "my crew" to "the team"."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from index.errors import ContentError
from index.yaml_file import compose_file

VOCABULARY_FILE = "vocabulary.yaml"
_WORD = re.compile(r"[a-z0-9]+(?:[:&'][a-z0-9]+)*")
_MAX_WORDS = 5


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("’", "'").replace("-", " "))


def _fold(word: str) -> str:
    """A crude plural fold so "reps" finds "rep" and "managers" finds "manager"."""
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


@dataclass(frozen=True)
class Expansion:
    """The words one known phrase of a question adds (those the question lacks)."""

    term: tuple[str, ...]
    words: tuple[str, ...]

    @property
    def phrase(self) -> str:
        """The term followed by its words: what late interaction embeds for them, so the
        words read in the term's sense ("crew team people"), not in a question's."""
        return " ".join(self.term + self.words)


@dataclass(frozen=True)
class Vocabulary:
    """Phrase -> related words; the longest phrase at each position wins."""

    entries: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict)
    # a term written more than once (once plurals and capitals are folded): the last list
    # is used, as YAML keeps the last of a repeated key; each is one problem for the curator
    repeats: tuple[ContentError, ...] = ()

    def __len__(self) -> int:
        return len(self.entries)

    def expansions(self, text: str) -> list[str]:
        """Words to add to `text` (never words it already has), in order of appearance."""
        return [word for found in self.expansion_groups(text) for word in found.words]

    def expansion_groups(self, text: str) -> list[Expansion]:
        """What each phrase of `text` the vocabulary knows adds, in order of appearance."""
        words = [_fold(w) for w in _words(text)]
        present = set(words)
        found: list[Expansion] = []
        i = 0
        while i < len(words):
            for n in range(min(_MAX_WORDS, len(words) - i), 0, -1):
                term = tuple(words[i : i + n])
                related = self.entries.get(term)
                if related is not None:
                    added: list[str] = []
                    for word in related:
                        if _fold(word) not in present:
                            present.add(_fold(word))
                            added.append(word)
                    if added:
                        found.append(Expansion(term, tuple(added)))
                    i += n
                    break
            else:
                i += 1
        return found

    def every_expansion(self) -> list[Expansion]:
        """Each entry with all its words: what most questions using the term gain."""
        return [Expansion(term, related) for term, related in self.entries.items() if related]

    def expand(self, text: str) -> str:
        extra = self.expansions(text)
        return f"{text} {' '.join(extra)}" if extra else text


def load_vocabulary(content_dir: Path) -> Vocabulary:
    """content/vocabulary.yaml, or an empty vocabulary when the file is absent.

    Every term and word is read as the text written: YAML would read `off`, `no` or `yes`
    as a boolean and an unquoted `1:1` as the number 61, and a word list holding one was
    refused whole, leaving search without any vocabulary."""
    path = Path(content_dir) / VOCABULARY_FILE
    if not path.exists():
        return Vocabulary()
    root = compose_file(path)
    if root is None:
        return Vocabulary()
    if not isinstance(root, yaml.MappingNode):
        raise ContentError(path, "expected `term: [word, word]` lines", root.start_mark.line + 1)
    entries: dict[tuple[str, ...], tuple[str, ...]] = {}
    written: dict[tuple[str, ...], list[tuple[yaml.Node, yaml.Node]]] = {}
    for term, related in root.value:
        line = term.start_mark.line + 1
        words = related.value if isinstance(related, yaml.SequenceNode) else None
        if not isinstance(term, yaml.ScalarNode):
            raise ContentError(path, "expected `term: [word, word]`, like crew: [team]", line)
        if words is None or not all(isinstance(w, yaml.ScalarNode) for w in words):
            expected = f"{term.value!r}: expected a list of words, like [team, people]"
            raise ContentError(path, expected, line)
        key = tuple(_fold(w) for w in _words(str(term.value)))
        if key:
            entries[key] = tuple(w for r in words for w in _words(str(r.value)))
            written.setdefault(key, []).append((term, related))
    repeats = tuple(_repeat(path, lines) for lines in written.values() if _rewritten(lines))
    return Vocabulary(entries, repeats)


def _rewritten(entries: list[tuple[yaml.Node, yaml.Node]]) -> bool:
    """Whether one spelling of a term is written twice (a slip: the curator meant one list).
    A singular and a plural written each on its own line ("rep:", "reps:") is how the file is
    written, each list in its own form, so that alone is no problem line."""
    spellings = [" ".join(_words(str(term.value))) for term, _ in entries]
    return len(set(spellings)) < len(spellings)


def _repeat(path: Path, entries: list[tuple[yaml.Node, yaml.Node]]) -> ContentError:
    """One term written more than once, at its first line: where else, and the list used."""
    (first, _), (used, used_words) = entries[0], entries[-1]
    again = [
        f"line {t.start_mark.line + 1}"
        + (f" as {str(t.value)!r}" if str(t.value) != str(first.value) else "")
        for t, _ in entries[1:]
    ]
    folded = any(str(t.value) != str(first.value) for t, _ in entries)
    listed = ", ".join(str(w.value) for w in used_words.value)
    return ContentError(
        path,
        f"{str(first.value)!r} is written again at {' and '.join(again)}"
        + (" (plurals and capitals fold to one term)" if folded else "")
        + f"; only line {used.start_mark.line + 1}'s list is used: [{listed}]",
        first.start_mark.line + 1,
    )
