"""App Home: what the coach does, example questions, today's quote and the topics; for
COACH_ADMINS also the content gaps."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App

from bot.slack.client import slack_error
from bot.slack.listeners.guard import guarded
from bot.slack.messages.gaps import admin_home
from bot.slack.messages.home import home_view
from bot.slack.runtime import SlackRuntime

log = logging.getLogger(__name__)


def register(app: App, slack: SlackRuntime) -> None:
    @app.event("app_home_opened")
    @guarded
    def on_home_opened(body: dict[str, Any]) -> None:
        event = body.get("event")
        if not isinstance(event, dict) or event.get("tab", "home") != "home":
            return  # the Messages tab needs nothing from us
        user = event.get("user")
        if not isinstance(user, str) or not user:
            return
        slack.submit(publish_home, slack, user)


def publish_home(slack: SlackRuntime, user: str) -> None:
    coach = slack.coach
    view = home_view(
        topics=coach.topics, quote=coach.todays_quote(), examples=coach.suggestions(4, user)
    )
    if user in slack.settings.coach_admins:  # the curator's view; nobody else sees it
        try:
            view = admin_home(view, slack.gaps.report(7, sweep=False), days=7)
        except Exception as err:  # the database is away: the plain Home still goes out
            log.warning("content gaps for the Home tab failed: %s", err)
    try:
        slack.client.views_publish(user_id=user, view=view)
    except Exception as err:
        log.warning("views.publish for %s failed: %s", user, slack_error(err))
