"""The durable answer queue: questions stored before the ack, claimed with a lease.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.store.migrations.columns import message_key, row_id, slack_id, slack_ts

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "answer_queue",
        row_id(),
        sa.Column("question_key", sa.String(255), nullable=False, unique=True),
        slack_id("event_id"),
        sa.Column("kind", sa.String(32), nullable=False),
        *message_key(nullable=False),
        slack_ts("thread_ts"),
        slack_id("user_id"),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("owner", sa.String(160)),
        sa.Column("lease_until", sa.DateTime),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        slack_ts("answered_ts"),
        sa.Column("done_at", sa.DateTime),
        sa.Column("last_error", sa.String(500)),
    )
    op.create_index("ix_answer_queue_state_due", "answer_queue", ["state", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_answer_queue_state_due", "answer_queue")
    op.drop_table("answer_queue")
