"""The app's database (DATABASE_URL; an SQLite file under DATA_DIR by default).

Every table the bot keeps lives on this one MetaData so `create_all` makes them together.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, MetaData, create_engine, event

metadata = MetaData()


def make_engine(url: str) -> Engine:
    """An engine with every table created; SQLite gets WAL and a busy timeout for replicas."""
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()
    else:
        engine = create_engine(url, pool_pre_ping=True)
    # Import the modules that declare tables so they register on `metadata`.
    import_table_modules()
    metadata.create_all(engine)
    return engine


def import_table_modules() -> None:
    """Tables are declared next to the code that uses them; load them all here."""
    import importlib

    for name in ("bot.quote_ledger", "bot.feedback"):
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
