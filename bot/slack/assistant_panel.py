"""Slack's assistant side panel: a greeting with suggested prompts when a thread opens, and
for each question a status while the library is searched and a title from the first one.

Bolt takes every threaded DM for a message in an assistant thread, but a reply in the thread
of a DM answer is in a plain DM thread, where assistant.threads.* do not belong (Slack
refused the status and title): `is_assistant_thread` tells them apart.

The answer itself is the ordinary threaded answer (bot.slack.answering): a follow-up in the
panel builds on the thread's first question exactly as it does in a channel thread.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.slack.client import thread_messages
from bot.slack.messages.assistant import (
    LOOKING,
    assistant_greeting,
    prompts_payload,
    suggested_prompts,
    thread_title,
)
from bot.slack.runtime import SlackRuntime
from bot.slack.text import clean_question
from bot.small_talk import small_talk
from bot.store.tables import SaidKind

log = logging.getLogger(__name__)


def _call(slack: SlackRuntime, method: str, **args: Any) -> bool:
    """One assistant.threads.* call; a failure is logged, never raised (it is decoration)."""
    try:
        getattr(slack.client, method)(**args)
    except Exception as err:
        error = getattr(getattr(err, "response", None), "get", lambda _k: None)("error")
        log.info("%s in %s failed: %s", method, args.get("channel_id"), error or err)
        return False
    return True


def thread_key(channel: str, thread_ts: str) -> str:
    return f"{channel}/{thread_ts}"


def greet(slack: SlackRuntime, channel: str, thread_ts: str, user: str | None) -> None:
    """assistant_thread_started: say hello and offer prompts drawn from the library's topics,
    once per thread (Slack delivers an event again when it missed the ack). The claim also
    marks the thread as an assistant thread."""
    key = thread_key(channel, thread_ts)
    if not slack.said_once.claim(SaidKind.PANEL_GREETING, key):
        log.info("already greeted in %s; not again", key)
        return
    ts = slack.post(channel, assistant_greeting(), thread_ts)
    if ts is None:
        slack.said_once.release(SaidKind.PANEL_GREETING, key)  # a redelivery may try again
        return
    slack.said_once.done(SaidKind.PANEL_GREETING, key, ts)
    prompts = suggested_prompts(slack.coach.topics, slack.coach.suggestions(4, user or thread_ts))
    _call(
        slack,
        "assistant_threads_setSuggestedPrompts",
        channel_id=channel,
        thread_ts=thread_ts,
        prompts=prompts_payload(prompts),
        title="Try asking:",
    )


def is_assistant_thread(slack: SlackRuntime, channel: str, thread_ts: str) -> bool:
    """A thread of the assistant panel: greeted when it started or, when its start was not
    seen here, a thread whose root message Slack made for the panel (subtype
    assistant_app_thread). Unknowable (Slack unreachable): not one, so no status."""
    if slack.said_once.said(SaidKind.PANEL_GREETING, thread_key(channel, thread_ts)):
        return True
    root = next(iter(thread_messages(slack.client, channel, thread_ts, limit=1) or []), None)
    return (
        root is not None
        and root.get("ts") == thread_ts
        and root.get("subtype") == "assistant_app_thread"
    )


def before_answer(slack: SlackRuntime, channel: str, thread_ts: str, text: str) -> None:
    """Show that the coach is working; name the thread after its first question (not after
    a "hi", "help" or "thanks", which the panel's history showed as the thread's title)."""
    _call(
        slack,
        "assistant_threads_setStatus",
        channel_id=channel,
        thread_ts=thread_ts,
        status=LOOKING,
    )
    if slack.events.first_question(channel, thread_ts) is None:
        asked = clean_question(text, slack.bot_user_id)
        if asked and small_talk(asked) is None:
            _call(
                slack,
                "assistant_threads_setTitle",
                channel_id=channel,
                thread_ts=thread_ts,
                title=thread_title(asked),
            )
