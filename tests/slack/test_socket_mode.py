"""The surfaces beyond @mentions over Socket Mode: the same payloads Slack sends over HTTP,
wrapped in Socket Mode envelopes (``interactive`` for the message shortcut and its button,
``events_api`` for the assistant panel and the welcome), through a real ``serve()`` connected
to a local Socket Mode server. Each envelope must be acked and produce the same Web API calls
as over HTTP.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

import pytest

from tests.slack.answer_buttons import QUESTION, share_button
from tests.slack.socket_mode import SocketSession
from tests.slack.surface_payloads import (
    member_joined,
    message_action,
    panel_message,
    thread_started,
)
from tests.slack_checks import assert_valid_message
from tests.slack_payloads import block_action, event_envelope, mention
from tests.slack_stub import missing_required
from tests.slack_workspace import BOT_USER


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


MALFORMED_ENVELOPES = [
    ("interactive", {"type": "view_submission", "team": {"id": "T1"}, "user": {"id": "U1"}}),
    (
        "interactive",
        {"type": "view_closed", "user": {"id": "U1"}, "view": {"id": "V1", "type": None}},
    ),
    ("events_api", {"type": "event_callback", "team_id": "T1", "event": "a string"}),
    ("events_api", [{"type": "event_callback", "team_id": "T1"}]),  # slack_sdk's own traceback
]


def test_a_malformed_payload_over_socket_mode_is_acked_with_one_short_log_line(
    socket_session: SocketSession, caplog: pytest.LogCaptureFixture
) -> None:
    """The HTTP guard's check applies to Socket Mode too: each of these was a Bolt traceback
    and an envelope never acked (so Slack would deliver it again, into the same failure)."""
    caplog.set_level(logging.INFO)
    for kind, payload in MALFORMED_ENVELOPES:
        caplog.clear()
        socket_session.push(kind, payload)  # acked
        said = [r.getMessage() for r in caplog.records if r.name.startswith("bot")]
        assert not [r for r in caplog.records if r.exc_info], said
        bolt = [r.getMessage() for r in caplog.records if r.name.startswith("slack")]
        assert not [m for m in bolt if "Unsuccessful" in m or "Failed" in m], bolt
        assert len(said) == 1 and len(said[0]) < 200 and "malformed_payload" in said[0], said
    # and the next question is answered as ever
    socket_session.push("events_api", event_envelope(mention(f"<@{BOT_USER}> {QUESTION}")))
    [answer] = socket_session.stub.wait_for("chat.postMessage")
    assert_valid_message(answer)


def test_a_dropped_connection_is_replaced_and_the_next_mention_answered(
    socket_session: SocketSession,
) -> None:
    """A connection that ended without a close frame (a network drop, a proxy's reset) was
    read as "no data yet" by slack_sdk's built-in client: its receive loop spun on the dead
    socket, a core at full use, until five failed pings gave up on it, about a minute in
    which nothing from Slack arrived. Now the empty read ends the session and the client's
    monitor opens a new one within its ping interval (5 s); the wait below is far shorter
    than the minute it took."""
    session, slack_stub, server = socket_session, socket_session.stub, socket_session.server
    server.drop()
    server.wait_connections(2, timeout=40)
    assert len(slack_stub.calls_to("apps.connections.open")) == 2  # a fresh URL, as Slack asks
    event = mention(f"<@{BOT_USER}> {QUESTION}")
    session.push("events_api", event_envelope(event))
    [answer] = slack_stub.wait_for("chat.postMessage")
    assert_valid_message(answer)
    assert answer.params["thread_ts"] == event["ts"]


class HeldRead:
    """A socket whose reads wait until it is shut down, as a read on a quiet connection waits
    (slack_sdk's for up to 3 s, holding the lock that closing the connection needs)."""

    def __init__(self, sock: Any) -> None:
        self._sock = sock
        self.reading = threading.Event()
        self.released = threading.Event()

    def recv(self, size: int) -> bytes:
        self.reading.set()
        self.released.wait()
        return self._sock.recv(size)

    def shutdown(self, how: int) -> None:
        self.released.set()
        self._sock.shutdown(how)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


def test_a_refreshed_connection_is_read_from_while_the_old_one_still_waits(
    socket_session: SocketSession,
) -> None:
    """Slack refreshes a Socket Mode connection every few hours ("disconnect", reason
    refresh_requested): the client opens a new one and closes the old. Closing waited for the
    old connection's pending read to time out (3 s, Slack's whole ack window), and the new
    connection was not read meanwhile: an envelope sent on it was acked after 2.9 s (a
    /leadership-tip then fails for the person, an event comes again). Now the old read is
    woken and the new connection read at once."""
    session, slack_stub, server = socket_session, socket_session.stub, socket_session.server
    client = session.served.info["handler"].client
    old = client.current_session
    wrapped = getattr(old.sock, "_sock", None)  # the app's own wrapper of the socket, if any
    held = HeldRead(wrapped if wrapped is not None else old.sock)
    if wrapped is not None:
        old.sock._sock = held
    else:
        old.sock = held
    try:
        assert held.reading.wait(30), "the old connection's read never began"
        refresh = threading.Thread(target=client.connect_to_new_endpoint, kwargs={"force": True})
        refresh.start()  # what the client does on Slack's "disconnect" message
        server.wait_connections(2)
        event = mention(f"<@{BOT_USER}> {QUESTION}")
        session.push("events_api", event_envelope(event))
        [answer] = slack_stub.wait_for("chat.postMessage")
        assert answer.params["thread_ts"] == event["ts"]
    finally:
        held.released.set()
