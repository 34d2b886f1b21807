"""Schema migrations (Alembic, under bot/store/migrations), run under a lock.

Several replicas may start together on an empty database: each takes the lock
(`pg_advisory_lock` on PostgreSQL, a lock file beside an SQLite database), finds the schema
already at head if another replica got there first, and carries on. A database made by an
older version with `create_all` (no `alembic_version` table) is upgraded in place: the first
migration creates only the tables that are missing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from filelock import FileLock
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError, OperationalError

from index.errors import CoachError

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().with_name("migrations")
ADVISORY_LOCK_KEY = 7_320_531_461_297  # any fixed bigint; names "coach schema" for Postgres


class DatabaseUnavailable(CoachError):
    """DATABASE_URL names a database the bot cannot open; says which (password hidden)."""

    def __init__(self, url: str, reason: str, *, unreachable: bool = False) -> None:
        # the driver's first line says what failed; the lines after it are advice such as
        # psycopg's "Is the server running on that host...?", which broke the one-line error
        lines = reason.strip().splitlines()
        reason = lines[0].strip() if lines else "no reason given"
        super().__init__(f"DATABASE_URL={safe_url(url)}: cannot use this database: {reason}")
        # no server answered (down, restarting, not yet up): worth waiting for, unlike a
        # server that refused us (no such role or database, a wrong password)
        self.unreachable = unreachable


def _unreachable(engine: Engine, err: DatabaseError) -> bool:
    """Whether a PostgreSQL server could not be reached at all (connection refused, timed
    out, host not found) or is starting up or shutting down, rather than refusing us."""
    if engine.url.get_backend_name() != "postgresql" or not isinstance(err, OperationalError):
        return False
    text = str(err.orig or err)
    return "FATAL:" not in text or "the database system is" in text


def normalise_url(url: str) -> str:
    """`postgresql://` and `postgres://` mean psycopg 3 (the `postgres` extra), not psycopg2."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's config built in code: no alembic.ini to find or ship."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


@lru_cache(maxsize=1)
def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, f"no migrations under {MIGRATIONS}"
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None: empty, or made before migrations)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@contextmanager
def _locked(engine: Engine) -> Iterator[Connection]:
    """A connection holding the schema lock, so one process migrates at a time."""
    url = engine.url
    if url.get_backend_name() == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
            conn.commit()
            try:
                yield conn
            finally:
                conn.rollback()
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
                conn.commit()
        return
    database = url.database if url.get_backend_name() == "sqlite" else None
    if database and database != ":memory:" and not database.startswith("file:"):
        with FileLock(f"{database}.migrate-lock", timeout=300), engine.connect() as conn:
            yield conn
        return
    with engine.connect() as conn:  # in-memory SQLite: one process by definition
        yield conn


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Bring the schema to `revision` under the lock; returns (before, after). A database
    that cannot be reached or read is one DatabaseUnavailable naming DATABASE_URL."""
    url = engine.url.render_as_string(hide_password=False)
    try:
        damage = _sqlite_damage(engine)
        if damage is None:
            return _upgrade(engine, revision)
    except DatabaseError as err:  # unreachable, or not a database (a damaged SQLite file)
        reason = str(err.orig or err).strip()
        if not _DAMAGED.search(reason) or engine.url.get_backend_name() != "sqlite":
            raise DatabaseUnavailable(url, reason, unreachable=_unreachable(engine, err)) from None
        damage = reason.splitlines()[0] if reason else "damaged"
    raise DatabaseUnavailable(url, f"{damage}; {_damaged_advice(engine)}")


# what SQLite says of a file that is no database or whose pages are damaged
_DAMAGED = re.compile(r"not a database|malformed|corrupt|damaged", re.IGNORECASE)


def _sqlite_damage(engine: Engine) -> str | None:
    """What SQLite's quick check finds wrong with the database file, or None (sound, or not
    SQLite). A page damaged past the schema was found only when a question touched it:
    every mention answered 503 until Slack gave up on it."""
    if engine.url.get_backend_name() != "sqlite":
        return None
    with engine.connect() as conn:
        found = [str(row[0]) for row in conn.exec_driver_sql("PRAGMA quick_check").fetchall()]
    return None if found == ["ok"] else f"the file is damaged ({found[0][:120]})"


def _damaged_advice(engine: Engine) -> str:
    where = engine.url.database or "the SQLite file"
    return (
        f"move {where} aside (sqlite3's .recover can save what it holds) and start again: "
        "a new, empty database is made (its queued answers, feedback and quote ledger are "
        "in the moved file)"
    )


def _upgrade(engine: Engine, revision: str) -> tuple[str | None, str | None]:
    with _locked(engine) as conn:
        before = MigrationContext.configure(conn).get_current_revision()
        conn.commit()
        if revision == "head" and before == head_revision():
            return before, before
        command.upgrade(alembic_config(conn), revision)
        conn.commit()
        after = MigrationContext.configure(conn).get_current_revision()
        conn.commit()
    if before != after:
        log.info("database schema upgraded from %s to %s", before or "nothing", after)
    return before, after


def safe_url(url: str) -> str:
    """The URL with its password hidden, for logs and messages: the one after the user name
    and one given as a query parameter (`?password=...`, which psycopg accepts too)."""
    parsed = make_url(url)
    query = {k: ("***" if "pass" in k.lower() else v) for k, v in parsed.query.items()}
    shown = parsed.set(query=query).render_as_string(hide_password=True)
    return shown.replace("%2A%2A%2A", "***")
