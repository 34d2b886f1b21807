"""A reflection question under the morning quote, drawn from the quote's own article.

The rule (no question is written by hand): among the passages of the article the quote is
listed with, skip those that merely list quotes; take the sentence that shares the most
content words (stems) with the quote, rarer words in the article counting more, earliest
on a tie; and turn that claim into a
question about the reader's own team. A sentence that already is a question is asked as it
is. The passage's heading, when it has one, says where in the article the claim comes from.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from bot.slack.text import escape
from index.lexical import Tokenizer
from index.passages import split_sentences
from index.types import Passage, Quote

MAX_SENTENCE = 240  # a longer sentence does not read as a question prompt
MIN_WORDS = 6  # "Leadership seems simple." is not a claim worth reflecting on
FRAME = "How true is this of your team today, and what would make it truer this week?"

_SPACE = re.compile(r"\s+")
_tokenizer: Tokenizer | None = None


def _stems(text: str) -> set[str]:
    global _tokenizer
    if _tokenizer is None:
        _tokenizer = Tokenizer()
    return set(_tokenizer.stems(text))


def _plain(text: str) -> str:
    """Lower case, straight quotes, single spaces: to find a quote inside a passage."""
    text = text.lower().replace("’", "'").replace("‘", "'").replace("“", '"')
    return _SPACE.sub(" ", text.replace("”", '"')).strip()


def _lists_quotes(passage: Passage, quote_texts: Iterable[str]) -> bool:
    """A passage that contains one of the library's quotes is a quote list, not a claim."""
    body = _plain(passage.text)
    return any(q and q[:60] in body for q in quote_texts)


def _clean(sentence: str) -> str:
    """Markdown emphasis and stray quote marks off; one line."""
    sentence = re.sub(r"[*_`]+", "", sentence)
    return _SPACE.sub(" ", sentence).strip().strip('"“”')


def key_sentence(
    quote: Quote, passages: Sequence[Passage], quotes: Sequence[Quote] = ()
) -> tuple[Passage, str] | None:
    """The article sentence closest to the quote by shared content words, with its passage."""
    if not quote.article_id:
        return None
    quote_texts = [_plain(q.text) for q in (*quotes, quote)]
    wanted = _stems(quote.text)
    candidates: list[tuple[Passage, int, str, set[str]]] = []
    for passage in passages:
        if passage.article.id != quote.article_id or _lists_quotes(passage, quote_texts):
            continue
        for index, raw in enumerate(split_sentences(passage.text)):
            sentence = _clean(raw)
            if len(sentence) > MAX_SENTENCE or len(sentence.split()) < MIN_WORDS:
                continue
            candidates.append((passage, index, sentence, _stems(sentence)))
    # a word every sentence of the article uses ("leadership") says little: weight by rarity
    count = len(candidates)
    df: dict[str, int] = {}
    for *_, stems in candidates:
        for stem in stems & wanted:
            df[stem] = df.get(stem, 0) + 1
    best: tuple[float, int, int, Passage, str] | None = None
    for passage, index, sentence, stems in candidates:
        weight = sum(math.log(1 + count / df[s]) for s in stems & wanted)
        rank = (-weight, passage.position, index)
        if best is None or rank < best[:3]:
            best = (*rank, passage, sentence)
    if best is None:
        return None
    return best[3], best[4]


def reflection_question(
    quote: Quote, passages: Sequence[Passage], quotes: Sequence[Quote] = ()
) -> str | None:
    """The question to post in the quote's thread, or None when the article offers none."""
    found = key_sentence(quote, passages, quotes)
    if found is None:
        return None
    passage, sentence = found
    sentence = escape(sentence)
    where = f"“{escape(passage.article.title)}”"
    if passage.section:
        where += f" ({escape(passage.section)})"
    if sentence.endswith("?"):
        return f"*Reflection* — from {where}: {sentence}"
    return f"*Reflection* — {where} says: “{sentence}”\n{FRAME}"


def reflections_from(current: Callable[[], Any]) -> Callable[[Quote], str | None]:
    """The question source the scheduler uses: `current()` is the library in use now (it
    can be swapped by a hot reload), so questions come from the articles as they are."""

    def question(quote: Quote) -> str | None:
        library = current()
        return reflection_question(quote, list(library.passages), list(library.quotes))

    return question
