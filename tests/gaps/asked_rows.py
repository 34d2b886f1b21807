"""Rows the gap tests share: a week of questions, votes and a reason as the bot records
them, and a row count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select

from bot.store.asked import AskedQuestions
from bot.store.feedback import FeedbackStore
from bot.store.tables import AskOutcome

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday


def fill(engine: Engine, now: datetime) -> None:
    """Three answered questions (one voted helpful, one not), two abstentions of one need,
    a reason, and a question from last month that the report must not count."""
    asked = AskedQuestions(engine)
    votes = FeedbackStore(engine)
    for i, (text, outcome) in enumerate(
        [
            ("How do I motivate my team?", AskOutcome.ANSWERED),
            ("How do I run a one-on-one?", AskOutcome.ANSWERED),
            ("How do I handle change resistance?", AskOutcome.ANSWERED),
            ("Which CRM should we buy?", AskOutcome.ABSTAINED),
            ("what crm should we buy", AskOutcome.ABSTAINED),
        ]
    ):
        asked.record(
            asked.row(
                channel="C1",
                ts=f"1.{i}",
                question=text,
                outcome=outcome,
                user_id=f"U{i}",
                passage_ids=["a#1"] if outcome == AskOutcome.ANSWERED else [],
                at=now - timedelta(days=1),
            )
        )
    asked.record(
        asked.row(
            channel="C1",
            ts="0.9",
            question="An old question",
            outcome=AskOutcome.ABSTAINED,
            at=now - timedelta(days=30),
        )
    )
    votes.record(user_id="U0", channel="C1", message_ts="2.0", helpful=True, question="x")
    votes.record(
        user_id="U1",
        channel="C1",
        message_ts="2.1",
        helpful=False,
        question="How do I handle change resistance?",
        passage_ids=["a#2"],
    )
    votes.record_reason(
        user_id="U1",
        channel="C1",
        message_ts="2.1",
        reason="a script for the first team meeting, mail jane.doe@acme.com",
        question="How do I handle change resistance?",
        passage_ids=["a#2"],
    )


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())
