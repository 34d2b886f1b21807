"""Button listeners: feedback (and its note's "Say what was missing"), more like this, the
two tip buttons, and "Share in thread"."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.listeners.actions import (
    another_tip,
    feedback,
    feedback_reason,
    more_like_this,
    share_coaching,
    share_tip,
)
from bot.slack.runtime import SlackRuntime


def register(app: App, slack: SlackRuntime) -> None:
    feedback.register(app, slack)
    feedback_reason.register(app, slack)
    more_like_this.register(app, slack)
    share_tip.register(app, slack)
    another_tip.register(app, slack)
    share_coaching.register(app, slack)
