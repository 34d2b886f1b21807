"""Events API listeners: questions (mentions, DMs) and the App Home tab."""

from __future__ import annotations

from slack_bolt import App

from bot.app import Coach
from bot.listeners.events import app_home, questions


def register(app: App, coach: Coach) -> None:
    questions.register(app, coach)
    app_home.register(app, coach)
