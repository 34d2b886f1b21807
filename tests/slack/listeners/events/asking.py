"""Asking the app a question as Slack delivers it and reading its answer: shared by the
question tests in this folder."""

from __future__ import annotations

import json
from typing import Any

from tests.slack_checks import assert_valid_message
from tests.slack_fixtures import SlackApp
from tests.slack_payloads import event_envelope
from tests.slack_stub import Call

QUESTION = "how do I motivate my reps?"


def ask(slack_app: SlackApp, event: dict[str, Any], **kw: Any) -> Call:
    assert slack_app.send_event(event_envelope(event, **kw)) == 200
    calls = slack_app.stub.wait_for("chat.postMessage")
    slack_app.settle()
    assert len(slack_app.stub.calls_to("chat.postMessage")) == 1
    assert_valid_message(calls[0])
    return calls[0]


def passage_ids(call: Call) -> list[str]:
    for block in call.blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == "feedback_helpful":
                return json.loads(element["value"])["p"]
    return []


def quotes(call: Call) -> list[str]:
    return [
        b["text"]["text"]
        for b in call.blocks
        if b["type"] == "section" and b["text"]["text"].startswith(">")
    ]
