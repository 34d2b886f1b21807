"""Payloads shaped like Slack's (keys as in Slack's own samples, pinned by
shared/slack/slack_payload_shapes.json): Events API envelopes, mentions, DMs, slash command
forms and block actions, each with a fresh ts, event id or trigger id."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.slack_stub import SHARED_SLACK, shared_file
from tests.slack_workspace import API_APP, BOT_USER, TEAM

SLACK_SHAPES = SHARED_SLACK / "slack_payload_shapes.json"


def payload_shapes() -> dict[str, list[str]]:
    return json.loads(shared_file(SLACK_SHAPES).read_text())


_counter = iter(range(1, 10**9))


def new_ts() -> str:
    n = next(_counter)
    return f"{1_800_000_000 + n}.{n:06d}"


def event_envelope(event: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    """An Events API envelope with exactly the keys Slack's sample app_mention has."""
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM,
        "enterprise_id": None,
        "api_app_id": API_APP,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_counter):08d}",
        "event_time": int(time.time()),
        "authed_users": [BOT_USER],
    }


def mention(
    text: str,
    *,
    channel: str = "CSALES",
    user: str = "UASKER",
    ts: str | None = None,
    thread_ts: str | None = None,
) -> dict[str, Any]:
    """An app_mention event: keys as in Slack's sample (plus thread_ts inside a thread)."""
    ts = ts or new_ts()
    event = {
        "type": "app_mention",
        "text": text,
        "user": user,
        "ts": ts,
        "team": TEAM,
        "channel": channel,
        "event_ts": ts,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def dm(text: str, *, channel: str = "DASKER", user: str = "UASKER", **extra: Any) -> dict[str, Any]:
    ts = extra.pop("ts", None) or new_ts()
    event = {
        "type": "message",
        "channel_type": "im",
        "text": text,
        "user": user,
        "ts": ts,
        "team": TEAM,
        "channel": channel,
        "event_ts": ts,
    }
    event.update(extra)
    return event


def slack_command_form(text: str, response_url: str, *, user: str = "UASKER") -> dict[str, str]:
    """A /leadership-tip form with the fields of Slack's sample slash command."""
    return {
        "token": "legacy-verification-token",
        "api_app_id": API_APP,
        "team_id": TEAM,
        "team_domain": "stub-team",
        "enterprise_id": "",
        "enterprise_name": "",
        "channel_id": "CSALES",
        "channel_name": "sales-leaders",
        "user_id": user,
        "user_name": "asker",
        "command": "/leadership-tip",
        "text": text,
        "response_url": response_url,
        "trigger_id": f"13345224609.{next(_counter)}.8088930838d88f008e0",  # one per request
    }


def block_action(
    action_id: str,
    value: str,
    *,
    user: str = "UCLICKER",
    channel: str = "CSALES",
    message: dict[str, Any] | None = None,
    response_url: str,
    ephemeral: bool = False,
) -> dict[str, Any]:
    """A block_actions payload with the keys of Slack's sample."""
    message = message or {"type": "message", "ts": new_ts(), "text": "answer"}
    container: dict[str, Any] = {
        "type": "message",
        "message_ts": message.get("ts"),
        "channel_id": channel,
        "is_ephemeral": ephemeral,
    }
    if message.get("thread_ts"):
        container["thread_ts"] = message["thread_ts"]
    return {
        "type": "block_actions",
        "team": {"id": TEAM, "domain": "stub-team"},
        "user": {"id": user, "username": "clicker", "team_id": TEAM},
        "api_app_id": API_APP,
        "token": "legacy-verification-token",
        "container": container,
        "trigger_id": f"12466734323.{next(_counter)}.abc",
        "channel": {"id": channel, "name": "sales-leaders"},
        "message": message,
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": "answer_actions",
                "type": "button",
                "value": value,
                "action_ts": str(time.time()),
            }
        ],
    }
