"""Real `coach serve` processes for the tests that run several replicas (and bench's
probes of them), and what those tests poll for: a condition other processes bring about, the
bot's replies in a thread of the stub Slack."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from tests.library_fixtures import COACH, REPO_ROOT
from tests.slack_fixtures import signed_headers as sign
from tests.slack_stub import SlackStub
from tests.slack_workspace import BOT_USER, SIGNING_SECRET


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(predicate: Any, timeout: float, what: str) -> None:
    """Poll for something other processes bring about (not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout}s")
        time.sleep(0.1)


class Replica:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.log = log
        self.process = subprocess.Popen(
            [str(COACH), "serve"],
            env={**env, "PORT": str(self.port)},
            cwd=REPO_ROOT,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )

    def healthy(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"replica exited {self.process.returncode}:\n{self.log_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as r:
                return bool(json.loads(r.read()).get("ok"))
        except OSError:
            return False

    def send(self, envelope: dict[str, Any], retry_num: int | None = None) -> int:
        body = json.dumps(envelope)
        headers = {**sign(body, secret=SIGNING_SECRET), "Content-Type": "application/json"}
        if retry_num is not None:
            headers.update({"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "x"})
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/slack/events", data=body.encode(), headers=headers
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)

    def command(self, form: dict[str, str]) -> int:
        body = urlencode(form)
        headers = {
            **sign(body, secret=SIGNING_SECRET),
            "Content-Type": "application/x-www-form-urlencoded",
        }
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/slack/events", data=body.encode(), headers=headers
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)

    def click(self, payload: dict[str, Any]) -> int:
        """A button click, as Slack sends it: a form with the JSON payload."""
        return self.command({"payload": json.dumps(payload)})

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def answers_in(stub: SlackStub, thread_ts: str) -> list[dict[str, Any]]:
    return [
        m
        for m in stub.messages.get("CSALES", [])
        if m.get("thread_ts") == thread_ts and m.get("user") == BOT_USER
    ]
