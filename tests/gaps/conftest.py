"""The gap tests' database: a fresh SQLite file per test."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.store.engine import make_engine


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return make_engine(f"sqlite:///{tmp_path / 'coach.db'}")
