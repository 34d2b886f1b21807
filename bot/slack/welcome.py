"""The one welcome message when the bot is added to a channel (never twice per channel)."""

from __future__ import annotations

import logging

from bot.slack.messages.welcome import welcome_message
from bot.slack.runtime import SlackRuntime
from bot.store.tables import SaidKind

log = logging.getLogger(__name__)

KIND = SaidKind.WELCOME


def welcome(slack: SlackRuntime, channel: str) -> bool:
    """Claim the channel's welcome, then post it; True if this call posted it."""
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
