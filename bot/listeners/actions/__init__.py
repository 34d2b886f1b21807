"""Button listeners: feedback, more like this, and the tip buttons."""

from __future__ import annotations

from slack_bolt import App

from bot.app import Coach
from bot.listeners.actions import feedback_buttons, more_like_this, tip_buttons


def register(app: App, coach: Coach) -> None:
    feedback_buttons.register(app, coach)
    more_like_this.register(app, coach)
    tip_buttons.register(app, coach)
