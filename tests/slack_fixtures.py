"""Slack-side fixtures: one stub Slack API per session (the Library is the session's
`shipped_library`), a fresh app, database and HTTP server per test, and signed requests to
it as Slack sends them. Payloads: tests/slack_payloads.py; checks on what the app sent:
tests/slack_checks.py; the workspace's ids and tokens: tests/slack_workspace.py."""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.slack_payloads import SLACK_SHAPES
from tests.slack_stub import SPEC_PATH, SlackStub, missing_required, shared_file
from tests.slack_workspace import BOT_TOKEN, BOT_USER, SIGNING_SECRET, TEAM

ROOT = Path(__file__).resolve().parent.parent


# ---- the Slack Web API stub -------------------------------------------------------------
@pytest.fixture(scope="session")
def _slack_stub_session() -> Iterator[SlackStub]:
    for path in (SPEC_PATH, SLACK_SHAPES):  # no Slack test runs without Slack's own shapes
        try:
            shared_file(path)
        except FileNotFoundError as err:
            pytest.fail(str(err), pytrace=False)
    with SlackStub(bot_user_id=BOT_USER, team_id=TEAM) as stub:
        yield stub


@pytest.fixture
def slack_stub(_slack_stub_session: SlackStub) -> SlackStub:
    """The session's stub, emptied for this test."""
    _slack_stub_session.reset()
    _slack_stub_session.socket_mode_url = None
    return _slack_stub_session


# ---- a running app ------------------------------------------------------------------------
@dataclass
class SlackApp:
    """A built app behind a real HTTP server on a free localhost port."""

    app: Any
    slack: Any  # the Slack runtime: workers, stores, client
    coach: Any  # the Slack-free service
    server: Any
    settings: Any
    stub: SlackStub
    engine: Any

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}/slack/events"

    def settle(self) -> None:
        assert self.slack.wait_idle(60), "the app did not finish its work"

    # -- sending signed requests like Slack --
    def post_raw(
        self,
        body: bytes | str,
        headers: dict[str, str] | None = None,
        *,
        path: str = "/slack/events",
    ) -> tuple[int, str]:
        data = body.encode() if isinstance(body, str) else body
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.server.port}{path}",
            data=data,
            headers=headers or {},
            method="POST",
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()

    def post_signed(
        self,
        body: str,
        content_type: str = "application/json",
        *,
        timestamp: int | None = None,
        secret: str = SIGNING_SECRET,
        extra_headers: dict[str, str] | None = None,
    ) -> tuple[int, str]:
        headers = signed_headers(body, timestamp=timestamp, secret=secret)
        headers["Content-Type"] = content_type
        headers.update(extra_headers or {})
        return self.post_raw(body, headers)

    def send_event(self, envelope: dict[str, Any], retry_num: int | None = None) -> int:
        extra = {}
        if retry_num is not None:
            extra = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        status, _ = self.post_signed(json.dumps(envelope), extra_headers=extra)
        return status

    def send_command(self, form: dict[str, str]) -> tuple[int, str]:
        return self.post_signed(urlencode(form), "application/x-www-form-urlencoded")

    def send_action(self, payload: dict[str, Any]) -> int:
        status, _ = self.post_signed(
            urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
        )
        return status


def signed_headers(
    body: str, *, timestamp: int | None = None, secret: str = SIGNING_SECRET
) -> dict[str, str]:
    from slack_sdk.signature import SignatureVerifier

    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}


def make_settings(stub: SlackStub, data_dir: Path, **overrides: Any) -> Any:
    from bot.settings import Settings

    settings = Settings(
        content_dir=ROOT / "content",
        data_dir=data_dir,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=stub.api_url,
    )
    # short leases and retry waits, so outages and takeovers play out in seconds
    values: dict[str, Any] = {"answer_lease_seconds": 3, "answer_retry_max_seconds": 1}
    return settings.replace(port=0, **{**values, **overrides})


def serve_env(stub: SlackStub, data_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of a `coach serve` started as README says (settings from the
    environment only): this run's own Slack and database settings, none inherited."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))}
    env.update(
        HF_HUB_OFFLINE="1",
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET="s",
        SLACK_API_URL=stub.api_url,
        DATA_DIR=str(data_dir),
        **settings,
    )
    return env


@contextmanager
def running_app(
    stub: SlackStub, library: Any, data_dir: Path, **overrides: Any
) -> Iterator[SlackApp]:
    """An app (own DB in `data_dir` unless `database_url` is given, settings `overrides`)
    served over HTTP on a free port, its client on the stub; every Web API call it made is
    checked against Slack's spec."""
    import threading

    from bot.slack.app import build_app
    from bot.slack.http import make_http_server
    from bot.slack.serve import health
    from bot.store.engine import make_engine

    settings = make_settings(stub, data_dir, **overrides)
    engine = make_engine(settings.db_url)
    app, slack = build_app(settings, library, engine)
    slack.sign_of_life_after = 3600.0  # no :eyes: unless a test asks (slack/test_sign_of_life)
    server = make_http_server(
        app, "127.0.0.1", 0, health=lambda: health(slack), signing_secret=SIGNING_SECRET
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stub.calls.clear()  # start-up auth.test is not what tests look at
    try:
        yield SlackApp(app, slack, slack.coach, server, settings, stub, engine)
        slack.wait_idle(30)
        # whatever the test looked at, every Web API call had Slack's required parameters
        for call in stub.calls:
            if call.method != "response_url":
                assert missing_required(call) == [], f"{call.method}: {missing_required(call)}"
    finally:
        server.shutdown()
        slack.wait_idle(30)
        slack.shutdown()
        engine.dispose()


@pytest.fixture
def slack_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The Slack side's database (questions, dedupe, threads, feedback): SQLite, or each
    backend in turn for tests marked `@on_both_databases`."""
    from tests.pg_fixtures import database_url_for

    return database_url_for(getattr(request, "param", "sqlite"), request, tmp_path)


on_both_databases = pytest.mark.parametrize("slack_db_url", ["sqlite", "postgres"], indirect=True)


@pytest.fixture
def slack_app(
    slack_stub: SlackStub, shipped_library: Any, tmp_path: Path, slack_db_url: str
) -> Iterator[SlackApp]:
    """A fresh app (own DB) served over HTTP on a free port, its client on the stub."""
    with running_app(
        slack_stub, shipped_library, tmp_path / "data", database_url=slack_db_url
    ) as running:
        yield running


__all__ = [
    "SlackApp",
    "make_settings",
    "on_both_databases",
    "running_app",
    "serve_env",
    "signed_headers",
    "slack_app",
    "slack_db_url",
    "slack_stub",
    "_slack_stub_session",
]


def at_once(send: Callable[..., Any], *args: Any, to: list[SlackApp], **kwargs: Any) -> None:
    """`send` (SlackApp.send_event or send_action, by name) with `args` to every app in `to`
    side by side, as Slack's retries or a double click reach replicas together; returns when
    all have their answer."""
    threads = [
        threading.Thread(target=partial(getattr(app, send.__name__), *args, **kwargs)) for app in to
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
