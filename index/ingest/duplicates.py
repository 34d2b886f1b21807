"""Near-duplicate text: word 5-gram shingles compared by Jaccard and containment.

Exact set overlap rather than MinHash: a coaching library holds tens to hundreds of
articles, so comparing shingle sets directly is instant and has no false negatives; an
embedding would call two different articles on one topic duplicates.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

SHINGLE = 5
JACCARD = 0.6  # most of both texts is shared
CONTAINMENT = 0.85  # nearly all of the shorter text is inside the longer one

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def shingles(text: str, size: int = SHINGLE) -> frozenset[str]:
    words = _WORD.findall(text.lower().replace("’", "'"))
    if len(words) < size:
        return frozenset([" ".join(words)]) if words else frozenset()
    return frozenset(" ".join(words[i : i + size]) for i in range(len(words) - size + 1))


@dataclass(frozen=True)
class Overlap:
    jaccard: float
    containment: float

    @property
    def duplicate(self) -> bool:
        return self.jaccard >= JACCARD or self.containment >= CONTAINMENT

    def describe(self) -> str:
        return f"{self.containment:.0%} of the shorter text is shared"


def overlap(a: frozenset[str], b: frozenset[str]) -> Overlap:
    if not a or not b:
        return Overlap(0.0, 0.0)
    common = len(a & b)
    return Overlap(common / len(a | b), common / min(len(a), len(b)))


def find_duplicate(text: str, others: Iterable[tuple[str, str]]) -> tuple[str, Overlap] | None:
    """The first (id, overlap) among `others` (id, text) that `text` nearly repeats."""
    mine = shingles(text)
    for other_id, other_text in others:
        found = overlap(mine, shingles(other_text))
        if found.duplicate:
            return other_id, found
    return None


def duplicate_pairs(items: Sequence[tuple[str, str]]) -> list[tuple[str, str, Overlap]]:
    """Every pair of (id, text) items that nearly repeat each other, in item order."""
    sets = [(item_id, shingles(text)) for item_id, text in items]
    pairs: list[tuple[str, str, Overlap]] = []
    for i, (a_id, a) in enumerate(sets):
        for b_id, b in sets[i + 1 :]:
            found = overlap(a, b)
            if found.duplicate:
                pairs.append((a_id, b_id, found))
    return pairs
