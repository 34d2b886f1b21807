"""The App Home tab: what the coach does, today's quote, the topics; nothing for Messages."""

from __future__ import annotations

import json
from typing import Any

from tests.slack_fixtures import SlackApp
from tests.slack_payloads import event_envelope, new_ts


def test_app_home_shows_quote_examples_and_topics(
    slack_app: SlackApp, shipped_library: Any
) -> None:
    event = {
        "type": "app_home_opened",
        "user": "UVISITOR",
        "channel": "DVISITOR",
        "tab": "home",
        "event_ts": new_ts(),
    }
    assert slack_app.send_event(event_envelope(event)) == 200
    call = slack_app.stub.wait_for("views.publish")[0]
    slack_app.settle()
    assert call.params["user_id"] == "UVISITOR"
    view = call.params["view"]
    assert view["type"] == "home"
    from slack_sdk.models.blocks import Block

    for block in view["blocks"]:
        Block.parse(block).to_dict()
    dumped = json.dumps(view)
    assert "Today's quote" in dumped
    assert any(q.author in dumped for q in shipped_library.quotes)
    assert shipped_library.topics[0] in dumped
    assert "/leadership-tip" in dumped


def test_messages_tab_publishes_nothing(slack_app: SlackApp) -> None:
    event = {"type": "app_home_opened", "user": "UV", "channel": "DV", "tab": "messages"}
    assert slack_app.send_event(event_envelope(event)) == 200
    slack_app.settle()
    assert slack_app.stub.calls_to("views.publish") == []
