"""The HTTP front and `serve()`: signatures, malformed input, start-up errors, Socket Mode."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.slack.socket_mode import Served, SocketSession
from tests.slack_checks import assert_valid_message
from tests.slack_fixtures import SlackApp, make_settings, serve_env, signed_headers
from tests.slack_payloads import event_envelope, mention, slack_command_form
from tests.slack_stub import SlackStub
from tests.slack_workspace import APP_TOKEN, BOT_TOKEN, BOT_USER, SIGNING_SECRET

REPO = Path(__file__).resolve().parents[2]
QUESTION = "how do I motivate my reps?"


# ---- signatures --------------------------------------------------------------------------
def test_forged_signature_is_401_and_nothing_happens(slack_app: SlackApp) -> None:
    body = json.dumps(event_envelope(mention(f"<@{BOT_USER}> {QUESTION}")))
    status, _ = slack_app.post_signed(body, secret="not-the-signing-secret")
    assert status == 401
    headers = signed_headers(body)
    headers["Content-Type"] = "application/json"
    status, _ = slack_app.post_raw(body.replace("motivate", "fire"), headers)  # tampered
    assert status == 401
    status, _ = slack_app.post_raw(body, {"Content-Type": "application/json"})  # unsigned
    assert status == 401
    slack_app.settle()
    assert slack_app.stub.calls_to("chat.postMessage") == []


def test_stale_signature_is_401(slack_app: SlackApp) -> None:
    body = json.dumps(event_envelope(mention(f"<@{BOT_USER}> {QUESTION}")))
    status, _ = slack_app.post_signed(body, timestamp=int(time.time()) - 3600)
    assert status == 401
    slack_app.settle()
    assert slack_app.stub.calls_to("chat.postMessage") == []


def test_a_refused_request_is_one_short_log_line_without_its_body(
    slack_app: SlackApp, caplog: pytest.LogCaptureFixture
) -> None:
    """Anyone can post to a public /slack/events: a forged or stale request must not put
    its body (maybe someone's question, up to 1 MB) into the log, once per request."""
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.INFO, logger="slack_bolt.RequestVerification")  # as in serve
    question = "my rep Bob is on a performance plan " * 20_000
    body = json.dumps(event_envelope(mention(f"<@{BOT_USER}> {question}")))
    assert slack_app.post_signed(body, secret="not-the-signing-secret")[0] == 401
    assert slack_app.post_signed(body, timestamp=int(time.time()) - 3600)[0] == 401
    assert "performance plan" not in caplog.text
    refused = [r for r in caplog.records if "signature" in r.getMessage()]
    assert len(refused) == 2 and all(len(r.getMessage()) < 200 for r in refused)


def test_url_verification_challenge(slack_app: SlackApp) -> None:
    body = json.dumps({"token": "t", "challenge": "abc123", "type": "url_verification"})
    status, text = slack_app.post_signed(body)
    assert status == 200 and "abc123" in text


def test_a_question_the_database_cannot_take_is_503_then_answered_on_slacks_retry(
    slack_app: SlackApp, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from sqlalchemy.exc import OperationalError

    queue = slack_app.slack.answers
    enqueue = queue.enqueue

    def database_down(**_kwargs: Any) -> bool:
        raise OperationalError("INSERT ...", {}, ConnectionRefusedError("connection refused"))

    monkeypatch.setattr(queue, "enqueue", database_down)
    event = mention(f"<@{BOT_USER}> {QUESTION}")
    assert slack_app.send_event(event_envelope(event)) == 503  # not acked: Slack retries it
    assert "database is unavailable" in caplog.text and "INSERT" not in caplog.text
    monkeypatch.setattr(queue, "enqueue", enqueue)
    assert slack_app.send_event(event_envelope(event), retry_num=1) == 200
    slack_app.settle()
    answers = [
        c
        for c in slack_app.stub.calls_to("chat.postMessage")
        if c.params.get("thread_ts") == event["ts"]
    ]
    assert len(answers) == 1
    assert_valid_message(answers[0])


def test_healthz(slack_app: SlackApp) -> None:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{slack_app.server.port}/healthz") as resp:
        assert resp.status == 200
        data = json.loads(resp.read())
    assert data["ok"] is True and data["passages"] > 0


# ---- malformed input: 4xx or 200-with-nothing, never 5xx ------------------------------------
MALFORMED_SIGNED = [
    ("{not json", "application/json"),
    ("[1, 2, 3]", "application/json"),
    ('"just a string"', "application/json"),
    ("{}", "application/json"),
    ('{"type": "something_new"}', "application/json"),
    ('{"type": "event_callback"}', "application/json"),
    ('{"type": "event_callback", "event": "a string"}', "application/json"),
    (
        '{"type": "event_callback", "event": {"type": "app_mention", "text": 42}}',
        "application/json",
    ),
    (
        '{"type": "event_callback", "event_id": 7, "event": {"type": "app_mention", '
        '"text": ["x"], "user": {"id": 1}, "channel": null, "ts": 5}}',
        "application/json",
    ),
    (
        '{"type": "event_callback", "event": {"type": "message", "channel_type": "im"}}',
        "application/json",
    ),
    ("payload=%7Bbroken", "application/x-www-form-urlencoded"),
    ("payload=%5B%5D", "application/x-www-form-urlencoded"),
    ('payload={"type":"block_actions","actions":"nope"}', "application/x-www-form-urlencoded"),
    (
        'payload={"type":"block_actions","actions":[{"action_id":"more_like_this","value":5}]}',
        "application/x-www-form-urlencoded",
    ),
    ("command=/leadership-tip", "application/x-www-form-urlencoded"),
    ("command=/leadership-tip&text=coaching&user_id=", "application/x-www-form-urlencoded"),
    ("command=/unknown&text=x", "application/x-www-form-urlencoded"),
    ("%%%&&&===", "application/x-www-form-urlencoded"),
    ("", "application/json"),
]


@pytest.mark.parametrize(("body", "content_type"), MALFORMED_SIGNED)
def test_malformed_but_signed_bodies_never_5xx(
    slack_app: SlackApp, body: str, content_type: str
) -> None:
    status, _ = slack_app.post_signed(body, content_type)
    assert status < 500
    slack_app.settle()
    assert slack_app.stub.calls_to("chat.postMessage") == []


def raw_http(port: int, request: bytes, *, close_write: bool = False) -> int:
    """Send raw bytes; the status code the server answered (0 if it just closed)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request)
        if close_write:
            sock.shutdown(socket.SHUT_WR)
        data = b""
        while b"\r\n" not in data or (not data.startswith(b"HTTP/") and len(data) < 400):
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    if not data:
        return 0
    if not data.startswith(b"HTTP/"):  # an HTTP/0.9-style error page for a garbage request
        return 400 if b"Error code: 400" in data or b"400" in data else 999
    return int(data.split(b" ", 2)[1])


def test_bad_bytes_huge_bodies_and_lies_are_4xx(slack_app: SlackApp) -> None:
    port = slack_app.server.port
    bad = b"\xff\xfe\x00garbage"
    assert slack_app.post_raw(bad, {"Content-Type": "application/json"})[0] == 400
    huge = b"{" + b'"a":1,' * 400_000 + b'"b":2}'
    head = (
        f"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(huge)}\r\n\r\n"
    ).encode()
    assert raw_http(port, head) == 413  # refused before reading the body
    no_length = b"POST /slack/events HTTP/1.1\r\nHost: x\r\n\r\n"
    assert raw_http(port, no_length) == 411
    chunked = (
        b"POST /slack/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    )
    assert raw_http(port, chunked) == 401  # waitress decodes chunked framing; unsigned
    lying = b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{}"
    # the client stops sending before the body it announced: the connection is closed
    # without a reply (nothing reaches the app, nothing is held open)
    assert raw_http(port, lying, close_write=True) in (0, 400)
    nonsense = b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: banana\r\n\r\n"
    assert raw_http(port, nonsense) == 400
    assert raw_http(port, b"GARBAGE\r\n\r\n") in (0, 400)
    assert slack_app.post_raw(b"{}", path="/elsewhere")[0] == 404
    # and after all that the app still answers people
    assert slack_app.send_event(event_envelope(mention(f"<@{BOT_USER}> {QUESTION}"))) == 200
    call = slack_app.stub.wait_for("chat.postMessage")[0]
    slack_app.settle()
    assert_valid_message(call)


# ---- serve(): start-up errors ----------------------------------------------------------------
def run_serve_process(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "QUOTE_"))}
    base.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", PYTHONPATH=str(REPO))
    base.update(env)
    code = (
        "import sys\nfrom bot.slack.serve import serve\nfrom bot.settings import Settings\n"
        "sys.exit(serve(Settings.from_env(dotenv=False)))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=base,
        cwd=REPO,
        timeout=120,
    )


def test_rejected_token_at_start_up_is_one_clear_line_and_exit_1(
    slack_stub: SlackStub, tmp_path: Path
) -> None:
    slack_stub.valid_tokens = ("xoxb-the-real-one",)
    result = run_serve_process(
        {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack_stub.api_url,
            "DATA_DIR": str(tmp_path),
            "LOG_LEVEL": "DEBUG",
        }
    )
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert "Slack rejected SLACK_BOT_TOKEN (auth.test said invalid_auth)" in output
    assert "Traceback" not in output
    assert BOT_TOKEN not in output and "testbottokensecret" not in output
    assert [c.method for c in slack_stub.calls] == ["auth.test"]


def test_slack_unreachable_at_start_up_is_one_clear_line_and_exit_1(tmp_path: Path) -> None:
    """slack_sdk's five lines on failing and retrying auth.test came before our own."""
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/api/"
    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET}
    result = run_serve_process({**env, "SLACK_API_URL": url, "DATA_DIR": str(tmp_path)})
    assert result.returncode == 1
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert len(lines) == 1 and f"Could not reach Slack at {url}" in lines[0], lines


def test_missing_signing_secret_in_http_mode(slack_stub: SlackStub, tmp_path: Path) -> None:
    result = run_serve_process(
        {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_API_URL": slack_stub.api_url,
            "DATA_DIR": str(tmp_path),
        }
    )
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert "SLACK_SIGNING_SECRET is not set" in output
    assert "Traceback" not in output
    assert len([line for line in output.splitlines() if line.strip()]) == 1


def test_a_mistyped_database_url_is_one_line_naming_it_without_the_password(
    slack_stub: SlackStub, tmp_path: Path
) -> None:
    """`coach serve` as README starts it, settings from the environment only."""
    env = serve_env(
        slack_stub, tmp_path, DATABASE_URL="postgres//coach:S3cretPw@db.example/coach"
    )  # the ':' left out
    coach = Path(sys.executable).with_name("coach")
    result = subprocess.run(
        [str(coach), "serve"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "DATABASE_URL is not valid: expected a database URL" in output
    assert "S3cretPw" not in output and "Traceback" not in output
    assert len([line for line in output.splitlines() if line.strip()]) == 1


def test_a_data_dir_that_is_a_file_is_one_line_naming_the_database(
    slack_stub: SlackStub, tmp_path: Path
) -> None:
    """Before: 'could not start: FileExistsError: [Errno 17] File exists: ...', naming no
    setting; and a fixable error's line began with its class name ('DatabaseUnavailable: ')."""
    data = tmp_path / "data"
    data.write_text("not a folder\n")
    coach = Path(sys.executable).with_name("coach")
    result = subprocess.run(
        [str(coach), "serve"],
        capture_output=True,
        text=True,
        env=serve_env(slack_stub, data),
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 1
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].endswith(
        f"ERROR bot.slack.serve: could not start: DATABASE_URL=sqlite:///{data}/coach.db: "
        f"cannot use this database: cannot make its folder {data} (it is a file)"
    )


def test_tokens_are_masked_in_logs(caplog: pytest.LogCaptureFixture) -> None:
    from bot.log_safety import install_log_filters

    install_log_filters()
    handler = logging.getLogger().handlers[0]
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "token %s", (BOT_TOKEN,), None)
    handler.filter(record)
    assert BOT_TOKEN not in record.getMessage()


# ---- serve(): running -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "token",
    # a rotating token, and one of a form not known here (a workspace stand-in's): before,
    # any token not starting xoxb- was refused at start without asking Slack
    [BOT_TOKEN, "xoxe.xoxb-1-rotatingtoken", "standin-bot-token"],
    ids=["bot-token", "rotating", "unfamiliar-form"],
)
def test_serve_over_http_answers_and_stops_cleanly(
    slack_stub: SlackStub, shipped_library: Any, tmp_path: Path, token: str
) -> None:
    import urllib.request

    settings = make_settings(slack_stub, tmp_path / "data").replace(slack_bot_token=token)
    served = Served(settings, shipped_library)
    try:
        assert served.code is None and served.info["mode"] == "http"
        port = served.info["port"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz") as resp:
            assert resp.status == 200
        body = json.dumps(event_envelope(mention(f"<@{BOT_USER}> {QUESTION}")))
        headers = {**signed_headers(body), "Content-Type": "application/json"}
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}/slack/events", data=body.encode(), headers=headers
        )
        with urllib.request.urlopen(req) as resp:
            assert resp.status == 200
        call = slack_stub.wait_for("chat.postMessage")[0]
        assert_valid_message(call)
        assert slack_stub.calls[0].method == "auth.test"
    finally:
        assert served.close() == 0


# ---- Socket Mode --------------------------------------------------------------------------------
def test_socket_mode_acks_envelopes_and_answers(socket_session: SocketSession) -> None:
    slack_stub = socket_session.stub
    opened = slack_stub.calls_to("apps.connections.open")
    assert opened and opened[0].token == APP_TOKEN
    event = mention(f"<@{BOT_USER}> {QUESTION}")
    assert socket_session.push("events_api", event_envelope(event))["envelope_id"] == "env-1"
    call = slack_stub.wait_for("chat.postMessage")[0]
    assert_valid_message(call)
    assert call.params["thread_ts"] == event["ts"]

    form = slack_command_form("help", slack_stub.response_url("sm"))
    ack = socket_session.push("slash_commands", form, response=True)
    assert "/leadership-tip" in json.dumps(ack.get("payload"))


def test_socket_mode_rejected_app_token_is_one_clear_line_and_exit_1(
    slack_stub: SlackStub, shipped_library: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    slack_stub.socket_mode_url = "ws://127.0.0.1:9/never"
    slack_stub.fail("apps.connections.open", error="invalid_auth")
    settings = make_settings(
        slack_stub, tmp_path / "data", slack_app_token=APP_TOKEN, slack_signing_secret=None
    )
    from bot.slack.serve import serve

    with caplog.at_level(logging.INFO):
        code = serve(settings, library=shipped_library, stop=threading.Event(), host="127.0.0.1")
    assert code == 1
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    # slack_sdk's own "Failed to retrieve WSS URL: ..." came first, with Slack's whole reply
    assert errors == ["Slack rejected SLACK_APP_TOKEN (apps.connections.open said invalid_auth)"]
    assert APP_TOKEN not in caplog.text


def test_start_up_log_never_says_the_bot_token_is_ignored(
    slack_stub: SlackStub,
    shipped_library: Any,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Bolt warns that its own `token` argument is unused when a client and `authorize` are
    given (as here, on purpose); in a newcomer's start-up log that read as "SLACK_BOT_TOKEN
    will be ignored" although the token is what every call uses."""
    from bot.slack.app import build_app
    from bot.store.engine import make_engine

    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    settings = make_settings(slack_stub, tmp_path / "data")
    engine = make_engine(settings.db_url)
    with caplog.at_level(logging.INFO):
        _, slack = build_app(settings, shipped_library, engine)
    try:
        warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert not [w for w in warned if "token" in w.lower()], warned
        assert slack.bot_user_id == BOT_USER  # the token was used: auth.test answered
    finally:
        slack.shutdown()
        engine.dispose()


def test_start_up_log_has_no_alembic_chatter(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Each `coach serve` start logged alembic's 'Context impl SQLiteImpl.' and 'Will assume
    non-transactional DDL.' (and a line per migration on a new database): noise a newcomer
    reads as a problem. The schema's change is still one line of our own."""
    from bot.slack.serve import _configure_logging
    from bot.store.engine import make_engine

    _configure_logging("INFO")
    with caplog.at_level(logging.INFO):
        engine = make_engine(f"sqlite:///{tmp_path / 'coach.db'}")
        engine.dispose()
        engine = make_engine(f"sqlite:///{tmp_path / 'coach.db'}")  # a restart
        engine.dispose()
    said = [(r.name, r.getMessage()) for r in caplog.records]
    assert [m for name, m in said if name.startswith("alembic")] == []
    [upgraded] = [m for name, m in said if name == "bot.store.migrate"]
    assert upgraded.startswith("database schema upgraded from nothing to ")
