"""Per-channel quote plans: what a person types for --days/--time/--tz/--skip, and when a
channel's quote is due in its own zone; the reflection question drawn from the article."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.daily_quote.plan import PlanError, QuotePlan, days_text, parse_days, parse_skip, parse_time
from bot.daily_quote.reflection import key_sentence, reflection_question
from index.types import ArticleMeta, Passage, Quote


@pytest.mark.parametrize(
    ("typed", "days"),
    [
        ("mon-fri", ("mon", "tue", "wed", "thu", "fri")),
        ("Mon,Wed,Fri", ("mon", "wed", "fri")),
        ("fri-mon", ("mon", "fri", "sat", "sun")),
        ("sat", ("sat",)),
        ("monday-tuesday,sun", ("mon", "tue", "sun")),
    ],
)
def test_days_typed_as_ranges_or_lists(typed: str, days: tuple[str, ...]) -> None:
    assert parse_days(typed) == days


@pytest.mark.parametrize("typed", ["", "weekdays", "mon-tue-wed", "mon,funday"])
def test_bad_days_name_the_option(typed: str) -> None:
    with pytest.raises(PlanError, match="--days"):
        parse_days(typed)


def test_time_and_skip_parsing() -> None:
    assert parse_time("9:05") == "09:05"
    with pytest.raises(PlanError, match="--time"):
        parse_time("25:00")
    assert parse_skip("2027-01-01, 2026-12-25") == (date(2026, 12, 25), date(2027, 1, 1))
    with pytest.raises(PlanError, match="--skip"):
        parse_skip("Christmas")
    assert days_text(("mon", "tue", "wed", "thu", "fri")) == "mon-fri"
    assert days_text(("mon", "wed")) == "mon,wed"


def test_each_channel_is_due_at_its_own_local_morning() -> None:
    ny = QuotePlan("CNEWYORK1", "08:30", "America/New_York", ("mon", "tue", "wed", "thu", "fri"))
    sg = QuotePlan("CSINGAPO1", "08:30", "Asia/Singapore", ("mon", "tue", "wed", "thu", "fri"))
    day = date(2026, 12, 1)  # a Tuesday
    assert ny.due_at(day).astimezone(UTC) == datetime(2026, 12, 1, 13, 30, tzinfo=UTC)
    assert sg.due_at(day).astimezone(UTC) == datetime(2026, 12, 1, 0, 30, tzinfo=UTC)
    # 23:00 UTC Monday is already Tuesday in Singapore, still Monday in New York
    moment = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    assert sg.local_day(moment) == date(2026, 12, 1)
    assert ny.local_day(moment) == date(2026, 11, 30)


def test_skipped_dates_and_unlisted_days_are_not_quote_days() -> None:
    plan = QuotePlan(
        "CLONDON01", "09:00", "Europe/London", parse_days("mon-fri"), skip=parse_skip("2026-12-25")
    )
    assert plan.is_quote_day(date(2026, 12, 24))  # Thursday
    assert not plan.is_quote_day(date(2026, 12, 25))  # Friday, skipped
    assert not plan.is_quote_day(date(2026, 12, 26))  # Saturday, not listed


# ---- reflection --------------------------------------------------------------------------
META = ArticleMeta(id="coaching-article", title="Coaching Reps")
OTHER = ArticleMeta(id="other-article", title="Something Else")


def _passages() -> list[Passage]:
    return [
        Passage("coaching-article#0", META, 0, "Coaching is a weekly habit. It builds trust."),
        Passage(
            "coaching-article#1",
            META,
            1,
            "Great coaches ask questions before they give answers to their reps. "
            "Most managers talk far too much during a coaching session with a rep.",
            section="Ask, Then Listen",
        ),
        Passage(
            "coaching-article#2",
            META,
            2,
            "Great coaches ask questions, they do not give answers. —Some Author",
        ),
        Passage(
            "other-article#0",
            OTHER,
            0,
            "Great coaches ask questions and listen closely to every single answer given.",
        ),
    ]


def test_reflection_comes_from_the_quotes_article_and_names_its_section() -> None:
    quote = Quote(
        "Great coaches ask questions, they do not give answers.",
        "Some Author",
        article_id="coaching-article",
        article_title="Coaching Reps",
    )
    found = key_sentence(quote, _passages(), [quote])
    assert found is not None
    passage, sentence = found
    # not the quote list (#2), not another article; the claim sharing most words with it
    assert passage.id == "coaching-article#1"
    assert sentence.startswith("Great coaches ask questions before they give answers")
    question = reflection_question(quote, _passages(), [quote])
    assert question is not None
    assert "Coaching Reps" in question and "Ask, Then Listen" in question
    assert question.rstrip().endswith("?")


def test_no_article_no_reflection() -> None:
    quote = Quote("Lead from the front.", "Anon")
    assert reflection_question(quote, _passages()) is None
