"""Shared pytest fixtures. Library fixtures live in tests/library_fixtures.py."""

from tests.ingest_fixtures import *  # noqa: F403
from tests.library_fixtures import *  # noqa: F403
from tests.slack_fixtures import *  # noqa: F403
