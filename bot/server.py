"""Running the app: Socket Mode when SLACK_APP_TOKEN is set, otherwise HTTP on PORT.

`serve(settings)` checks the token with auth.test (one clear line and exit code 1 when Slack
rejects it), loads the library once, and serves until SIGINT/SIGTERM. The HTTP server is a
small threading server in front of `app.dispatch`: bodies are capped, reads time out, and
malformed input gets a 4xx and a log line, never a 5xx or a traceback.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from slack_bolt import App, BoltRequest
from slack_sdk.errors import SlackApiError

from bot.app import Coach, build_app, coach_of, install_token_masking, make_client
from bot.settings import Settings

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000  # Slack's payloads are far smaller; anything bigger is not Slack
EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
RECOVERY_INTERVAL_S = 150.0
SHUTDOWN_GRACE_S = 10.0


# ---- HTTP -----------------------------------------------------------------------------
class SlackHTTPServer(ThreadingHTTPServer):
    """One thread per connection; errors are logged in one line, never printed as tracebacks."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512  # a burst of connections must queue, not be refused or delayed

    def __init__(self, address: tuple[str, int], app: App, coach: Coach | None) -> None:
        self.app = app
        self.coach = coach
        super().__init__(address, SlackRequestHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.warning("HTTP connection from %s failed", client_address[0] if client_address else "?")

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class SlackRequestHandler(BaseHTTPRequestHandler):
    server: SlackHTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "LeadershipCoach/1"
    timeout = 15  # a client that stops sending cannot hold a thread forever

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        log.debug("%s %s", self.address_string(), format % args)

    # -- responses --
    def _send(
        self,
        status: int,
        body: bytes | str = b"",
        headers: dict[str, Any] | None = None,
        content_type: str = "text/plain; charset=utf-8",
    ) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        sent_type = False
        for name, values in (headers or {}).items():
            if name.lower() in ("content-length", "connection", "transfer-encoding"):
                continue
            if name.lower() == "content-type":
                sent_type = True
            for value in values if isinstance(values, list | tuple) else [values]:
                self.send_header(name, str(value))
        if not sent_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _reject(self, status: int, reason: str) -> None:
        log.info(
            "rejected %s %s from %s: %s",
            self.command,
            self.path[:100],
            self.client_address[0],
            reason,
        )
        self._send(
            status, json.dumps({"ok": False, "error": reason}), content_type="application/json"
        )

    # -- methods --
    def do_GET(self) -> None:  # noqa: N802
        path = urlsplit(self.path).path
        if path == HEALTH_PATH:
            coach = self.server.coach
            status = {
                "ok": True,
                "passages": len(coach.library.passages) if coach else None,
                "pending": coach.pending if coach else None,
            }
            self._send(200, json.dumps(status), content_type="application/json")
        elif path == EVENTS_PATH:
            self._reject(405, "method_not_allowed")
        else:
            self._reject(404, "not_found")

    def do_HEAD(self) -> None:  # noqa: N802
        self.do_GET()

    def do_PUT(self) -> None:  # noqa: N802
        self._reject(405, "method_not_allowed")

    do_DELETE = do_PATCH = do_OPTIONS = do_PUT

    def do_POST(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        if url.path != EVENTS_PATH:
            self._drain_or_close()
            self._reject(404, "not_found")
            return
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            self.close_connection = True
            self._reject(411, "length_required")
            return
        raw_length = self.headers.get("Content-Length")
        if raw_length is None:
            self.close_connection = True
            self._reject(411, "length_required")
            return
        try:
            length = int(raw_length)
        except ValueError:
            self.close_connection = True
            self._reject(400, "bad_content_length")
            return
        if length < 0:
            self.close_connection = True
            self._reject(400, "bad_content_length")
            return
        if length > MAX_BODY_BYTES:
            self.close_connection = True  # do not read it: the connection is dropped after
            self._reject(413, "payload_too_large")
            return
        try:
            raw = self.rfile.read(length)
        except (TimeoutError, OSError):
            self.close_connection = True
            log.info("client %s stopped sending its request body", self.client_address[0])
            return
        if len(raw) < length:
            self.close_connection = True
            self._reject(400, "incomplete_body")
            return
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            self._reject(400, "body_not_utf8")
            return
        headers: dict[str, str | Sequence[str]] = {k.lower(): v for k, v in self.headers.items()}
        try:
            request = BoltRequest(body=body, query=url.query, headers=headers)
        except Exception as err:
            self._reject(400, f"malformed_body ({type(err).__name__})")
            return
        if not isinstance(request.body, dict):
            self._reject(400, "malformed_body (not an object)")
            return
        try:
            response = self.server.app.dispatch(request)
        except Exception as err:
            log.warning("could not handle a request: %s: %s", type(err).__name__, err)
            self._reject(400, "unprocessable_request")
            return
        status = response.status
        if status >= 500:
            # Bolt answers 500 when a listener raised before ack; the request was still
            # read. Slack would retry a 5xx into the same failure, so say "bad request".
            log.warning("request failed inside the app (HTTP %s); answered 400", status)
            status = 400
        self._send(status, response.body or "", response.headers)

    def _drain_or_close(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if 0 <= length <= MAX_BODY_BYTES:
            try:
                self.rfile.read(length)
                return
            except OSError:
                pass
        self.close_connection = True


def make_http_server(app: App, host: str = "0.0.0.0", port: int = 3000) -> SlackHTTPServer:
    """The HTTP front for `app` (port 0 picks a free one; see `.port`)."""
    try:
        coach: Coach | None = coach_of(app)
    except KeyError:
        coach = None
    return SlackHTTPServer((host, port), app, coach)


# ---- serve ----------------------------------------------------------------------------
def _configure_logging(level: str) -> None:
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    else:
        root.setLevel(level)
    install_token_masking()


def check_token(settings: Settings) -> str | None:
    """None when Slack accepts SLACK_BOT_TOKEN; otherwise the one line to print."""
    client = make_client(settings)
    try:
        client.auth_test()
    except SlackApiError as err:
        error = err.response.get("error") if err.response is not None else None
        if not error and err.response is not None:
            error = f"HTTP {err.response.status_code}"
        return f"Slack rejected SLACK_BOT_TOKEN (auth.test said {error})"
    except Exception as err:
        return (
            f"Could not reach Slack at {settings.slack_api_url} to check SLACK_BOT_TOKEN ("
            f"{type(err).__name__}: {err})"
        )
    return None


def serve(
    settings: Settings,
    *,
    stop: threading.Event | None = None,
    on_ready: Callable[[dict[str, Any]], None] | None = None,
    library: Any = None,
    host: str = "0.0.0.0",
) -> int:
    """Run until stopped; 0 on a clean stop, 1 on a configuration problem (one log line)."""
    _configure_logging(settings.log_level)
    socket_mode = bool(settings.slack_app_token)
    if not settings.slack_bot_token:
        log.error("SLACK_BOT_TOKEN is not set: put the bot token (xoxb-...) in .env")
        return 1
    if not socket_mode and not settings.slack_signing_secret:
        log.error(
            "SLACK_SIGNING_SECRET is not set: HTTP mode needs it to verify requests from "
            "Slack (or set SLACK_APP_TOKEN to use Socket Mode)"
        )
        return 1
    if socket_mode and not str(settings.slack_app_token).startswith("xapp-"):
        log.error("SLACK_APP_TOKEN must be an app-level token starting with xapp-")
        return 1
    problem = check_token(settings)
    if problem:
        log.error(problem)
        return 1

    from bot.store.engine import make_engine

    try:
        if library is None:
            from index.library import Library

            library = Library.open(
                settings.content_dir, settings.index_dir, settings.embedding_model
            )
        engine = make_engine(settings.db_url)
        app = build_app(settings, library, engine, socket_mode=socket_mode)
    except Exception as err:
        log.error("could not start: %s: %s", type(err).__name__, err)
        return 1
    coach = coach_of(app)

    stop = stop or threading.Event()
    _install_signal_handlers(stop)
    _start_recovery(coach, stop)
    scheduler = _start_scheduler(settings, library, coach, engine)
    try:
        if socket_mode:
            return _run_socket_mode(app, settings, stop, on_ready)
        return _run_http(app, settings, stop, on_ready, host)
    finally:
        if scheduler is not None:
            try:
                scheduler.stop()
            except Exception as err:
                log.warning("stopping the daily quote scheduler failed: %s", err)
        if not coach.wait_idle(SHUTDOWN_GRACE_S):
            log.warning("stopping with work unfinished; it is answered after the next start")
        coach.shutdown(wait=False)


def _start_recovery(coach: Coach, stop: threading.Event) -> None:
    """Now and every few minutes: answer questions an earlier run claimed but never answered
    (a crash, or a restart with work queued). A question is only taken once it is a couple
    of minutes old, so one still in flight in another replica is left alone."""
    from bot.listeners.events.questions import recover_pending

    def loop() -> None:
        while not stop.is_set():
            coach.submit(recover_pending, coach)
            stop.wait(RECOVERY_INTERVAL_S)

    threading.Thread(target=loop, name="recovery", daemon=True).start()


def _start_scheduler(settings: Settings, library: Any, coach: Coach, engine: Any) -> Any:
    if not settings.quote_channel:
        return None
    try:
        from bot.daily_quote import start_scheduler
    except ImportError:
        log.info("daily quote is not available in this build")
        return None
    try:
        return start_scheduler(settings, library, coach.client, engine)
    except Exception as err:
        log.error("daily quote scheduler did not start: %s", err)
        return None


def _install_signal_handlers(stop: threading.Event) -> None:
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())


def _run_http(
    app: App,
    settings: Settings,
    stop: threading.Event,
    on_ready: Callable[[dict[str, Any]], None] | None,
    host: str,
) -> int:
    try:
        server = make_http_server(app, host, settings.port)
    except OSError as err:
        log.error("cannot listen on port %s: %s", settings.port, err.strerror or err)
        return 1
    thread = threading.Thread(target=server.serve_forever, name="http", daemon=True)
    thread.start()
    log.info("Leadership Coach listening on http://%s:%s%s", host, server.port, EVENTS_PATH)
    if on_ready:
        on_ready({"mode": "http", "port": server.port, "app": app})
    try:
        stop.wait()
    finally:
        server.shutdown()
        server.server_close()
    log.info("stopped")
    return 0


def _run_socket_mode(
    app: App,
    settings: Settings,
    stop: threading.Event,
    on_ready: Callable[[dict[str, Any]], None] | None,
) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    handler = SocketModeHandler(app, settings.slack_app_token)
    try:
        handler.connect()
    except SlackApiError as err:
        error = err.response.get("error") if err.response is not None else None
        log.error("Slack rejected SLACK_APP_TOKEN (apps.connections.open said %s)", error)
        return 1
    except Exception as err:
        log.error("could not open a Socket Mode connection: %s: %s", type(err).__name__, err)
        return 1
    log.info("Leadership Coach connected to Slack over Socket Mode")
    if on_ready:
        on_ready({"mode": "socket", "app": app, "handler": handler})
    try:
        stop.wait()
    finally:
        handler.close()
    log.info("stopped")
    return 0
