"""Stopping `coach serve` (SIGTERM, Ctrl-C): the answers being worked on are posted first,
and only then does the log say "stopped" (an admin reads that line as "safe to move on")."""

from __future__ import annotations

import json
import logging
import time
import urllib.request
from pathlib import Path
from typing import Any

from tests.slack.socket_mode import Served
from tests.slack_fixtures import make_settings, signed_headers
from tests.slack_payloads import event_envelope, mention
from tests.slack_stub import SlackStub
from tests.slack_workspace import BOT_USER


class AnswersAtStopped(logging.Handler):
    """Notes how many answers Slack had received when "stopped" was logged."""

    def __init__(self, stub: SlackStub, thread_ts: str) -> None:
        super().__init__()
        self.stub, self.thread_ts = stub, thread_ts
        self.answers_posted: int | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage() == "stopped":
            posts = self.stub.calls_to("chat.postMessage")
            self.answers_posted = sum(c.params.get("thread_ts") == self.thread_ts for c in posts)


def test_stopped_is_logged_after_the_last_answer_is_posted(
    slack_stub: SlackStub, shipped_library: Any, tmp_path: Path
) -> None:
    served = Served(make_settings(slack_stub, tmp_path / "data"), shipped_library)
    event = mention(f"<@{BOT_USER}> how do I motivate my reps?")
    watcher = AnswersAtStopped(slack_stub, event["ts"])
    serve_log = logging.getLogger("bot.slack.serve")
    serve_log.addHandler(watcher)
    try:
        slack_stub.latency = 1.0  # Slack slow: the answer is still on its way at SIGTERM
        body = json.dumps(event_envelope(event))
        headers = {**signed_headers(body), "Content-Type": "application/json"}
        request = urllib.request.Request(
            f"http://127.0.0.1:{served.info['port']}/slack/events", body.encode(), headers
        )
        with urllib.request.urlopen(request, timeout=30) as resp:
            assert resp.status == 200
        assert served.close() == 0  # what SIGTERM does: set the stop event
    finally:
        serve_log.removeHandler(watcher)
        slack_stub.latency = 0.0
    assert watcher.answers_posted == 1


def test_a_stop_while_the_database_is_down_is_clean(
    slack_stub: SlackStub, shipped_library: Any, tmp_path: Path, postgres_server: Any
) -> None:
    """An orchestrator stopping a replica while PostgreSQL is away (a restart, maintenance):
    before, the shutdown's look at the answer queue raised, so `coach serve` ended in a
    130-line traceback with exit status 1, never saying "stopped"."""
    name = f"stop_{int(time.time() * 1000)}"
    with postgres_server._connect("postgres") as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    settings = make_settings(slack_stub, tmp_path / "data", database_url=postgres_server.url(name))
    stopped = StoppedLines()
    serve_log = logging.getLogger("bot.slack.serve")
    serve_log.addHandler(stopped)
    try:
        served = Served(settings, shipped_library)
        with postgres_server._connect("postgres") as conn:  # the database goes away
            conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
        started = time.monotonic()
        assert served.close() == 0  # what SIGTERM does: set the stop event
        assert time.monotonic() - started < 15
        assert stopped.lines[-1] == "stopped"
    finally:
        serve_log.removeHandler(stopped)
        with postgres_server._connect("postgres") as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class StoppedLines(logging.Handler):
    """The serve log's lines, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())
