"""What the stub Slack answers a call it processes as Slack would: `auth.test` names the bot,
`chat.postMessage` returns a fresh `ts` and keeps the message (its `metadata` too, unless the
stub is set to drop it) so `conversations.replies` / `conversations.history` can return it
(with metadata only when include_all_metadata is asked for); ok:false for bad input."""

from __future__ import annotations

import itertools
import threading
from typing import Any

from tests.slack_calls import Call


class SlackAnswers:
    """The stub's answers (`SlackStub` is one): its bot, the tokens it takes, the messages it
    keeps by channel, and the `ts` it gives each new one."""

    bot_user_id: str
    bot_id: str
    team_id: str
    valid_tokens: tuple[str, ...] | None
    keeps_metadata: bool
    socket_mode_url: str | None
    messages: dict[str, list[dict[str, Any]]]
    _cond: threading.Condition
    _ts: itertools.count[int]

    def next_ts(self) -> str:
        n = next(self._ts)
        return f"{1_700_000_000 + n}.{n:06d}"

    def _answer(self, call: Call) -> dict[str, Any]:
        """What Slack would answer for a successful transport; ok:false for bad input."""
        p = call.params
        m = call.method
        if m == "response_url":
            return {"ok": True}
        if m in ("apps.connections.open",):
            if not (call.token or "").startswith("xapp-"):
                return {"ok": False, "error": "not_allowed_token_type"}
            if not self.socket_mode_url:
                return {"ok": False, "error": "socket_mode_not_enabled"}
            return {"ok": True, "url": self.socket_mode_url}
        if not call.token:
            return {"ok": False, "error": "not_authed"}
        if self.valid_tokens is not None and call.token not in self.valid_tokens:
            return {"ok": False, "error": "invalid_auth"}
        if m == "auth.test":
            return {
                "ok": True,
                "url": "https://stub-team.slack.com/",
                "team": "Stub Team",
                "user": "leadership_coach",
                "team_id": self.team_id,
                "user_id": self.bot_user_id,
                "bot_id": self.bot_id,
                "is_enterprise_install": False,
            }
        if m in ("chat.postMessage", "chat.postEphemeral", "chat.update"):
            channel = p.get("channel")
            if not channel:
                return {"ok": False, "error": "channel_not_found"}
            if not p.get("text") and not p.get("blocks") and not p.get("attachments"):
                return {"ok": False, "error": "no_text"}
            if m == "chat.postEphemeral":
                if not p.get("user"):
                    return {"ok": False, "error": "user_not_in_channel"}
                return {"ok": True, "message_ts": self.next_ts()}
            if m == "chat.update":
                if not p.get("ts"):
                    return {"ok": False, "error": "message_not_found"}
                return {"ok": True, "channel": channel, "ts": p["ts"], "text": p.get("text", "")}
            ts = self.next_ts()
            msg: dict[str, Any] = {
                "type": "message",
                "ts": ts,
                "text": p.get("text", ""),
                "user": self.bot_user_id,
                "bot_id": self.bot_id,
            }
            if p.get("blocks"):
                msg["blocks"] = p["blocks"]
            if p.get("thread_ts"):
                msg["thread_ts"] = p["thread_ts"]
            if isinstance(p.get("metadata"), dict) and self.keeps_metadata:
                # history returns it (include_all_metadata)
                msg["metadata"] = p["metadata"]
            with self._cond:
                self.messages.setdefault(channel, []).append(msg)
            return {"ok": True, "channel": channel, "ts": ts, "message": msg}
        if m == "conversations.replies":
            channel, ts = p.get("channel"), p.get("ts")
            if not channel or not ts:
                return {"ok": False, "error": "invalid_arguments"}
            with self._cond:
                msgs = [
                    dict(x)
                    for x in self.messages.get(channel, [])
                    if x["ts"] == ts or x.get("thread_ts") == ts
                ]
            if not msgs:
                return {"ok": False, "error": "thread_not_found"}
            msgs.sort(key=lambda x: float(x["ts"]))
            oldest = p.get("oldest")
            if oldest:  # Slack keeps the parent; replies older than `oldest` are left out
                msgs = [x for x in msgs if x["ts"] == ts or float(x["ts"]) >= float(oldest)]
            return {"ok": True, "messages": _metadata_if_asked(msgs, p), "has_more": False}
        if m == "conversations.history":
            channel = p.get("channel")
            if not channel:
                return {"ok": False, "error": "channel_not_found"}
            with self._cond:
                msgs = [
                    dict(x)
                    for x in self.messages.get(channel, [])
                    if not x.get("thread_ts") or x.get("thread_ts") == x["ts"]
                ]
            msgs.sort(key=lambda x: float(x["ts"]), reverse=True)
            oldest = p.get("oldest")
            if oldest:
                msgs = [x for x in msgs if float(x["ts"]) > float(oldest)]
            return {"ok": True, "messages": _metadata_if_asked(msgs, p), "has_more": False}
        if m == "views.publish":
            if not p.get("user_id") or not p.get("view"):
                return {"ok": False, "error": "invalid_arguments"}
            view = p["view"] if isinstance(p["view"], dict) else {}
            return {"ok": True, "view": {"id": "V0STUB", **view}}
        if m == "users.info":
            user = p.get("user") or "U0"
            info = self.users.get(user, {"id": user, "name": user.lower(), "real_name": user})
            return {"ok": True, "user": info}
        if m == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(p.get("users", "U0"))[1:]}}
        return {"ok": True}


def _metadata_if_asked(messages: list[dict[str, Any]], params: dict[str, Any]) -> list[Any]:
    """Slack returns message metadata only to callers passing include_all_metadata."""
    if str(params.get("include_all_metadata")).lower() in ("1", "true"):
        return messages
    return [{k: v for k, v in m.items() if k != "metadata"} for m in messages]
