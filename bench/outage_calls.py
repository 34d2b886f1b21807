"""How much three `coach serve` replicas send into a Slack outage, and how much they log.

Three replicas on one throwaway PostgreSQL 15, stub Slack; the whole Web API answers 429
(Retry-After 30 s) for 60 s, or 503 for 25 s, while 9 mentions are asked during it. Counts
the Slack calls made during the outage (by method), the replicas' log lines from the
outage's start until every question is answered (the "answered" lines apart), and checks
that every question is answered once. Exit status 1 if one is answered twice or not at all.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/outage_calls.py --status 429 --outage 60
    HF_HUB_OFFLINE=1 .venv/bin/python bench/outage_calls.py --status 503 --outage 25
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from burst import BOT  # noqa: E402
from chaos import Run, replica_env  # noqa: E402

from tests.slack_stub import SlackStub  # noqa: E402


def log_sizes(logs: Path) -> dict[Path, int]:
    return {p: p.stat().st_size for p in logs.glob("replica-*.log")}


def new_lines(logs: Path, since: dict[Path, int]) -> list[str]:
    lines: list[str] = []
    for path in sorted(logs.glob("replica-*.log")):
        with path.open("rb") as f:
            f.seek(since.get(path, 0))
            lines += [f"{path.name}: {line}" for line in f.read().decode().splitlines()]
    return [line for line in lines if line.split(": ", 1)[1].strip()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--outage", type=float, default=60.0)
    parser.add_argument("--status", type=int, default=429)
    parser.add_argument("--retry-after", type=float, default=30.0)
    parser.add_argument("--questions", type=int, default=9)
    parser.add_argument("--show-log", action="store_true")
    args = parser.parse_args()
    from tests.pg_fixtures import start_postgres, stop_postgres

    server = start_postgres()
    stub = SlackStub(bot_user_id=BOT, latency=0.03).start()
    run = Run(stub, replica_env(stub, server.new_database(), "outage-"), args.replicas)
    try:
        run.ask("warm-up", 0)
        run.wait_all(60)
        sizes = log_sizes(run.logs)
        first_call = len(stub.calls)
        start = time.monotonic()
        retry_after = args.retry_after if args.status == 429 else None
        stub.outage(args.outage, status=args.status, retry_after=retry_after)
        for i in range(args.questions):
            run.ask("outage", i % args.replicas)
            time.sleep(args.outage * 0.75 / args.questions)
        run.wait_all(args.outage + 180)
        done = time.monotonic()
        time.sleep(3)  # a second answer would show up now
        lines = new_lines(run.logs, sizes)
    finally:
        run.stop()
        stub.stop()
        stop_postgres(server)
    calls = stub.calls[first_call:]
    during = [c for c in calls if c.at < start + args.outage]
    answers = run.answers()
    asked = [ts for ts, (phase, _) in run.asked.items() if phase == "outage"]
    once = sum(len(answers.get(ts, [])) == 1 for ts in asked)
    twice = sum(len(answers.get(ts, [])) > 1 for ts in asked)
    missing = sum(not answers.get(ts) for ts in asked)
    slowest = max((min(answers[ts]) - run.asked[ts][1] for ts in asked if ts in answers), default=0)
    answered = [line for line in lines if "INFO bot.slack.answering: answered " in line]
    other = [line for line in lines if line not in answered]
    print(f"{args.replicas} replicas, HTTP {args.status} for {args.outage:g}s", end="")
    print(f" (Retry-After {args.retry_after:g}s)" if retry_after else "")
    print(
        f"asked {len(asked)}: once {once}, twice {twice}, missing {missing}, slowest {slowest:.1f}s"
    )
    print(f"Slack calls during the outage: {len(during)} {dict(Counter(c.method for c in during))}")
    print(f"Slack calls until all answered: {sum(c.at <= done for c in calls)}")
    print(f"log lines from the outage to the last answer: {len(other)} (+{len(answered)} answered)")
    print("  by logger:", dict(Counter(line.split()[4] for line in other)))
    if args.show_log:
        print("\n".join(other))
    return 0 if twice == missing == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
