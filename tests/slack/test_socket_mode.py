"""The surfaces beyond @mentions over Socket Mode: the same payloads Slack sends over HTTP,
wrapped in Socket Mode envelopes (``interactive`` for the message shortcut and its button,
``events_api`` for the assistant panel and the welcome), through a real ``serve()`` connected
to a local Socket Mode server. Each envelope must be acked and produce the same Web API calls
as over HTTP.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.slack.socket_mode import FakeSocketModeServer, Served
from tests.slack.surface_payloads import (
    member_joined,
    message_action,
    panel_message,
    thread_started,
)
from tests.slack.test_surfaces import QUESTION, share_button
from tests.slack_fixtures import (
    APP_TOKEN,
    BOT_USER,
    assert_valid_message,
    block_action,
    event_envelope,
    make_settings,
)
from tests.slack_stub import SlackStub, missing_required


class SocketSession:
    """A running serve() in Socket Mode and a way to push envelopes and wait for acks."""

    def __init__(self, stub: SlackStub, server: FakeSocketModeServer, served: Served) -> None:
        self.stub = stub
        self.server = server
        self.served = served
        self._n = 0

    def push(self, kind: str, payload: dict[str, Any], *, response: bool = False) -> dict:
        self._n += 1
        envelope_id = f"env-{self._n}"
        self.server.send(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "accepts_response_payload": response,
                "retry_attempt": 0,
                "retry_reason": "",
                "payload": payload,
            }
        )
        return self.server.wait_ack(envelope_id)


@pytest.fixture
def socket_session(
    slack_stub: SlackStub,
    shipped_library: Any,
    tmp_path: Path,
    socket_server: FakeSocketModeServer,
) -> Iterator[SocketSession]:
    """A real serve() connected over Socket Mode; it must stop cleanly afterwards."""
    slack_stub.socket_mode_url = socket_server.url
    settings = make_settings(
        slack_stub, tmp_path / "data", slack_app_token=APP_TOKEN, slack_signing_secret=None
    )
    served = Served(settings, shipped_library)
    try:
        assert served.info["mode"] == "socket"
        assert socket_server.connected.wait(30)
        yield SocketSession(slack_stub, socket_server, served)
    finally:
        assert served.close() == 0


def test_shortcut_and_share_button_over_socket_mode(socket_session: SocketSession) -> None:
    session, slack_stub = socket_session, socket_session.stub
    payload = message_action(QUESTION, response_url=slack_stub.response_url("sc"))
    session.push("interactive", payload)
    [private] = slack_stub.wait_for("chat.postEphemeral")
    assert_valid_message(private)
    assert private.params["user"] == "ULEADER"
    button = share_button(private)
    assert button is not None, "the private answer offers Share in thread"

    click = block_action(
        button["action_id"],
        button["value"],
        user="ULEADER",
        channel=payload["channel"]["id"],
        response_url=slack_stub.response_url("share"),
        ephemeral=True,
    )
    session.push("interactive", click)
    [shared] = slack_stub.wait_for("chat.postMessage")
    assert_valid_message(shared)
    assert shared.params["channel"] == payload["channel"]["id"]
    assert shared.params["thread_ts"] == payload["message"]["ts"]
    assert "<@ULEADER>" in json.dumps(shared.blocks)


def test_assistant_panel_and_welcome_over_socket_mode(socket_session: SocketSession) -> None:
    session, slack_stub = socket_session, socket_session.stub
    started = thread_started()
    session.push("events_api", event_envelope(started))
    [prompts] = slack_stub.wait_for("assistant.threads.setSuggestedPrompts")
    assert len(prompts.params["prompts"]) >= 3
    [greeting] = slack_stub.wait_for("chat.postMessage")
    assert_valid_message(greeting)

    thread = started["assistant_thread"]["thread_ts"]
    session.push("events_api", event_envelope(panel_message(QUESTION, thread)))
    [status] = slack_stub.wait_for("assistant.threads.setStatus")
    assert status.params["thread_ts"] == thread
    answers = slack_stub.wait_for("chat.postMessage", 2)
    assert_valid_message(answers[1])
    assert answers[1].params["thread_ts"] == thread
    assert slack_stub.wait_for("assistant.threads.setTitle")[0].params["title"] == QUESTION

    session.push("events_api", event_envelope(member_joined(BOT_USER)))
    hello = slack_stub.wait_for("chat.postMessage", 3)[2]
    assert hello.params["channel"] == "CNEWTEAM"
    for call in slack_stub.calls:
        assert missing_required(call) == [], call.method
