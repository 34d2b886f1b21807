"""Answering a question in its thread: what the mention and DM listeners (and crash
recovery) share.

A listener only calls `take`: it filters, dedupes and queues; the search and the reply run
on the worker pool, so Slack's 3-second ack never waits on the model.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.slack.client import slack_error
from bot.slack.messages.answers import (
    answer_message,
    busy_message,
    error_message,
    help_message,
    no_answer_message,
)
from bot.slack.messages.parts import section, text_message
from bot.slack.messages.values import encode_value
from bot.slack.runtime import SlackRuntime
from bot.slack.sign_of_life import SignOfLife
from bot.slack.text import clean_question, is_special_only, safe_echo
from bot.store.tables import AskOutcome, EventStatus
from index.types import SearchResult

log = logging.getLogger(__name__)

# message subtypes that are still a person talking to us; everything else (edits,
# deletions, joins, bot messages) is ignored
ANSWERABLE_SUBTYPES = {None, "thread_broadcast", "file_share"}
SIGN_OF_LIFE_KINDS = {"mention", "dm"}  # the assistant panel shows a status instead


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


Before = Callable[[SlackRuntime, str, str, str], None]


def take(
    slack: SlackRuntime, body: dict[str, Any], kind: str, before: Before | None = None
) -> None:
    """Claim the event (a retry or duplicate is dropped here) and queue the answer.

    A mention or DM gets a sign of life (:eyes:) if its answer takes over a second.
    `before(slack, channel, thread_ts, text)` runs on the worker first (the assistant
    panel's status and title)."""
    question = parse_question(slack, body, kind)
    if question is None:
        return
    event_id = body.get("event_id") if isinstance(body.get("event_id"), str) else None
    claimed = slack.events.claim(
        kind=kind,
        channel=question.channel,
        ts=question.ts,
        event_id=event_id,
        thread_ts=question.thread_ts,
        user_id=question.user,
        text=question.text,
    )
    if not claimed:
        log.info("already handled %s in %s (event %s)", question.ts, question.channel, event_id)
        return
    life = None
    if kind in SIGN_OF_LIFE_KINDS:
        life = SignOfLife(slack.client, question.channel, question.ts, slack.sign_of_life_after)
        life.start()
    if slack.submit(answer, slack, question, before, life) is None:
        slack.post(question.channel, busy_message(), question.reply_thread)
        if life is not None:
            life.answered()
        slack.events.mark_done(question.channel, question.ts, status=EventStatus.DROPPED)


def thread_context(slack: SlackRuntime, channel: str, thread_ts: str) -> str | None:
    """The question that started a thread the bot answered, for a follow-up's search."""
    first = slack.events.first_question(channel, thread_ts)
    if first:
        return first
    try:
        replies = slack.client.conversations_replies(channel=channel, ts=thread_ts, limit=50)
    except Exception as err:
        log.info("no thread context for %s/%s: %s", channel, thread_ts, slack_error(err))
        return None
    messages = [m for m in (replies.get("messages") or []) if isinstance(m, dict)]
    if not messages:
        return None

    if not any(slack.from_bot(m) for m in messages[1:]):
        return None  # not a thread the coach answered
    parent = messages[0]
    if parent.get("ts") != thread_ts or slack.from_bot(parent):
        return None
    text = clean_question(parent.get("text") or "", slack.bot_user_id)
    return None if is_special_only(text) else text


def answer(
    slack: SlackRuntime,
    q: Question,
    before: Before | None = None,
    life: SignOfLife | None = None,
) -> None:
    """Search and reply once; runs on the worker pool. `life` is the question's :eyes:."""
    settings = slack.settings
    status = EventStatus.FAILED
    thread: tuple[str, str] | None = None
    try:
        if before is not None and q.reply_thread:
            before(slack, q.channel, q.reply_thread, q.text)
        asked = clean_question(q.text, slack.bot_user_id)
        if is_special_only(asked):
            message = help_message(
                slack.coach.topics,
                daily_quote=bool(settings.quote_channel),
                examples=slack.coach.suggestions(3, q.user),
            )
            ok = slack.post(q.channel, message, q.reply_thread)
            status = EventStatus.DONE if ok else EventStatus.FAILED
            settle(life, bool(ok))
            return
        context = (
            thread_context(slack, q.channel, q.thread_ts) if q.thread_ts and q.in_thread else None
        )
        result = slack.coach.search(asked, context=context)
        if result.answered and result.hits:
            message = answer_blocks(slack, asked, result, context, q.reply_thread, offset=0)
        else:
            message = no_answer_message(
                asked=asked,
                topics=slack.coach.topics,
                max_chars=settings.max_question_chars,
                truncated=result.truncated,
                suggestions=slack.coach.suggestions(3, asked),
            )
        ts = slack.post(q.channel, message, q.reply_thread)
        settle(life, bool(ts))
        log.info(
            "%s %s in %s: %s",
            "answered" if ts else "could not answer",
            q.kind,
            q.channel,
            f"{len(result.hits)} passage(s)" if result.answered else "nothing relevant",
        )
        if ts:
            status = EventStatus.DONE
            found = result.answered and bool(result.hits)
            slack.asked.record(  # for the curator's report; never raises
                channel=q.channel,
                ts=q.ts,
                question=asked,
                outcome=AskOutcome.ANSWERED if found else AskOutcome.ABSTAINED,
                user_id=q.user,
                passage_ids=[h.passage.id for h in result.hits] if found else [],
                answer_ts=ts,
            )
            if q.reply_thread:
                thread = (q.reply_thread, context or result.question)
    except Exception:
        log.exception("answering %s in %s failed", q.ts, q.channel)
        settle(life, bool(slack.post(q.channel, error_message(), q.reply_thread)))
    finally:
        try:
            slack.events.mark_done(q.channel, q.ts, status=status, thread=thread)
        except Exception as err:
            log.warning("could not record the answer to %s: %s", q.ts, err)


def settle(life: SignOfLife | None, posted: bool) -> None:
    """Answer posted: the :eyes: comes off. Not posted: it stays, so the asker knows."""
    if life is None:
        return
    if posted:
        life.answered()
    else:
        life.left_waiting()


def answer_blocks(
    slack: SlackRuntime,
    asked: str,
    result: SearchResult,
    context: str | None,
    thread: str | None,
    *,
    offset: int,
) -> dict[str, Any]:
    """The answer message with feedback and 'More like this' buttons carrying their state."""
    feedback_value = encode_value({"q": asked[:300], "p": [h.passage.id for h in result.hits]})
    more_value = encode_value(
        {
            "q": result.question,
            "c": context or "",
            "o": offset + len(result.hits),
            "th": thread or "",
        }
    )
    return answer_message(
        result,
        asked=asked,
        max_chars=slack.settings.max_question_chars,
        button_value=feedback_value,
        more_value=more_value,
        follow_up_of=context,
    )


def more(
    slack: SlackRuntime,
    channel: str,
    thread: str | None,
    question: str,
    context: str | None,
    offset: int,
) -> None:
    """'More like this': the next passages for the same question, in the same thread."""
    result = slack.coach.search(question, context=context, offset=offset)
    if result.answered and result.hits:
        message = answer_blocks(slack, question, result, context, thread, offset=offset)
        message["blocks"][0] = section(f"More on _{safe_echo(question, 150)}_:")
    else:
        message = text_message(
            f"That's everything the library has on _{safe_echo(question, 150)}_ for now."
        )
    slack.post(channel, message, thread)


def already_replied(slack: SlackRuntime, q: Question) -> bool | None:
    """Whether the bot posted after `q` where it would have answered; None if unknown."""

    try:
        if q.reply_thread:
            found = slack.client.conversations_replies(
                channel=q.channel, ts=q.reply_thread, oldest=q.ts, limit=100
            )
        else:
            found = slack.client.conversations_history(channel=q.channel, oldest=q.ts, limit=100)
    except Exception as err:
        log.info("cannot check %s/%s: %s", q.channel, q.ts, slack_error(err))
        return None
    messages = [m for m in found.get("messages") or [] if isinstance(m, dict)]
    return any(slack.from_bot(m) and float(m.get("ts") or 0) > float(q.ts) for m in messages)


def recover_pending(slack: SlackRuntime) -> int:
    """After a crash: answer questions that were claimed but never answered. Returns count.

    Slack will not resend an event we acked, so without this a question asked while the
    process died would go unanswered. The channel is checked first so nothing is answered
    twice, and only questions older than a couple of minutes (not in flight) are taken.
    """
    answered = 0
    removed = slack.events.purge()
    if removed:
        log.info("forgot %d handled events older than two weeks", removed)
    for p in slack.events.pending():
        if not slack.events.take_over(p.channel, p.ts):
            continue
        q = Question(p.kind, p.channel, p.ts, p.thread_ts, p.user_id or "", p.text)
        replied = already_replied(slack, q)
        if replied is None:
            slack.events.mark_done(q.channel, q.ts, status=EventStatus.UNKNOWN)
            continue
        if replied:
            slack.events.mark_done(q.channel, q.ts)
            continue
        log.info("answering %s in %s, left unanswered by an earlier run", q.ts, q.channel)
        answer(slack, q)
        answered += 1
    return answered
