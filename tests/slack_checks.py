"""Checks on what the app sent (Slack would accept it, nobody is pinged) and helpers that
read its buttons or run /leadership-tip as a person would."""

from __future__ import annotations

import json
from typing import Any

from tests.slack_fixtures import SlackApp
from tests.slack_payloads import slack_command_form
from tests.slack_stub import Call, missing_required

SPECIAL_PINGS = ("<!channel>", "<!here>", "<!everyone>", "<!subteam^")


def assert_valid_message(call: Any) -> None:
    """Slack would accept it: text fallback, Block Kit limits, required params, no pings."""
    from slack_sdk.models.blocks import Block

    params = call.params
    assert isinstance(params.get("text"), str) and params["text"].strip(), "no text fallback"
    blocks = params.get("blocks") or []
    assert isinstance(blocks, list) and len(blocks) <= 50
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None, f"unknown block {block}"
        parsed.to_dict()  # validates lengths and required fields
    if call.method != "response_url":
        assert missing_required(call) == [], f"{call.method} missing {missing_required(call)}"
    assert "link_names" not in params or params["link_names"] in (False, 0, "0", "false")
    everything = json.dumps(params)
    for ping in SPECIAL_PINGS:
        assert ping not in everything, f"{ping} would notify people"
    assert "<@UINTRUDER>" not in everything


def button(call: Call, action_id: str) -> dict[str, Any]:
    for block in call.blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return element
    raise AssertionError(f"no {action_id} button in {call.blocks}")


def tip_passage(call: Call) -> str:
    return json.loads(button(call, "tip_share")["value"])["p"]


def run_tip(slack_app: SlackApp, text: str, user: str = "UASKER") -> Call:
    before = len(slack_app.stub.calls_to("response_url"))
    form = slack_command_form(text, slack_app.stub.response_url("tip"), user=user)
    status, body = slack_app.send_command(form)
    assert status == 200
    assert body == ""  # acked at once; the tip follows on the response_url
    calls = slack_app.stub.wait_for("response_url", before + 1)
    slack_app.settle()
    call = calls[-1]
    assert_valid_message(call)
    return call
