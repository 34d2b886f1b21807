"""The curator's loop through the real HTTP server: "Not helpful" opens the reason form,
its submission is stored, the Home tab shows content gaps to admins only, and `coach report`
reads what real questions, abstentions and votes left in the database.

Payloads follow Slack's documented shapes: `block_actions` as in ../shared/slack's sample,
`view_submission` as in Slack's "View interaction payloads" reference (docs.slack.dev,
reference/interaction-payloads/view-interactions-payload). views.open and views.publish are
in the 2020 Web API spec (../shared/slack), whose required arguments the fixture checks for
every call; Slack's current docs make views.open's trigger_id one of trigger_id /
interactivity_pointer, and we always send trigger_id.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_sdk.models.views import View

from bot.slack.messages.gaps import REASON_ACTION, REASON_BLOCK, REASON_CALLBACK
from bot.slack.messages.values import ACTION_HELPFUL, ACTION_NOT_HELPFUL, ACTION_REASON
from tests.slack.answer_buttons import ask, button_value, click
from tests.slack_checks import assert_valid_message
from tests.slack_fixtures import SlackApp, running_app
from tests.slack_payloads import event_envelope, new_ts
from tests.slack_stub import Call, SlackStub, missing_required
from tests.slack_workspace import API_APP, TEAM

ANSWERED = "how do I motivate my reps?"
OFF_TOPIC = "How do I reset my VPN password?"
REASON = "how to motivate reps who just missed quota"


@pytest.fixture
def curated_app(slack_stub: SlackStub, shipped_library: Any, tmp_path: Path) -> Iterator[SlackApp]:
    with running_app(
        slack_stub, shipped_library, tmp_path / "data", coach_admins=("UCURATOR",)
    ) as running:
        yield running


def view_submission(opened: Call, reason: str | None, user: str = "UCLICKER") -> dict[str, Any]:
    """What Slack sends when the person presses Send on the view we opened."""
    view = opened.params["view"]
    state = {"type": "plain_text_input", "value": reason}
    return {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "stub-team"},
        "user": {"id": user, "username": "clicker", "name": "clicker", "team_id": TEAM},
        "api_app_id": API_APP,
        "token": "legacy-verification-token",
        "trigger_id": "12466734323.1395872398.def",
        "view": {
            "id": "V0REASON",
            "team_id": TEAM,
            "type": "modal",
            "blocks": view["blocks"],
            "private_metadata": view["private_metadata"],
            "callback_id": view["callback_id"],
            "state": {"values": {REASON_BLOCK: {REASON_ACTION: state}}},
            "hash": "1569362015.55b5e41b",
            "title": view["title"],
            "clear_on_close": False,
            "notify_on_close": False,
            "close": view["close"],
            "submit": view["submit"],
            "previous_view_id": None,
            "root_view_id": "V0REASON",
            "app_id": API_APP,
            "external_id": "",
            "app_installed_team_id": TEAM,
            "bot_id": "B0STUB",
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def submit(app: SlackApp, payload: dict[str, Any]) -> tuple[int, str]:
    started = time.monotonic()
    status, body = app.post_signed(
        urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
    )
    assert time.monotonic() - started < 3, "Slack needs the ack within 3 seconds"
    return status, body


def test_not_helpful_opens_the_form_counts_the_click_and_stores_the_reason(
    slack_app: SlackApp,
) -> None:
    reply = ask(slack_app, ANSWERED)
    slack_app.stub.calls.clear()
    clicked = click(slack_app, reply, ACTION_NOT_HELPFUL)
    opened = slack_app.stub.wait_for("views.open")[0]
    slack_app.settle()

    # the form: the click's trigger_id, one optional plain_text_input, valid Block Kit
    assert missing_required(opened) == []
    assert opened.params["trigger_id"] == clicked["trigger_id"]
    view = opened.params["view"]
    View(**view).to_dict()  # slack_sdk validates lengths and required fields
    assert view["type"] == "modal" and view["callback_id"] == REASON_CALLBACK
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert len(inputs) == 1 and inputs[0]["optional"] is True
    assert inputs[0]["element"]["type"] == "plain_text_input"
    assert inputs[0]["label"]["text"] == "What were you looking for?"

    # the click counts before any reason, and the answer says it was received
    votes = slack_app.slack.feedback.rows()
    assert len(votes) == 1 and votes[0]["helpful"] is False
    update = slack_app.stub.wait_for("chat.update")[0]
    assert_valid_message(update)
    assert update.params["ts"] == reply.response["ts"]
    assert "feedback received: not helpful" in json.dumps(update.blocks)

    status, body = submit(slack_app, view_submission(opened, f"  {REASON}  "))
    assert (status, body) == (200, "")  # acked at once: the modal closes
    slack_app.settle()
    reasons = slack_app.slack.feedback.reason_rows()
    assert len(reasons) == 1
    row = reasons[0]
    assert (row["user_id"], row["channel"], row["message_ts"]) == (
        "UCLICKER",
        "CSALES",
        reply.response["ts"],
    )
    assert row["reason"] == REASON
    assert row["question"] == ANSWERED
    shown = json.loads(button_value(reply, ACTION_NOT_HELPFUL))["p"]
    assert row["passage_ids"].split(",") == shown


def test_closing_the_form_without_text_still_counts_the_click(slack_app: SlackApp) -> None:
    reply = ask(slack_app, ANSWERED)
    click(slack_app, reply, ACTION_NOT_HELPFUL)
    opened = slack_app.stub.wait_for("views.open")[0]
    assert submit(slack_app, view_submission(opened, None))[0] == 200  # sent with it empty
    slack_app.settle()
    assert [v["helpful"] for v in slack_app.slack.feedback.rows()] == [False]
    assert slack_app.slack.feedback.reason_rows() == []


def test_helpful_opens_no_form(slack_app: SlackApp) -> None:
    reply = ask(slack_app, ANSWERED)
    click(slack_app, reply, ACTION_HELPFUL)
    slack_app.stub.wait_for("chat.update")
    slack_app.settle()
    assert slack_app.stub.calls_to("views.open") == []


def test_a_thank_you_refused_for_its_blocks_is_said_in_plain_text(slack_app: SlackApp) -> None:
    reply = ask(slack_app, ANSWERED)
    slack_app.stub.fail("chat.update", error="cant_update_message")  # so the thanks is private
    slack_app.stub.fail("chat.postEphemeral", error="invalid_blocks")
    click(slack_app, reply, ACTION_HELPFUL)
    slack_app.stub.wait_for("chat.postEphemeral")  # the plain one (the first was refused)
    slack_app.settle()
    refused, plain = slack_app.stub.calls_to("chat.postEphemeral")
    assert refused.blocks and "blocks" not in plain.params
    assert plain.params["user"] == "UCLICKER" and "glad it helped" in plain.text
    assert [v["helpful"] for v in slack_app.slack.feedback.rows()] == [True]


def test_an_expired_trigger_still_counts_the_click(slack_app: SlackApp) -> None:
    reply = ask(slack_app, ANSWERED)
    slack_app.stub.fail("views.open", error="expired_trigger_id")
    click(slack_app, reply, ACTION_NOT_HELPFUL)
    slack_app.stub.wait_for("chat.update")
    slack_app.settle()
    assert [v["helpful"] for v in slack_app.slack.feedback.rows()] == [False]


def test_the_form_that_never_opened_can_be_opened_from_the_note(slack_app: SlackApp) -> None:
    """The click's form did not show (its trigger expired, as in a Slack outage); the note
    under the answer offers it again, and what the leader writes there reaches the curator
    about that answer."""
    reply = ask(slack_app, ANSWERED)
    slack_app.stub.fail("views.open", error="expired_trigger_id")
    click(slack_app, reply, ACTION_NOT_HELPFUL)
    noted = slack_app.stub.wait_for("chat.update")[0]
    slack_app.settle()
    assert_valid_message(noted)
    # the answer as Slack now shows it: in its thread, with the note under its buttons
    noted = replace(noted, params={**noted.params, "thread_ts": reply.params.get("thread_ts")})
    noted = replace(noted, response={**noted.response, "ts": reply.response["ts"]})
    slack_app.stub.calls.clear()

    pressed = click(slack_app, noted, ACTION_REASON)
    opened = slack_app.stub.wait_for("views.open")[0]
    assert opened.params["trigger_id"] == pressed["trigger_id"]
    assert opened.params["view"]["callback_id"] == REASON_CALLBACK
    assert submit(slack_app, view_submission(opened, REASON))[0] == 200
    slack_app.settle()
    (row,) = slack_app.slack.feedback.reason_rows()
    assert (row["message_ts"], row["reason"], row["question"]) == (
        reply.response["ts"],
        REASON,
        ANSWERED,
    )
    shown = json.loads(button_value(reply, ACTION_NOT_HELPFUL))["p"]
    assert row["passage_ids"].split(",") == shown
    assert [v["helpful"] for v in slack_app.slack.feedback.rows()] == [False]  # counted once


def test_a_helpful_note_offers_no_form(slack_app: SlackApp) -> None:
    reply = ask(slack_app, ANSWERED)
    click(slack_app, reply, ACTION_HELPFUL)
    noted = slack_app.stub.wait_for("chat.update")[0]
    slack_app.settle()
    assert ACTION_REASON not in json.dumps(noted.blocks)


def fill_with_traffic(app: SlackApp) -> None:
    """Two answered questions (one voted Not helpful, with a reason), one abstention."""
    reply = ask(app, ANSWERED)
    ask(app, "How do I handle resistance to change on my team?")
    off = ask(app, OFF_TOPIC)
    assert ACTION_HELPFUL not in json.dumps(off.blocks)  # the coach abstained
    click(app, reply, ACTION_NOT_HELPFUL)
    opened = app.stub.wait_for("views.open")[0]
    assert submit(app, view_submission(opened, REASON))[0] == 200
    app.settle()


def test_coach_report_reads_real_questions_abstentions_and_votes(
    curated_app: SlackApp, run_coach: Any
) -> None:
    fill_with_traffic(curated_app)
    done = run_coach("report", "--json", env={"DATABASE_URL": curated_app.settings.db_url})
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["questions"], report["answered"], report["abstained"]) == (3, 2, 1)
    assert (report["helpful"], report["not_helpful"]) == (0, 1)
    assert sorted(g["question"] for g in report["gaps"]) == sorted([ANSWERED, OFF_TOPIC])
    assert all(g["count"] == 1 for g in report["gaps"])
    assert report["reasons"] == [{"question": ANSWERED, "reason": REASON}]
    for private in ("UASKER", "UCLICKER", "xoxb-", "@"):
        assert private not in done.stdout + done.stderr


def home_for(app: SlackApp, user: str) -> dict[str, Any]:
    before = len(app.stub.calls_to("views.publish"))
    event = {
        "type": "app_home_opened",
        "user": user,
        "channel": "D" + user,
        "tab": "home",
        "event_ts": new_ts(),
    }
    assert app.send_event(event_envelope(event)) == 200
    call = app.stub.wait_for("views.publish", before + 1)[-1]
    app.settle()
    assert missing_required(call) == [] and call.params["user_id"] == user
    View(**call.params["view"]).to_dict()
    return dict(call.params["view"])


def test_home_shows_content_gaps_to_admins_only(curated_app: SlackApp) -> None:
    fill_with_traffic(curated_app)
    admin = json.dumps(home_for(curated_app, "UCURATOR"))
    assert "Content gaps" in admin
    assert OFF_TOPIC in admin and REASON in admin
    assert "3 questions, 67% answered; 0% helpful (1 vote)" in admin
    for private in ("UASKER", "UCLICKER"):
        assert private not in admin  # questions, never who asked
    visitor = json.dumps(home_for(curated_app, "UASKER"))
    assert "Content gaps" not in visitor and OFF_TOPIC not in visitor
