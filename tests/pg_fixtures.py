"""A throwaway PostgreSQL 15 server for the test session, and database URLs per test.

The server is started from the installed binaries (PG_BIN, else `pg_config --bindir`).
PostgreSQL refuses to run as root, and CI runs as root, so there the server runs as the
`postgres` user with its data directory under /tmp owned by it. If the server cannot start
the session FAILS: Postgres tests are never skipped.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


def pg_bin() -> Path:
    """Where initdb and pg_ctl are: $PG_BIN, else what `pg_config --bindir` says (Debian's
    postgresql-15 package), else the folder of an `initdb` on PATH."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    if shutil.which("pg_config"):
        found = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        if found.returncode == 0 and (Path(found.stdout.strip()) / "initdb").exists():
            return Path(found.stdout.strip())
    initdb = shutil.which("initdb")
    if initdb is None:
        pytest.fail(
            "PostgreSQL server binaries not found: install postgresql-15 "
            "(apt-get install -y postgresql-15) or set PG_BIN to the folder holding pg_ctl",
            pytrace=False,
        )
    return Path(initdb).parent


SUPERUSER = "coach"
_names = itertools.count(1)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user(argv: list[str]) -> list[str]:
    """Run a server binary as `postgres` when we are root (initdb/postgres refuse root)."""
    if os.geteuid() != 0:
        return argv
    runuser = shutil.which("runuser")
    if runuser is None:
        pytest.fail("running as root and `runuser` is missing: cannot start PostgreSQL")
    return [runuser, "-u", "postgres", "--", *argv]


@dataclass
class PostgresServer:
    """A running server; `new_database()` gives each test an empty schema of its own.

    A schema (via the URL's search_path) rather than a CREATE DATABASE per test: the latter
    takes a second or more, a schema a few milliseconds, and both start empty.
    """

    port: int
    data_dir: Path
    dbname: str = "coach_tests"
    options: str = ""  # the server's command-line options, to start it again as it was

    def url(self, dbname: str | None = None) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{dbname or self.dbname}"

    def _connect(self, dbname: str) -> Any:
        import psycopg

        return psycopg.connect(
            f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname={dbname}", autocommit=True
        )

    def create(self) -> None:
        with self._connect("postgres") as conn:
            conn.execute(f'CREATE DATABASE "{self.dbname}"')

    def new_database(self, prefix: str = "t") -> str:
        """A URL whose every connection works in a new, empty schema."""
        name = f"{prefix}_{os.getpid()}_{next(_names)}"
        with self._connect(self.dbname) as conn:
            conn.execute(f'CREATE SCHEMA "{name}"')
        return f"{self.url()}?options=-csearch_path%3D{name}"


def _run(argv: list[str], what: str) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        pytest.fail(
            f"PostgreSQL {what} failed ({' '.join(argv)}):\n{done.stdout}\n{done.stderr}",
            pytrace=False,
        )


def start_postgres() -> PostgresServer:
    """initdb + pg_ctl start on a free port; fails the session loudly on any problem."""
    bindir = pg_bin()
    for binary in ("initdb", "pg_ctl"):
        if not (bindir / binary).exists():
            pytest.fail(
                f"{bindir / binary} not found: install PostgreSQL 15 "
                "(apt-get install -y postgresql-15) or set PG_BIN",
                pytrace=False,
            )
    data_dir = Path(tempfile.mkdtemp(prefix="coach-pg-"))
    if os.geteuid() == 0:
        shutil.chown(data_dir, "postgres", "postgres")
    pgdata = data_dir / "data"
    _run(
        _as_server_user(
            [
                str(bindir / "initdb"),
                "-D",
                str(pgdata),
                "-U",
                SUPERUSER,
                "-A",
                "trust",
                "--no-sync",
                "-E",
                "UTF8",
            ]
        ),
        "initdb",
    )
    port = _free_port()
    options = (
        f"-p {port} -k {data_dir} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
    )
    server = PostgresServer(port=port, data_dir=data_dir, options=options)
    _pg_ctl_start(server)
    server.create()
    return server


def _pg_ctl_start(server: PostgresServer) -> None:
    """Start the server in `server.data_dir` with its options, waiting until it is up."""
    log = str(server.data_dir / "server.log")
    pg_ctl = [str(pg_bin() / "pg_ctl"), "-D", str(server.data_dir / "data"), "-o", server.options]
    _run(_as_server_user([*pg_ctl, "-l", log, "-w", "-t", "60", "start"]), "start")


def database_outage(server: PostgresServer, seconds: float) -> None:
    """Stop the server (its connections dropped) for `seconds`, then start it as it was."""
    pg_ctl = [str(pg_bin() / "pg_ctl"), "-D", str(server.data_dir / "data"), "-w"]
    _run(_as_server_user([*pg_ctl, "-m", "fast", "stop"]), "stop")
    time.sleep(seconds)
    _pg_ctl_start(server)


def stop_postgres(server: PostgresServer) -> None:
    subprocess.run(
        _as_server_user(
            [
                str(pg_bin() / "pg_ctl"),
                "-D",
                str(server.data_dir / "data"),
                "-m",
                "immediate",
                "-w",
                "stop",
            ]
        ),
        capture_output=True,
        timeout=60,
    )
    shutil.rmtree(server.data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = start_postgres()
    try:
        yield server
    finally:
        stop_postgres(server)


def database_url_for(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of the given backend for one test."""
    if backend == "sqlite":
        return f"sqlite:///{(tmp_path / 'coach.db').as_posix()}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.new_database()


BACKENDS = ["sqlite", "postgres"]
