"""Serving the app over HTTP: Bolt's own WSGI adapter under waitress.

waitress bounds what a client can do (body size, idle connections, a deep listen backlog for
bursts); the small WSGI guard in front answers /healthz and turns anything that is not a
well-formed Slack request into a 4xx with one log line, never a 5xx or a traceback. /healthz
answers 503 while the health report says not ok (the database unreachable). The
guard checks the Slack signature itself before Bolt sees the request: Bolt logs a refused
request with its whole body, so each forged or stale request (up to 1 MB, maybe someone's
question) became a log line that long.
"""

from __future__ import annotations

import io
import json
import logging
import socket
import threading
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk.signature import SignatureVerifier
from waitress import wasyncore
from waitress.server import create_server

from bot.slack.payload_guard import payload_problem
from index.errors import CoachError

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000  # Slack's payloads are far smaller; anything bigger is not Slack
EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"

StartResponse = Callable[..., Any]
Health = Callable[[], dict[str, Any]]


class SlackEndpoint:
    """The WSGI app: /healthz, and /slack/events checked, then handed to Bolt's adapter."""

    def __init__(self, app: App, health: Health, signing_secret: str | None = None) -> None:
        self.bolt = SlackRequestHandler(app, path=EVENTS_PATH)
        self.health = health
        self.verifier = SignatureVerifier(signing_secret) if signing_secret else None

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "")
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            report = self.health()
            return _json(start_response, 200 if report.get("ok") else 503, report)
        if path != EVENTS_PATH:
            return self._reject(environ, start_response, 404, "not_found")
        if method != "POST":
            return self._reject(environ, start_response, 405, "method_not_allowed")
        raw_length = environ.get("CONTENT_LENGTH")
        if not raw_length:
            return self._reject(environ, start_response, 411, "length_required")
        length = int(raw_length)  # waitress has already refused a non-number or a huge one
        raw = environ["wsgi.input"].read(length)
        if len(raw) < length:
            return self._reject(environ, start_response, 400, "incomplete_body")
        try:
            body = raw.decode("utf-8")
            parsed = json.loads(body) if body.lstrip().startswith(("{", "[", '"')) else None
        except UnicodeDecodeError:
            return self._reject(environ, start_response, 400, "body_not_utf8")
        except ValueError:
            return self._reject(environ, start_response, 400, "malformed_body (not json)")
        if parsed is not None and not isinstance(parsed, dict):
            return self._reject(environ, start_response, 400, "malformed_body (not an object)")
        if not self._signed(raw, environ):
            return self._reject(environ, start_response, 401, "invalid or stale Slack signature")
        problem = _bolt_problem(body, parsed, environ.get("CONTENT_TYPE", ""))
        if problem:
            return self._reject(environ, start_response, 400, problem)
        environ["wsgi.input"] = io.BytesIO(raw)
        return self._dispatch(environ, start_response)

    def _signed(self, raw: bytes, environ: dict[str, Any]) -> bool:
        if self.verifier is None:
            return True
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
        signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
        try:
            return self.verifier.is_valid(raw, timestamp, signature)
        except ValueError:  # a timestamp that is not a number
            return False

    def _dispatch(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        answered: list[Any] = []

        def capture(status: str, headers: list[tuple[str, str]], *exc: Any) -> Any:
            answered[:] = [status, headers]
            return lambda _data: None

        try:
            body = b"".join(self.bolt(environ, capture))
        except Exception as err:
            log.warning("could not handle a request: %s: %s", type(err).__name__, err)
            return self._reject(environ, start_response, 400, "unprocessable_request")
        status, headers = answered
        if int(status.split()[0]) >= 500 and not status.startswith("503"):
            # Bolt answers 500 when a listener raised before ack; the request was still
            # read. Slack would retry a 5xx into the same failure, so say "bad request".
            # (503 is the app's own "the database cannot take it now": retrying is wanted.)
            log.warning("request failed inside the app (HTTP %s); answered 400", status)
            status = "400 Bad Request"
        start_response(status, headers)
        return [body]

    def _reject(
        self, environ: dict[str, Any], start_response: StartResponse, status: int, reason: str
    ) -> Iterable[bytes]:
        log.info(
            "rejected %s %s from %s: %s",
            environ.get("REQUEST_METHOD"),
            str(environ.get("PATH_INFO"))[:100],
            environ.get("REMOTE_ADDR"),
            reason,
        )
        return _json(start_response, status, {"ok": False, "error": reason})


def _bolt_problem(body: str, parsed: Any, content_type: str) -> str | None:
    """What Bolt would trip over in a signed request (bot.slack.payload_guard, as for Socket
    Mode): the JSON body, or a form's `payload`; None when it is fine or not such a body."""
    if parsed is not None:
        return payload_problem(parsed)
    if "application/x-www-form-urlencoded" not in content_type:
        return None
    raw = parse_qs(body).get("payload")
    try:
        payload = json.loads(raw[0]) if raw else None
    except ValueError:  # Bolt refuses broken JSON itself, quietly
        return None
    return None if payload is None else payload_problem(payload)


def _json(start_response: StartResponse, status: int, data: dict[str, Any]) -> Iterable[bytes]:
    body = json.dumps(data).encode()
    start_response(
        f"{status} {HTTPStatus(status).phrase}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
    )
    return [body]


class PortUnavailable(CoachError):
    """PORT cannot be listened on (another process has it, or it is not ours to take)."""

    def __init__(self, port: int, reason: str) -> None:
        super().__init__(f"cannot listen on PORT={port}: {reason}")


def reserve_port(host: str, port: int) -> socket.socket:
    """The socket the server will listen on, bound now: a PORT in use is found before the
    model loads (seconds), not after. Nothing is accepted until the server starts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as waitress does
    try:
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        raise PortUnavailable(port, err.strerror or str(err)) from None
    return sock


class HttpServer:
    """waitress serving one WSGI app; `serve_forever` in a thread, `shutdown` from another."""

    def __init__(
        self,
        wsgi: Callable[..., Iterable[bytes]],
        host: str,
        port: int,
        sock: socket.socket | None = None,
    ) -> None:
        where: dict[str, Any] = {"sockets": [sock]} if sock else {"host": host, "port": port}
        self._server = create_server(
            wsgi,
            **where,
            threads=16,
            backlog=1024,  # a burst of connections must queue, not be refused
            connection_limit=1000,
            max_request_body_size=MAX_BODY_BYTES,
            channel_timeout=15,  # a client that stops sending cannot hold a connection
            ident="LeadershipCoach",
        )
        self._stop = threading.Event()
        self._stopped = threading.Event()

    @property
    def port(self) -> int:
        return int(self._server.effective_port)  # type: ignore[union-attr]

    def serve_forever(self) -> None:
        socket_map = self._server._map  # type: ignore[union-attr]
        try:
            while not self._stop.is_set():
                wasyncore.loop(timeout=0.2, map=socket_map, count=1)
        finally:
            wasyncore.close_all(socket_map)
            self._server.task_dispatcher.shutdown()  # type: ignore[union-attr]
            self._stopped.set()

    def shutdown(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._stopped.wait(timeout)

    def server_close(self) -> None:
        """Kept for callers written against http.server; shutdown() closed everything."""


def make_http_server(
    app: App,
    host: str = "0.0.0.0",
    port: int = 3000,
    *,
    health: Health | None = None,
    signing_secret: str | None = None,
    sock: socket.socket | None = None,
) -> HttpServer:
    """The HTTP front for `app` (port 0 picks a free one; see `.port`), on `sock` when it was
    reserved beforehand; with the signing secret, requests not signed by Slack are refused
    before Bolt sees them."""
    endpoint = SlackEndpoint(app, health or (lambda: {"ok": True}), signing_secret)
    return HttpServer(endpoint, host, port, sock)
