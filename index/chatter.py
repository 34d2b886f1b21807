"""The chatter people type around a question in chat, left out of what is searched.

Leaders write "hey coach, quick question: how do I ... thanks!" more often than the bare
question. Searched whole, the greeting and the thanks pulled the question's meaning away
from the library (bench/chatter.md: with a greeting and a sign-off, dev2's hit@1 fell .55 ->
.39 and false abstain doubled over the eight sets). The courtesy words are the ones that make
a whole message small talk (bot/small_talk.py takes them from here), with a few more that
open or close a question ("quick question", "any ideas").

The rule is by words, not sentences: an opening or closing clause (up to a comma, colon,
dash, full stop, question or exclamation mark, or an emoji) made only of courtesy words is
left out; so are opening greeting words and a closing run of thanks written without a
separator ("hey coach how do I ...", "... my reps thanks"). A message of nothing but chatter
is left as written.
"""

from __future__ import annotations

import re
import unicodedata

# Words that greet or call for help: alone (with fillers) a message of them is small talk.
GREETING = frozenset(
    "hi hello hey heya hiya howdy yo greetings morning afternoon evening gm help usage".split()
)
# Words that thank or acknowledge an answer.
THANKS = frozenset(
    "thanks thank thankyou thx thnx thanx tx ty tyvm ta cheers appreciated appreciate "
    "ok okay k kk great awesome perfect cool nice excellent brilliant wonderful lovely super "
    "fantastic amazing helps helped helpful useful noted understood gotcha got makes sense "
    "sounds".split()
)
# Fillers that go with either but say nothing on their own.
FILLER = frozenset(
    "good there all everyone team folks guys coach bot you u ya so much very a lot again "
    "really for the that that's thats this it it's its is was me i oh ah wow and just many "
    "tip tips advice answer info".split()
)
# What opens a question in chat and closes it, beyond the courtesy words.
_OPENING = frozenset("quick question questions qq q um uh".split())
_CLOSING = frozenset(
    "any some would love please pls plz tia in advance ideas thoughts suggestions pointers "
    "welcome".split()
)
# Words that thank, for a closing run written without a separator.
_THANKING = frozenset("thanks thank thankyou thx thnx thanx tx ty tyvm tia cheers".split())
_OPENS = GREETING | THANKS | FILLER | _OPENING
_CLOSES = GREETING | THANKS | FILLER | _CLOSING
_INTERJECTION = GREETING - {"help", "usage"} | {"ok", "okay", "so", "um", "uh"}
_ADDRESSED = frozenset("there all everyone team folks guys coach bot you".split())

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
# a full stop or colon only before a space or the end: "U.S. reps", "1:1s" stay one word
_SEPARATOR = re.compile(r"([,!?;…]+|[.:]+(?=\s|$)|\s[-–—]+\s|\s[-–—]+$|^[-–—]+\s)")


def _words(text: str) -> list[str]:
    return [_low(m) for m in _WORD.finditer(text)]


def _no_emoji(text: str) -> str:
    """Emoji and other pictographs as clause breaks (they carry no words to search)."""
    if text.isascii():
        return text
    return "".join(
        " . " if unicodedata.category(c) == "So" else "" if c in "\ufe0f\u200d" else c for c in text
    )


def _only(words: list[str], allowed: frozenset[str]) -> bool:
    return all(w in allowed for w in words)


def _low(m: re.Match[str]) -> str:
    return m.group().lower().replace("’", "'")


def without_chatter(question: str) -> str:
    """`question` with its opening greeting and closing thanks left out; as written when
    there are none, or nothing else is left."""
    pieces = _SEPARATOR.split(_no_emoji(question))  # clause, separator, ..., clause
    clauses = [(pieces[i], "".join(pieces[i + 1 : i + 2])) for i in range(0, len(pieces), 2)]
    whole = len(clauses)
    while len(clauses) > 1 and _only(_words(clauses[0][0]), _OPENS):
        clauses.pop(0)
    while len(clauses) > 1 and _only(_words(clauses[-1][0]), _CLOSES):
        clauses.pop()
    text = "".join(c + s for c, s in clauses)
    spans = list(_WORD.finditer(text))
    start = 0
    if spans and _low(spans[0]) in _INTERJECTION:
        start = 1
        while start < len(spans) and _low(spans[start]) in _INTERJECTION | _ADDRESSED:
            start += 1
    tail = len(spans)
    while tail > start and _low(spans[tail - 1]) in _CLOSES:
        tail -= 1
    end = tail if any(_low(m) in _THANKING for m in spans[tail:]) else len(spans)
    if start >= end:
        return question
    if len(clauses) == whole and start == 0 and end == len(spans):
        return question  # no chatter
    text = text[
        spans[start].start() if start else 0 : spans[end - 1].end()
        if end < len(spans)
        else len(text)
    ]
    text = re.sub(r"\s+", " ", text).strip(" ,;:.-–—")
    return text if re.search(r"\w", text) else question
