"""Shared pytest fixtures: the library (tests/library_fixtures.py), Slack
(tests/slack_fixtures.py) and a throwaway PostgreSQL server (tests/pg_fixtures.py)."""

from tests.ingest_fixtures import *  # noqa: F403
from tests.library_fixtures import *  # noqa: F403
from tests.pg_fixtures import *  # noqa: F403
from tests.slack_fixtures import *  # noqa: F403
