"""Share in channel and Another tip, end to end through the app's HTTP server."""

from __future__ import annotations

import json
from typing import Any

from bot.slack.messages.values import (
    ACTION_ANOTHER_TIP,
    ACTION_SHARE_TIP,
)
from tests.slack_checks import assert_valid_message, button, run_tip, tip_passage
from tests.slack_fixtures import SlackApp
from tests.slack_payloads import block_action
from tests.slack_stub import Call


def test_share_in_channel_posts_publicly_with_attribution(
    slack_app: SlackApp, shipped_library: Any
) -> None:
    tip = run_tip(slack_app, "coaching")
    value = button(tip, ACTION_SHARE_TIP)["value"]
    payload = block_action(
        ACTION_SHARE_TIP,
        value,
        user="USHARER",
        response_url=slack_app.stub.response_url("share"),
        ephemeral=True,
    )
    assert slack_app.send_action(payload) == 200
    posted = slack_app.stub.wait_for("chat.postMessage")[0]
    slack_app.settle()
    assert_valid_message(posted)
    assert posted.params["channel"] == "CSALES"
    assert "Shared by <@USHARER>" in json.dumps(posted.blocks)
    passage = next(p for p in shipped_library.passages if p.id == tip_passage(tip))
    assert passage.article.title in json.dumps(posted.blocks)
    confirm = slack_app.stub.calls_to("response_url")[-1]
    assert confirm.params.get("replace_original") is True
    assert "Shared" in confirm.text


def test_share_where_the_bot_is_not_invited_explains(slack_app: SlackApp) -> None:
    tip = run_tip(slack_app, "coaching")
    slack_app.stub.fail("chat.postMessage", error="not_in_channel")
    payload = block_action(
        ACTION_SHARE_TIP,
        button(tip, ACTION_SHARE_TIP)["value"],
        response_url=slack_app.stub.response_url("share"),
        ephemeral=True,
    )
    assert slack_app.send_action(payload) == 200
    calls = slack_app.stub.wait_for("response_url", 2)
    slack_app.settle()
    assert "/invite" in calls[-1].text
    assert calls[-1].params["response_type"] == "ephemeral"


def click_another_tip(slack_app: SlackApp, tip: Call) -> None:
    """The asker clicks *Another tip* under `tip`; Slack answers to the "another" URL."""
    payload = block_action(
        ACTION_ANOTHER_TIP,
        button(tip, ACTION_ANOTHER_TIP)["value"],
        user="UASKER",
        response_url=slack_app.stub.response_url("another"),
        ephemeral=True,
    )
    assert slack_app.send_action(payload) == 200


def test_another_tip_replaces_the_tip_with_a_different_one(slack_app: SlackApp) -> None:
    tip = run_tip(slack_app, "")
    click_another_tip(slack_app, tip)
    calls = slack_app.stub.wait_for("response_url", 2)
    slack_app.settle()
    again = calls[-1]
    assert_valid_message(again)
    assert again.params["replace_original"] is True
    assert tip_passage(again) != tip_passage(tip)


def test_share_in_channel_clicked_twice_posts_the_tip_once(slack_app: SlackApp) -> None:
    """A double click (or a click before the tip turned into "Shared") posted the same tip
    in the channel twice, attributed twice."""
    tip = run_tip(slack_app, "coaching")
    message = {"type": "message", "ts": "1800000500.000100", "text": tip.text}
    for n in (1, 2):
        payload = block_action(
            ACTION_SHARE_TIP,
            button(tip, ACTION_SHARE_TIP)["value"],
            user="USHARER",
            message=message,
            response_url=slack_app.stub.response_url(f"share{n}"),
            ephemeral=True,
        )
        assert slack_app.send_action(payload) == 200
        slack_app.stub.wait_for("chat.postMessage")
        slack_app.settle()
    assert len(slack_app.stub.calls_to("chat.postMessage")) == 1


def test_a_share_that_failed_can_be_clicked_again(slack_app: SlackApp) -> None:
    tip = run_tip(slack_app, "coaching")
    message = {"type": "message", "ts": "1800000600.000100", "text": tip.text}
    slack_app.stub.fail("chat.postMessage", error="not_in_channel")
    for n in (1, 2):
        payload = block_action(
            ACTION_SHARE_TIP,
            button(tip, ACTION_SHARE_TIP)["value"],
            message=message,
            response_url=slack_app.stub.response_url(f"share{n}"),
            ephemeral=True,
        )
        assert slack_app.send_action(payload) == 200
        slack_app.stub.wait_for("response_url", 1 + n)
        slack_app.settle()
    posted = slack_app.stub.wait_for("chat.postMessage")
    assert len(posted) == 1
    assert "Shared by" in json.dumps(posted[0].blocks)


def test_another_tip_whose_answer_was_lost_is_sent_again_in_its_place(
    slack_app: SlackApp,
) -> None:
    """It replaces the tip it was clicked on, so sending it again cannot show it twice: a
    lost answer from Slack (the connection reset after Slack took it) is not a lost tip."""
    tip = run_tip(slack_app, "")
    slack_app.stub.fail("response_url", drop_after=True)
    click_another_tip(slack_app, tip)
    slack_app.stub.wait_for("response_url", 2)
    slack_app.settle()
    calls = slack_app.stub.calls_to("response_url")
    lost, again = [c for c in calls if c.path.endswith("/another")]
    assert lost.status == 0 and again.status == 200
    assert lost.params["replace_original"] is True and again.params["replace_original"] is True
    assert tip_passage(again) == tip_passage(lost) != tip_passage(tip)
