"""Merging gap questions that mean the same thing, so a curator sees one line per need.

Leaders word the same need many ways ("commission accelerators" / "accelerators in our comp
plan"); string equality would list them apart and hide how often the need comes up. Each
question is embedded with the library's own model and joins the first (most asked) group
whose leading phrasing it is at least `threshold` cosine-similar to. Comparing with the
leader, not with any member, keeps groups from chaining into one vague topic. The greeting
and thanks around a question are left out first, as search leaves them out
(index/chatter.py).

The default threshold comes from bench/gap_threshold.py, on pairs we wrote: near-duplicates
(case, typos, "how do I" / "how to") score 0.77 to 0.97 and merge; looser paraphrases score
0.20 to 0.89 and overlap related-but-different needs (0.22 to 0.71: "coach a rep who misses
quota" / "reward a rep who beats it"). Merging two different needs hides one from the
curator, while listing a paraphrase twice only costs a line, so the cut sits above every
different pair we found.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from index.chatter import without_chatter

# bench/gap_threshold.py (all-MiniLM-L6-v2): above the 0.71 of the closest different needs
DEFAULT_THRESHOLD = 0.72

Encode = Callable[[list[str]], np.ndarray]  # unit-length rows, one per text


@dataclass(frozen=True)
class Gap:
    """One need the library did not meet: its most asked wording and how often it came up."""

    question: str
    count: int
    wordings: tuple[str, ...] = ()
    last_asked: datetime | None = None  # a need asked weeks ago may be covered already


def _key(text: str) -> str:
    return " ".join(text.lower().split()).rstrip("?!. ")


def merge_gaps(
    questions: Iterable[str],
    encode: Encode | None,
    threshold: float = DEFAULT_THRESHOLD,
    *,
    asked_at: Sequence[datetime] = (),
) -> list[Gap]:
    """Group `questions` by meaning; most frequent group first, each led by its most asked
    wording. Without `encode` (no model available) only identical wordings are merged.
    `asked_at`, when given, is when each question was asked: a gap keeps the latest."""
    counts: dict[str, int] = {}
    shown: dict[str, str] = {}
    latest: dict[str, datetime] = {}
    for i, raw in enumerate(questions):
        # "hey coach, which CRM should we buy? thanks!" is the need "which CRM should we buy?"
        text = " ".join(without_chatter(raw).split())
        if not text:
            continue
        key = _key(text)
        counts[key] = counts.get(key, 0) + 1
        shown.setdefault(key, text)
        if i < len(asked_at) and (key not in latest or asked_at[i] > latest[key]):
            latest[key] = asked_at[i]
    # most asked first, then first asked, so the leader of a group is its usual wording
    first = {k: i for i, k in enumerate(counts)}
    keys = sorted(counts, key=lambda k: (-counts[k], first[k]))
    if not keys:
        return []
    groups: list[list[str]] = []
    if encode is None:
        groups = [[k] for k in keys]
    else:
        vectors = np.asarray(encode([shown[k] for k in keys]), dtype="float32")
        leaders: list[int] = []
        for i in range(len(keys)):
            if leaders:
                sims = vectors[leaders] @ vectors[i]
                best = int(np.argmax(sims))
                if float(sims[best]) >= threshold:
                    groups[best].append(keys[i])
                    continue
            leaders.append(i)
            groups.append([keys[i]])
    gaps = [
        Gap(
            question=shown[group[0]],
            count=sum(counts[k] for k in group),
            wordings=tuple(shown[k] for k in group),
            last_asked=max((latest[k] for k in group if k in latest), default=None),
        )
        for group in groups
    ]
    return sorted(gaps, key=lambda g: -g.count)  # stable: ties stay in first-asked order
