"""Tips with no topic: varied, and always advice rather than an article's set-up."""

from __future__ import annotations

import random

from index.library import Library
from index.tips import TIP_MAX_CHARS, TIP_MIN_CHARS, random_tip, tip_text
from index.types import ArticleMeta, Passage


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


def test_no_tip_says_tip_twice(shipped_library: Library) -> None:
    """Tips are printed after "Tip: "; an article paragraph that starts "Tip:" (one of the
    shipped articles has one) must not come out as "Tip: Tip: ..."."""
    passages = list(shipped_library.passages)
    assert any(p.text.startswith("Tip:") for p in passages)
    for passage in passages:
        assert not tip_text(passage).lower().startswith("tip")


def test_tip_text_drops_only_a_leading_label() -> None:
    meta = ArticleMeta(id="a", title="A")
    labelled = Passage("a#0", meta, 0, "Tip: check how feedback is shared. Tip: not this one.")
    assert tip_text(labelled) == "Check how feedback is shared. Tip: not this one."
    plain = Passage("a#1", meta, 1, "Tipping points matter.")
    assert tip_text(plain) == "Tipping points matter."
