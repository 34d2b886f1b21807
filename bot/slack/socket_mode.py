"""Socket Mode behind the same payload check as HTTP (bot.slack.payload_guard).

Bolt's SocketModeHandler hands every envelope to Bolt, which read some fields unchecked: a
view payload without view.type or an event that is not an object was a traceback in the log
and an envelope never acked (Slack delivers an unacked envelope again, into the same
failure). Such an envelope is now acked and dropped with one short log line, as HTTP answers
it 400. An envelope whose payload is neither an object nor a string (a JSON list, say) never
even reached the handler: slack_sdk's client failed building the request from it, with a
traceback and no ack; it is refused the same way before the client tries.

A connection that ends without a close frame (a network drop, a proxy or load balancer
resetting it) is ended at once and replaced by the client's monitor within its ping interval
(5 s). slack_sdk's built-in client took an empty read as "no data yet": its receive loop spun
on the dead socket, a core at full use, until five failed pings in a row gave up on it, about
a minute during which nothing from Slack arrived (a slash command or a button failed for the
person, an event came late on Slack's retry).

When Slack refreshes the connection (its "disconnect" message, every few hours), the old
connection's pending read is woken as it is closed: closing it waited for that read to time
out (3 s, Slack's whole ack window), and the new connection was not read meanwhile.
"""

from __future__ import annotations

import errno
import logging
import socket
import threading
from typing import Any

from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from bot.slack import startup_waits
from bot.slack.client import slack_error
from bot.slack.payload_guard import payload_problem

log = logging.getLogger(__name__)


class _EndsAtEof:
    """A connection's socket whose read of nothing (the peer closed it) is an error, so the
    receive loop ends the session instead of reading nothing again and again."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self.replaced = False  # the client closes it, a new session having taken over

    def recv(self, size: int) -> bytes:
        data = self._sock.recv(size)
        if not data:
            if self.replaced:  # slack_sdk's own word for a socket closed on purpose: quiet
                raise OSError(errno.EBADF, "replaced by a new connection")
            raise ConnectionResetError(errno.ECONNRESET, "Slack's end closed the connection")
        return data

    def end_now(self) -> None:
        """Wake the read that waits on it (up to slack_sdk's 3 s receive timeout, holding
        the lock its close needs), so the new session is read from at once."""
        self.replaced = True
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


def _end_sessions_at_eof(client: SocketModeClient) -> None:
    """Every session the client opens (the first and each reconnect) gets `_EndsAtEof`; its
    receive loop reads the session's socket afresh on every pass."""
    connect = client.connect

    def connect_and_watch() -> None:
        old = client.current_session
        if old is not None and isinstance(old.sock, _EndsAtEof):
            sock, close = old.sock, old.close

            def close_at_once() -> None:  # called once the new session is connected
                sock.end_now()
                close()

            old.close = close_at_once  # type: ignore[method-assign]
        connect()
        session = client.current_session
        if session is not None and session.sock is not None:
            session.sock = _EndsAtEof(session.sock)  # type: ignore[assignment]

    client.connect = connect_and_watch  # type: ignore[method-assign]


class GuardedSocketModeHandler(SocketModeHandler):
    """Bolt's Socket Mode handler; a payload Bolt would trip over never reaches it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        client = self.client
        _end_sessions_at_eof(client)
        run_listeners = client.run_message_listeners

        def run_if_readable(message: dict, raw_message: str) -> None:
            """slack_sdk makes a request of an envelope only if its payload is an object or a
            string; anything else raised there, before any listener (ours included) saw it."""
            payload = message.get("payload")
            if payload is None or isinstance(payload, dict | str):
                run_listeners(message, raw_message)
                return
            problem = payload_problem(payload)
            log.info(
                "rejected a Socket Mode %s envelope: %s", str(message.get("type"))[:40], problem
            )
            envelope_id = message.get("envelope_id")
            if envelope_id:
                client.send_socket_mode_response(SocketModeResponse(envelope_id=str(envelope_id)))

        client.run_message_listeners = run_if_readable  # type: ignore[method-assign]

    def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        problem = payload_problem(req.payload)
        if problem is None:
            super().handle(client, req)
            return
        log.info("rejected a Socket Mode %s envelope: %s", str(req.type)[:40], problem)
        client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))


def open_socket_url(
    handler: SocketModeHandler, app_token: str | None, stop: threading.Event
) -> bool:
    """Ask apps.connections.open here, once, before connecting: slack_sdk's connect() logs its
    own ERROR ("Failed to retrieve WSS URL", with Slack's whole reply) on a rejected token,
    ahead of our one line. A rate limit is left to it (it waits and asks again), and so is
    every later reconnect, whose failures it still logs.

    Slack answering 5xx is an outage, not a verdict on SLACK_APP_TOKEN: it is waited out as
    auth.test's is (one line, then a look every TOKEN_RECHECK_SECONDS). It was "Slack
    rejected SLACK_APP_TOKEN (apps.connections.open said internal_error)" and exit 1. False:
    stopped while waiting."""
    waited = False
    while True:
        try:
            response = handler.client.web_client.apps_connections_open(app_token=app_token)
        except SlackApiError as err:
            status = err.response.status_code if err.response is not None else 0
            if slack_error(err) == "ratelimited" or status == 429:
                return True
            if status < 500:
                raise
            if not waited:
                log.warning(
                    "Slack answered apps.connections.open with HTTP %s (Slack is failing; this "
                    "says nothing about SLACK_APP_TOKEN): trying again every %gs until it answers",
                    status,
                    startup_waits.TOKEN_RECHECK_SECONDS,
                )
            waited = True
            if startup_waits.wait_for_stop(stop, startup_waits.TOKEN_RECHECK_SECONDS):
                log.info("stopped while waiting for Slack to answer apps.connections.open")
                return False
            continue
        if waited:
            log.info("Slack answers apps.connections.open again")
        handler.client.wss_uri = response["url"]
        return True
