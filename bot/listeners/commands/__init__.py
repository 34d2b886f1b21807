"""Slash command listeners."""

from __future__ import annotations

from slack_bolt import App

from bot.app import Coach
from bot.listeners.commands import leadership_tip


def register(app: App, coach: Coach) -> None:
    leadership_tip.register(app, coach)
