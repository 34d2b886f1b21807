"""Fixtures for the Slack tests beyond the shared ones in tests/conftest.py."""

from pathlib import Path
from typing import Any

import pytest

from tests.slack.socket_mode import socket_server, socket_session  # noqa: F401  (fixtures)
from tests.slack_fixtures import SlackApp, running_app


@pytest.fixture
def second_replica(
    slack_app: SlackApp, shipped_library: Any, tmp_path: Path, slack_db_url: str
) -> Any:
    """Start another replica on the first one's database, when the test says so."""

    def start() -> Any:
        return running_app(
            slack_app.stub, shipped_library, tmp_path / "other", database_url=slack_db_url
        )

    return start
