""" "More like this": the next passages for the same question, posted in the same thread.

The button carries the fingerprints of every passage its thread showed, and the click
leaves those very passages out: paging by an offset repeated or skipped passages once the
ranking moved between the answer and the click (the curator's edit hot-reloaded, a new
model adapter, replicas on two library versions for a moment). A button made before
carries its offset alone, and is paged by it (`next_page`).

A click is stored in the answer queue before its ack (`queue_more`, kind "more"), keyed by
the message and a digest of what it excludes, so a double click or Slack's retry of the
click is one request and a replica stopped or killed after the ack loses nothing; the
excluded fingerprints are stored with it, for whichever replica answers. Any replica's
answer workers claim it under a lease and post the passages once (`more_job`, through
bot.slack.posting: marked with the key, looked for in the thread after an ambiguous
failure, held through Slack outages, dropped after ANSWER_MAX_AGE_MINUTES). Before, the
click was posted from memory: lost with the process, or after slack_sdk's few retries into
an outage, and, being claimed already, a click after the outage got nothing either.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from bot.slack.answering import answer_blocks
from bot.slack.delivery import Verdict
from bot.slack.messages.answers import error_message
from bot.slack.messages.parts import section, text_message
from bot.slack.messages.values import MORE_SHOWN_MAX, shown_digest
from bot.slack.posting import post_once, stored_before_ack, too_old
from bot.slack.runtime import Message, SlackRuntime
from bot.slack.text import safe_echo
from bot.store.answer_queue import Job
from index.types import SearchResult

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
    offset: int  # how many were shown (an old button's only state)
    shown: tuple[str, ...] | None = None  # their fingerprints; None: an old button's click
    trigger_id: str | None = None

    @property
    def once(self) -> str | None:
        """One click of one button (its message and what it leaves out) is acted on once;
        an old button's key is its offset, as before, so its click stored then is known."""
        if not self.message_ts:
            return None
        what = shown_digest(self.shown) if self.shown is not None else str(self.offset)
        return f"{self.channel}:{self.message_ts}:{what}"


def next_page(
    slack: SlackRuntime,
    question: str,
    context: str | None,
    offset: int,
    shown: Sequence[str] | None,
) -> tuple[SearchResult, tuple[str, ...]]:
    """The next passages, and the fingerprints shown before them (for the next button).

    An old button (`shown` None) is paged by its offset: the first `offset` passages of the
    ranking now count as shown. A chain past MORE_SHOWN_MAX (never a button of ours) has
    nothing more, rather than a button value that would not fit."""
    if shown is None:
        k = offset + slack.settings.top_k
        result = slack.coach.search(question, context=context, k=k)
        before = tuple(h.passage.fingerprint for h in result.hits[:offset])
        return replace(result, hits=result.hits[offset:]), before
    if len(shown) > MORE_SHOWN_MAX:
        return SearchResult(question=question, answered=False), tuple(shown)
    return slack.coach.search(question, context=context, exclude=shown), tuple(shown)


def more_message(
    slack: SlackRuntime,
    question: str,
    context: str | None,
    thread: str | None,
    offset: int,
    shown: Sequence[str] | None,
) -> Message:
    """The next passages not yet shown in the thread, as an answer (with its own buttons),
    or that there are no more."""
    result, before = next_page(slack, question, context, offset, shown)
    if result.answered and result.hits:
        message = answer_blocks(slack, question, result, context, thread, shown=before)
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
            excluded=click.shown,
            now=stamp,
        ),
        "a 'More like this' click",
        "posting it",
        f"'More like this' on {click.message_ts} clicked again; already answered",
    )


def send_more(slack: SlackRuntime, click: MoreClick) -> None:
    """Post the click from memory, once per button and chain (the database's claim, or
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
    message = more_message(
        slack, click.question, click.context, click.thread, click.offset, click.shown
    )
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
        message = more_message(
            slack, job.text, job.context, job.thread_ts, job.offset, job.excluded
        )
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
