"""`coach serve` started while Slack is failing (a replica restarted during an outage): it
waits for Slack instead of exiting with a false "Slack rejected SLACK_BOT_TOKEN"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import bot.slack.serve as serve_module
from tests.slack.socket_mode import Served
from tests.slack_fixtures import make_settings
from tests.slack_stub import SlackStub


def test_slack_answering_503_at_start_up_is_waited_out_not_called_a_rejected_token(
    slack_stub: SlackStub,
    shipped_library: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(serve_module, "TOKEN_RECHECK_SECONDS", 0.2, raising=False)
    slack_stub.fail("auth.test", status=503, times=5)  # more than slack_sdk's own retries
    served = Served(make_settings(slack_stub, tmp_path / "data"), shipped_library)
    try:
        assert served.code is None and served.info["mode"] == "http"  # up, serving
        statuses = [c.status for c in slack_stub.calls_to("auth.test")]
        assert statuses[-1] == 200 and statuses.count(503) == 5
        assert "rejected" not in caplog.text
        assert "Slack answered auth.test with HTTP 503" in caplog.text
    finally:
        assert served.close() == 0
