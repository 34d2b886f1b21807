"""Answering a question in its thread, through the durable answer queue.

Before Slack gets its ack, `store_question` (called by bot.slack.intake) writes the question
to the queue; the answer workers of any replica then claim it and call `answer_job`, which
searches, composes the reply and delivers it once (bot.slack.delivery), retrying through
Slack outages for up to ANSWER_MAX_AGE_MINUTES.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot.slack.assistant_panel import before_answer, is_assistant_thread
from bot.slack.client import thread_messages
from bot.slack.delivery import Verdict
from bot.slack.messages.answers import (
    CHAIN_FULL,
    answer_message,
    error_message,
    help_message,
    no_answer_message,
    welcome_message,
)
from bot.slack.messages.values import MORE_SHOWN_MAX, encode_value
from bot.slack.posting import post_once, too_old
from bot.slack.runtime import Message, SlackRuntime
from bot.slack.sign_of_life import SIGN_OF_LIFE_KINDS
from bot.slack.text import clean_question
from bot.small_talk import SmallTalk, is_special_only, small_talk
from bot.store.answer_queue import Job
from bot.store.tables import AskOutcome, SaidKind
from index.types import SearchResult

log = logging.getLogger(__name__)

KEPT = timedelta(days=14)  # Slack never retries an event this old

# message subtypes that are still a person talking to us; everything else (edits,
# deletions, joins, bot messages) is ignored
ANSWERABLE_SUBTYPES = {None, "thread_broadcast", "file_share"}


@dataclass(frozen=True)
class Question:
    kind: str  # "mention", "dm" or "assistant" (a message in the assistant side panel)
    channel: str
    ts: str
    thread_ts: str | None  # the thread the message sits in, if any
    user: str
    text: str

    @property
    def reply_thread(self) -> str | None:
        """Mentions are answered in the message's thread; DMs where they were asked."""
        if self.kind == "mention":
            return self.thread_ts or self.ts
        return self.thread_ts

    @property
    def in_thread(self) -> bool:
        return bool(self.thread_ts) and self.thread_ts != self.ts


def parse_question(slack: SlackRuntime, body: dict[str, Any], kind: str) -> Question | None:
    """The question in an event, or None for anything we must not answer."""
    event = body.get("event")
    if not isinstance(event, dict):
        return None
    if event.get("subtype") not in ANSWERABLE_SUBTYPES or event.get("hidden"):
        return None
    if event.get("bot_id") or event.get("bot_profile"):
        return None
    user, channel, ts = event.get("user"), event.get("channel"), event.get("ts")
    if not all(isinstance(x, str) and x for x in (user, channel, ts)):
        return None
    if user == slack.bot_user_id:
        return None
    text = event.get("text")
    thread_ts = event.get("thread_ts")
    return Question(
        kind=kind,
        channel=str(channel),
        ts=str(ts),
        thread_ts=thread_ts if isinstance(thread_ts, str) and thread_ts else None,
        user=str(user),
        text=text if isinstance(text, str) else "",
    )


def store_question(slack: SlackRuntime, body: dict[str, Any], kind: str) -> Question | None:
    """Write the question in an event to the answer queue; the question if it is new.

    Runs before Slack gets its ack (bot.slack.intake), so an acked question is in the
    database even if this process dies the next instant. A retry or a duplicate delivery
    (to any replica) is recognised here and stored nothing.
    """
    question = parse_question(slack, body, kind)
    if question is None:
        return None
    event_id = body.get("event_id") if isinstance(body.get("event_id"), str) else None
    stored = slack.answers.enqueue(
        kind=kind,
        channel=question.channel,
        ts=question.ts,
        event_id=event_id,
        thread_ts=question.thread_ts,
        user_id=question.user,
        text=question.text,
    )
    if not stored:
        log.info("already have %s in %s (event %s)", question.ts, question.channel, event_id)
        return None
    return question


def thread_context(slack: SlackRuntime, channel: str, thread_ts: str) -> str | None:
    """The question that started a thread the bot answered, for a follow-up's search."""
    first = slack.events.first_question(channel, thread_ts)
    if first:
        return first
    messages = thread_messages(slack.client, channel, thread_ts, limit=50)
    if not messages:
        return None

    if not any(slack.from_bot(m) for m in messages[1:]):
        return None  # not a thread the coach answered
    parent = messages[0]
    if parent.get("ts") != thread_ts or slack.from_bot(parent):
        return None
    text = clean_question(parent.get("text") or "", slack.bot_user_id)
    return None if is_special_only(text) else text


@dataclass(frozen=True)
class Reply:
    """What a question gets: the message, and what to remember once it is posted."""

    message: Message
    asked: str = ""
    thread: tuple[str, str] | None = None  # (thread, first question) a follow-up builds on
    outcome: AskOutcome | None = None  # for the curator's report; None: not a search
    passage_ids: list[str] = field(default_factory=list)
    declined_topic: str | None = None  # the out-of-scope topic it was left to others as


def compose(slack: SlackRuntime, q: Question) -> Reply:
    """The reply to a question (a search, or the help for an empty mention)."""
    settings = slack.settings
    asked = clean_question(q.text, slack.bot_user_id)
    talk = small_talk(asked)
    if talk is SmallTalk.HELP:
        message = help_message(
            slack.coach.topics,
            where=q.kind,
            daily_quote=bool(settings.quote_channel),
            examples=slack.coach.suggestions(3, q.user),
        )
        return Reply(message)
    if talk is SmallTalk.THANKS:
        return Reply(welcome_message())
    context = thread_context(slack, q.channel, q.thread_ts) if q.thread_ts and q.in_thread else None
    result = slack.coach.search(asked, context=context)
    found = result.answered and bool(result.hits)
    declined = result.out_of_scope.topic if result.out_of_scope and not found else None
    if found:
        message = answer_blocks(slack, asked, result, context, q.reply_thread)
    else:
        message = no_answer_message(
            asked=asked,
            topics=slack.coach.topics,
            searched=result.searched_chars,
            suggestions=slack.coach.suggestions(3, asked),
            out_of_scope=result.out_of_scope,
        )
    return Reply(
        message,
        asked=asked,
        thread=(q.reply_thread, context or result.question) if q.reply_thread else None,
        outcome=AskOutcome.of(found, declined),
        passage_ids=[h.passage.id for h in result.hits] if found else [],
        declined_topic=declined,
    )


def record_answer(
    slack: SlackRuntime, job: Job, q: Question, reply: Reply, answer_ts: str | None
) -> None:
    """The answer is in Slack: settle the question, remember its thread and, for the
    curator's report, what was asked, in one transaction. Should the curator's row be what
    fails, the answer is recorded without it (a lost row must not have it posted again).

    A DM answered where it was asked (not in a thread) starts two threads about this
    question: a reply in the answer's thread, or in the question's own, follows up on it.
    Unrecorded, such a reply was searched alone ("what if they are remote?" got "the
    library doesn't have anything")."""
    threads = [reply.thread] if reply.thread else []
    if not threads and answer_ts and reply.outcome is not None and reply.asked:
        threads = [(answer_ts, reply.asked), (q.ts, reply.asked)]
    asked = None
    if reply.outcome is not None:
        asked = slack.asked.row(
            channel=q.channel,
            ts=q.ts,
            question=reply.asked,
            outcome=reply.outcome,
            user_id=q.user,
            passage_ids=reply.passage_ids,
            answer_ts=answer_ts,
            declined_topic=reply.declined_topic,
        )
    try:
        slack.answers.answered(job, answer_ts, threads=threads, also=asked)
    except SQLAlchemyError as err:
        if asked is None:
            raise
        log.warning("could not record the question %s in %s: %s", q.ts, q.channel, err)
        slack.answers.answered(job, answer_ts, threads=threads)


def answer_job(slack: SlackRuntime, job: Job) -> None:
    """Answer one claimed question, or put it back to be tried later, or give it up."""
    now = datetime.now(UTC)
    q = Question(job.kind, job.channel, job.ts, job.thread_ts, job.user_id, job.text)
    if too_old(slack, job, now):
        return
    try:
        if q.kind == "assistant" and q.reply_thread:
            if is_assistant_thread(slack, q.channel, q.reply_thread):
                before_answer(slack, q.channel, q.reply_thread, q.text)  # status and title
            else:  # a reply in a plain DM thread: a DM, answered in that thread
                q = replace(q, kind="dm")
        reply = compose(slack, q)
    except Exception:
        log.exception("answering %s in %s failed", q.ts, q.channel)
        reply = Reply(error_message())

    def waiting(held: float | None) -> None:
        """Into a rate limit the :eyes: alone; else "still working" too."""
        if held is None:
            slack.signs.still_working(job.key, q.channel, q.ts, q.reply_thread)
        else:
            slack.signs.eyes(job.key, q.channel, q.ts)

    verdict = post_once(
        slack,
        job,
        reply.message,
        q.reply_thread,
        now=now,
        record=lambda ts: record_answer(slack, job, q, reply, ts),
        waiting=waiting if q.kind in SIGN_OF_LIFE_KINDS else None,
    )
    if verdict == Verdict.DELIVERED:
        if q.kind in SIGN_OF_LIFE_KINDS:
            slack.signs.answered(
                job.key, q.channel, q.ts, first_try=not job.maybe_posted, asked_at=job.created_at
            )
        log.info("answered %s %s in %s", q.kind, q.ts, q.channel)


def answer_blocks(
    slack: SlackRuntime,
    asked: str,
    result: SearchResult,
    context: str | None,
    thread: str | None,
    *,
    shown: Sequence[str] = (),
) -> dict[str, Any]:
    """The answer message with feedback and 'More like this' buttons carrying their state.

    'More like this' carries the fingerprints of every passage shown in this chain (`shown`
    before this message, then its own), which its click leaves out: an offset would repeat or
    skip passages once a reload or another replica's library ranks them otherwise. Past
    MORE_SHOWN_MAX it is not offered (its value would outgrow Slack's 2000 characters); "o",
    the count, is what a replica still running the offset code pages by."""
    feedback_value = encode_value({"q": asked[:300], "p": [h.passage.id for h in result.hits]})
    chain = [*shown, *(h.passage.fingerprint for h in result.hits)]
    more_value = None
    if len(chain) <= MORE_SHOWN_MAX:
        more = {"q": result.question, "c": context or "", "o": len(chain), "x": chain}
        more_value = encode_value({**more, "th": thread or ""})
    return answer_message(
        result,
        asked=asked,
        button_value=feedback_value,
        more_value=more_value,
        follow_up_of=context,
        end_note=None if more_value or not result.more else CHAIN_FULL,
    )


def purge_old(slack: SlackRuntime) -> None:
    """Forget handled-event keys older than Slack would ever retry, and with them the
    settled questions of the answer queue, their sign-of-life claims and the panel
    greetings' claims (an older panel thread is then known by its root message)."""
    removed = slack.events.purge(KEPT)
    removed += slack.answers.purge(KEPT)
    said = (SaidKind.EYES, SaidKind.STILL_WORKING, SaidKind.PANEL_GREETING)
    removed += slack.said_once.forget(said, KEPT)
    if removed:
        log.info("forgot %d handled events, settled questions and signs of life", removed)
