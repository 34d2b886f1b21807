"""App Home: what the coach does, example questions, today's quote and the topics."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk.errors import SlackApiError

from bot import blocks
from bot.app import Coach
from bot.listeners._guard import guarded

log = logging.getLogger(__name__)


def register(app: App, coach: Coach) -> None:
    @app.event("app_home_opened")
    @guarded
    def on_home_opened(body: dict[str, Any]) -> None:
        event = body.get("event")
        if not isinstance(event, dict) or event.get("tab", "home") != "home":
            return  # the Messages tab needs nothing from us
        user = event.get("user")
        if not isinstance(user, str) or not user:
            return
        coach.submit(publish_home, coach, user)


def publish_home(coach: Coach, user: str) -> None:
    view = blocks.home_view(
        topics=coach.topics, quote=coach.todays_quote(), examples=coach.suggestions(4, user)
    )
    try:
        coach.client.views_publish(user_id=user, view=view)
    except SlackApiError as err:
        log.warning("views.publish for %s failed: %s", user, err.response.get("error"))
