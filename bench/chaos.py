"""Chaos run: three real `coach serve` replicas on one PostgreSQL database, default settings,
while Slack misbehaves in every way issue 10 names, all in one run.

What a team would see over a bad quarter hour, compressed: Slack's retries of events sent to
another replica, replies lost after Slack posted them (connection reset after processing),
calls refused before processing, 429 with Retry-After, a 25-second 503 outage of the whole
Web API with questions asked during it, and a replica killed (-9) while it holds acked
questions whose posts hang, then started again. Prints, per phase, how many questions were
asked, answered once, answered twice and not answered, and how long the last answer took.
Exit status 1 if any question is answered twice or not at all.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/chaos.py
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from burst import BOT, SECRET, TOKEN, envelope, question_set, send, start_replicas  # noqa: E402

from bot.slack.sign_of_life import STILL_WORKING  # noqa: E402
from tests.slack_stub import SlackStub  # noqa: E402

CHANNEL = "CBURST"  # burst.envelope's channel


class Run:
    """The replicas, the stub and every question asked, by phase."""

    def __init__(self, stub: SlackStub, env: dict[str, str], replicas: int) -> None:
        self.stub = stub
        self.env = env
        self.logs = Path(tempfile.mkdtemp(prefix="chaos-logs-"))
        self.replicas = start_replicas(replicas, env, self.logs)
        self.asked: dict[str, tuple[str, float]] = {}  # ts -> (phase, sent at)
        self.questions = question_set("distinct", 200)
        self.acks: list[int] = []
        self.retry_acks: list[int] = []
        self._retrying: list[threading.Thread] = []
        self._n = 0

    def ask(self, phase: str, replica: int, *, retry_to: int | None = None) -> str:
        """One mention to `replica` (and Slack's retry of it to `retry_to`); its ts."""
        i = self._n
        self._n += 1
        ts = f"{1_900_000_000 + i}.{i:06d}"
        body = json.dumps(envelope(i, ts, self.questions[i % len(self.questions)]))
        self.asked[ts] = (phase, time.monotonic())
        status = send(f"{self.replicas[replica][1]}/slack/events", body)[0]
        self.acks.append(status)
        if status != 200:  # not acked: Slack sends it again
            thread = threading.Thread(target=self._slack_retries, args=(body, replica))
            thread.start()
            self._retrying.append(thread)
        if retry_to is not None:
            self.acks.append(send(f"{self.replicas[retry_to][1]}/slack/events", body, 1)[0])
        return ts

    def _slack_retries(self, body: str, replica: int) -> None:
        """Slack re-sends an event not acked 200 up to three times (at once, after a minute,
        after five: here after 1, 3 and 6 s), each to whichever replica is next."""
        for attempt, delay in enumerate((1, 3, 6), start=1):
            time.sleep(delay)
            url = f"{self.replicas[(replica + attempt) % len(self.replicas)][1]}/slack/events"
            status = send(url, body, attempt)[0]
            self.retry_acks.append(status)
            if status == 200:
                return

    def answers(self, still_working: bool = False) -> dict[str, list[float]]:
        """ts -> when each answer in its thread was posted (the stub's clock); or each
        "still working" reply, which tells the asker that Slack is failing."""
        out: dict[str, list[float]] = {}
        posted_at = {
            c.response.get("ts"): c.at
            for c in self.stub.calls_to("chat.postMessage")
            if c.response.get("ok")
        }
        for m in list(self.stub.messages.get(CHANNEL, [])):
            if (
                m.get("user") == BOT
                and m.get("thread_ts") in self.asked
                and (m.get("text") == STILL_WORKING) == still_working
            ):
                out.setdefault(m["thread_ts"], []).append(posted_at.get(m["ts"], float("nan")))
        return out

    def wait_all(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.answers()) == len(self.asked):
                return
            time.sleep(0.5)

    def stop(self) -> None:
        for process, _ in self.replicas:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process, _ in self.replicas:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()


def chaos(run: Run, outage: float, status: int, database_down: Callable[[], None]) -> None:
    stub, n = run.stub, len(run.replicas)
    # 1. Slack retries every event to the next replica; some replies are lost after Slack
    #    posted, some calls refused before processing, some rate limited
    stub.fail("chat.postMessage", drop_after=True, times=3)
    stub.fail("chat.postMessage", drop=True, times=3)
    stub.fail("chat.postMessage", status=429, retry_after=2, times=3)
    for i in range(12):
        run.ask("retries+lost replies+429", i % n, retry_to=(i + 1) % n)
    run.wait_all(90)
    # 2. the whole Web API answers 503 (or 429); questions asked during the outage
    stub.outage(outage, status=status, retry_after=5 if status == 429 else None)
    for i in range(9):
        run.ask(f"{status} outage", i % n)
        time.sleep(outage / 12)
    run.wait_all(outage + 120)
    # 3. a replica killed -9 while its posts hang, holding acked questions; then restarted
    stub.fail("chat.postMessage", hang=20, times=3)
    victim = run.replicas[0][0]
    for _ in range(3):
        run.ask("replica killed", 0)
    time.sleep(3)  # it claimed them and its posts hang
    victim.send_signal(signal.SIGKILL)
    victim.wait(10)
    for i in range(4):
        run.ask("replica killed", 1 + i % (n - 1))
    run.wait_all(120)
    run.replicas[0] = start_replicas(1, run.env, run.logs)[0]  # a restart answers nothing twice
    for i in range(3):
        run.ask("after restart", i % n)
    run.wait_all(60)
    # 5. the database goes away for a few seconds just after three mentions were acked
    #    (their answers in flight) and while six more arrive: those are not acked (503), so
    #    Slack sends them again, and all are answered once it is back
    for i in range(3):
        run.ask("database restart", i % n)
    down = threading.Thread(target=database_down)
    down.start()
    time.sleep(1)
    for i in range(6):
        run.ask("database restart", i % n)
    down.join()
    for thread in run._retrying:
        thread.join()
    run.wait_all(60)
    time.sleep(5)  # a second answer to anything would show up now


def report(run: Run) -> bool:
    answers = run.answers()
    phases: dict[str, dict[str, Any]] = {}
    for ts, (phase, sent) in run.asked.items():
        row = phases.setdefault(
            phase, {"asked": 0, "once": 0, "twice": 0, "unanswered": 0, "slowest_s": 0.0}
        )
        row["asked"] += 1
        got = answers.get(ts, [])
        row["once" if len(got) == 1 else "twice" if got else "unanswered"] += 1
        if got:
            row["slowest_s"] = max(row["slowest_s"], round(min(got) - sent, 1))
    print(f"{'phase':<28}{'asked':>7}{'once':>7}{'twice':>7}{'missing':>9}{'slowest s':>11}")
    for phase, r in phases.items():
        print(
            f"{phase:<28}{r['asked']:>7}{r['once']:>7}{r['twice']:>7}"
            f"{r['unanswered']:>9}{r['slowest_s']:>11}"
        )
    for ts, got in answers.items():
        if len(got) > 1:
            print(f"answered twice: {ts} (replica logs in {run.logs})")
            for c in run.stub.calls:
                if ts in (c.params.get("thread_ts"), c.params.get("ts"), c.params.get("timestamp")):
                    print(f"  {c.at:.2f} {c.method} {c.status} {json.dumps(c.response)[:120]}")
    waits = run.answers(still_working=True)
    print(f"'still working' replies: {sum(map(len, waits.values()))} to {len(waits)} questions")
    print(f"acks: {len(run.acks)}, statuses {dict(Counter(run.acks))}")
    print(f"Slack's retries of events not acked: {dict(Counter(run.retry_acks))}")
    return all(r["twice"] == 0 and r["unanswered"] == 0 for r in phases.values())


def replica_env(stub: SlackStub, database_url: str, prefix: str) -> dict[str, str]:
    """The environment `coach serve` replicas run with against `stub` and one database (only
    environment settings, as the README starts it), with the library's index already built."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "QUOTE_", "ANSWER_"))}
    env.update(
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=stub.api_url,
        DATABASE_URL=database_url,
        CONTENT_DIR=str(ROOT / "content"),
        LOG_LEVEL="INFO",
        DATA_DIR=tempfile.mkdtemp(prefix=prefix),
    )
    coach = Path(sys.executable).with_name("coach")
    subprocess.run(
        [str(coach), "index", "build"], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL
    )
    return env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--outage", type=float, default=25.0, help="503 outage length (s)")
    parser.add_argument("--status", type=int, default=503, help="the outage's HTTP status")
    parser.add_argument("--latency", type=float, default=0.03, help="stub Slack API latency")
    args = parser.parse_args()
    from tests.pg_fixtures import database_outage, start_postgres, stop_postgres

    server = start_postgres()
    stub = SlackStub(bot_user_id=BOT, latency=args.latency).start()
    run = Run(stub, replica_env(stub, server.new_database(), "chaos-"), args.replicas)
    try:
        chaos(run, args.outage, args.status, lambda: database_outage(server, 4.0))
    finally:
        run.stop()
        stub.stop()
        stop_postgres(server)
    return 0 if report(run) else 1


if __name__ == "__main__":
    threading.excepthook = lambda a: None  # a killed replica's broken sockets are expected
    raise SystemExit(main())
