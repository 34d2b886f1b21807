"""A replica's step run in a child process, for the tests where several replicas race.

The scheduled posts' replica tests (the daily quote's, the weekly report's) start the same
tick in several real processes on one PostgreSQL and kill some of them: a child runs a
short script (`code`) with its arguments, from the checkout, offline.

A replica's child is started with `spawn_replica` and its script takes what it shares from
here: `replica_args` (its arguments), `Hanging` (a WebClient that stops dead around
chat.postMessage, to be killed there) and, in a race, `ready_then_wait` (it says it is
ready, then waits for the start flag), whose other half is the parent's `wait_ready`. The
parent's two steps: `race_replicas` (several children started together, what each printed)
and `kill_9_mid_post` (one child killed -9 where `Hanging` stopped it).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from slack_sdk import WebClient
from slack_sdk.web import SlackResponse

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


# ---- a replica's child: the parent's side ---------------------------------------------------
def spawn_replica(
    code: str, db_url: str, api_url: str, now: datetime, mode: str, flag: Path
) -> subprocess.Popen[str]:
    """A replica's child running `code`, which reads these with `replica_args`. `mode`:
    "race" (wait for `flag`, see `ready_then_wait`), "hang_before" / "hang_after" (write
    `flag`, then stop dead before / after chat.postMessage, see `Hanging`), or the script's
    own."""
    return spawn(code, db_url, api_url, now.isoformat(), mode, str(flag))


def wait_ready(flag: Path, count: int) -> None:
    """Until `count` children racing on `flag` said they are ready (`ready_then_wait`)."""
    wait_for(lambda: len(list(flag.parent.glob(f"{flag.name}.ready.*"))) == count)


def race_replicas(
    code: str, count: int, db_url: str, api_url: str, now: datetime, flag: Path
) -> list[dict[str, Any]]:
    """`count` replica children running `code` started at the same moment (each waits for
    `flag`): once each has exited cleanly, the JSON each printed last."""
    children = [spawn_replica(code, db_url, api_url, now, "race", flag) for _ in range(count)]
    wait_ready(flag, count)
    flag.write_text("go")
    printed = []
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        printed.append(json.loads(out.strip().splitlines()[-1]))
    return printed


def kill_9_mid_post(
    code: str, db_url: str, api_url: str, now: datetime, mode: str, flag: Path
) -> None:
    """A replica child running `code` killed -9 where `mode` ("hang_before" or "hang_after",
    see `Hanging`) stopped it, around its chat.postMessage."""
    child = spawn_replica(code, db_url, api_url, now, mode, flag)
    try:
        wait_for(flag.exists)
    finally:
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=30)


# ---- a replica's child: the child's side ----------------------------------------------------
class ReplicaArgs(NamedTuple):
    db_url: str
    api_url: str
    now: datetime
    mode: str
    flag: Path


def replica_args() -> ReplicaArgs:
    """In the child: what `spawn_replica` handed it."""
    db_url, api_url, now_iso, mode, flag = sys.argv[1:6]
    return ReplicaArgs(db_url, api_url, datetime.fromisoformat(now_iso), mode, Path(flag))


class Hanging(WebClient):
    """A WebClient that stops dead around chat.postMessage in the modes "hang_before" (the
    post not sent) and "hang_after" (sent), having written `flag`, so the parent can kill -9
    the child right there."""

    def __init__(self, mode: str, flag: Path, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.mode = mode
        self.flag = flag

    def chat_postMessage(self, **kwargs: Any) -> SlackResponse:
        if self.mode == "hang_before":
            self.flag.write_text("about to send")
            time.sleep(3600)
        response = super().chat_postMessage(**kwargs)
        if self.mode == "hang_after":
            self.flag.write_text("sent")
            time.sleep(3600)
        return response


def ready_then_wait(flag: Path) -> None:
    """In a racing child: say it is ready (a file of its own beside `flag`), then wait for
    the parent to write `flag`, so the children start their step together."""
    Path(f"{flag}.ready.{os.getpid()}").write_text("ready")
    while not flag.exists():
        time.sleep(0.002)
