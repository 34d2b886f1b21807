"""The app's database (DATABASE_URL; an SQLite file under DATA_DIR by default).

The schema is made and changed by the migrations in bot/store/migrations, run under a lock
when an engine is made, so replicas started together on an empty database all come up.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError

from bot.store.migrate import DatabaseUnavailable, normalise_url, upgrade

IDLE_PING_SECONDS = 10.0


def ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection before use when it has sat idle for a while (the server
    may have restarted or dropped it meanwhile; a dead one is replaced). SQLAlchemy's
    pool_pre_ping would check at every use: a round trip per transaction, about eight per
    answered question in a burst, all on connections used a moment before."""

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as err:
            raise DisconnectionError(f"a pooled connection went away: {err}") from err


def _make_folder(url: str, folder: Path) -> None:
    """The SQLite file's folder (DATA_DIR by default), or one line naming the database: a
    DATA_DIR that is a file or cannot be made was a FileExistsError traceback."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        why = "it is a file" if folder.is_file() else err.strerror or type(err).__name__
        raise DatabaseUnavailable(url, f"cannot make its folder {folder} ({why})") from None


def make_engine(url: str, *, migrate: bool = True) -> Engine:
    """An engine on an up-to-date schema; SQLite gets WAL and a busy timeout for replicas.

    `postgresql://` URLs use psycopg 3 (the `postgres` extra)."""
    url = normalise_url(url)
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            _make_folder(url, Path(path).parent)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()
    elif not url.startswith("postgresql"):
        raise DatabaseUnavailable(
            url,
            "only SQLite (sqlite:///PATH) and PostgreSQL (postgresql://USER:PASS@HOST:PORT/DB) "
            "are supported",
        )
    else:
        try:
            engine = create_engine(url, pool_size=10, max_overflow=20)
        except ModuleNotFoundError as err:
            raise DatabaseUnavailable(
                url, f"its driver is not installed ({err.name}): pip install -e '.[postgres]'"
            ) from None
        ping_when_idle(engine)
    if migrate:
        upgrade(engine)
    return engine
