"""A signed view_submission / view_closed whose `view` has no type: refused 400 with one short
log line. Bolt read `view.type` unchecked and logged a traceback for each."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.slack.messages.gaps import REASON_CALLBACK
from tests.slack_fixtures import SlackApp

VIEWS_WITHOUT_TYPE: list[Any] = [
    {"id": "V1", "callback_id": REASON_CALLBACK, "private_metadata": "", "state": {"values": {}}},
    {"id": "V1", "callback_id": REASON_CALLBACK, "type": None},
    "callback_id",
]


def ours(record: logging.LogRecord) -> bool:
    """Not waitress's own "Task queue depth is 1", which a busy machine can add to any
    request (its threads all taken for a moment): what is checked is what the app says."""
    return not record.name.startswith("waitress")


@pytest.mark.parametrize("kind", ["view_submission", "view_closed"])
@pytest.mark.parametrize("view", VIEWS_WITHOUT_TYPE)
def test_a_view_payload_without_view_type_is_400_and_one_short_log_line(
    slack_app: SlackApp, caplog: pytest.LogCaptureFixture, kind: str, view: Any
) -> None:
    caplog.set_level(logging.INFO)
    payload = {"type": kind, "team": {"id": "T1"}, "user": {"id": "U1"}, "view": view}
    form = urlencode({"payload": json.dumps(payload)})
    status, _ = slack_app.post_signed(form, "application/x-www-form-urlencoded")
    slack_app.settle()
    assert status == 400
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.exc_info]
    said = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO and ours(r)]
    assert len(said) == 1 and len(said[0]) < 200, said
    assert "view.type" in said[0]


@pytest.mark.parametrize("event", ["a string", ["x"], 7])
def test_an_event_that_is_not_an_object_is_400_and_one_short_log_line(
    slack_app: SlackApp, caplog: pytest.LogCaptureFixture, event: Any
) -> None:
    """Bolt read event.type unchecked: a traceback per request (the same check now guards
    Socket Mode, tests/slack/test_socket_mode.py)."""
    caplog.set_level(logging.INFO)
    body = json.dumps({"type": "event_callback", "team_id": "T1", "event": event})
    status, _ = slack_app.post_signed(body)
    slack_app.settle()
    assert status == 400
    assert not [r for r in caplog.records if r.exc_info]
    said = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO and ours(r)]
    assert len(said) == 1 and len(said[0]) < 200, said
    assert "event is not an object" in said[0]
