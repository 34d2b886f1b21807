"""Tips in Slack: what /leadership-tip and the tip buttons share (so no listener imports
another). The tip itself comes from the coach; this is only how it reaches a person.

A tip request is stored in the answer queue before its ack (`queue_tip`), so a replica
stopped or killed before the tip reached Slack loses nothing: any replica's answer workers
claim it under a lease and deliver it (`tip_job`) to the command's response_url, retrying
through Slack outages with the answers' backoff for up to ANSWER_MAX_AGE_MINUTES, within the
30 minutes Slack keeps a response_url. The response_url is a credential meanwhile: never
logged, and dropped from the row once it is settled.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime, timedelta

from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError

from bot.coach import cut_topic
from bot.slack import runtime
from bot.slack.client import retry_delay, slack_error
from bot.slack.delivery import lease_lasts
from bot.slack.messages.answers import error_message
from bot.slack.messages.parts import share_failed
from bot.slack.messages.tips import no_tip_message, shared_tip_message, tip_message
from bot.slack.posting import stored_before_ack
from bot.slack.runtime import Message, SlackRuntime
from bot.slack.text import clean_question
from bot.store.answer_queue import Job
from bot.store.tables import AnswerState, SaidKind

log = logging.getLogger(__name__)

TIP = "tip"  # answer_queue kinds: /leadership-tip, shown below the command
ANOTHER_TIP = "another_tip"  # the Another tip button: replaces the tip it was clicked on
TIP_KINDS = frozenset({TIP, ANOTHER_TIP})
URL_LIFETIME = timedelta(minutes=30)  # Slack refuses a response_url older than this


def tip_reply(slack: SlackRuntime, user: str, topic: str | None) -> Message:
    """A tip for this person (never the one they saw last), or why there is none. The topic
    is read as words, as a question is (code marks, emoji, bold and mentions left out):
    echoed as typed, `/leadership-tip ```x``` *bold*` broke the tip's heading into markup.
    Only its first TOPIC_MAX_CHARS characters are used, and the reply says so."""
    topic, cut = cut_topic(clean_question(topic)) if topic else ("", False)
    picked = slack.coach.pick_tip(user, topic or None)
    if picked is None:
        return no_tip_message(topic, slack.coach.topics, topic_cut=cut)
    passage, key = picked
    return tip_message(passage, topic=topic or None, key_sentence=key, topic_cut=cut)


def send_tip(
    slack: SlackRuntime,
    user: str,
    topic: str | None,
    response_url: str | None,
    *,
    replace: bool = False,
) -> None:
    """Pick a tip and answer privately, retrying in memory: the way a tip goes only when
    the database could not store its request (see `queue_tip`)."""
    slack.respond_until_delivered(
        response_url,
        tip_reply(slack, user, topic),
        response_type="ephemeral",
        replace_original=replace,
    )


def queue_tip(
    slack: SlackRuntime,
    user: str,
    topic: str | None,
    response_url: str | None,
    *,
    channel: str | None,
    trigger_id: str | None,
    replace: bool = False,
) -> bool:
    """Store a tip request for the answer workers; call it before the ack. False when the
    database could not take it (the caller then sends the tip from memory, as before).

    The same request delivered twice (its trigger_id) is stored once; a person asking
    again is a new request."""
    if not response_url:
        log.warning("no response_url to answer on")
        return True
    key = f"tip:{trigger_id or uuid.uuid4().hex}"
    return stored_before_ack(
        slack,
        lambda: slack.answers.enqueue_tip(
            key=key,
            kind=ANOTHER_TIP if replace else TIP,
            channel=channel or "",
            user_id=user,
            topic=topic or "",
            response_url=response_url,
        ),
        "a tip request",
        "sending it",
        f"already have the tip request {trigger_id}",
    )


def tip_job(slack: SlackRuntime, job: Job) -> None:
    """Deliver one claimed tip request, or put it back to be tried later, or give it up.

    The tip is chosen by its first holder and kept with the request, so a retry sends the
    same tip. A response_url cannot be read back, and a second post to it is a second
    message (`replace_original` replaces only a message with buttons, not a command's
    reply): so a post that went out and got no answer is not sent again, and a holder
    killed after Slack took the tip and before it was recorded leaves it to be sent again
    (a window of milliseconds)."""
    settings = slack.settings
    now = datetime.now(UTC)
    age = (now - job.created_at).total_seconds()
    if job.created_at + URL_LIFETIME < now:  # every replica was away: the URL is dead
        slack.answers.give_up(job, AnswerState.DROPPED, "response_url expired")
        slack.outage.skipped(job)  # if it was Slack's probe (bot.slack.outage), another goes
        log.warning("could not answer on the response_url: it expired (%.0f s old)", age)
        return
    message = json.loads(job.reply) if job.reply else None
    if message is None:
        try:
            message = tip_reply(slack, job.user_id, job.text or None)
        except SQLAlchemyError:
            raise  # the database is away: the lease runs out and the request is tried again
        except Exception:
            log.exception("choosing a tip for %s failed", job.user_id)
            message = error_message()
        if not slack.answers.keep_reply(job, json.dumps(message)):
            return  # the lease ran out meanwhile: another replica has the request
    lease = timedelta(seconds=settings.answer_lease_seconds)
    timeout = max(1, min(15, int(lease.total_seconds() / 2)))  # ends while the lease lasts
    if not lease_lasts(job, timeout + 1) and not slack.answers.renew(job, lease):
        return
    options = {"response_type": "ephemeral", "replace_original": job.kind == ANOTHER_TIP}
    failed = slack.respond_once(job.response_url, message, timeout, **options)
    if failed is None:
        slack.answers.answered(job, None)
        slack.outage.answered(job)  # Slack answers: a hold on every replica's answers ends
        log.info("delivered a tip to %s", job.user_id)
        return
    if failed.repeats_if_resent(options):  # most likely shown: settled, never shown twice
        slack.answers.answered(job, None, note=f"no answer from Slack: {failed.reason}")
        log.warning(runtime.NOT_SENT_AGAIN, failed.reason)
        return
    limit = min(settings.answer_max_age_minutes * 60.0, runtime.RESPONSE_URL_SECONDS)
    delay = retry_delay(age, failed.wait, settings.answer_retry_max_seconds)
    if not failed.later or age + delay > limit:
        state = AnswerState.DROPPED if failed.later else AnswerState.FAILED
        slack.answers.give_up(job, state, failed.reason)
        gave_up = "; given up" if failed.later else ""
        log.warning("could not answer on the response_url: %s%s", failed.reason, gave_up)
        return
    slack.answers.retry_later(job, now + timedelta(seconds=delay), failed.reason)
    log.info("response_url unavailable (%s); trying again in %.1f s", failed.reason, delay)


def share_tip(
    slack: SlackRuntime,
    user: str,
    channel: str,
    passage_id: str,
    response_url: str | None,
    tip_ts: str | None = None,
    fingerprint: str | None = None,
) -> None:
    """Post a tip publicly, attributed to the person sharing it; tell them how it went.
    Once per tip shown (`tip_ts`, the private tip's ts): a double click, or a click before
    the tip turned into "Shared", posted it in the channel again. The tip is found by the
    words shown (`fingerprint`), not only its id: after its article was edited the id may
    name other words (a replica on another library version, or a reload since)."""
    passage = slack.coach.passage(passage_id, fingerprint)
    if passage is None:
        slack.tell(
            response_url, "That tip is no longer in the library — try `/leadership-tip` again."
        )
        return
    once = f"{channel}/{tip_ts}/{user}/{passage_id}"[:255] if tip_ts else None
    if once and not slack.said_once.claim(SaidKind.SHARE_TIP, once):
        log.info("'Share in channel' clicked again for %s; already shared", tip_ts)
        return
    message = shared_tip_message(passage, shared_by=user)
    try:
        response = slack.send(channel, message)
    except Exception as err:
        if once:  # nothing was shared: a later click may try again
            slack.said_once.release(SaidKind.SHARE_TIP, once)
        error = slack_error(err)
        log.warning("sharing a tip in %s failed: %s", channel, error)
        if not isinstance(err, SlackApiError):
            return
        slack.tell(response_url, share_failed(error, where="this conversation", what="that tip"))
        return
    if once:
        slack.said_once.done(SaidKind.SHARE_TIP, once, response.get("ts"))
    slack.tell(response_url, ":white_check_mark: Shared in the channel.", replace=True)
