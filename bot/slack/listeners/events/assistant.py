"""Slack's assistant side panel through Bolt's `Assistant` middleware.

A thread opening gets a greeting and suggested prompts: stored before the ack (this
listener's middleware, which Bolt runs before acking; the listener itself runs after), then
posted by the answer workers (bot.slack.assistant_panel), or from memory when the database
could not store it. A message in it was stored as a question before the ack
(bot.slack.intake); the answer workers set the status and title and answer it like any
question, so this listener only wakes them. The context-changed event is only
acknowledged: the coach does not use the channel the person is looking at, and Bolt's
default handler would rewrite the greeting on every channel switch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App, Assistant, BoltContext
from slack_bolt.middleware import CustomMiddleware

from bot.slack.assistant_panel import greet, queue_greeting
from bot.slack.listeners.guard import guarded
from bot.slack.runtime import SlackRuntime

STORED = "greeting_stored"  # set in the request's context by the middleware


def _started(body: dict[str, Any]) -> tuple[str, str, str | None] | None:
    """The thread that opened: channel, thread ts, user; None for an odd payload."""
    event = body.get("event")
    thread = event.get("assistant_thread") if isinstance(event, dict) else None
    if not isinstance(thread, dict):
        return None
    channel, ts, user = thread.get("channel_id"), thread.get("thread_ts"), thread.get("user_id")
    if isinstance(channel, str) and channel and isinstance(ts, str) and ts:
        return channel, ts, user if isinstance(user, str) else None
    return None


def register(app: App, slack: SlackRuntime) -> None:
    assistant = Assistant()

    def store_first(body: dict[str, Any], context: BoltContext, next: Callable[[], None]) -> None:  # noqa: A002
        started = _started(body)
        context[STORED] = started is None or queue_greeting(slack, *started)
        next()

    # (Assistant, unlike App, takes only Middleware objects, not plain functions)
    stored_first = CustomMiddleware(app_name=app.name, func=store_first)

    @assistant.thread_started(middleware=[stored_first])
    @guarded
    def on_thread_started(body: dict[str, Any], context: BoltContext) -> None:
        started = _started(body)
        if started is not None and not context.get(STORED):
            slack.submit(greet, slack, *started)  # the database could not store it

    @assistant.thread_context_changed
    @guarded
    def on_context_changed(payload: dict[str, Any]) -> None:
        return None

    @assistant.user_message
    @guarded
    def on_user_message(body: dict[str, Any]) -> None:
        slack.wake_answers()

    app.assistant(assistant)
