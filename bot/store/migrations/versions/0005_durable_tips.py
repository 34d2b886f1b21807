"""Durable /leadership-tip: a tip request rides the answer queue (kind "tip"), with the
command's response_url (NULL once settled) and the tip chosen for it.

Both columns are nullable, so an existing database gains them in place and its queued
questions are untouched.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("answer_queue", sa.Column("response_url", sa.Text))
    op.add_column("answer_queue", sa.Column("reply", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("answer_queue") as batch:
        batch.drop_column("reply")
        batch.drop_column("response_url")
