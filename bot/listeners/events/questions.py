"""Questions: @mentions in channels (answered in the thread) and direct messages.

The listener only filters, dedupes and queues; the search and the reply run on the worker
pool, so Slack's 3-second ack never waits on the model.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt import App
from slack_sdk.errors import SlackApiError

from bot import blocks
from bot.app import Coach
from bot.listeners._guard import guarded
from bot.slack.text import clean_question, is_special_only
from bot.store.tables import EventStatus

log = logging.getLogger(__name__)

# message subtypes that are still a person talking to us; everything else (edits,
# deletions, joins, bot messages) is ignored
ANSWERABLE_SUBTYPES = {None, "thread_broadcast", "file_share"}


@dataclass(frozen=True)
class Question:
    kind: str  # "mention" or "dm"
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


def register(app: App, coach: Coach) -> None:
    @app.event("app_mention")
    @guarded
    def on_mention(body: dict[str, Any]) -> None:
        """Auto-acked by Bolt; queue the answer."""
        take(coach, body, kind="mention")

    @app.event("message")
    @guarded
    def on_message(body: dict[str, Any]) -> None:
        """Only direct messages are questions; channel chatter is not ours to answer."""
        event = body.get("event")
        if isinstance(event, dict) and event.get("channel_type") == "im":
            take(coach, body, kind="dm")


def parse_question(coach: Coach, body: dict[str, Any], kind: str) -> Question | None:
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
    if user == coach.bot_user_id:
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


def take(coach: Coach, body: dict[str, Any], kind: str) -> None:
    """Claim the event (a retry or duplicate is dropped here) and queue the answer."""
    question = parse_question(coach, body, kind)
    if question is None:
        return
    event_id = body.get("event_id") if isinstance(body.get("event_id"), str) else None
    claimed = coach.events.claim(
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
    if coach.submit(answer, coach, question) is None:
        coach.post(question.channel, blocks.busy_message(), question.reply_thread)
        coach.events.mark_done(question.channel, question.ts, status=EventStatus.DROPPED)


def thread_context(coach: Coach, channel: str, thread_ts: str) -> str | None:
    """The question that started a thread the bot answered, for a follow-up's search."""
    first = coach.events.first_question(channel, thread_ts)
    if first:
        return first
    try:
        replies = coach.client.conversations_replies(channel=channel, ts=thread_ts, limit=50)
    except SlackApiError as err:
        log.info("no thread context for %s/%s: %s", channel, thread_ts, err.response.get("error"))
        return None
    except Exception as err:
        log.info("no thread context for %s/%s: %s", channel, thread_ts, err)
        return None
    messages = [m for m in (replies.get("messages") or []) if isinstance(m, dict)]
    if not messages:
        return None

    def from_bot(m: dict[str, Any]) -> bool:
        return bool(
            (coach.bot_user_id and m.get("user") == coach.bot_user_id)
            or (coach.bot_id and m.get("bot_id") == coach.bot_id)
        )

    if not any(from_bot(m) for m in messages[1:]):
        return None  # not a thread the coach answered
    parent = messages[0]
    if parent.get("ts") != thread_ts or from_bot(parent):
        return None
    text = clean_question(parent.get("text") or "", coach.bot_user_id)
    return None if is_special_only(text) else text


def answer(coach: Coach, q: Question) -> None:
    """Search and reply once; runs on the worker pool."""
    settings = coach.settings
    status = EventStatus.FAILED
    thread: tuple[str, str] | None = None
    try:
        asked = clean_question(q.text, coach.bot_user_id)
        if is_special_only(asked):
            message = blocks.help_message(
                coach.topics,
                daily_quote=bool(settings.quote_channel),
                examples=coach.suggestions(3, q.user),
            )
            ok = coach.post(q.channel, message, q.reply_thread)
            status = EventStatus.DONE if ok else EventStatus.FAILED
            return
        context = (
            thread_context(coach, q.channel, q.thread_ts) if q.thread_ts and q.in_thread else None
        )
        result = coach.search(asked, context=context)
        if result.answered and result.hits:
            message = answer_blocks(coach, asked, result, context, q.reply_thread, offset=0)
        else:
            message = blocks.no_answer_message(
                asked=asked,
                topics=coach.topics,
                max_chars=settings.max_question_chars,
                truncated=result.truncated,
                suggestions=coach.suggestions(3, asked),
            )
        ts = coach.post(q.channel, message, q.reply_thread)
        log.info(
            "%s %s in %s: %s",
            "answered" if ts else "could not answer",
            q.kind,
            q.channel,
            f"{len(result.hits)} passage(s)" if result.answered else "nothing relevant",
        )
        if ts:
            status = EventStatus.DONE
            if q.reply_thread:
                thread = (q.reply_thread, context or result.question)
    except Exception:
        log.exception("answering %s in %s failed", q.ts, q.channel)
        coach.post(q.channel, blocks.error_message(), q.reply_thread)
    finally:
        try:
            coach.events.mark_done(q.channel, q.ts, status=status, thread=thread)
        except Exception as err:
            log.warning("could not record the answer to %s: %s", q.ts, err)


def answer_blocks(
    coach: Coach,
    asked: str,
    result: Any,
    context: str | None,
    thread: str | None,
    *,
    offset: int,
) -> dict[str, Any]:
    """The answer message with feedback and 'More like this' buttons carrying their state."""
    feedback_value = blocks.encode_value(
        {"q": asked[:300], "p": [h.passage.id for h in result.hits]}
    )
    more_value = blocks.encode_value(
        {
            "q": result.question,
            "c": context or "",
            "o": offset + len(result.hits),
            "th": thread or "",
        }
    )
    return blocks.answer_message(
        result,
        asked=asked,
        max_chars=coach.settings.max_question_chars,
        button_value=feedback_value,
        more_value=more_value,
        follow_up_of=context,
    )


def already_replied(coach: Coach, q: Question) -> bool | None:
    """Whether the bot posted after `q` where it would have answered; None if unknown."""

    def from_bot(m: dict[str, Any]) -> bool:
        return bool(
            (coach.bot_user_id and m.get("user") == coach.bot_user_id)
            or (coach.bot_id and m.get("bot_id") == coach.bot_id)
        )

    try:
        if q.reply_thread:
            found = coach.client.conversations_replies(
                channel=q.channel, ts=q.reply_thread, oldest=q.ts, limit=100
            )
        else:
            found = coach.client.conversations_history(channel=q.channel, oldest=q.ts, limit=100)
    except SlackApiError as err:
        log.info("cannot check %s/%s: %s", q.channel, q.ts, err.response.get("error"))
        return None
    except Exception as err:
        log.info("cannot check %s/%s: %s", q.channel, q.ts, err)
        return None
    messages = [m for m in found.get("messages") or [] if isinstance(m, dict)]
    return any(from_bot(m) and float(m.get("ts") or 0) > float(q.ts) for m in messages)


def recover_pending(coach: Coach) -> int:
    """After a crash: answer questions that were claimed but never answered. Returns count.

    Slack will not resend an event we acked, so without this a question asked while the
    process died would go unanswered. The channel is checked first so nothing is answered
    twice, and only questions older than a couple of minutes (not in flight) are taken.
    """
    answered = 0
    removed = coach.events.purge()
    if removed:
        log.info("forgot %d handled events older than two weeks", removed)
    for p in coach.events.pending():
        if not coach.events.take_over(p.channel, p.ts):
            continue
        q = Question(p.kind, p.channel, p.ts, p.thread_ts, p.user_id or "", p.text)
        replied = already_replied(coach, q)
        if replied is None:
            coach.events.mark_done(q.channel, q.ts, status=EventStatus.UNKNOWN)
            continue
        if replied:
            coach.events.mark_done(q.channel, q.ts)
            continue
        log.info("answering %s in %s, left unanswered by an earlier run", q.ts, q.channel)
        answer(coach, q)
        answered += 1
    return answered
