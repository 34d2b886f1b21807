"""Per-channel quote schedules: quote_rotation (replaces daily_quote_choices, which an old
database keeps unused), quote_schedules and said_once.

These tables shipped briefly before they had a migration, so a database may hold them
already (made by `create_all`): only missing ones are created.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.store.migrations.columns import aware_time, quote_day, slack_id, slack_ts

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "quote_rotation" not in existing:
        op.create_table(
            "quote_rotation",
            *quote_day(primary_key=True),
            sa.Column("cycle", sa.Integer, nullable=False),
            sa.Column("chosen_at", sa.DateTime, nullable=False),
        )
    if "quote_schedules" not in existing:
        op.create_table(
            "quote_schedules",
            slack_id("channel", primary_key=True),
            sa.Column("time", sa.String(5), nullable=False),
            sa.Column("timezone", sa.String(64), nullable=False),
            sa.Column("days", sa.String(32), nullable=False),
            sa.Column("skip", sa.Text, nullable=False),
            sa.Column("reflect", sa.Boolean, nullable=False),
            aware_time("updated_at", nullable=False),
        )
    if "said_once" not in existing:
        op.create_table(
            "said_once",
            sa.Column("kind", sa.String(16), primary_key=True),
            sa.Column("key", sa.String(255), primary_key=True),
            slack_ts("message_ts"),
            aware_time("claimed_at", nullable=False),
        )


def downgrade() -> None:
    op.drop_table("said_once")
    op.drop_table("quote_schedules")
    op.drop_table("quote_rotation")
