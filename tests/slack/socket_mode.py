"""Running the real `serve()` in a thread, and a local server speaking Slack's Socket Mode
envelope protocol, shared by the serve and Socket Mode tests."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.slack_fixtures import make_settings
from tests.slack_stub import SlackStub
from tests.slack_workspace import APP_TOKEN


class Served:
    def __init__(self, settings: Any, library: Any) -> None:
        from bot.slack.serve import serve

        self.stop = threading.Event()
        self.ready = threading.Event()
        self.info: dict[str, Any] = {}
        self.code: int | None = None

        def on_ready(info: dict[str, Any]) -> None:
            self.info = info
            self.ready.set()

        def run() -> None:
            self.code = serve(
                settings, stop=self.stop, on_ready=on_ready, library=library, host="127.0.0.1"
            )
            self.ready.set()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        assert self.ready.wait(60), "serve() did not start"

    def close(self) -> int | None:
        self.stop.set()
        self.thread.join(30)
        return self.code


class FakeSocketModeServer:
    """Speaks Slack's Socket Mode envelope protocol on ws://127.0.0.1:PORT/link."""

    def __init__(self) -> None:
        from websockets.sync.server import serve

        self.acks: list[dict[str, Any]] = []
        self.outbox: list[dict[str, Any]] = []
        self.sent = 0  # envelopes sent, over whichever connection was open
        self.connections: list[Any] = []
        self.connected = threading.Event()
        self._cond = threading.Condition()
        self._server = serve(self._handler, "127.0.0.1", 0)
        self.port = self._server.socket.getsockname()[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/link/?ticket=abc&app_id=A0COACH"

    def send(self, envelope: dict[str, Any]) -> None:
        with self._cond:
            self.outbox.append(envelope)
            self._cond.notify_all()

    def wait_ack(self, envelope_id: str, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for ack in self.acks:
                    if ack.get("envelope_id") == envelope_id:
                        return ack
                left = deadline - time.monotonic()
                assert left > 0, f"no ack for {envelope_id}; got {self.acks}"
                self._cond.wait(left)

    def _handler(self, ws: Any) -> None:
        from websockets.exceptions import ConnectionClosed

        ws.send(json.dumps({"type": "hello", "num_connections": 1, "connection_info": {}}))
        with self._cond:
            self.connections.append(ws)
            self._cond.notify_all()
        self.connected.set()
        try:
            while True:
                with self._cond:
                    pending = self.outbox[self.sent :] if ws is self.connections[-1] else []
                    self.sent += len(pending)
                for envelope in pending:
                    ws.send(json.dumps(envelope))
                try:
                    raw = ws.recv(timeout=0.05)
                except TimeoutError:
                    continue
                if isinstance(raw, str):
                    with self._cond:
                        self.acks.append(json.loads(raw))
                        self._cond.notify_all()
        except ConnectionClosed:
            return

    def drop(self) -> None:
        """The open connection ends without a close frame, as a network drop or a proxy's
        reset ends it."""
        with self._cond:
            ws = self.connections[-1]
        ws.socket.shutdown(socket.SHUT_RDWR)

    def wait_connections(self, count: int, timeout: float = 45) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.connections) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"{len(self.connections)} connection(s), expected {count}"
                self._cond.wait(left)

    def close(self) -> None:
        self._server.shutdown()


@pytest.fixture
def socket_server() -> Iterator[FakeSocketModeServer]:
    server = FakeSocketModeServer()
    yield server
    server.close()


class SocketSession:
    """A running serve() in Socket Mode and a way to push envelopes and wait for acks."""

    def __init__(self, stub: SlackStub, server: FakeSocketModeServer, served: Served) -> None:
        self.stub = stub
        self.server = server
        self.served = served
        self._n = 0

    def push(self, kind: str, payload: Any, *, response: bool = False) -> dict:
        self._n += 1
        envelope_id = f"env-{self._n}"
        self.server.send(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "accepts_response_payload": response,
                "retry_attempt": 0,
                "retry_reason": "",
                "payload": payload,
            }
        )
        return self.server.wait_ack(envelope_id)


@pytest.fixture
def socket_session(
    slack_stub: SlackStub,
    shipped_library: Any,
    tmp_path: Path,
    socket_server: FakeSocketModeServer,
) -> Iterator[SocketSession]:
    """A real serve() connected over Socket Mode; it must stop cleanly afterwards."""
    slack_stub.socket_mode_url = socket_server.url
    settings = make_settings(
        slack_stub, tmp_path / "data", slack_app_token=APP_TOKEN, slack_signing_secret=None
    )
    served = Served(settings, shipped_library)
    try:
        assert served.info["mode"] == "socket"
        assert socket_server.connected.wait(30)
        yield SocketSession(slack_stub, socket_server, served)
    finally:
        assert served.close() == 0
