"""The app's database (DATABASE_URL; an SQLite file under DATA_DIR by default).

The schema is made and changed by the migrations in bot/store/migrations, run under a lock
when an engine is made, so replicas started together on an empty database all come up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event

from bot.store.migrate import DatabaseUnavailable, normalise_url, upgrade


def make_engine(url: str, *, migrate: bool = True) -> Engine:
    """An engine on an up-to-date schema; SQLite gets WAL and a busy timeout for replicas.

    `postgresql://` URLs use psycopg 3 (the `postgres` extra)."""
    url = normalise_url(url)
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()
    else:
        try:
            engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
        except ModuleNotFoundError as err:
            raise DatabaseUnavailable(
                url, f"its driver is not installed ({err.name}): pip install -e '.[postgres]'"
            ) from None
    if migrate:
        upgrade(engine)
    return engine
