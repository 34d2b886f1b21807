"""The Home tab (app_home_opened -> views.publish) through the durable answer queue.

The publish is stored before the event's ack (`queue_home`, bot/store/replace_queue.py), so
a Slack outage or a replica killed after the ack loses nothing: any replica's answer workers
claim it under a lease and publish (`home_job`). Slack failing as a whole (429, 5xx, no
connection) holds it with every other answer (bot.slack.outage); after
ANSWER_MAX_AGE_MINUTES it is dropped with one line. views.publish replaces the whole tab, so
a publish that may have reached Slack (a reset, a timeout) is simply done again: nothing
shows twice. Before, it was published from memory: a 503 longer than slack_sdk's few retries
left the leader an empty (or yesterday's) Home tab, as did a replica killed after the ack
(Slack does not send an acked event again). `publish_home` is that memory path, kept for when
the database cannot store the event.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from bot.slack.client import slack_error
from bot.slack.messages.gaps import admin_home
from bot.slack.messages.home import home_view
from bot.slack.posting import deliver_replacement, stored_before_ack, too_old
from bot.slack.runtime import SlackRuntime
from bot.store.answer_queue import Job
from bot.store.replace_queue import enqueue_replacement

log = logging.getLogger(__name__)

HOME_KIND = "home"  # the answer_queue kind of a Home tab publish
WHAT = "the Home tab"  # how the log lines name it


def queue_home(
    slack: SlackRuntime, user: str, channel: str, event_id: str | None, opened_ts: str | None
) -> bool:
    """Store the user's Home tab publish for the answer workers; call it before the ack.
    False when the database could not take it (the caller then publishes from memory)."""
    stamp = datetime.now(UTC)
    event = event_id or opened_ts or uuid.uuid4().hex
    return stored_before_ack(
        slack,
        lambda: enqueue_replacement(
            slack.answers.engine,
            f"{HOME_KIND}:{user}:{event}",
            kind=HOME_KIND,
            channel=channel,
            ts=opened_ts or f"{stamp.timestamp():.6f}",
            user_id=user,
            now=stamp,
        ),
        "a Home tab",
        "publishing it",
        f"already have the Home tab event {event}",
    )


def view_for(slack: SlackRuntime, user: str) -> dict[str, Any]:
    """What the coach does, example questions, today's quote and the topics; for
    COACH_ADMINS also the content gaps."""
    coach = slack.coach
    view = home_view(
        topics=coach.topics, quote=coach.todays_quote(), examples=coach.suggestions(4, user)
    )
    if user in slack.settings.coach_admins:  # the curator's view; nobody else sees it
        try:
            view = admin_home(view, slack.gaps.report(7, sweep=False), days=7)
        except Exception as err:  # the database is away: the plain Home still goes out
            log.warning("content gaps for the Home tab failed: %s", err)
    return view


def home_job(slack: SlackRuntime, job: Job) -> None:
    """Publish one claimed Home tab, or put it back to be tried later, or give it up."""
    now = datetime.now(UTC)
    if too_old(slack, job, now, WHAT) or not job.user_id:
        return
    user = job.user_id
    view = view_for(slack, user)
    deliver_replacement(
        slack,
        job,
        now,
        f"{WHAT} for {user}",
        lambda once: once.views_publish(user_id=user, view=view),
        lambda error: log.warning("Slack refused %s for %s: %s", WHAT, user, error),
    )


def publish_home(slack: SlackRuntime, user: str) -> None:
    """Publish from memory (the database could not store the event)."""
    try:
        slack.client.views_publish(user_id=user, view=view_for(slack, user))
    except Exception as err:
        log.warning("views.publish for %s failed: %s", user, slack_error(err))
