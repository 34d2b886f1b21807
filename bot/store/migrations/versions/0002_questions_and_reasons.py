"""asked_questions and feedback_reasons (content gaps).

These tables shipped briefly before they had a migration, so a database may hold them
already (made by `create_all`): only missing ones are created.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.store.migrations.columns import (
    answer_columns,
    aware_time,
    message_key,
    row_id,
    slack_id,
    slack_ts,
)

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "asked_questions" not in existing:
        op.create_table(
            "asked_questions",
            row_id(),
            *message_key(nullable=False),
            slack_ts("answer_ts"),
            slack_id("user_id"),
            sa.Column("question", sa.Text, nullable=False),
            sa.Column("outcome", sa.String(16), nullable=False),
            sa.Column("passage_ids", sa.Text, nullable=False),
            aware_time("asked_at", nullable=False, index=True),
            sa.UniqueConstraint("channel", "ts", name="uq_asked_question"),
        )
    if "feedback_reasons" not in existing:
        op.create_table(
            "feedback_reasons",
            *answer_columns(),
            sa.Column("reason", sa.Text, nullable=False),
            aware_time("created_at", nullable=False, index=True),
            sa.UniqueConstraint("user_id", "channel", "message_ts", name="uq_feedback_reason"),
        )


def downgrade() -> None:
    op.drop_table("feedback_reasons")
    op.drop_table("asked_questions")
