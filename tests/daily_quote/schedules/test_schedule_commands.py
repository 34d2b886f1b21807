"""The schedules from the command line: `coach quote schedule add|list|remove`, and
`coach quote --channel C --post` for a scheduled channel by hand."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.daily_quote.channels import save_plan
from bot.daily_quote.plan import QuotePlan
from bot.store.engine import make_engine
from tests.daily_quote.quote_workspace import TOKEN
from tests.daily_quote.quote_world import QuoteStub
from tests.daily_quote.schedules.schedule_world import NY, SG, WEEKDAYS


def test_schedule_cli_add_list_remove(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from bot.cli import app

    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.delenv("QUOTE_CHANNEL", raising=False)
    runner = CliRunner()
    added = runner.invoke(
        app,
        [
            "quote",
            "schedule",
            "add",
            NY,
            "--time",
            "8:30",
            "--tz",
            "America/New_York",
            "--days",
            "mon-fri",
            "--skip",
            "2026-12-25,2027-01-01",
            "--reflect",
        ],
    )
    assert added.exit_code == 0, added.output
    assert "08:30 America/New_York on mon-fri except 2026-12-25,2027-01-01" in added.output
    bad = runner.invoke(app, ["quote", "schedule", "add", SG, "--tz", "Mars/Olympus"])
    assert bad.exit_code == 1 and "--tz" in bad.output
    listed = runner.invoke(app, ["quote", "schedule", "list", "--json"])
    assert json.loads(listed.output) == [
        {
            "channel": NY,
            "time": "08:30",
            "timezone": "America/New_York",
            "days": ["mon", "tue", "wed", "thu", "fri"],
            "skip": ["2026-12-25", "2027-01-01"],
            "reflect": True,
            "source": "database",
        }
    ]
    assert runner.invoke(app, ["quote", "schedule", "remove", NY]).exit_code == 0
    assert runner.invoke(app, ["quote", "schedule", "remove", NY]).exit_code == 2
    assert "No quote schedules" in runner.invoke(app, ["quote", "schedule", "list"]).output


def test_coach_quote_posts_to_a_scheduled_channel_by_hand(
    stub: QuoteStub, db_url: str, shipped_library: Any, run_coach: Any
) -> None:
    """`coach quote --channel C --post`: that channel's quote, once a day; its reflection."""
    from zoneinfo import ZoneInfo

    engine = make_engine(db_url)
    singapore_now = datetime.now(ZoneInfo("Asia/Singapore")).strftime("%H:%M")
    save_plan(engine, QuotePlan(NY, "08:30", "America/New_York", WEEKDAYS))
    save_plan(engine, QuotePlan(SG, singapore_now, "Asia/Singapore", WEEKDAYS, reflect=True))
    env = {
        "DATABASE_URL": db_url,
        "SLACK_API_URL": stub.api_url,
        "SLACK_BOT_TOKEN": TOKEN,
    }

    shown = run_coach("quote", "--channel", SG, env=env)
    assert shown.returncode == 0, shown.stderr
    posted = run_coach("quote", "--channel", SG, "--post", env=env)
    assert posted.returncode == 0, posted.stderr
    again = run_coach("quote", "--channel", SG, "--post", env=env)
    assert again.returncode == 0 and "--force" in again.stdout

    [post] = [p for p in stub.quote_posts() if not p.params.get("thread_ts")]
    assert post.params["channel"] == SG
    quote_text = shown.stdout.strip().splitlines()[0].strip('“”" ')
    assert quote_text[:40] in post.params["text"]
    [reflection] = [p for p in stub.quote_posts() if p.params.get("thread_ts")]
    assert reflection.params["channel"] == SG
    assert reflection.params["thread_ts"] == post.response["ts"]

    unknown = run_coach("quote", "--channel", "C0NOWHERE", "--post", env=env)
    assert unknown.returncode == 1
    assert "C0NOWHERE" in unknown.stderr and NY in unknown.stderr and SG in unknown.stderr
    assert len(stub.quote_posts()) == 2  # nothing more posted
