"""The "feedback received" note under an answer's buttons, through the durable answer queue.

A Helpful / Not helpful click stores its note (the answer's message with the note added,
made once) before the click's ack (`queue_note`, bot/store/replace_queue.py), so a Slack
outage or a replica killed after the ack loses nothing: any replica's answer workers claim
it under a lease and update the answer (`note_job`). Slack failing as a whole (429, 5xx, no
connection) holds it with every other answer (bot.slack.outage); after
ANSWER_MAX_AGE_MINUTES it is dropped with one line. chat.update replaces the message, so an
update that may have reached Slack (a reset, a timeout) is simply done again: nothing shows
twice. Slack refusing the update (e.g. the message is gone) gets the private thanks instead,
as before. Before, the note was sent from memory: a 503 for a minute lost it (the leader
saw no sign the vote counted), as did the replica killed after the ack.

The note shows the leader's vote as stored when it goes out, not the one its click made:
two clicks during an outage (Helpful, then Not helpful) are two rows that may go out in
either order, and before, the older could go out last and show "helpful" under a Not
helpful vote. A vote changed while an update was on its way (its row's note may go out
first) has the update done again.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from slack_sdk import WebClient
from sqlalchemy.exc import SQLAlchemyError

from bot.slack.messages.answers import feedback_thanks_message
from bot.slack.messages.gaps import with_feedback_note
from bot.slack.posting import deliver_replacement, stored_before_ack, too_old
from bot.slack.runtime import SlackRuntime
from bot.store.answer_queue import Job
from bot.store.replace_queue import enqueue_replacement

log = logging.getLogger(__name__)

NOTE_KIND = "feedback_note"  # the answer_queue kind of a click's "feedback received" note
WHAT = "the feedback note"  # how the log lines name it


def queue_note(
    slack: SlackRuntime,
    click: str | None,
    where: tuple[str, str, str, str | None],
    message: dict[str, Any],
    helpful: bool,
) -> bool:
    """Store the note for the answer workers; call it before the ack. `where`: (user,
    channel, message ts, thread ts); `message`: the answer's text and blocks as clicked.
    False when the database could not take it (the caller then sends it from memory)."""
    user, channel, message_ts, thread_ts = where
    note = {
        "text": message.get("text") or "Feedback received.",
        "blocks": with_feedback_note(message["blocks"], helpful),
        "helpful": helpful,
    }
    return stored_before_ack(
        slack,
        lambda: enqueue_replacement(
            slack.answers.engine,
            f"{NOTE_KIND}:{channel}:{message_ts}:{click or uuid.uuid4().hex}",
            kind=NOTE_KIND,
            channel=channel,
            ts=message_ts,
            user_id=user,
            thread_ts=thread_ts,
            reply=json.dumps(note),
        ),
        "a feedback note",
        "sending it",
        f"already have the feedback click {click}",
    )


def note_job(slack: SlackRuntime, job: Job) -> None:
    """Update one claimed answer with the note of the leader's vote as it stands now, or put
    it back to be tried later, or give it up (with the private thanks when Slack refused the
    update)."""
    now = datetime.now(UTC)
    if too_old(slack, job, now, WHAT) or not job.reply:
        return
    note = json.loads(job.reply)
    shown = bool(note.get("helpful"))  # the vote of this job's click, until the store says

    def update(client: WebClient) -> None:
        nonlocal shown
        shown = latest_vote(slack, job, shown)
        for _ in range(3):
            blocks = with_feedback_note(note["blocks"], shown)
            client.chat_update(channel=job.channel, ts=job.ts, text=note["text"], blocks=blocks)
            # a click meanwhile may have had its note shown first: this one must not stay
            voted = latest_vote(slack, job, shown)
            if voted == shown:
                return
            shown = voted

    def refused(error: str) -> None:
        log.warning("could not mark feedback on %s: %s", job.ts, error)
        thanks = feedback_thanks_message(shown)
        slack.ephemeral(job.channel, job.user_id, thanks, job.thread_ts)

    deliver_replacement(slack, job, now, f"{WHAT} on {job.ts}", update, refused)


def latest_vote(slack: SlackRuntime, job: Job, otherwise: bool) -> bool:
    """The leader's vote on the answer as stored now (True: helpful): a later click changed
    it, and its note may have been shown before this one. `otherwise` when the database has
    none or cannot say."""
    if not job.user_id:
        return otherwise
    try:
        vote = slack.feedback.vote(job.user_id, job.channel, job.ts)
    except SQLAlchemyError as err:
        log.info("could not read the vote on %s (%s); showing its click's", job.ts, err)
        return otherwise
    return otherwise if vote is None else vote
