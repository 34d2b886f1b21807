"""A replica's step run in a child process, for the tests where several replicas race.

The scheduled posts' replica tests (the daily quote's, the weekly report's) start the same
tick in several real processes on one PostgreSQL and kill some of them: a child runs a
short script (`code`) with its arguments, from the checkout, offline.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def spawn(code: str, *args: str) -> subprocess.Popen[str]:
    """`python -c code args...` from the checkout, its output captured."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(predicate: Callable[[], object], timeout: float = 60.0) -> None:
    """Poll for a condition another process brings about (not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)
