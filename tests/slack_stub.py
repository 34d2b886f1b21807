"""A local, recording stand-in for Slack's Web API (and response_urls), for tests and bench.

Point a WebClient at `stub.api_url` (it ends with "/") and every call is recorded with its
parameters, whether sent as JSON, a form or a query string. Responses look like Slack's:
`auth.test` names the bot, `chat.postMessage` returns a fresh `ts` and the message is kept
so `conversations.replies` / `conversations.history` can return it later.

Faults can be injected per method: HTTP 429 with Retry-After, HTTP 5xx, an `ok: false` error
such as `invalid_auth`, a connection reset before the call is processed (`drop=True`) or
after Slack processed it (`drop_after=True`: the message is posted, the response is lost),
a request held until the caller times out and never processed (`hang=20`), one held and then
answered as usual (`slow(method, 3)`: Slack slow, not failing), and an outage: every call
answered HTTP 503 for some seconds (`outage(25)`). Message `metadata` is kept and returned
by conversations.replies/history with include_all_metadata.

Split by what each part holds: a recorded call (tests.slack_calls), the HTTP side
(tests.slack_stub_http), fault injection (tests.slack_stub_faults), the answers
(tests.slack_stub_answers), and the checks against Slack's published shapes
(tests.slack_spec); the names tests and bench use are importable from here too.

    with SlackStub() as stub:
        client = WebClient(token="xoxb-test", base_url=stub.api_url)
        stub.fail("chat.postMessage", status=429, retry_after=1)
        ...
        calls = stub.wait_for("chat.postMessage", count=1)
"""

from __future__ import annotations

import itertools
import threading
import time
from http.server import ThreadingHTTPServer
from typing import Any

from tests.slack_calls import Call
from tests.slack_spec import SHARED_SLACK, SPEC_PATH, missing_required, shared_file
from tests.slack_stub_answers import SlackAnswers
from tests.slack_stub_faults import Fault, FaultInjection
from tests.slack_stub_http import StubHandler

__all__ = [
    "SHARED_SLACK",
    "SPEC_PATH",
    "Call",
    "Fault",
    "SlackStub",
    "missing_required",
    "shared_file",
]


class SlackStub(FaultInjection, SlackAnswers):
    """A threaded HTTP server that speaks enough of the Slack Web API for the app."""

    def __init__(
        self,
        *,
        bot_user_id: str = "UCOACHBOT",
        bot_id: str = "BCOACHBOT",
        team_id: str = "T0STUB",
        valid_tokens: tuple[str, ...] | None = None,
        latency: float = 0.0,
    ) -> None:
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.team_id = team_id
        self.valid_tokens = valid_tokens  # None: any xox* token is accepted
        self.latency = latency
        self.keeps_metadata = True  # False: a workspace stand-in that drops message metadata
        self.socket_mode_url: str | None = None
        self.calls: list[Call] = []
        self.messages: dict[str, list[dict[str, Any]]] = {}  # channel -> messages, oldest first
        self.users: dict[str, dict[str, Any]] = {}
        self._faults: list[Fault] = []
        self._cond = threading.Condition()
        self._ts = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle -------------------------------------------------------------------
    def start(self) -> SlackStub:
        stub = self

        class Handler(StubHandler):
            owner = stub

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> SlackStub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the stub first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        """What to pass as WebClient(base_url=...) / SLACK_API_URL."""
        return f"{self.base_url}/api/"

    def response_url(self, name: str = "r1") -> str:
        """A response_url the app can post to; posts are recorded as method "response_url"."""
        return f"{self.base_url}/response/{name}"

    # ---- test controls (faults: tests.slack_stub_faults) ------------------------------
    def reset(self) -> None:
        """Forget calls, messages and faults (between tests sharing one stub)."""
        with self._cond:
            self.calls.clear()
            self.messages.clear()
            self._faults.clear()
            self.latency = 0.0
            self.valid_tokens = None
            self.keeps_metadata = True

    def seed_message(
        self,
        channel: str,
        ts: str,
        text: str,
        *,
        user: str = "UHUMAN",
        thread_ts: str | None = None,
        bot_id: str | None = None,
    ) -> dict[str, Any]:
        """Put a message in a channel as if a person (or bot) had posted it."""
        msg: dict[str, Any] = {"type": "message", "ts": ts, "text": text, "user": user}
        if thread_ts:
            msg["thread_ts"] = thread_ts
        if bot_id:
            msg["bot_id"] = bot_id
        with self._cond:
            self.messages.setdefault(channel, []).append(msg)
        return msg

    def calls_to(self, method: str) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if c.method == method]

    def posts(self) -> list[Call]:
        """Every message the app made visible: posts, ephemerals, updates, response_urls."""
        wanted = {"chat.postMessage", "chat.postEphemeral", "chat.update", "response_url"}
        with self._cond:
            return [c for c in self.calls if c.method in wanted and c.status == 200]

    def wait_for(self, method: str, count: int = 1, timeout: float = 20.0) -> list[Call]:
        """Block until `count` successful calls of `method` were recorded; return them."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [
                    c
                    for c in self.calls
                    if c.method == method and c.status == 200 and c.response.get("ok", True)
                ]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [(c.method, c.status) for c in self.calls]
                    raise AssertionError(
                        f"expected {count} {method} call(s) within {timeout}s; saw {seen}"
                    )
                self._cond.wait(remaining)

    # ---- request handling (called from server threads) --------------------------------
    def _record(self, call: Call) -> None:
        with self._cond:
            self.calls.append(call)
            self._cond.notify_all()
