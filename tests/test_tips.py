"""Tips with no topic: varied, and always advice rather than an article's set-up."""

from __future__ import annotations

import random

from index.library import Library
from index.tips import TIP_MAX_CHARS, TIP_MIN_CHARS, random_tip


def test_tips_without_topic_are_advice_not_introductions(shipped_library: Library) -> None:
    pool = shipped_library.tip_pool()
    assert len(pool) >= 10
    texts = [p.text for p in pool]
    for intro in ("Our first quoted participant", "For those of you who are thinking"):
        assert not any(t.startswith(intro) for t in texts), intro
    assert all(TIP_MIN_CHARS <= len(t) <= TIP_MAX_CHARS for t in texts)


def test_tips_vary_and_never_repeat_the_last_one(shipped_library: Library) -> None:
    rng = random.Random(7)
    pool = shipped_library.tip_pool()
    seen: list[str] = []
    for _ in range(40):
        tip = random_tip(pool, avoid=seen[-1:], rng=rng)
        assert tip is not None
        assert not seen or tip.id != seen[-1]
        seen.append(tip.id)
    assert len(set(seen)) >= 15
    assert len({pid.split("#")[0] for pid in seen}) >= 4  # spread across articles
