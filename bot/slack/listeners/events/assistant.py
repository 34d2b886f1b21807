"""Slack's assistant side panel through Bolt's `Assistant` middleware.

A thread opening gets a greeting and suggested prompts. A message in it was stored as a
question before the ack (bot.slack.intake); the answer workers set the status and title
and answer it like any question, so this listener only wakes them. The context-changed
event is only acknowledged: the coach does not use the channel the person is looking at,
and Bolt's default handler would rewrite the greeting on every channel switch.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import App, Assistant

from bot.slack.assistant_panel import greet
from bot.slack.listeners.guard import guarded
from bot.slack.runtime import SlackRuntime


def register(app: App, slack: SlackRuntime) -> None:
    assistant = Assistant()

    @assistant.thread_started
    @guarded
    def on_thread_started(payload: dict[str, Any]) -> None:
        thread = payload.get("assistant_thread")
        if not isinstance(thread, dict):
            return
        channel, ts, user = thread.get("channel_id"), thread.get("thread_ts"), thread.get("user_id")
        if isinstance(channel, str) and channel and isinstance(ts, str) and ts:
            slack.submit(greet, slack, channel, ts, user if isinstance(user, str) else None)

    @assistant.thread_context_changed
    @guarded
    def on_context_changed(payload: dict[str, Any]) -> None:
        return None

    @assistant.user_message
    @guarded
    def on_user_message(body: dict[str, Any]) -> None:
        slack.wake_answers()

    app.assistant(assistant)
