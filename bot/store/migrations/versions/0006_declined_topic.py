"""The curator's report tells questions left to others (the out-of-scope map,
content/scope.yaml) from content gaps: asked_questions keeps the topic a question was
declined as (outcome "declined").

Nullable, so an existing database gains it in place; its rows stay as they were.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("asked_questions", sa.Column("declined_topic", sa.String(200)))


def downgrade() -> None:
    with op.batch_alter_table("asked_questions") as batch:
        batch.drop_column("declined_topic")
