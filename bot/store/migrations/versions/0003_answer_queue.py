"""The durable answer queue: questions stored before the ack, claimed with a lease.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "answer_queue",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("question_key", sa.String(255), nullable=False, unique=True),
        sa.Column("event_id", sa.String(64)),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("ts", sa.String(32), nullable=False),
        sa.Column("thread_ts", sa.String(32)),
        sa.Column("user_id", sa.String(64)),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("owner", sa.String(160)),
        sa.Column("lease_until", sa.DateTime),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("answered_ts", sa.String(32)),
        sa.Column("done_at", sa.DateTime),
        sa.Column("last_error", sa.String(500)),
    )
    op.create_index("ix_answer_queue_state_due", "answer_queue", ["state", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_answer_queue_state_due", "answer_queue")
    op.drop_table("answer_queue")
