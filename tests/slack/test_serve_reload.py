"""A running `coach serve` answers from an article added after it started, and stops
citing one that was removed, with no restart (the content folder is watched)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.library_fixtures import COACH, REPO_ROOT, SHIPPED_CONTENT
from tests.slack_fixtures import signed_headers
from tests.slack_payloads import event_envelope, mention
from tests.slack_stub import SlackStub
from tests.slack_workspace import BOT_TOKEN, BOT_USER, SIGNING_SECRET

QUESTION = "how should I split regions between my account executives fairly?"
NEW_TITLE = "Drawing Fair Sales Territories"
WAIT_S = 90.0  # generous on a loaded machine; bench/reload.py measures the real latency


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """`coach serve` in HTTP mode in its own process, talking to the Slack stub."""

    def __init__(self, stub: SlackStub, content: Path, data: Path, log: Path) -> None:
        self.stub = stub
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "QUOTE_"))}
        env.update(
            HF_HUB_OFFLINE="1",
            TRANSFORMERS_OFFLINE="1",
            TOKENIZERS_PARALLELISM="false",
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_APP_TOKEN="",
            SLACK_API_URL=stub.api_url,
            QUOTE_CHANNEL="",
            PORT=str(self.port),
            CONTENT_DIR=str(content),
            DATA_DIR=str(data),
            DATABASE_URL="",
            RELOAD_SECONDS="1",
            LOG_LEVEL="INFO",
        )
        self.log = log.open("w")
        self.process = subprocess.Popen(
            [str(COACH), "serve"], env=env, cwd=REPO_ROOT, stdout=self.log, stderr=self.log
        )
        self._wait_healthy()

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "coach serve exited: see its log"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=5):
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        raise AssertionError("coach serve did not become healthy")

    def ask(self, question: str) -> str:
        """Mention the bot; return everything its answer showed (text and blocks)."""
        before = len(self.stub.posts())
        count = len(self.stub.calls_to("chat.postMessage")) + 1
        body = json.dumps(event_envelope(mention(f"<@{BOT_USER}> {question}")))
        headers = {**signed_headers(body), "Content-Type": "application/json"}
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/slack/events", data=body.encode(), headers=headers
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200
        self.stub.wait_for("chat.postMessage", count=count, timeout=60)
        return " ".join(
            json.dumps(c.params, ensure_ascii=False) for c in self.stub.posts()[before:]
        )

    def answer_until(self, question: str, want: bool) -> str:
        """Ask until the answer does (want=True) or does not cite the new article."""
        deadline = time.monotonic() + WAIT_S
        while True:
            shown = self.ask(question)
            if (NEW_TITLE in shown) == want:
                return shown
            assert time.monotonic() < deadline, f"still {'not ' if want else ''}cited: {shown}"
            time.sleep(1)

    def stop(self) -> int:
        self.process.terminate()
        try:
            return self.process.wait(30)
        finally:
            self.log.close()


@pytest.fixture()
def served(
    slack_stub: SlackStub, shipped_library: Any, lib_data_dir: Path, tmp_path: Path
) -> Iterator[tuple[Server, Path]]:
    content = Path(shutil.copytree(SHIPPED_CONTENT, tmp_path / "content"))
    data = tmp_path / "data"
    shutil.copytree(lib_data_dir / "index", data / "index")
    server = Server(slack_stub, content, data, tmp_path / "serve.log")
    try:
        yield server, content
    finally:
        code = server.stop()
        log = (tmp_path / "serve.log").read_text(encoding="utf-8", errors="replace")
        assert "Traceback" not in log, log[-3000:]
        assert code == 0, log[-3000:]


def test_running_server_picks_up_an_added_then_removed_article(
    served: tuple[Server, Path], web_server: str, tmp_path: Path
) -> None:
    from datetime import date

    from index.ingest.add import Curation, add_sources

    server, content = served
    assert NEW_TITLE not in server.ask(QUESTION)

    plan = add_sources(content, [f"{web_server}/territory"], Curation(today=date.today()))
    assert plan.refused == [] and len(plan.written) == 1
    shown = server.answer_until(QUESTION, want=True)
    assert "Estimate the total addressable revenue" in shown or "ten percent" in shown

    plan.written[0].unlink()
    server.answer_until(QUESTION, want=False)
