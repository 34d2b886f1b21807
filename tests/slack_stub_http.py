"""The stub Slack's HTTP side: a request the app made, parsed (query, JSON, form or multipart
body) and recorded as a `Call` (tests.slack_calls); the fault it meets applied (held, dropped
before or after Slack processed it, HTTP 429/5xx, an ok:false error); otherwise the stub's
answer sent."""

from __future__ import annotations

import json
import time
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from tests.slack_calls import Call
from tests.slack_stub_faults import Fault

JSON_FIELDS = ("blocks", "attachments", "view", "metadata", "prompts")


class StubServer(Protocol):
    """What the handler asks of the stub that owns it (tests.slack_stub.SlackStub)."""

    latency: float

    def _take_fault(self, method: str, call: Call) -> Fault | None: ...

    def _record(self, call: Call) -> None: ...

    def _answer(self, call: Call) -> dict[str, Any]: ...


class StubHandler(BaseHTTPRequestHandler):
    owner: StubServer
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
            self._drop(call)
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
            self._drop(call)
            return
        stub._record(call)
        self._send(200, body)

    def _drop(self, call: Call) -> None:
        """The connection closed with no reply: `call` recorded with status 0."""
        call.status = 0
        self.owner._record(call)
        self.close_connection = True
        try:
            self.connection.shutdown(2)
        except OSError:
            pass

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
