"""/healthz tells a load balancer whether this replica can take questions: it stores each one
in the database before acking Slack, so with the database unreachable it answers 503."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.pg_fixtures import PostgresServer
from tests.slack_fixtures import SlackApp, running_app
from tests.slack_stub import SlackStub


def healthz(app: SlackApp) -> tuple[int, dict[str, Any]]:
    url = f"http://127.0.0.1:{app.server.port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def healthz_until(app: SlackApp, status: int) -> tuple[int, dict[str, Any]]:
    """Probe as a load balancer does, every half second, until `status` (or give up)."""
    deadline = time.monotonic() + 60
    answer = healthz(app)
    while answer[0] != status and time.monotonic() < deadline:
        time.sleep(0.5)
        answer = healthz(app)
    return answer


@pytest.fixture
def own_database(postgres_server: PostgresServer) -> Iterator[tuple[str, str]]:
    """A whole PostgreSQL database (name, URL) that a test may close to connections."""
    name = f"healthz_{int(time.time() * 1000)}"
    with postgres_server._connect("postgres") as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name, postgres_server.url(name)
    finally:
        with postgres_server._connect("postgres") as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_healthz_is_503_while_the_database_is_unreachable_and_ok_again_after(
    slack_stub: SlackStub,
    shipped_library: Any,
    tmp_path: Path,
    postgres_server: PostgresServer,
    own_database: tuple[str, str],
) -> None:
    name, url = own_database
    with running_app(slack_stub, shipped_library, tmp_path / "data", database_url=url) as app:
        status, report = healthz(app)
        assert status == 200 and report["ok"] is True and report["passages"] > 0

        with postgres_server._connect("postgres") as conn:  # the database goes away
            conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
        status, report = healthz_until(app, 503)
        assert status == 503 and report["ok"] is False
        assert "database" in report["error"]
        shown = json.dumps(report)
        assert name not in shown and "postgresql" not in shown and "127.0.0.1" not in shown

        with postgres_server._connect("postgres") as conn:  # and comes back
            conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        status, report = healthz_until(app, 200)
        assert status == 200 and report["ok"] is True
