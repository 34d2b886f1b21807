""" "Coach me on this" through the durable answer queue: never lost, never shown twice.

The shortcut is stored before its ack (`queue_coach_me`, bot/store/coach_requests.py), so a
Slack outage or a replica killed after the ack loses nothing: any replica's answer workers
claim it under a lease and coach on it (`coach_me_job`), privately, as the in-memory path
did (bot.slack.coach_me). Slack failing as a whole (429, 503, no connection) holds it with
every other answer (bot.slack.outage); after ANSWER_MAX_AGE_MINUTES it is dropped with one
line. An ephemeral cannot be read back, so a post that may have reached Slack (a timeout, a
reset, a 5xx other than 503) is not sent again; one Slack certainly did not take is.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from bot.daily_quote.slack_calls import FailureKind, SlackFailure, classify
from bot.slack.coach_me import (
    Coaching,
    CoachRequest,
    NotSent,
    asked_row,
    coached,
    compose_coaching,
    send_privately,
)
from bot.slack.delivery import (
    TRANSIENT_ERRORS,
    Delivery,
    Verdict,
    lease_lasts,
    took_nothing,
    tried_once,
)
from bot.slack.messages.answers import error_message
from bot.slack.posting import later_or_drop, stored_before_ack, too_old
from bot.slack.runtime import SlackRuntime
from bot.store.answer_queue import Job
from bot.store.coach_requests import enqueue_coach_me
from bot.store.tables import AnswerState

log = logging.getLogger(__name__)

COACH_ME = "coach_me"  # the answer_queue kind of a "Coach me on this" request
COACHING = "the coaching on a message"  # how the log lines name it
NOT_SENT_AGAIN = (
    "coach-me reply in %s got no answer from Slack (%s); not sent again: Slack may have "
    "shown it, and an ephemeral cannot be looked up, so a second one could show twice"
)


def queue_coach_me(slack: SlackRuntime, req: CoachRequest, trigger_id: str | None) -> bool:
    """Store the request for the answer workers; call it before the ack. False when the
    database could not take it (the caller then coaches from memory, as before).

    The same request delivered twice (its trigger_id) is stored once; using the shortcut
    again is a new request."""
    return stored_before_ack(
        slack,
        lambda: enqueue_coach_me(
            slack.answers.engine,
            f"{COACH_ME}:{trigger_id or uuid.uuid4().hex}",
            kind=COACH_ME,
            channel=req.channel,
            ts=req.message_ts,
            thread_ts=req.thread_ts,
            user_id=req.user,
            text=req.text,
        ),
        "a coach-me request",
        "coaching",
        f"already have the coach-me request {trigger_id}",
    )


def coach_me_job(slack: SlackRuntime, job: Job) -> None:
    """Coach on one claimed request, or put it back to be tried later, or give it up.

    The coaching is composed by its first holder and kept with the request, so a retry
    shows the same one. A holder killed after Slack took it and before it was recorded
    leaves it to be sent again (a window of milliseconds, as for a tip)."""
    settings = slack.settings
    now = datetime.now(UTC)
    req = CoachRequest(job.user_id, job.channel, job.ts, job.thread_ts or job.ts, job.text)
    if too_old(slack, job, now, COACHING):  # held past it (Slack on hold, bot.slack.outage)
        return
    coaching = Coaching.from_json(job.reply) if job.reply else None
    if coaching is None:
        try:
            coaching = compose_coaching(slack, req)
        except SQLAlchemyError:
            raise  # the database is away: the lease runs out and the request is tried again
        except Exception:
            log.exception("coaching on a message in %s failed", job.channel)
            coaching = Coaching(error_message())
        if not slack.answers.keep_reply(job, coaching.to_json()):
            slack.outage.skipped(job)
            return  # the lease ran out meanwhile: another replica has the request
    lease = timedelta(seconds=settings.answer_lease_seconds)
    once = tried_once(slack.client, lease)  # ending while the lease lasts

    def lease_held() -> bool:
        return lease_lasts(job, once.timeout + 1) or slack.answers.renew(job, lease)

    if not lease_held():
        slack.outage.skipped(job)
        return
    try:
        where = send_privately(slack, req, coaching.message, client=once, before_dm=lease_held)
    except NotSent as err:
        if err.lease_lost:
            slack.outage.skipped(job)
            return
        cause = err.__cause__
        failure = _classified(cause) if isinstance(cause, Exception) else None
        _failed(slack, job, now, failure or SlackFailure(FailureKind.API, str(err)), True)
        return
    except Exception as err:
        failure = _classified(err)
        if failure is None:  # no Slack failure (a broken answer): it may have been shown
            slack.answers.answered(job, None, note=f"no answer from Slack: {err!r}"[:500])
            slack.outage.skipped(job)
            log.warning(NOT_SENT_AGAIN, job.channel, type(err).__name__)
            return
        _failed(slack, job, now, failure, took_nothing(err, failure))
        return
    _answered(slack, job, req, coaching, where)


def _classified(err: Exception) -> SlackFailure | None:
    try:
        return classify(err)
    except Exception:  # not a Slack or network failure (a broken answer): unknown
        return None


def _answered(
    slack: SlackRuntime, job: Job, req: CoachRequest, coaching: Coaching, where: str
) -> None:
    """Shown: settle the request with the curator's row; without it should that fail (a
    lost row must not have the coaching shown again)."""
    row = asked_row(slack, req, coaching)
    try:
        slack.answers.answered(job, None, also=row)
    except SQLAlchemyError as err:
        if row is None:
            raise
        log.warning("could not record the coach-me question in %s: %s", job.channel, err)
        slack.answers.answered(job, None)
    slack.outage.answered(job)  # Slack answers: a hold on every replica's answers ends
    coached(req, coaching, where)


def _failed(
    slack: SlackRuntime, job: Job, now: datetime, failure: SlackFailure, certain: bool
) -> None:
    """Refused for good: given up. Maybe shown: settled, not sent again. Else tried again
    later, with every replica's answers while Slack fails as a whole."""
    refused = failure.kind == FailureKind.API and failure.detail not in TRANSIENT_ERRORS
    done = Delivery(
        Verdict.REFUSED if refused else Verdict.RETRY,
        wait=failure.retry_after,
        detail=str(failure),
        not_posted=certain,
        failure=failure.kind,
    )
    if refused:
        slack.answers.give_up(job, AnswerState.FAILED, failure.detail)
        slack.outage.answered(job)  # Slack answered, if not with the coaching
        log.warning("Slack refused the coach-me reply in %s: %s", job.channel, failure.detail)
        return
    if not certain:
        slack.outage.failed(job, done)  # Slack failing as a whole: everyone waits
        slack.answers.answered(job, None, note=f"no answer from Slack: {done.detail}")
        log.warning(NOT_SENT_AGAIN, job.channel, done.detail)
        return
    later_or_drop(slack, job, now, done, COACHING)
