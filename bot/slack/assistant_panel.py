"""Slack's assistant side panel: a greeting with suggested prompts when a thread opens, and
for each question a status while the library is searched and a title from the first one.

The answer itself is the ordinary threaded answer (bot.slack.answering): a follow-up in the
panel builds on the thread's first question exactly as it does in a channel thread.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.slack.messages.assistant import (
    LOOKING,
    assistant_greeting,
    prompts_payload,
    suggested_prompts,
    thread_title,
)
from bot.slack.runtime import SlackRuntime
from bot.slack.text import clean_question

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


def greet(slack: SlackRuntime, channel: str, thread_ts: str, user: str | None) -> None:
    """assistant_thread_started: say hello and offer prompts drawn from the library's topics."""
    slack.post(channel, assistant_greeting(), thread_ts)
    prompts = suggested_prompts(slack.coach.topics, slack.coach.suggestions(4, user or thread_ts))
    _call(
        slack,
        "assistant_threads_setSuggestedPrompts",
        channel_id=channel,
        thread_ts=thread_ts,
        prompts=prompts_payload(prompts),
        title="Try asking:",
    )


def before_answer(slack: SlackRuntime, channel: str, thread_ts: str, text: str) -> None:
    """Show that the coach is working; name the thread after its first question."""
    _call(
        slack,
        "assistant_threads_setStatus",
        channel_id=channel,
        thread_ts=thread_ts,
        status=LOOKING,
    )
    if slack.events.first_question(channel, thread_ts) is None:
        asked = clean_question(text, slack.bot_user_id)
        if asked:
            _call(
                slack,
                "assistant_threads_setTitle",
                channel_id=channel,
                thread_ts=thread_ts,
                title=thread_title(asked),
            )
