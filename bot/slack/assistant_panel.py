"""Slack's assistant side panel: a greeting with suggested prompts when a thread opens, and
for each question a status while the library is searched and a title from the first one.

Bolt takes every threaded DM for a message in an assistant thread, but a reply in the thread
of a DM answer is in a plain DM thread, where assistant.threads.* do not belong (Slack
refused the status and title): `is_assistant_thread` tells them apart.

The greeting rides the durable answer queue (kind "greeting", keyed by the thread): stored
before the event's ack (`queue_greeting`), with the claim that marks the thread as the
panel's, then set and posted once by any replica's answer workers (`greeting_job`): held
through Slack outages, looked for in the thread after an ambiguous failure, dropped with
one line after ANSWER_MAX_AGE_MINUTES. Before, it was posted from memory: lost to a 503
outage (Slack does not send an event again once acked) and doubled by a reset after Slack
took it. `greet` is that path, kept for when the database cannot store the start.

The answer itself is the ordinary threaded answer (bot.slack.answering): a follow-up in the
panel builds on the thread's first question exactly as it does in a channel thread.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.daily_quote.slack_calls import FailureKind, classify
from bot.slack.client import thread_messages
from bot.slack.delivery import TRANSIENT_ERRORS, Delivery, Verdict, tried_once
from bot.slack.messages.assistant import (
    LOOKING,
    assistant_greeting,
    prompts_payload,
    suggested_prompts,
    thread_title,
)
from bot.slack.posting import later_or_drop, post_once, stored_before_ack, too_old
from bot.slack.runtime import SlackRuntime
from bot.slack.text import clean_question
from bot.small_talk import small_talk
from bot.store.answer_queue import Job
from bot.store.said_queue import enqueue_said_once, said_at
from bot.store.tables import SaidKind

log = logging.getLogger(__name__)

GREETING_KIND = "greeting"  # the answer_queue kind of an assistant thread's greeting
PROMPTS_TITLE = "Try asking:"


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
    prompts = _prompts(slack, channel, thread_ts, user)
    _call(slack, "assistant_threads_setSuggestedPrompts", **prompts)


def _prompts(slack: SlackRuntime, channel: str, thread_ts: str, user: str | None) -> dict[str, Any]:
    """assistant.threads.setSuggestedPrompts' arguments: up to four prompts from the
    library's topics (Slack's limit), with thread_ts, as the assistant view wants."""
    prompts = suggested_prompts(slack.coach.topics, slack.coach.suggestions(4, user or thread_ts))
    return {
        "channel_id": channel,
        "thread_ts": thread_ts,
        "prompts": prompts_payload(prompts)[:4],
        "title": PROMPTS_TITLE,
    }


def queue_greeting(
    slack: SlackRuntime,
    channel: str,
    thread_ts: str,
    user: str | None,
    *,
    now: datetime | None = None,
) -> bool:
    """Store the thread's greeting for the answer workers; call it before the ack. False
    when the database could not take it (the caller then greets from memory, `greet`).
    The same thread's start delivered again, to any replica, stores nothing."""
    key = thread_key(channel, thread_ts)
    return stored_before_ack(
        slack,
        lambda: enqueue_said_once(
            slack.answers.engine,
            f"{GREETING_KIND}:{key}",
            kind=GREETING_KIND,
            said=SaidKind.PANEL_GREETING,
            said_key=key,
            channel=channel,
            ts=thread_ts,
            thread_ts=thread_ts,
            user_id=user,
            now=now,
        ),
        "an assistant thread's start",
        "greeting it",
        f"already greeted in {key}; not again",
    )


def greeting_job(slack: SlackRuntime, job: Job) -> None:
    """Set the prompts and post the greeting of one claimed thread start, or put it back
    to be tried later, or give it up. The prompts go first and on every try: setting them
    again is harmless, and so nothing of the greeting is lost to an outage."""
    now = datetime.now(UTC)
    thread_ts = job.thread_ts or job.ts
    what = f"the panel greeting in {thread_ts}"
    if too_old(slack, job, now, what) or not _prompts_set(slack, job, thread_ts, now, what):
        return
    key = thread_key(job.channel, thread_ts)

    def record(ts: str | None) -> None:
        slack.answers.answered(job, ts, also=said_at(SaidKind.PANEL_GREETING, key, ts))

    post_once(slack, job, assistant_greeting(), thread_ts, now=now, record=record, what=what)


def _prompts_set(slack: SlackRuntime, job: Job, thread_ts: str, now: datetime, what: str) -> bool:
    """The suggested prompts, tried once: True when set, or refused (decoration: the
    greeting still goes); False when Slack did not answer (the row is put back, held with
    every answer while Slack fails as a whole, or dropped when too old)."""
    lease = timedelta(seconds=slack.settings.answer_lease_seconds)
    args = _prompts(slack, job.channel, thread_ts, job.user_id or None)
    try:
        tried_once(slack.client, lease).assistant_threads_setSuggestedPrompts(**args)
        return True
    except Exception as err:
        try:
            failure = classify(err)
        except Exception:  # no Slack failure (a broken response): try again later
            done = Delivery(Verdict.RETRY, detail=f"{type(err).__name__}: {err}", not_posted=True)
        else:
            if failure.kind == FailureKind.API and failure.detail not in TRANSIENT_ERRORS:
                log.info("Slack refused the suggested prompts in %s: %s", job.channel, failure)
                return True
            done = Delivery(
                Verdict.RETRY,
                wait=failure.retry_after,
                detail=str(failure),
                not_posted=True,
                failure=failure.kind,
            )
    later_or_drop(slack, job, now, done, what)
    return False


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
