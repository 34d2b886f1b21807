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

    with SlackStub() as stub:
        client = WebClient(token="xoxb-test", base_url=stub.api_url)
        stub.fail("chat.postMessage", status=429, retry_after=1)
        ...
        calls = stub.wait_for("chat.postMessage", count=1)
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

# Slack's published shapes live in ../shared/slack beside the checkout (not in the repo).
SHARED_SLACK = Path(__file__).resolve().parents[1].parent / "shared" / "slack"
SPEC_PATH = SHARED_SLACK / "slack_web_openapi_v2_without_examples.json"


def shared_file(path: Path) -> Path:
    """`path` under ../shared/slack; missing is an error, never a check silently skipped."""
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: the tests check every Slack payload against the files in "
            f"{SHARED_SLACK} (../shared/slack next to the checkout). Put them there."
        )
    return path


JSON_FIELDS = ("blocks", "attachments", "view", "metadata", "prompts")


@dataclass
class Call:
    """One request the app made: a Web API method or a response_url post."""

    method: str  # e.g. "chat.postMessage", or "response_url" for a response_url post
    params: dict[str, Any]  # query + form/JSON body merged; blocks/view decoded from JSON
    headers: dict[str, str]
    token: str | None
    path: str
    raw_body: bytes = b""
    status: int = 200  # what the stub answered
    response: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)

    @property
    def text(self) -> str:
        return str(self.params.get("text") or "")

    @property
    def blocks(self) -> list[dict[str, Any]]:
        blocks = self.params.get("blocks")
        return blocks if isinstance(blocks, list) else []


@dataclass
class Fault:
    method: str  # a method name, "response_url", or "*" for any
    times: int
    status: int = 200
    retry_after: float | None = None
    error: str | None = None  # an ok:false error code, e.g. "invalid_auth"
    drop: bool = False  # close the connection without answering
    drop_after: bool = False  # process the call (e.g. post the message), then drop the reply
    until: float | None = None  # an outage: applies to every call until this monotonic time
    hang: float = 0.0  # hold the request this long, then drop it unprocessed (a timeout)
    where: Callable[[Call], bool] | None = None  # only calls this says yes to (e.g. a channel)


class SlackStub:
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

        class Handler(_StubHandler):
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

    # ---- test controls ---------------------------------------------------------------
    def reset(self) -> None:
        """Forget calls, messages and faults (between tests sharing one stub)."""
        with self._cond:
            self.calls.clear()
            self.messages.clear()
            self._faults.clear()
            self.latency = 0.0
            self.valid_tokens = None
            self.keeps_metadata = True

    def fail(
        self,
        method: str,
        *,
        status: int = 200,
        retry_after: float | None = None,
        error: str | None = None,
        drop: bool = False,
        drop_after: bool = False,
        hang: float = 0.0,
        times: int = 1,
        where: Callable[[Call], bool] | None = None,
    ) -> None:
        """Make the next `times` calls of `method` (those `where` says yes to, if given) fail
        this way, then behave normally."""
        if status == 200 and error is None and not (drop or drop_after or hang):
            raise ValueError("a fault needs a status, an error, drop, drop_after or hang")
        with self._cond:
            self._faults.append(
                Fault(
                    method,
                    times,
                    status,
                    retry_after,
                    error,
                    drop or bool(hang),
                    drop_after=drop_after,
                    hang=hang,
                    where=where,
                )
            )

    def slow(self, method: str, seconds: float, *, times: int = 1) -> None:
        """Hold the next `times` calls of `method` `seconds` each, then answer them as usual
        (Slack slow, not failing); `faults_left` says when such a call has arrived."""
        with self._cond:
            self._faults.append(Fault(method, times, hang=seconds))

    def outage(
        self,
        seconds: float,
        *,
        status: int = 503,
        method: str = "*",
        retry_after: float | None = None,
        hang: float = 0.0,
    ) -> None:
        """Answer every call (of `method`) with HTTP `status` (and `Retry-After`) for the
        next `seconds`; with `hang`, hold each call that long and drop it unprocessed."""
        with self._cond:
            self._faults.append(
                Fault(
                    method,
                    1,
                    status,
                    retry_after,
                    drop=bool(hang),
                    until=time.monotonic() + seconds,
                    hang=hang,
                )
            )

    def heal(self) -> None:
        """Take every fault away: Slack answers normally again (calls and messages kept)."""
        with self._cond:
            self._faults.clear()

    def faults_left(self, method: str) -> int:
        """How many calls of `method` the faults set with `fail` will still catch (a fault
        is taken when its call arrives, so 0 also means a hanging call is in flight)."""
        with self._cond:
            return sum(f.times for f in self._faults if f.method == method and f.until is None)

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

    def next_ts(self) -> str:
        n = next(self._ts)
        return f"{1_700_000_000 + n}.{n:06d}"

    # ---- request handling (called from server threads) --------------------------------
    def _take_fault(self, method: str, call: Call) -> Fault | None:
        with self._cond:
            for fault in self._faults:
                if fault.method not in (method, "*"):
                    continue
                if fault.where is not None and not fault.where(call):
                    continue
                if fault.until is not None:
                    if time.monotonic() < fault.until:
                        return fault
                    continue
                if fault.times > 0:
                    fault.times -= 1
                    return fault
        return None

    def _record(self, call: Call) -> None:
        with self._cond:
            self.calls.append(call)
            self._cond.notify_all()

    def _answer(self, call: Call) -> dict[str, Any]:
        """What Slack would answer for a successful transport; ok:false for bad input."""
        p = call.params
        m = call.method
        if m == "response_url":
            return {"ok": True}
        if m in ("apps.connections.open",):
            if not (call.token or "").startswith("xapp-"):
                return {"ok": False, "error": "not_allowed_token_type"}
            if not self.socket_mode_url:
                return {"ok": False, "error": "socket_mode_not_enabled"}
            return {"ok": True, "url": self.socket_mode_url}
        if not call.token:
            return {"ok": False, "error": "not_authed"}
        if self.valid_tokens is not None and call.token not in self.valid_tokens:
            return {"ok": False, "error": "invalid_auth"}
        if m == "auth.test":
            return {
                "ok": True,
                "url": "https://stub-team.slack.com/",
                "team": "Stub Team",
                "user": "leadership_coach",
                "team_id": self.team_id,
                "user_id": self.bot_user_id,
                "bot_id": self.bot_id,
                "is_enterprise_install": False,
            }
        if m in ("chat.postMessage", "chat.postEphemeral", "chat.update"):
            channel = p.get("channel")
            if not channel:
                return {"ok": False, "error": "channel_not_found"}
            if not p.get("text") and not p.get("blocks") and not p.get("attachments"):
                return {"ok": False, "error": "no_text"}
            if m == "chat.postEphemeral":
                if not p.get("user"):
                    return {"ok": False, "error": "user_not_in_channel"}
                return {"ok": True, "message_ts": self.next_ts()}
            if m == "chat.update":
                if not p.get("ts"):
                    return {"ok": False, "error": "message_not_found"}
                return {"ok": True, "channel": channel, "ts": p["ts"], "text": p.get("text", "")}
            ts = self.next_ts()
            msg: dict[str, Any] = {
                "type": "message",
                "ts": ts,
                "text": p.get("text", ""),
                "user": self.bot_user_id,
                "bot_id": self.bot_id,
            }
            if p.get("blocks"):
                msg["blocks"] = p["blocks"]
            if p.get("thread_ts"):
                msg["thread_ts"] = p["thread_ts"]
            if isinstance(p.get("metadata"), dict) and self.keeps_metadata:
                # history returns it (include_all_metadata)
                msg["metadata"] = p["metadata"]
            with self._cond:
                self.messages.setdefault(channel, []).append(msg)
            return {"ok": True, "channel": channel, "ts": ts, "message": msg}
        if m == "conversations.replies":
            channel, ts = p.get("channel"), p.get("ts")
            if not channel or not ts:
                return {"ok": False, "error": "invalid_arguments"}
            with self._cond:
                msgs = [
                    dict(x)
                    for x in self.messages.get(channel, [])
                    if x["ts"] == ts or x.get("thread_ts") == ts
                ]
            if not msgs:
                return {"ok": False, "error": "thread_not_found"}
            msgs.sort(key=lambda x: float(x["ts"]))
            oldest = p.get("oldest")
            if oldest:  # Slack keeps the parent; replies older than `oldest` are left out
                msgs = [x for x in msgs if x["ts"] == ts or float(x["ts"]) >= float(oldest)]
            return {"ok": True, "messages": _metadata_if_asked(msgs, p), "has_more": False}
        if m == "conversations.history":
            channel = p.get("channel")
            if not channel:
                return {"ok": False, "error": "channel_not_found"}
            with self._cond:
                msgs = [
                    dict(x)
                    for x in self.messages.get(channel, [])
                    if not x.get("thread_ts") or x.get("thread_ts") == x["ts"]
                ]
            msgs.sort(key=lambda x: float(x["ts"]), reverse=True)
            oldest = p.get("oldest")
            if oldest:
                msgs = [x for x in msgs if float(x["ts"]) > float(oldest)]
            return {"ok": True, "messages": _metadata_if_asked(msgs, p), "has_more": False}
        if m == "views.publish":
            if not p.get("user_id") or not p.get("view"):
                return {"ok": False, "error": "invalid_arguments"}
            view = p["view"] if isinstance(p["view"], dict) else {}
            return {"ok": True, "view": {"id": "V0STUB", **view}}
        if m == "users.info":
            user = p.get("user") or "U0"
            info = self.users.get(user, {"id": user, "name": user.lower(), "real_name": user})
            return {"ok": True, "user": info}
        if m == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(p.get("users", "U0"))[1:]}}
        return {"ok": True}


class _StubHandler(BaseHTTPRequestHandler):
    owner: SlackStub
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet tests
        return

    def do_GET(self) -> None:  # noqa: N802
        self._handle()

    def do_POST(self) -> None:  # noqa: N802
        self._handle()

    def _handle(self) -> None:
        stub = self.owner
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        params: dict[str, Any] = {k: v[-1] for k, v in parse_qs(url.query).items()}
        params.update(_parse_body(raw, self.headers.get("Content-Type") or ""))
        for key in JSON_FIELDS:
            if isinstance(params.get(key), str):
                try:
                    params[key] = json.loads(params[key])
                except ValueError:
                    pass
        if url.path.startswith("/api/"):
            method = url.path.removeprefix("/api/")
        elif url.path.startswith("/response/"):
            method = "response_url"
        else:
            self._send(404, {"ok": False, "error": "unknown_path"})
            return
        auth = self.headers.get("Authorization") or ""
        token = auth.removeprefix("Bearer ").strip() or params.pop("token", None)
        params.pop("token", None)
        call = Call(
            method=method,
            params=params,
            headers={k: v for k, v in self.headers.items()},
            token=token,
            path=url.path,
            raw_body=raw,
        )
        if stub.latency:
            time.sleep(stub.latency)
        fault = stub._take_fault(method, call)
        if fault is not None and fault.hang:
            time.sleep(fault.hang)
        if fault is not None and fault.drop:
            call.status = 0
            stub._record(call)
            self.close_connection = True
            try:
                self.connection.shutdown(2)
            except OSError:
                pass
            return
        if fault is not None and fault.status != 200:
            call.status = fault.status
            body: dict[str, Any] = {"ok": False, "error": "ratelimited"}
            if fault.status != 429:
                body = {"ok": False, "error": "internal_error"}
            call.response = body
            stub._record(call)
            headers = {}
            if fault.retry_after is not None:
                headers["Retry-After"] = str(fault.retry_after)
            self._send(fault.status, body, headers)
            return
        if fault is not None and fault.error:
            body = {"ok": False, "error": fault.error}
        else:
            body = stub._answer(call)
        call.response = body
        if fault is not None and fault.drop_after:  # Slack did it; the reply never arrives
            call.status = 0
            stub._record(call)
            self.close_connection = True
            try:
                self.connection.shutdown(2)
            except OSError:
                pass
            return
        stub._record(call)
        self._send(200, body)

    def _send(
        self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)


def _metadata_if_asked(messages: list[dict[str, Any]], params: dict[str, Any]) -> list[Any]:
    """Slack returns message metadata only to callers passing include_all_metadata."""
    if str(params.get("include_all_metadata")).lower() in ("1", "true"):
        return messages
    return [{k: v for k, v in m.items() if k != "metadata"} for m in messages]


def _parse_body(raw: bytes, content_type: str) -> dict[str, Any]:
    if not raw:
        return {}
    ctype = content_type.split(";")[0].strip().lower()
    if ctype == "application/json":
        try:
            data = json.loads(raw)
        except ValueError:
            return {"_unparsed": raw.decode("utf-8", "replace")}
        return data if isinstance(data, dict) else {"_json": data}
    if ctype == "multipart/form-data":
        msg = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + raw
        )
        out: dict[str, Any] = {}
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name:
                payload = part.get_payload(decode=True) or b""
                out[str(name)] = payload.decode("utf-8", "replace")
        return out
    return {k: v[-1] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}


# ---- checks against Slack's published OpenAPI spec ------------------------------------
_SPEC_CACHE: dict[str, list[str]] | None = None


def required_params(method: str) -> list[str] | None:
    """Required parameters of a Web API method per Slack's OpenAPI spec (token excluded).

    None when the spec does not know the method; a missing spec file raises.
    """
    global _SPEC_CACHE
    if _SPEC_CACHE is None:
        spec = json.loads(shared_file(SPEC_PATH).read_text())
        cache: dict[str, list[str]] = {}
        for path, ops in spec.get("paths", {}).items():
            names: list[str] = []
            for op in ops.values():
                for prm in op.get("parameters", []):
                    if prm.get("required") and prm.get("name") != "token":
                        names.append(prm["name"])
            cache[path.lstrip("/")] = names
        _SPEC_CACHE = cache
    return _SPEC_CACHE.get(method)


# Methods newer than the 2020 spec: required arguments per Slack's current method reference
# (docs.slack.dev/reference/methods/<method>), so their calls are checked like the others.
NEWER_REQUIRED: dict[str, list[str]] = {
    "assistant.threads.setStatus": ["channel_id", "thread_ts", "status"],
    "assistant.threads.setSuggestedPrompts": ["channel_id", "thread_ts", "prompts"],
    "assistant.threads.setTitle": ["channel_id", "thread_ts", "title"],
}


def missing_required(call: Call) -> list[str]:
    """Required parameters (per the spec, or Slack's current docs for newer methods) that
    `call` did not send."""
    needed = required_params(call.method) or NEWER_REQUIRED.get(call.method, [])
    return [name for name in needed if call.params.get(name) in (None, "")]
