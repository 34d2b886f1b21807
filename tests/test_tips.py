"""Tips with no topic: varied, and always advice rather than an article's set-up."""

from __future__ import annotations

import random

from index.library import Library
from index.tips import TIP_MAX_CHARS, TIP_MIN_CHARS, random_tip, stands_alone, tip_text
from index.types import ArticleMeta, Passage


def test_tips_without_topic_are_advice_not_introductions(shipped_library: Library) -> None:
    pool = shipped_library.tip_pool()
    assert len(pool) >= 10
    texts = [p.text for p in pool]
    for intro in ("Our first quoted participant", "For those of you who are thinking"):
        assert not any(t.startswith(intro) for t in texts), intro
    assert all(TIP_MIN_CHARS <= len(t) <= TIP_MAX_CHARS for t in texts)


def test_tips_without_topic_never_start_mid_thought(shipped_library: Library) -> None:
    """A tip is read on its own: an interview's question, the author's story or the third
    item of a list whose first two are elsewhere reads as a fragment."""
    pool = shipped_library.tip_pool()
    assert len(pool) >= 40
    texts = [p.text for p in pool]
    for fragment in (
        "So are sales and leadership the same thing",  # an interview, mid-conversation
        "Ever since I was called in",  # the author's own story
        "The third is account type",  # a list's third item
        "With those four inputs",
        "His point is that",
    ):
        assert not any(t.startswith(fragment) for t in texts), fragment
    assert len({p.article.id for p in pool}) >= 10  # still spread across the library


def test_what_stands_alone_as_a_tip() -> None:
    meta = ArticleMeta(id="a", title="A")

    def alone(text: str) -> bool:
        return stands_alone(Passage("a#1", meta, 1, text))

    for advice in (
        "Ramp time varies widely. Track how long each new hire takes to reach quota.",
        "Both marketing and sales manage knowledge, in different ways.",
        "There are three ways to run a pipeline review. Pick one and keep it.",
        "Choose mentors deliberately and give them time to do it.",
        "Thisbe's team kept a shared document of commitments.",  # a name, not "This"
        'Vague comfort such as "we had a great meeting" is not enough; ask for the details.',
        "Many new hires said they had no sounding board. Assign each one a peer mentor.",
        "Keep the review short: most teams let it run past an hour.",
    ):
        assert alone(advice), advice
    for fragment in (
        "So are sales and leadership the same thing? Maybe.",
        "This comes as a result of setting goals.",
        "The second is to stay with today.",
        "Finally, measure ramp.",
        "Then estimate the capacity of one rep.",
        "How do you coach a rep who stalls? Start with the calendar.",
        "Ever since I was called in by a client, I have argued for coaching.",
        "“But that is not enough,” she said.",
        # pointing back within the first words, or a connective after the opening phrase
        "Sales leadership, however, is more than how reps talk to customers.",
        "Turn those answers into a one-page description of the role.",
        "Out of that conversation should come a written plan.",
        "Simple as it sounds, few teams do this groundwork.",
        # a study's result, not something a manager can do
        "The Workforce Study, which surveys 250 executives, found that only 10 percent of "
        "them were satisfied with their people.",
        "Riseley speaks from experience. He surveyed 800 sellers, and most felt anxious.",
    ):
        assert not alone(fragment), fragment


def test_a_tip_without_topic_is_advice_not_a_survey_statistic(shipped_library: Library) -> None:
    """`/leadership-tip` with no topic gave a study's figure ("... found that only 10
    percent of respondents ...") or a passage opening mid-thought ("Sales leadership,
    however, ..."): nothing a manager could act on."""
    texts = [p.text for p in shipped_library.tip_pool()]
    for not_a_tip in (
        '"Accenture High Performance Workforce Study"',  # a survey's percentage
        "One of the clearest research findings",
        "Riseley speaks from experience",  # the survey behind the article
        "Sales leadership, however,",
        "Simple as it sounds,",
    ):
        assert not any(t.startswith(not_a_tip) for t in texts), not_a_tip
    assert len(texts) >= 40 and len({p.article.id for p in shipped_library.tip_pool()}) >= 10


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
