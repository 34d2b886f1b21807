"""Durable "More like this": a click rides the answer queue (kind "more") with what its
search needs besides the question: the follow-up context and the offset of the next
passages.

Both columns are nullable, so an existing database gains them in place and its queued
questions and tips are untouched.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("answer_queue", sa.Column("context", sa.Text))
    op.add_column("answer_queue", sa.Column("passage_offset", sa.Integer))


def downgrade() -> None:
    with op.batch_alter_table("answer_queue") as batch:
        batch.drop_column("passage_offset")
        batch.drop_column("context")
