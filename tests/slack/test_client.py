"""Reading a thread where not knowing it is no error (is this the assistant panel's thread?
what question did it start with?): the messages, or None and one log line."""

from __future__ import annotations

import logging

import pytest
from slack_sdk import WebClient

from bot.slack.client import thread_messages
from tests.slack_stub import SlackStub
from tests.slack_workspace import BOT_TOKEN


def test_a_threads_messages_come_root_first_or_none_with_one_line_when_slack_cannot_say(
    slack_stub: SlackStub, caplog: pytest.LogCaptureFixture
) -> None:
    client = WebClient(token=BOT_TOKEN, base_url=slack_stub.api_url)
    slack_stub.seed_message("C1", "100.000001", "how do I motivate my reps?")
    slack_stub.seed_message("C1", "100.000002", "what if they are remote?", thread_ts="100.000001")

    messages = thread_messages(client, "C1", "100.000001", limit=50)
    assert messages is not None
    assert [m["text"] for m in messages] == [
        "how do I motivate my reps?",
        "what if they are remote?",
    ]

    slack_stub.fail("conversations.replies", error="channel_not_found")
    with caplog.at_level(logging.INFO, logger="bot.slack.client"):
        assert thread_messages(client, "C1", "100.000001", limit=50) is None
    [line] = [r.getMessage() for r in caplog.records if r.name == "bot.slack.client"]
    assert "C1/100.000001" in line and "channel_not_found" in line
    assert BOT_TOKEN not in line
