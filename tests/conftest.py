"""Shared pytest fixtures, by domain: the library (tests/library_fixtures.py: `shipped_library`,
`lib_embedder`, `run_coach`), ingestion (tests/ingest_fixtures.py) and Slack
(tests/slack_fixtures.py: `slack_stub`, a recording Web API; `slack_app`, a built app; the
payloads, checks and workspace ids they use in tests/slack_payloads.py, tests/slack_checks.py,
tests/slack_workspace.py) and a throwaway PostgreSQL server (tests/pg_fixtures.py)."""

from tests.ingest_fixtures import *  # noqa: F403
from tests.library_fixtures import *  # noqa: F403
from tests.pg_fixtures import *  # noqa: F403
from tests.slack_fixtures import *  # noqa: F403
