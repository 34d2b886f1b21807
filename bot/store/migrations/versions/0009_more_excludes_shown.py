""" "More like this" excludes what was shown: a queued click keeps the fingerprints of the
passages its thread showed (space-separated), so whichever replica answers it leaves those
very passages out, whatever its library version ranks where. NULL: a click of a button
made before this (offset only), answered by `passage_offset` as before.

A nullable column, so an existing database gains it in place and its queued rows are
untouched.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("answer_queue", sa.Column("excluded", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("answer_queue") as batch:
        batch.drop_column("excluded")
