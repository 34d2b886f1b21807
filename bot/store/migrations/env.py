"""Alembic's environment: always given a live connection by bot.store.migrate (never a URL),
so migrations run on the connection that holds the schema lock."""

from __future__ import annotations

from alembic import context

from bot.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `coach db upgrade` (bot.store.migrate.upgrade)")

context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
