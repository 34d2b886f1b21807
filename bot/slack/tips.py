"""Tips in Slack: what /leadership-tip and the tip buttons share (so no listener imports
another). The tip itself comes from the coach; this is only how it reaches a person."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot.slack.client import slack_error
from bot.slack.messages.parts import share_failed
from bot.slack.messages.tips import no_tip_message, shared_tip_message, tip_message
from bot.slack.runtime import SlackRuntime

log = logging.getLogger(__name__)


def send_tip(
    slack: SlackRuntime,
    user: str,
    topic: str | None,
    response_url: str | None,
    *,
    replace: bool = False,
) -> None:
    """Pick a tip (never the one this person saw last) and answer privately."""
    picked = slack.coach.pick_tip(user, topic)
    if picked is None:
        message = no_tip_message(topic or "", slack.coach.topics)
    else:
        passage, key = picked
        message = tip_message(passage, topic=topic, key_sentence=key)
    slack.respond_until_delivered(
        response_url, message, response_type="ephemeral", replace_original=replace
    )


def share_tip(
    slack: SlackRuntime, user: str, channel: str, passage_id: str, response_url: str | None
) -> None:
    """Post a tip publicly, attributed to the person sharing it; tell them how it went."""
    passage = slack.coach.passage(passage_id)
    if passage is None:
        slack.tell(
            response_url, "That tip is no longer in the library — try `/leadership-tip` again."
        )
        return
    message = shared_tip_message(passage, shared_by=user)
    try:
        slack.send(channel, message)
    except Exception as err:
        error = slack_error(err)
        log.warning("sharing a tip in %s failed: %s", channel, error)
        if not isinstance(err, SlackApiError):
            return
        slack.tell(response_url, share_failed(error, where="this conversation", what="that tip"))
        return
    slack.tell(response_url, ":white_check_mark: Shared in the channel.", replace=True)
