"""asked_questions and feedback_reasons (content gaps).

These tables shipped briefly before they had a migration, so a database may hold them
already (made by `create_all`): only missing ones are created.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "asked_questions" not in existing:
        op.create_table(
            "asked_questions",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("channel", sa.String(64), nullable=False),
            sa.Column("ts", sa.String(32), nullable=False),
            sa.Column("answer_ts", sa.String(32)),
            sa.Column("user_id", sa.String(64)),
            sa.Column("question", sa.Text, nullable=False),
            sa.Column("outcome", sa.String(16), nullable=False),
            sa.Column("passage_ids", sa.Text, nullable=False),
            sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False, index=True),
            sa.UniqueConstraint("channel", "ts", name="uq_asked_question"),
        )
    if "feedback_reasons" not in existing:
        op.create_table(
            "feedback_reasons",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("user_id", sa.String(64), nullable=False),
            sa.Column("channel", sa.String(64), nullable=False),
            sa.Column("message_ts", sa.String(32), nullable=False),
            sa.Column("question", sa.Text, nullable=False),
            sa.Column("passage_ids", sa.Text, nullable=False),
            sa.Column("reason", sa.Text, nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
            sa.UniqueConstraint("user_id", "channel", "message_ts", name="uq_feedback_reason"),
        )


def downgrade() -> None:
    op.drop_table("feedback_reasons")
    op.drop_table("asked_questions")
