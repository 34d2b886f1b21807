"""What Bolt trips over in a payload, checked in one place for both ways in.

Over HTTP (bot.slack.http) and over Socket Mode (bot.slack.socket_mode) a payload that
passes this check is handed to Bolt; one that does not is refused with one short log line.
Bolt reads some fields unchecked: a view_submission or view_closed whose `view` has no
type, or an event_callback whose `event` is not an object, made it log a traceback for each
(over Socket Mode the envelope was then never acked, so Slack delivered it again).
"""

from __future__ import annotations

from typing import Any

VIEW_PAYLOADS = ("view_submission", "view_closed")


def payload_problem(payload: Any) -> str | None:
    """The reason Bolt cannot be given this payload (for the log line); None when it can."""
    if not isinstance(payload, dict):
        return "malformed_payload (not an object)"
    kind = payload.get("type")
    if kind == "event_callback" and not isinstance(payload.get("event", {}), dict):
        return "malformed_payload (event_callback whose event is not an object)"
    if kind in VIEW_PAYLOADS:
        view = payload.get("view")
        if not (isinstance(view, dict) and isinstance(view.get("type"), str)):
            return f"malformed_payload ({kind} without view.type)"
    return None
