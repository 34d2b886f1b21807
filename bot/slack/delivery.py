"""Posting one answer to one question, once, through Slack outages and dead replicas.

Each answer carries its question's key in the message `metadata`. Whenever an earlier
chat.postMessage for the question may have reached Slack (a timeout, a reset connection, a
5xx, or a replica killed mid-post: the queue row's `attempts` is above zero), the thread is
looked at first (`conversations.replies` with include_all_metadata) and a found answer is
recorded instead of posting a second one. Every call is tried once here, with slack_sdk's
own retries off: retrying is the queue's job, with backoff, on whichever replica is free.
A post must end while its lease lasts (else another replica could look, find nothing and
post too): a lease too short for one more call is renewed first.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from slack_sdk import WebClient

from bot.daily_quote.slack_calls import FailureKind, SlackFailure, classify
from bot.slack.marked import marked, unmarked_with_text
from bot.slack.messages.plain import plain_text, refused_for_blocks
from bot.store.answer_queue import AnswerQueue, Job

log = logging.getLogger(__name__)

EVENT_TYPE = "coach_answer"  # message metadata marker: event_payload.question = the key
# ok:false errors that mean "not now" rather than "never"
TRANSIENT_ERRORS = {
    "ratelimited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
}


class Verdict(StrEnum):
    DELIVERED = "delivered"  # posted now, or found in the thread from an earlier attempt
    RETRY = "retry"  # Slack unreachable or busy: keep the question queued
    REFUSED = "refused"  # Slack said no for good (e.g. channel_not_found)
    LOST = "lost"  # our lease ran out and another replica holds the question now


@dataclass(frozen=True)
class Delivery:
    verdict: Verdict
    ts: str | None = None
    wait: float | None = None  # Retry-After, when Slack gave one
    detail: str = ""
    not_posted: bool = False  # RETRY: Slack certainly did not take this attempt's post
    failure: FailureKind | None = None  # RETRY: how Slack failed (an outage, or one call)


def took_nothing(exc: Exception, failure: SlackFailure) -> bool:
    """Whether a failed post certainly left nothing in Slack: it answered 429, 503 or
    ok:false, or the connection was refused. (A timeout, a reset or another 5xx may have
    come after Slack posted: only a look in the thread can tell.)"""
    if failure.kind in (FailureKind.RATE_LIMITED, FailureKind.API):
        return True
    if failure.kind == FailureKind.SERVER:
        return failure.detail.startswith("HTTP 503")
    reason = getattr(exc, "reason", exc)
    return isinstance(reason, ConnectionRefusedError)


def marker(job: Job) -> dict[str, Any]:
    return {"event_type": EVENT_TYPE, "event_payload": {"question": job.key}}


def find_answer(
    client: WebClient, job: Job, thread_ts: str | None, texts: Collection[str] = ()
) -> str | None:
    """The ts of this question's answer if an earlier attempt did post it: the message
    carrying its marker or, where metadata does not come back (some workspace stand-ins
    drop it), a bot message without metadata and with one of the answer's exact `texts`
    (as blocks, or as its plain-text re-send), which echo the question. In a thread that is
    this question's answer; in a DM it must also be newer than the question (the same
    question may have been asked there before)."""
    # the newest 200 messages of a DM, or a thread's first 200: an answer is posted within
    # ANSWER_MAX_AGE_MINUTES of its question, so it is among them
    options: dict[str, Any] = {"channel": job.channel, "limit": 200, "include_all_metadata": True}
    try:
        if thread_ts:
            found = client.conversations_replies(ts=thread_ts, **options)
        else:
            found = client.conversations_history(**options)
    except Exception as exc:
        failure = classify(exc)
        if failure.kind == FailureKind.API and failure.detail == "thread_not_found":
            return None
        raise failure from None
    messages = found.get("messages") or []
    answer = marked(messages, EVENT_TYPE, lambda payload: payload.get("question") == job.key)
    if answer is None and texts:
        # in a DM the same question may have been answered before: only a newer message
        newer = [
            m
            for m in messages
            if isinstance(m, dict) and (thread_ts or _later(m.get("ts"), job.ts))
        ]
        answer = unmarked_with_text(newer, texts)
    return answer


def _later(ts: object, than: str) -> bool:
    try:
        return float(str(ts)) > float(than)
    except ValueError:
        return False


def lease_lasts(job: Job, seconds: float) -> bool:
    """Whether the job's lease has `seconds` left (by this replica's clock, as it was set)."""
    if job.lease_until is None:
        return False
    return datetime.now(UTC) + timedelta(seconds=seconds) < job.lease_until


def tried_once(client: WebClient, lease: timedelta) -> WebClient:
    """`client` trying each call once (retrying is the queue's job) and giving up after
    half the lease, so a call still in flight cannot outlive the lease."""
    once = copy.copy(client)
    once.retry_handlers = []
    once.timeout = max(1, min(int(client.timeout), int(lease.total_seconds() / 2)))
    return once


def deliver(
    client: WebClient,
    queue: AnswerQueue,
    job: Job,
    message: dict[str, Any],
    thread_ts: str | None,
    lease: timedelta,
) -> Delivery:
    """Look first if need be, then post once. Never raises.

    Each call gives up after half the lease: a post still in flight when the lease ran out
    could otherwise land after another replica looked, found nothing and posted. Should
    Slack refuse the answer for its blocks (certainly posting nothing), the same answer goes
    once more as plain text, with the same marker, so a later attempt still finds it."""
    once = tried_once(client, lease)
    try:
        if job.maybe_posted:
            texts = {message["text"], plain_text(message)["text"]}
            found = find_answer(once, job, thread_ts, texts)
            if found:
                log.info(
                    "the answer to %s in %s was already posted (%s)", job.ts, job.channel, found
                )
                return Delivery(Verdict.DELIVERED, found)
        if not lease_lasts(job, once.timeout + 1) and not queue.renew(job, lease):
            return Delivery(Verdict.LOST)
        done = _post(once, job, message, thread_ts)
        if done.verdict != Verdict.REFUSED or not refused_for_blocks(done.detail, message):
            return done
        again = _post(once, job, plain_text(message), thread_ts)
        if again.verdict == Verdict.REFUSED:
            return replace(again, detail=f"{done.detail}, then as plain text {again.detail}")
        if again.verdict == Verdict.DELIVERED:
            log.warning(
                "Slack refused the answer to %s in %s (%s); sent it as plain text",
                job.ts,
                job.channel,
                done.detail,
            )
        return again
    except SlackFailure as failure:
        if failure.kind == FailureKind.API and failure.detail not in TRANSIENT_ERRORS:
            return Delivery(Verdict.REFUSED, detail=failure.detail)
        return Delivery(
            Verdict.RETRY, wait=failure.retry_after, detail=str(failure), failure=failure.kind
        )
    except Exception as exc:  # anything else on the way (a broken response): try again later
        return Delivery(Verdict.RETRY, detail=f"{type(exc).__name__}: {exc}")


def _post(once: WebClient, job: Job, message: dict[str, Any], thread_ts: str | None) -> Delivery:
    """One chat.postMessage carrying the job's marker; what became of it."""
    try:
        response = once.chat_postMessage(
            channel=job.channel,
            thread_ts=thread_ts,
            text=message["text"],
            blocks=message.get("blocks"),
            unfurl_links=False,
            unfurl_media=False,
            metadata=marker(job),
        )
    except Exception as exc:
        failure = classify(exc)
        if failure.kind == FailureKind.API and failure.detail not in TRANSIENT_ERRORS:
            return Delivery(Verdict.REFUSED, detail=failure.detail)
        return Delivery(
            Verdict.RETRY,
            wait=failure.retry_after,
            detail=str(failure),
            not_posted=took_nothing(exc, failure),
            failure=failure.kind,
        )
    return Delivery(Verdict.DELIVERED, response.get("ts"))
