"""Short tips: one passage, on a topic or chosen for variety."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from index.types import Passage

TIP_MIN_CHARS = 120
TIP_MAX_CHARS = 500


_LABEL = re.compile(r"^\s*(?:leadership\s+)?tip\s*[:\-–—]\s*", re.IGNORECASE)


def tip_text(passage: Passage) -> str:
    """The passage as a tip's body: without a "Tip:" label of its own, since the message
    already says it is a tip (an article's "Tip: check how..." paragraph)."""
    text = _LABEL.sub("", passage.text, count=1)
    return text[:1].upper() + text[1:] if text else passage.text


# Openings that lean on what came before them in the article: a connective ("So", "But",
# "Finally"), a pronoun or demonstrative with its referent upstream ("This", "His"), a place
# in a list ("The third is", "Next"). Read alone, as a tip, such a passage starts mid-thought.
_LEANS_ON_CONTEXT = re.compile(
    r"^\W*(?:so|but|and|or|also|however|then|next|finally|still|yet|thus|hence|therefore|"
    r"instead|this|that|these|those|it|its|they|them|their|he|she|his|her|such|"
    r"with\s+(?:this|that|these|those|them)|"
    r"the\s+(?:first|second|third|fourth|fifth|sixth|next|last|other|same|latter|former)|"
    r"second|third|fourth|fifth|another)\b",
    re.IGNORECASE,
)
# ... or that point back within their first few words ("Turn those findings into", "Out of
# that conversation", "Simple as it sounds"), or put a connective after their opening
# phrase ("Sales leadership, however, is").
_POINTS_BACK = re.compile(
    r"^\W*(?:\S+\s+){0,3}?(?:this|these|those|such(?!\s+as\b)|them|it(?![’']s))\b"
    r"|^\W*(?:\S+\s+){0,2}?(?:of|in|on|with|from|after|before|by|at|for)\s+that\b"
    r"|^\W*[^\s,]+(?:\s+[^\s,]+){0,3},\s+(?:however|though|too|then|therefore|instead)\b",
    re.IGNORECASE,
)
_FIRST_SENTENCE = re.compile(r"^(.+?[.!?])(?:\s|$)", re.DOTALL)
_FIRST_PERSON = re.compile(r"\b(?:I|I'm|I’m|I've|I’ve|I'd|I’d|me|my)\b")

# A study's or survey's result ("... Study found that only 10 percent of respondents"):
# something a manager reads, not something to do.
_FINDING = re.compile(
    r"\b(?:surveys?|surveyed|stud(?:y|ies)|research(?:ers)?|respondents|per ?cent|percent|"
    r"findings?|found that)\b|\d\s?%"
    r"|\b(?:roughly|about|nearly|almost|only|more than)\s+(?:a third|a quarter|half|\d)",
    re.IGNORECASE,
)
# Advice: a sentence that tells the reader what to do, or says what one should do.
_DO_THIS = re.compile(
    r"^(?:so|then|first|finally)?,?\s*(?:ask|agree|aim|assign|avoid|base|build|celebrate|"
    r"check|choose|coach|compare|decide|define|don[’']t|do|end|estimate|find|fix|focus|give|"
    r"hold|keep|let|listen|look|make|measure|never|open|pair|pick|plan|praise|protect|put|"
    r"raise|recogni[sz]e|reserve|resist|review|revisit|run|say|schedule|set|share|spend|"
    r"start|stop|take|talk|tell|thank|track|treat|try|turn|use|write)\b",
    re.IGNORECASE,
)
_SHOULD = re.compile(
    r"\b(?:should|must|needs? to|ought to|make sure|it pays to|(?:is|are) worth|"
    r"recommends?|advises?|encourages?|urges?|the (?:key|goal|answer|fix) is|aim for|try to)\b",
    re.IGNORECASE,
)
_SENTENCES = re.compile(r"(?<=[.!?])\s+")


def stands_alone(passage: Passage) -> bool:
    """Whether a passage reads as advice on its own: not opening mid-thought, not with a
    question (an interview's), not with the author's own story ("Ever since I ..."), and
    not a study's result with nothing to do about it."""
    text = passage.text.strip()
    if _LEANS_ON_CONTEXT.match(text) or _POINTS_BACK.match(text):
        return False
    found = _FIRST_SENTENCE.match(text)
    first = found.group(1) if found else text
    if first.endswith("?") or _FIRST_PERSON.search(first):
        return False
    return not reports_a_finding(text)


def reports_a_finding(text: str) -> bool:
    """A passage that opens with a study's or survey's result, or reports one and gives no
    advice: a statistic rather than a tip a manager could act on."""
    sentences = [s for s in _SENTENCES.split(text.strip()) if s]
    if not sentences or _FINDING.search(sentences[0]):
        return bool(sentences)
    advises = any(_DO_THIS.match(s) or _SHOULD.search(s) for s in sentences)
    return not advises and any(_FINDING.search(s) for s in sentences)


def tip_candidates(passages: Sequence[Passage]) -> list[Passage]:
    """Passages short enough for a tip and long enough to say something on their own."""
    return [p for p in passages if TIP_MIN_CHARS <= len(p.text) <= TIP_MAX_CHARS]


def random_tip(
    passages: Sequence[Passage],
    *,
    avoid: Sequence[str] = (),
    rng: random.Random | None = None,
) -> Passage | None:
    """A tip for variety from `passages` (e.g. Library.tip_pool()): never one of `avoid`
    (the person's last tips) when avoidable, and spread across articles rather than
    favouring the longest one."""
    rng = rng or random.Random()
    candidates = list(passages)
    avoided = set(avoid)
    fresh = [p for p in candidates if p.id not in avoided] or candidates
    if not fresh:
        return None
    by_article: dict[str, list[Passage]] = {}
    for p in fresh:
        by_article.setdefault(p.article.id, []).append(p)
    article = rng.choice(sorted(by_article))
    return rng.choice(by_article[article])
