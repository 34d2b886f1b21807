"""The one welcome message when the bot is added to a channel (never twice per channel).

It rides the durable answer queue (kind "welcome"): the channel's claim and the row are
stored before the event's ack (`queue_welcome`), so the same event delivered again, to any
replica, stores nothing; any replica's answer workers post it once (`welcome_job`: marked,
looked for in the channel after an ambiguous failure, held through Slack outages, dropped
with one line after ANSWER_MAX_AGE_MINUTES). Before, it was posted from memory: lost to a
503 outage (Slack does not send an acked event again) and doubled by a reset after Slack
took it. Refused (e.g. not_in_channel), the claim is released so a later join may try
again; dropped after ANSWER_MAX_AGE_MINUTES, it is released too unless the welcome may be
in the channel after all (an earlier try may have been shown: looked for first, and the
claim kept when found or when Slack cannot say), so at most once it is.
`welcome` is the memory path, kept for when the database cannot store the join.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

from bot.slack.delivery import Verdict, find_answer, tried_once
from bot.slack.messages.welcome import welcome_message
from bot.slack.posting import post_once, stored_before_ack, too_old
from bot.slack.runtime import Message, SlackRuntime
from bot.store.answer_queue import Job
from bot.store.said_queue import enqueue_said_once, said_at
from bot.store.tables import AnswerState, SaidKind

log = logging.getLogger(__name__)

KIND = SaidKind.WELCOME
WELCOME_KIND = "welcome"  # the answer_queue kind of a channel's welcome
WHAT = "the welcome"  # how the log lines name it


def queue_welcome(
    slack: SlackRuntime,
    channel: str,
    event_id: str | None,
    joined_ts: str | None,
    *,
    now: datetime | None = None,
) -> bool:
    """Store the channel's welcome for the answer workers; call it before the ack. False
    when the database could not take it (the caller then posts it from memory, `welcome`).

    The row is keyed by the join (its event id), the claim by the channel: a channel
    welcomed, or being welcomed, stores nothing; a join after a refused welcome does."""
    stamp = now or datetime.now(UTC)
    join = event_id or joined_ts or uuid.uuid4().hex
    return stored_before_ack(
        slack,
        lambda: enqueue_said_once(
            slack.answers.engine,
            f"{WELCOME_KIND}:{channel}:{join}",
            kind=WELCOME_KIND,
            said=KIND,
            said_key=channel,
            channel=channel,
            ts=joined_ts or f"{stamp.timestamp():.6f}",
            thread_ts=None,
            user_id=None,
            now=stamp,
        ),
        "a welcome",
        "posting it",
        f"already welcomed {channel}; not again",
    )


def welcome_job(slack: SlackRuntime, job: Job) -> None:
    """Post one claimed welcome, or put it back to be tried later, or give it up."""
    now = datetime.now(UTC)
    message = welcome_message(slack.coach.topics, slack.coach.suggestions(2, job.channel))
    if too_old(slack, job, now, WHAT):
        free_unless_shown(slack, job, message, tried=job.maybe_posted)
        return

    def record(ts: str | None) -> None:
        slack.answers.answered(job, ts, also=said_at(KIND, job.channel, ts))

    verdict = post_once(slack, job, message, None, now=now, record=record, what=WHAT)
    if verdict == Verdict.DELIVERED:
        log.info("welcomed %s", job.channel)
    elif verdict == Verdict.REFUSED:
        slack.said_once.release(KIND, job.channel)  # nothing shown: a later join may try again
    elif verdict == Verdict.RETRY and slack.answers.state(job.key) == AnswerState.DROPPED:
        free_unless_shown(slack, job, message, tried=True)


def free_unless_shown(slack: SlackRuntime, job: Job, message: Message, *, tried: bool) -> None:
    """The welcome was given up after ANSWER_MAX_AGE_MINUTES: release the channel's claim,
    so the bot's next join welcomes it, unless the welcome may be in the channel. Never
    `tried` (no post of it ever began): released. Else it is looked for first (its marker,
    or its text): found, or Slack not saying, the claim is kept (at most once)."""
    if tried:
        lease = timedelta(seconds=slack.settings.answer_lease_seconds)
        try:
            shown = find_answer(tried_once(slack.client, lease), job, None, {message["text"]})
        except Exception as err:  # Slack still failing: whether it was shown is unknown
            log.info(
                "%s may be in %s (Slack could not say: %s); not tried again", WHAT, job.channel, err
            )
            return
        if shown:
            log.info("%s in %s was shown after all (%s); not again", WHAT, job.channel, shown)
            return
    slack.said_once.release(KIND, job.channel)
    log.info("%s never reached %s: the bot's next join there welcomes it", WHAT, job.channel)


def welcome(slack: SlackRuntime, channel: str) -> bool:
    """Claim the channel's welcome, then post it from memory; True if this call posted it."""
    if not slack.said_once.claim(KIND, channel):
        log.info("already welcomed %s; not again", channel)
        return False
    message = welcome_message(slack.coach.topics, slack.coach.suggestions(2, channel))
    ts = slack.post(channel, message)
    if ts is None:
        slack.said_once.release(KIND, channel)  # a later join may try again
        return False
    slack.said_once.done(KIND, channel, ts)
    log.info("welcomed %s", channel)
    return True
