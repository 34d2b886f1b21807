"""Payloads shaped like Slack's documentation for the surfaces beyond @mentions: the
message shortcut, the assistant panel's events, and a member joining a channel."""

from __future__ import annotations

import time
import uuid
from typing import Any

from tests.slack_payloads import new_ts
from tests.slack_workspace import TEAM


def message_action(
    text: str,
    *,
    channel: str = "CSALES",
    user: str = "ULEADER",
    author: str = "UREP",
    ts: str | None = None,
    thread_ts: str | None = None,
    response_url: str,
    trigger_id: str | None = None,
) -> dict[str, Any]:
    """A message shortcut payload: the fields of Slack's MessageShortcut sample. Each use
    of the shortcut has its own trigger_id, as in Slack; the same payload sent twice has one."""
    ts = ts or new_ts()
    message: dict[str, Any] = {
        "type": "message",
        "user": author,
        "ts": ts,
        "text": text,
        "team": TEAM,
    }
    if thread_ts:
        message["thread_ts"] = thread_ts
    return {
        "type": "message_action",
        "token": "legacy-verification-token",
        "action_ts": str(time.time()),
        "team": {"id": TEAM, "domain": "stub-team"},
        "user": {"id": user, "name": "leader", "username": "leader", "team_id": TEAM},
        "channel": {"id": channel, "name": "sales-floor"},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": "coach_me",
        "trigger_id": trigger_id or f"13345224609.738474920.{uuid.uuid4().hex[:19]}",
        "response_url": response_url,
        "message_ts": ts,
        "message": message,
    }


def thread_started(channel: str = "DPANEL", thread_ts: str | None = None) -> dict[str, Any]:
    """assistant_thread_started, as in Slack's event reference."""
    return {
        "type": "assistant_thread_started",
        "assistant_thread": {
            "user_id": "ULEADER",
            "context": {"channel_id": "CSALES", "team_id": TEAM, "enterprise_id": None},
            "channel_id": channel,
            "thread_ts": thread_ts or new_ts(),
        },
        "event_ts": new_ts(),
    }


def panel_root(stub: Any, channel: str = "DPANEL") -> str:
    """An assistant thread as Slack makes it when the panel opens: its root message (subtype
    assistant_app_thread) in the stub's history; the thread's ts."""
    thread_ts = new_ts()
    root = stub.seed_message(channel, thread_ts, "New chat", user="ULEADER")
    root["subtype"] = "assistant_app_thread"
    return thread_ts


def panel_message(text: str, thread_ts: str, channel: str = "DPANEL") -> dict[str, Any]:
    """A person's message in an assistant thread: message.im with thread_ts."""
    ts = new_ts()
    return {
        "type": "message",
        "channel_type": "im",
        "user": "ULEADER",
        "text": text,
        "ts": ts,
        "team": TEAM,
        "channel": channel,
        "event_ts": ts,
        "thread_ts": thread_ts,
    }


def member_joined(user: str, channel: str = "CNEWTEAM") -> dict[str, Any]:
    """member_joined_channel, as in Slack's event reference."""
    return {
        "type": "member_joined_channel",
        "user": user,
        "channel": channel,
        "channel_type": "C",
        "team": TEAM,
        "inviter": "UADMIN",
        "event_ts": new_ts(),
    }
