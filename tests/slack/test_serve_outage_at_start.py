"""`coach serve` started during an outage (a replica restarted while Slack or the database
is down): it waits for them and comes up when they answer, instead of exiting."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import bot.slack.startup_waits as startup_waits
from tests.pg_fixtures import PostgresServer
from tests.slack.socket_mode import FakeSocketModeServer, Served
from tests.slack_fixtures import make_settings, serve_env
from tests.slack_stub import SlackStub
from tests.slack_workspace import APP_TOKEN


def test_slack_answering_503_at_start_up_is_waited_out_not_called_a_rejected_token(
    slack_stub: SlackStub,
    shipped_library: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(startup_waits, "TOKEN_RECHECK_SECONDS", 0.2)
    slack_stub.fail("auth.test", status=503, times=5)  # more than slack_sdk's own retries
    served = Served(make_settings(slack_stub, tmp_path / "data"), shipped_library)
    try:
        assert served.code is None and served.info["mode"] == "http"  # up, serving
        statuses = [c.status for c in slack_stub.calls_to("auth.test")]
        assert statuses[-1] == 200 and statuses.count(503) == 5
        assert "rejected" not in caplog.text
        assert "Slack answered auth.test with HTTP 503" in caplog.text
    finally:
        assert served.close() == 0


def test_slack_answering_503_to_apps_connections_open_at_start_is_waited_out(
    slack_stub: SlackStub,
    shipped_library: Any,
    tmp_path: Path,
    socket_server: FakeSocketModeServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """In Socket Mode, Slack failing when the app asks for its connection URL ended the start
    with "Slack rejected SLACK_APP_TOKEN (apps.connections.open said internal_error)" and
    exit 1: the token blamed for an outage, and a replica restarted during one stayed down."""
    monkeypatch.setattr(startup_waits, "TOKEN_RECHECK_SECONDS", 0.2)
    slack_stub.socket_mode_url = socket_server.url
    slack_stub.fail("apps.connections.open", status=503, times=5)  # beyond slack_sdk's retries
    settings = make_settings(
        slack_stub, tmp_path / "data", slack_app_token=APP_TOKEN, slack_signing_secret=None
    )
    served = Served(settings, shipped_library)
    try:
        assert served.code is None and served.info["mode"] == "socket"  # up, serving
        assert socket_server.connected.wait(30)
        statuses = [c.status for c in slack_stub.calls_to("apps.connections.open")]
        assert statuses.count(503) == 5 and statuses[-1] == 200
        assert "rejected" not in caplog.text
        assert "Slack answered apps.connections.open with HTTP 503" in caplog.text
    finally:
        assert served.close() == 0


class LateDatabase:
    """A port where the database comes up late: nothing listens until `open()`, then every
    connection is forwarded to the real server."""

    def __init__(self, server: PostgresServer) -> None:
        self.server = server
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]

    def url(self) -> str:
        return self.server.new_database().replace(f":{self.server.port}/", f":{self.port}/")

    def open(self) -> None:
        listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            client, _ = listener.accept()
            upstream = socket.create_connection(("127.0.0.1", self.server.port))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pipe, args=(a, b), daemon=True).start()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        sink.close()


def test_a_database_not_up_yet_at_start_up_is_waited_for(
    slack_stub: SlackStub,
    shipped_library: Any,
    postgres_server: PostgresServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Replicas started before their PostgreSQL (or while it restarts) come up when it does;
    before, each exited 1 at once and stayed down."""
    from bot.slack.serve import serve

    monkeypatch.setattr(startup_waits, "DB_RECHECK_SECONDS", 0.2)
    database = LateDatabase(postgres_server)
    settings = make_settings(slack_stub, tmp_path / "data", database_url=database.url())
    stop, ready = threading.Event(), threading.Event()
    codes: list[int] = []

    def run() -> None:
        codes.append(
            serve(
                settings,
                stop=stop,
                on_ready=lambda _: ready.set(),
                library=shipped_library,
                host="127.0.0.1",
            )
        )
        ready.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while "trying again every" not in caplog.text and not codes and time.monotonic() < deadline:
        time.sleep(0.05)
    assert codes == [] and "Connection refused" in caplog.text  # waiting, said why
    database.open()
    try:
        assert ready.wait(60) and codes == []  # up, serving
    finally:
        stop.set()
        thread.join(30)
    assert codes == [0]


def _sigterm_while_waiting(env: dict[str, str], cwd: Path, waiting: str) -> tuple[int, list[str]]:
    """`coach serve` started as README says, sent SIGTERM once its log says it is `waiting`:
    its exit code and its log lines."""
    coach = Path(sys.executable).with_name("coach")
    process = subprocess.Popen(
        [str(coach), "serve"], env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    assert process.stdout is not None
    lines: list[str] = []
    try:
        for raw in process.stdout:
            lines.append(raw.decode().rstrip())
            if waiting in lines[-1]:
                break
        process.send_signal(signal.SIGTERM)  # what an orchestrator stopping the replica does
        rest, _ = process.communicate(timeout=120)
    finally:  # a replica that did not stop must not outlive its test (one did, 50 minutes)
        if process.poll() is None:
            process.kill()
            process.wait()
    lines += [line for line in rest.decode().splitlines() if line.strip()]
    return process.returncode, lines


def test_sigterm_while_waiting_for_the_database_is_a_clean_stop(
    slack_stub: SlackStub, tmp_path: Path
) -> None:
    """Before, the replica died by the signal (exit -15, no line); now it stops as it does
    once serving: exit 0 and one line saying so."""
    with socket.socket() as probe:  # a port nothing listens on: a database not up yet
        probe.bind(("127.0.0.1", 0))
        url = f"postgresql+psycopg://coach@127.0.0.1:{probe.getsockname()[1]}/coach"
    env = serve_env(slack_stub, tmp_path / "data", DATABASE_URL=url)
    code, lines = _sigterm_while_waiting(env, tmp_path, "trying again every")
    assert code == 0, lines
    assert len(lines) == 2 and lines[1].endswith("stopped while waiting for the database")


@pytest.mark.parametrize(("status", "retry_after"), [(503, None), (429, 30)])
def test_sigterm_while_waiting_for_slack_is_a_clean_stop(
    slack_stub: SlackStub, tmp_path: Path, status: int, retry_after: int | None
) -> None:
    """Slack failing auth.test at start-up, then SIGTERM: exit 0, one line, and no further
    auth.test (before: killed by the signal; a 429's Retry-After slept out in slack_sdk and
    auth.test asked again before the stop could be noticed)."""
    slack_stub.outage(600, status=status, method="auth.test", retry_after=retry_after)
    env = serve_env(slack_stub, tmp_path / "data")
    code, lines = _sigterm_while_waiting(env, tmp_path, "checking again every")
    assert code == 0, lines
    assert len(lines) == 2, lines
    assert lines[1].endswith("stopped while waiting for Slack to answer auth.test")
    if status == 429:
        assert len(slack_stub.calls_to("auth.test")) == 1


def test_sigterm_while_the_index_is_built_at_first_start_is_a_clean_stop(
    slack_stub: SlackStub, tmp_path: Path
) -> None:
    """A first start builds the index (up to a minute on two cores); an orchestrator
    stopping the replica meanwhile used to kill it by the signal (exit -15, no line, the
    half-written files left in the index folder). Now: exit 0, one line, nothing half
    written left behind."""
    data = tmp_path / "data"
    env = serve_env(slack_stub, data)
    code, lines = _sigterm_while_waiting(env, tmp_path, "building the index")
    assert code == 0, lines
    assert lines[-1].endswith("stopped while loading the library"), lines
    assert not any("Traceback" in line for line in lines), lines
    half_written = [p.name for p in (data / "index").rglob(".*") if not p.name.endswith(".lock")]
    assert half_written == []


@pytest.mark.parametrize("serving", [False, True], ids=["start-up wait", "serving"])
def test_a_signal_as_the_wait_begins_still_stops(serving: bool) -> None:
    """SIGTERM handled at the moment the main thread holds the stop event's lock (entering
    `stop.wait()`, as right after the "checking again every 10s" line): before, the handler's
    `stop.set()` waited for that lock forever and the replica hung until killed (seen once
    in a full test run); now it stops. Run apart, so a hang fails the test instead of the
    suite."""
    code = (
        "import signal, threading\n"
        "from bot.slack.startup_waits import install_signal_handlers, stop_on_signals\n"
        "stop = threading.Event()\n"
        f"if {serving}:\n"
        "    install_signal_handlers(stop)\n"
        "    handler = signal.getsignal(signal.SIGTERM)\n"
        "else:\n"
        "    context = stop_on_signals(stop)\n"
        "    context.__enter__()\n"
        "    handler = signal.getsignal(signal.SIGTERM)\n"
        "with stop._cond:  # what the main thread holds on its way into stop.wait()\n"
        "    handler(signal.SIGTERM, None)\n"
        "assert stop.wait(10)\n"
        "print('stopped')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0 and done.stdout.strip() == "stopped", done.stderr


@pytest.mark.parametrize("serving", [False, True], ids=["start-up wait", "serving"])
def test_a_signal_the_kernel_hands_to_another_thread_still_stops(serving: bool) -> None:
    """SIGTERM delivered to a thread other than the main one (the kernel may pick any thread
    that does not block it: a library's worker). Python only flags it for the main thread,
    which before slept on in its wait: seen in a test run as a second auth.test 30 s after
    the first (a 429's Retry-After), and once serving the wait had no end. Forced here by
    blocking SIGTERM in the main thread; run apart, so a hang fails the test."""
    code = (
        "import os, signal, threading, time\n"
        "from bot.slack.startup_waits import install_signal_handlers, stop_on_signals\n"
        "from bot.slack.startup_waits import wait_for_stop\n"
        "stop = threading.Event()\n"
        "threading.Thread(target=time.sleep, args=(120,), daemon=True).start()\n"
        f"if {serving}:\n"
        "    install_signal_handlers(stop)\n"
        "else:\n"
        "    context = stop_on_signals(stop)  # kept: collected, it puts the old handlers back\n"
        "    context.__enter__()\n"
        "signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})\n"
        "os.kill(os.getpid(), signal.SIGTERM)\n"
        f"print('stopped' if wait_for_stop(stop, {None if serving else 60}) else 'timed out')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0 and done.stdout.strip() == "stopped", done.stderr
