"""Stopping `coach serve` (SIGTERM, Ctrl-C): an answer whose post is on its way to Slack is
let finish, posted once, and only then does the log say "stopped" (an admin reads that line
as "safe to move on"); a post that gives up during the stop is handed back, neither lost nor
posted twice."""

from __future__ import annotations

import json
import logging
import time
import urllib.request
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine

from bot.store.answer_queue import AnswerQueue
from bot.store.tables import AnswerState
from tests.slack.replicas import answers_in, wait_until
from tests.slack.socket_mode import Served
from tests.slack_fixtures import make_settings, signed_headers
from tests.slack_payloads import event_envelope, mention
from tests.slack_stub import SlackStub
from tests.slack_workspace import BOT_USER

SLOW_POST_S = 3.0  # how long Slack takes with the answer's post
ANSWERED = (
    "stopping: this replica's claimed questions: 1 answered, 0 handed back to the other replicas"
)
HANDED_BACK = (
    "stopping: this replica's claimed questions: 0 answered, 1 handed back to the other replicas"
)


class SlackLog(logging.Handler):
    """The Slack app's log lines, in order, and how many answers Slack had in the thread
    when "stopped" was logged."""

    def __init__(self, stub: SlackStub, thread_ts: str) -> None:
        super().__init__()
        self.stub, self.thread_ts = stub, thread_ts
        self.lines: list[str] = []
        self.answers_at_stopped: int | None = None

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())
        if record.getMessage() == "stopped":
            self.answers_at_stopped = len(answers_in(self.stub, self.thread_ts))


def stop_while_the_post_is_on_its_way(
    stub: SlackStub, served: Served, event: dict[str, Any]
) -> SlackLog:
    """Mention the bot, stop the app (what SIGTERM does) once the answer's post has reached
    Slack, which holds it SLOW_POST_S, and is not yet answered; the log of it all."""
    watcher = SlackLog(stub, event["ts"])
    slack_log = logging.getLogger("bot.slack")
    slack_log.addHandler(watcher)
    try:
        stub.slow("chat.postMessage", SLOW_POST_S)
        body = json.dumps(event_envelope(event))
        headers = {**signed_headers(body), "Content-Type": "application/json"}
        request = urllib.request.Request(
            f"http://127.0.0.1:{served.info['port']}/slack/events", body.encode(), headers
        )
        with urllib.request.urlopen(request, timeout=30) as resp:
            assert resp.status == 200
        wait_until(lambda: stub.faults_left("chat.postMessage") == 0, 60, "the post at Slack")
        assert not stub.calls_to("chat.postMessage")  # Slack has not answered it: in flight
        assert served.close() == 0  # what SIGTERM does: set the stop event
    finally:
        slack_log.removeHandler(watcher)
    return watcher


def queue_rows(url: str) -> list[dict[str, Any]]:
    engine = create_engine(url)
    try:
        return AnswerQueue(engine, owner="test").rows()
    finally:
        engine.dispose()


def answered(url: str) -> bool:
    return [row["state"] for row in queue_rows(url)] == [AnswerState.ANSWERED]


def test_stopped_is_logged_after_the_answer_on_its_way_is_posted(
    slack_stub: SlackStub, shipped_library: Any, tmp_path: Path
) -> None:
    """Before, every Slack call took 1 s against a 3 s lease, whose half (1 s) is all a call
    of an answer may take (bot.slack.delivery.tried_once): the post timed out, the answer
    was handed back ("0 answered, 1 handed back") and counted only because the stub posted
    it after the app had given up. Now Slack holds the post 3 s, well within the 10 s a
    call may take under a 20 s lease: the stop waits for it, and says "stopped" after."""
    settings = make_settings(slack_stub, tmp_path / "data", answer_lease_seconds=20)
    served = Served(settings, shipped_library)
    event = mention(f"<@{BOT_USER}> how do I motivate my reps?")
    log = stop_while_the_post_is_on_its_way(slack_stub, served, event)

    assert log.answers_at_stopped == 1
    assert ANSWERED in log.lines, log.lines
    assert log.lines[-1] == "stopped"
    # the post did not time out: no retry, no look in the thread, Slack's own reply recorded
    assert not [line for line in log.lines if "could not deliver" in line], log.lines
    [post] = slack_stub.calls_to("chat.postMessage")
    assert not slack_stub.calls_to("conversations.replies")
    [row] = queue_rows(settings.db_url)
    assert row["state"] == AnswerState.ANSWERED
    assert (row["answered_ts"], row["attempts"], row["last_error"]) == (
        post.response["ts"],
        1,
        None,
    )


def test_a_post_that_gives_up_during_the_stop_is_handed_back_and_posted_once(
    slack_stub: SlackStub, shipped_library: Any, tmp_path: Path
) -> None:
    """Slack slower than a call of an answer may wait (half the 3 s lease: 1 s): the post
    gives up while the stop waits for it. The answer is handed back, its try counted (so
    whoever claims it next looks in the thread first), and the log still ends "stopped".
    Slack took the post after all: the replica started next finds it in the thread and
    records it, posting nothing twice."""
    settings = make_settings(slack_stub, tmp_path / "data")  # lease 3 s: a call waits 1 s
    served = Served(settings, shipped_library)
    event = mention(f"<@{BOT_USER}> how do I motivate my reps?")
    log = stop_while_the_post_is_on_its_way(slack_stub, served, event)

    assert HANDED_BACK in log.lines, log.lines
    assert log.lines[-1] == "stopped"
    [row] = queue_rows(settings.db_url)
    assert (row["state"], row["attempts"]) == (AnswerState.QUEUED, 1)
    assert "TimeoutError" in row["last_error"]

    [post] = slack_stub.wait_for("chat.postMessage")  # Slack took it, after the app gave up
    again = Served(settings, shipped_library)  # the next replica (or this one, restarted)
    try:
        wait_until(lambda: answered(settings.db_url), 60, "the handed-back answer recorded")
    finally:
        assert again.close() == 0
    assert len(answers_in(slack_stub, event["ts"])) == 1
    assert len(slack_stub.calls_to("chat.postMessage")) == 1
    assert slack_stub.calls_to("conversations.replies")  # looked before posting again
    assert queue_rows(settings.db_url)[0]["answered_ts"] == post.response["ts"]


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
