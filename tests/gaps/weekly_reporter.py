"""What the weekly-report tests share: the settings of a report to CREPORTS on a stub Slack,
a WeeklyReporter on a database, and the check that Slack would take every call made."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from bot.gaps.service import Gaps
from bot.gaps.weekly import WeeklyReporter
from bot.settings import Settings
from tests.slack_checks import assert_valid_message
from tests.slack_stub import SlackStub, missing_required


def weekly_settings(stub: SlackStub, **extra: Any) -> Settings:
    return Settings(
        embedding_model="unused",
        slack_bot_token="xoxb-1-2-weeklytest",
        slack_api_url=stub.api_url,
        report_channel="CREPORTS",
        quote_time="09:00",
        quote_timezone="Europe/Paris",
        **extra,
    )


def reporter(settings: Settings, engine: Engine, **kwargs: Any) -> WeeklyReporter:
    from slack_sdk import WebClient

    client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
    gaps = Gaps(engine, None, 90)
    return WeeklyReporter(settings, engine, client, lambda days: gaps.report(days), **kwargs)


def checked(stub: SlackStub) -> None:
    """Slack would take every call made (its required arguments, Block Kit, no pings)."""
    for call in stub.calls:
        assert missing_required(call) == [], call.method
    for call in stub.calls_to("chat.postMessage"):
        assert_valid_message(call)
