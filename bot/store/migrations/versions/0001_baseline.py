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

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

log = logging.getLogger("bot.store.migrate")


def _tables() -> dict[str, tuple[sa.SchemaItem, ...]]:
    """The schema as of this revision, frozen here (later changes go in later revisions)."""
    return {
        "slack_handled_events": (
            sa.Column("key", sa.String(255), primary_key=True),
            sa.Column("kind", sa.String(32), nullable=False),
            sa.Column("channel", sa.String(64)),
            sa.Column("ts", sa.String(32)),
            sa.Column("thread_ts", sa.String(32)),
            sa.Column("user_id", sa.String(64)),
            sa.Column("text", sa.Text),
            sa.Column("status", sa.String(16), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("done_at", sa.DateTime(timezone=True)),
        ),
        "slack_answered_threads": (
            sa.Column("channel", sa.String(64), primary_key=True),
            sa.Column("thread_ts", sa.String(32), primary_key=True),
            sa.Column("first_question", sa.Text, nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        ),
        "feedback": (
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("user_id", sa.String(64), nullable=False),
            sa.Column("channel", sa.String(64), nullable=False),
            sa.Column("message_ts", sa.String(32), nullable=False),
            sa.Column("question", sa.Text, nullable=False),
            sa.Column("passage_ids", sa.Text, nullable=False),
            sa.Column("helpful", sa.Boolean, nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.UniqueConstraint("user_id", "channel", "message_ts", name="uq_feedback_vote"),
        ),
        "tip_history": (
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("user_id", sa.String(64), nullable=False, index=True),
            sa.Column("passage_id", sa.String(255), nullable=False),
            sa.Column("topic", sa.String(255)),
            sa.Column("shown_at", sa.DateTime(timezone=True), nullable=False),
        ),
        "daily_quote_choices": (
            sa.Column("local_date", sa.String(10), primary_key=True),
            sa.Column("quote_key", sa.String(128), nullable=False),
            sa.Column("cycle", sa.Integer, nullable=False),
            sa.Column("chosen_at", sa.DateTime, nullable=False),
        ),
        "daily_quote_ledger": (
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("channel", sa.String(64), nullable=False),
            sa.Column("local_date", sa.String(10), nullable=False),
            sa.Column("quote_key", sa.String(128), nullable=False),
            sa.Column("state", sa.String(16), nullable=False),
            sa.Column("owner", sa.String(160), nullable=False),
            sa.Column("claimed_at", sa.DateTime, nullable=False),
            sa.Column("heartbeat_at", sa.DateTime, nullable=False),
            sa.Column("version", sa.Integer, nullable=False),
            sa.Column("attempts", sa.Integer, nullable=False),
            sa.Column("message_ts", sa.String(32)),
            sa.Column("posted_at", sa.DateTime),
            sa.Column("next_attempt_at", sa.DateTime),
            sa.Column("last_error", sa.String(500)),
            sa.UniqueConstraint("channel", "local_date", name="uq_daily_quote_channel_date"),
        ),
        "daily_quote_posts": (
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("channel", sa.String(64), nullable=False),
            sa.Column("local_date", sa.String(10), nullable=False),
            sa.Column("quote_key", sa.String(128), nullable=False),
            sa.Column("message_ts", sa.String(32)),
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
