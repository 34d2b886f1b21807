"""The column definitions the migrations share: a row id, a Slack id, a message timestamp,
which message, what a vote is about, which channel's day got which quote.

FROZEN HISTORY. Migrations 0001-0004 are built from these, so editing a helper changes what
an old migration creates, and a database made before the edit would no longer match one
made after. tests/store/test_migrations.py pins the schema those migrations make and fails
on any change. A new or different column gets a new helper (or is written out in its own
migration); never edit one here. The live schema is bot/store/tables.py, not this.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa


def row_id() -> sa.Column[Any]:
    """The surrogate key: an autoincrementing integer."""
    return sa.Column("id", sa.Integer, primary_key=True, autoincrement=True)


def slack_id(name: str, **options: Any) -> sa.Column[Any]:
    """A Slack channel, user or event id."""
    return sa.Column(name, sa.String(64), **options)


def slack_ts(name: str, **options: Any) -> sa.Column[Any]:
    """A Slack message timestamp ("1700000000.123456")."""
    return sa.Column(name, sa.String(32), **options)


def aware_time(name: str, **options: Any) -> sa.Column[Any]:
    """A moment stored with its time zone."""
    return sa.Column(name, sa.DateTime(timezone=True), **options)


def message_key(**options: Any) -> tuple[sa.Column[Any], ...]:
    """Which Slack message: its channel and its ts."""
    return slack_id("channel", **options), slack_ts("ts", **options)


def answer_columns() -> tuple[sa.Column[Any], ...]:
    """What a vote or a reason is about: one person, one answer, its question and passages
    (feedback, feedback_reasons)."""
    return (
        row_id(),
        slack_id("user_id", nullable=False),
        slack_id("channel", nullable=False),
        slack_ts("message_ts", nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("passage_ids", sa.Text, nullable=False),
    )


def quote_day(**key: Any) -> tuple[sa.Column[Any], ...]:
    """Which channel, which local date, which quote; `key` says how channel and date are
    held (primary_key=True, or nullable=False beside a row id)."""
    return (
        slack_id("channel", **key),
        sa.Column("local_date", sa.String(10), **key),  # ISO date in the channel's zone
        sa.Column("quote_key", sa.String(128), nullable=False),
    )
