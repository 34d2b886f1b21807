"""`coach serve` started during an outage (a replica restarted while Slack or the database
is down): it waits for them and comes up when they answer, instead of exiting."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import bot.slack.serve as serve_module
from tests.pg_fixtures import PostgresServer
from tests.slack.socket_mode import Served
from tests.slack_fixtures import make_settings
from tests.slack_stub import SlackStub


def test_slack_answering_503_at_start_up_is_waited_out_not_called_a_rejected_token(
    slack_stub: SlackStub,
    shipped_library: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(serve_module, "TOKEN_RECHECK_SECONDS", 0.2, raising=False)
    slack_stub.fail("auth.test", status=503, times=5)  # more than slack_sdk's own retries
    served = Served(make_settings(slack_stub, tmp_path / "data"), shipped_library)
    try:
        assert served.code is None and served.info["mode"] == "http"  # up, serving
        statuses = [c.status for c in slack_stub.calls_to("auth.test")]
        assert statuses[-1] == 200 and statuses.count(503) == 5
        assert "rejected" not in caplog.text
        assert "Slack answered auth.test with HTTP 503" in caplog.text
    finally:
        assert served.close() == 0


class LateDatabase:
    """A port where the database comes up late: nothing listens until `open()`, then every
    connection is forwarded to the real server."""

    def __init__(self, server: PostgresServer) -> None:
        self.server = server
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]

    def url(self) -> str:
        return self.server.new_database().replace(f":{self.server.port}/", f":{self.port}/")

    def open(self) -> None:
        listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            client, _ = listener.accept()
            upstream = socket.create_connection(("127.0.0.1", self.server.port))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pipe, args=(a, b), daemon=True).start()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        sink.close()


def test_a_database_not_up_yet_at_start_up_is_waited_for(
    slack_stub: SlackStub,
    shipped_library: Any,
    postgres_server: PostgresServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Replicas started before their PostgreSQL (or while it restarts) come up when it does;
    before, each exited 1 at once and stayed down."""
    from bot.slack.serve import serve

    monkeypatch.setattr(serve_module, "DB_RECHECK_SECONDS", 0.2, raising=False)
    database = LateDatabase(postgres_server)
    settings = make_settings(slack_stub, tmp_path / "data", database_url=database.url())
    stop, ready = threading.Event(), threading.Event()
    codes: list[int] = []

    def run() -> None:
        codes.append(
            serve(
                settings,
                stop=stop,
                on_ready=lambda _: ready.set(),
                library=shipped_library,
                host="127.0.0.1",
            )
        )
        ready.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while "trying again every" not in caplog.text and not codes and time.monotonic() < deadline:
        time.sleep(0.05)
    assert codes == [] and "Connection refused" in caplog.text  # waiting, said why
    database.open()
    try:
        assert ready.wait(60) and codes == []  # up, serving
    finally:
        stop.set()
        thread.join(30)
    assert codes == [0]
