"""A Slack outage or rate limit one replica meets holds every replica's answers:
slack_hold (one row while Slack is failing; see bot/store/slack_hold.py).

A new table, so an existing database gains it in place; its queued questions are untouched.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "slack_hold",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.Column("since", sa.DateTime, nullable=False),
        sa.Column("until", sa.DateTime, nullable=False),
        sa.Column("prober", sa.String(160)),
    )


def downgrade() -> None:
    op.drop_table("slack_hold")
