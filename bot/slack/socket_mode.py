"""Socket Mode behind the same payload check as HTTP (bot.slack.payload_guard).

Bolt's SocketModeHandler hands every envelope to Bolt, which read some fields unchecked: a
view payload without view.type or an event that is not an object was a traceback in the log
and an envelope never acked (Slack delivers an unacked envelope again, into the same
failure). Such an envelope is now acked and dropped with one short log line, as HTTP answers
it 400.
"""

from __future__ import annotations

import logging

from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from bot.slack.payload_guard import payload_problem

log = logging.getLogger(__name__)


class GuardedSocketModeHandler(SocketModeHandler):
    """Bolt's Socket Mode handler; a payload Bolt would trip over never reaches it."""

    def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        problem = payload_problem(req.payload)
        if problem is None:
            super().handle(client, req)
            return
        log.info("rejected a Socket Mode %s envelope: %s", str(req.type)[:40], problem)
        client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
