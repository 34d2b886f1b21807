"""Fixtures for the Slack tests beyond the shared ones in tests/conftest.py."""

from tests.slack.socket_mode import socket_server, socket_session  # noqa: F401  (fixtures)
