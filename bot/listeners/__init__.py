"""Registers every listener on the Bolt app, one module per Slack surface."""

from __future__ import annotations

from slack_bolt import App

from bot.app import Coach
from bot.listeners import actions, commands, events


def register_listeners(app: App, coach: Coach) -> None:
    events.register(app, coach)
    commands.register(app, coach)
    actions.register(app, coach)
