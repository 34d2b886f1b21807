"""Baseline: the tables the bot kept before migrations existed.

Databases made by `create_all` (no alembic_version table) already hold some or all of these;
only the missing ones are created, so an existing database is upgraded in place and nothing
in it is touched.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

from bot.store.migrations.columns import (
    answer_columns,
    aware_time,
    message_key,
    quote_day,
    row_id,
    slack_id,
    slack_ts,
)

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

log = logging.getLogger("bot.store.migrate")


def _tables() -> dict[str, tuple[sa.SchemaItem, ...]]:
    """The schema as of this revision, frozen here and in the shared column helpers (later
    changes go in later revisions)."""
    return {
        "slack_handled_events": (
            sa.Column("key", sa.String(255), primary_key=True),
            sa.Column("kind", sa.String(32), nullable=False),
            *message_key(),
            slack_ts("thread_ts"),
            slack_id("user_id"),
            sa.Column("text", sa.Text),
            sa.Column("status", sa.String(16), nullable=False),
            aware_time("created_at", nullable=False),
            aware_time("done_at"),
        ),
        "slack_answered_threads": (
            slack_id("channel", primary_key=True),
            slack_ts("thread_ts", primary_key=True),
            sa.Column("first_question", sa.Text, nullable=False),
            aware_time("created_at", nullable=False),
        ),
        "feedback": (
            *answer_columns(),
            sa.Column("helpful", sa.Boolean, nullable=False),
            aware_time("created_at", nullable=False),
            sa.UniqueConstraint("user_id", "channel", "message_ts", name="uq_feedback_vote"),
        ),
        "tip_history": (
            row_id(),
            slack_id("user_id", nullable=False, index=True),
            sa.Column("passage_id", sa.String(255), nullable=False),
            sa.Column("topic", sa.String(255)),
            aware_time("shown_at", nullable=False),
        ),
        "daily_quote_choices": (
            sa.Column("local_date", sa.String(10), primary_key=True),
            sa.Column("quote_key", sa.String(128), nullable=False),
            sa.Column("cycle", sa.Integer, nullable=False),
            sa.Column("chosen_at", sa.DateTime, nullable=False),
        ),
        "daily_quote_ledger": (
            row_id(),
            *quote_day(nullable=False),
            sa.Column("state", sa.String(16), nullable=False),
            sa.Column("owner", sa.String(160), nullable=False),
            sa.Column("claimed_at", sa.DateTime, nullable=False),
            sa.Column("heartbeat_at", sa.DateTime, nullable=False),
            sa.Column("version", sa.Integer, nullable=False),
            sa.Column("attempts", sa.Integer, nullable=False),
            slack_ts("message_ts"),
            sa.Column("posted_at", sa.DateTime),
            sa.Column("next_attempt_at", sa.DateTime),
            sa.Column("last_error", sa.String(500)),
            sa.UniqueConstraint("channel", "local_date", name="uq_daily_quote_channel_date"),
        ),
        "daily_quote_posts": (
            row_id(),
            *quote_day(nullable=False),
            slack_ts("message_ts"),
            sa.Column("forced", sa.Boolean, nullable=False),
            sa.Column("recovered", sa.Boolean, nullable=False),
            sa.Column("owner", sa.String(160), nullable=False),
            sa.Column("posted_at", sa.DateTime, nullable=False),
        ),
    }


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    kept = sorted(existing & set(_tables()))
    if kept:
        log.info("kept %d tables made before migrations: %s", len(kept), ", ".join(kept))
    for name, items in _tables().items():
        if name not in existing:
            op.create_table(name, *items)


def downgrade() -> None:
    for name in reversed(list(_tables())):
        op.drop_table(name)
