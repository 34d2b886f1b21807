"""Typos in a leader's question, corrected to the library's own words before it is searched.

Leaders type fast in Slack. One mistyped word ("motivae") costs the word signals the word
and breaks MiniLM's word pieces: one keyboard slip per question took dev's hit@1 from 0.79
to 0.65, and two left a quarter of its answerable questions unanswered (bench/spelling.md).
A word is corrected only when neither an English dictionary (pyspellchecker's, 160,000
words) nor the library knows it or its singular, it has at least `MIN_LETTERS` letters, and
it is not a name or an acronym (a capital inside it, or at its start anywhere but a
sentence's start). It becomes the library's most used word within one edit (two from
`LONG_WORD` letters; SymSpell's Damerau-Levenshtein distance), and only a word the library
uses: one it lacks would add nothing to the word signals. A leader's own shorthand near no
library word is left as typed.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable

from symspellpy import SymSpell, Verbosity

MIN_LETTERS = 5  # shorter words: too many library words lie one edit away (bench/spelling.md)
LONG_WORD = 7  # from this length two edits are allowed, one below it (bench/spelling.md)
_WORD = re.compile(r"[A-Za-z][A-Za-z']*[A-Za-z]")
_SENTENCE_END = re.compile(r"(?:^|[.!?:;]\s*|\n\s*)$")
_POSSESSIVE = re.compile(r"'s?$")


@functools.cache
def english_words() -> frozenset[str]:
    """pyspellchecker's English word list, read once per process (about 0.2 s)."""
    from spellchecker import SpellChecker

    return frozenset(SpellChecker(language="en", distance=1).word_frequency.dictionary)


class Speller:
    """Corrects a question's unknown words to the library's words."""

    def __init__(self, library_words: Counter[str], known: frozenset[str]) -> None:
        self._known = known | frozenset(library_words)
        self._symspell = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
        for word, count in library_words.items():
            if len(word) >= 3:
                self._symspell.create_dictionary_entry(word, count)

    @classmethod
    def of(cls, texts: Iterable[str], known: frozenset[str] | None = None) -> Speller:
        """From the library's texts (passages, curated questions, vocabulary)."""
        words = Counter(w.lower() for text in texts for w in _WORD.findall(text))
        return cls(words, english_words() if known is None else known)

    def correct(self, text: str) -> str:
        """`text` with each unknown word replaced by its nearest library word, if any."""
        return _WORD.sub(lambda m: self._fixed(m.group(), text[: m.start()]), text)

    def _fixed(self, word: str, before: str) -> str:
        if len(word) < MIN_LETTERS or any(c.isupper() for c in word[1:]):
            return word
        if word[0].isupper() and not _SENTENCE_END.search(before):
            return word  # a name mid-sentence ("Highspot")
        lower = word.lower()
        base = _POSSESSIVE.sub("", lower)
        if {lower, base, base.removesuffix("s")} & self._known:
            return word  # a known word, its possessive or its plural ("revops", "upsells")
        distance = 2 if len(base) >= LONG_WORD else 1
        found = self._symspell.lookup(base, Verbosity.TOP, max_edit_distance=distance)
        if not found:
            return word
        return found[0].term.capitalize() if word[0].isupper() else found[0].term
