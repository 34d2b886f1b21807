""" "More like this": the next passages for the same question, posted in the same thread.

A click is stored in the answer queue before its ack (`queue_more`, kind "more"), keyed by
the message and the offset clicked, so a double click or Slack's retry of the click is one
request and a replica stopped or killed after the ack loses nothing. Any replica's answer
workers claim it under a lease and post the passages once (`more_job`, through
bot.slack.posting: marked with the key, looked for in the thread after an ambiguous
failure, held through Slack outages, dropped after ANSWER_MAX_AGE_MINUTES). Before, the
click was posted from memory: lost with the process, or after slack_sdk's few retries into
an outage, and, being claimed already, a click after the outage got nothing either.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.slack.answering import answer_blocks
from bot.slack.delivery import Verdict
from bot.slack.messages.answers import error_message
from bot.slack.messages.parts import section, text_message
from bot.slack.posting import post_once, stored_before_ack, too_old
from bot.slack.runtime import Message, SlackRuntime
from bot.slack.text import safe_echo
from bot.store.answer_queue import Job

log = logging.getLogger(__name__)

MORE = "more"  # answer_queue kind


@dataclass(frozen=True)
class MoreClick:
    """A "More like this" click: what its search needs and where its passages go."""

    channel: str
    message_ts: str | None  # the message clicked
    thread: str | None  # where to post: the answer's thread; None beside it (a DM answer)
    user: str
    question: str
    context: str | None  # the question a follow-up built on
    offset: int  # where the next passages start
    trigger_id: str | None = None

    @property
    def once(self) -> str | None:
        """One click of one button on one message and offset is acted on once."""
        return f"{self.channel}:{self.message_ts}:{self.offset}" if self.message_ts else None


def more_message(
    slack: SlackRuntime, question: str, context: str | None, thread: str | None, offset: int
) -> Message:
    """The next passages as an answer (with its own buttons), or that there are no more."""
    result = slack.coach.search(question, context=context, offset=offset)
    if result.answered and result.hits:
        message = answer_blocks(slack, question, result, context, thread, offset=offset)
        message["blocks"][0] = section(f"More on _{safe_echo(question, 150)}_:")
        return message
    return text_message(
        f"That's everything the library has on _{safe_echo(question, 150)}_ for now."
    )


def queue_more(slack: SlackRuntime, click: MoreClick) -> bool:
    """Store the click for the answer workers; call it before the ack. False when the
    database could not take it (the caller then posts it from memory, `send_more`)."""
    key = f"{MORE}:{click.once or click.trigger_id or uuid.uuid4().hex}"
    stamp = datetime.now(UTC)
    return stored_before_ack(
        slack,
        lambda: slack.answers.enqueue_more(
            key=key,
            channel=click.channel,
            ts=click.message_ts or f"{stamp.timestamp():.6f}",
            thread_ts=click.thread,
            user_id=click.user,
            question=click.question,
            context=click.context,
            offset=click.offset,
            now=stamp,
        ),
        "a 'More like this' click",
        "posting it",
        f"'More like this' on {click.message_ts} clicked again; already answered",
    )


def send_more(slack: SlackRuntime, click: MoreClick) -> None:
    """Post the click from memory, once per message and offset (the database's claim, or
    this process's memory of it): the way a click goes only when it could not be stored."""
    if click.once and not slack.events.claim_once(
        click.once, kind=MORE, channel=click.channel, ts=click.message_ts or ""
    ):
        log.info("'More like this' on %s clicked again; already answered", click.message_ts)
        return
    slack.submit(more, slack, click)


def more(slack: SlackRuntime, click: MoreClick) -> None:
    """Post the next passages with slack_sdk's retries (from memory, see `send_more`).

    Outside a thread (a DM answer's button) the passages start a thread of their own about
    the question, as the DM answer does: a reply there follows up on it."""
    message = more_message(slack, click.question, click.context, click.thread, click.offset)
    ts = slack.post(click.channel, message, click.thread)
    if ts and not click.thread:
        slack.events.remember_thread(click.channel, ts, click.context or click.question)


def more_job(slack: SlackRuntime, job: Job) -> None:
    """Post one claimed click's passages, or put it back to be tried later, or give it up.
    Posted outside a thread, the passages start one about the question (see `more`)."""
    now = datetime.now(UTC)
    if too_old(slack, job, now):
        return
    try:
        message = more_message(slack, job.text, job.context, job.thread_ts, job.offset)
    except Exception:
        log.exception("'More like this' on %s in %s failed", job.ts, job.channel)
        message = error_message()

    def record(ts: str | None) -> None:
        about = job.context or job.text
        threads = [(ts, about)] if ts and not job.thread_ts else []
        slack.answers.answered(job, ts, threads=threads)

    verdict = post_once(slack, job, message, job.thread_ts, now=now, record=record)
    if verdict == Verdict.DELIVERED:
        log.info("posted 'More like this' on %s in %s", job.ts, job.channel)
