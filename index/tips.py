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
