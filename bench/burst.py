"""Burst benchmark: N @mentions at once against real `coach serve` replicas and a stub
Slack API, one replica and three replicas (on one PostgreSQL database) side by side.

Measures what Slack and the people asking would notice: how long each HTTP ack takes
(Slack gives up and retries after 3 s), how long until each reply is posted (p50/p95), that
every question is answered exactly once (Slack's retries included), and each serving
process's peak memory (VmHWM). Mentions are spread over the replicas round-robin, as a load
balancer would. A throwaway PostgreSQL server is started from the installed binaries.

The questions are either eight short ones cycled (`cycled`) or all different, drawn from
bench/data/own_questions.jsonl (`distinct`, longer and closer to a real burst: no cache or
deduplication of equal questions can flatter the figures); both by default.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/burst.py            # 100 mentions, 1 and 3
    HF_HUB_OFFLINE=1 .venv/bin/python bench/burst.py -n 200 --retries --replicas 1 2 3
    HF_HUB_OFFLINE=1 .venv/bin/python bench/burst.py --questions distinct --replicas 1
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from slack_sdk.signature import SignatureVerifier  # noqa: E402

from tests.slack_stub import SlackStub  # noqa: E402

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench-token"
BOT = "UCOACHBOT"
QUESTIONS = [
    "how do I motivate my reps?",
    "what is the difference between sales management and sales leadership?",
    "how should I coach an underperforming rep?",
    "how do I hold my team accountable?",
    "what about remote teams?",
    "how do I inspire my sales team?",
    "what is the recipe for banana bread?",
    "how do leaders build trust with customers?",
]
OWN_QUESTIONS = ROOT / "bench" / "data" / "own_questions.jsonl"


def question_set(kind: str, n: int) -> list[str]:
    """`n` questions: the eight above cycled, or `n` different ones from OWN_QUESTIONS
    (cycled only if there are fewer than `n`)."""
    if kind == "cycled":
        pool = QUESTIONS
    else:
        lines = OWN_QUESTIONS.read_text(encoding="utf-8").splitlines()
        pool = [json.loads(line)["question"] for line in lines if line.strip()]
        if len(pool) < n:
            print(f"only {len(pool)} distinct questions for {n} mentions", file=sys.stderr)
    return [pool[i % len(pool)] for i in range(n)]


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def peak_rss_mb(pid: int) -> float:
    """A process's peak resident memory (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process used so far (utime + stime from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu_seconds() -> float:
    """CPU time all processes on the machine used so far: /proc/stat's user, nice, system,
    irq and softirq (not idle, iowait, nor the time a hypervisor gave to other machines)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def postgres_cpu() -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL process (the server and its connections)."""
    out: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    out[int(entry.name)] = cpu_seconds(int(entry.name))
            except OSError:
                pass
    return out


def wait_until_idle(replicas: list[tuple[subprocess.Popen[bytes], str]], limit: float) -> float:
    """Until every replica's /healthz reports no pending work (its start-up searches for
    the suggested questions are done), as a load balancer's readiness check would; seconds."""
    start = time.monotonic()
    for _, base in replicas:
        while time.monotonic() - start < limit:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=5) as resp:
                    if json.loads(resp.read()).get("pending") == 0:
                        break
            except (OSError, ValueError):
                pass
            time.sleep(0.2)
    return time.monotonic() - start


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def envelope(i: int, ts: str, question: str) -> dict[str, Any]:
    text = f"<@{BOT}> {question}"
    return {
        "token": "x",
        "team_id": "T0STUB",
        "enterprise_id": None,
        "api_app_id": "A0COACH",
        "type": "event_callback",
        "event_id": f"EvBURST{i:06d}",
        "event_time": int(time.time()),
        "authed_users": [BOT],
        "event": {
            "type": "app_mention",
            "text": text,
            "user": f"U{i:06d}",
            "ts": ts,
            "team": "T0STUB",
            "channel": "CBURST",
            "event_ts": ts,
        },
    }


def send(url: str, body: str, retry: int | None = None) -> tuple[int, float]:
    ts = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body),
    }
    if retry is not None:
        headers["X-Slack-Retry-Num"] = str(retry)
        headers["X-Slack-Retry-Reason"] = "http_timeout"
    start = time.perf_counter()
    req = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            status = resp.status
    except urllib.error.HTTPError as err:
        status = err.code
    except Exception:
        status = 0
    return status, time.perf_counter() - start


def start_replicas(
    count: int, env: dict[str, str], logs: Path | None = None
) -> list[tuple[subprocess.Popen[bytes], str]]:
    """`coach serve` processes, each on its own port; returns (process, events URL). Their
    output goes to `logs`/replica-<port>.log if given."""
    coach = Path(sys.executable).with_name("coach")
    started = []
    for _ in range(count):
        port = free_port()
        process = subprocess.Popen(
            [str(coach), "serve"],
            env={**env, "PORT": str(port)},
            cwd=ROOT,
            stdout=(logs / f"replica-{port}.log").open("wb") if logs else subprocess.DEVNULL,
            stderr=subprocess.STDOUT if logs else subprocess.DEVNULL,
        )
        started.append((process, f"http://127.0.0.1:{port}"))
    deadline = time.monotonic() + 600
    for process, base in started:
        while True:
            if process.poll() is not None:
                raise SystemExit(f"a replica exited with {process.returncode}")
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("replicas did not come up") from None
                time.sleep(0.2)
    return started


def start_profilers(
    replicas: list[tuple[subprocess.Popen[bytes], str]], folder: Path
) -> list[subprocess.Popen[bytes]]:
    """py-spy (not a dependency: `pip install py-spy`) sampling each replica through the
    burst only, without pausing it; its folded stacks go to `folder`/replica-<pid>.txt."""
    folder.mkdir(parents=True, exist_ok=True)
    profilers = [
        subprocess.Popen(
            [
                "py-spy",
                "record",
                "--nonblocking",
                "--threads",
                "--rate",
                "250",
                "--format",
                "raw",
                "-p",
                str(p.pid),
                "-o",
                str(folder / f"replica-{p.pid}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for p, _ in replicas
    ]
    time.sleep(2.0)  # attached before the first mention
    return profilers


def burst(
    count: int, questions: str, args: argparse.Namespace, env: dict[str, str]
) -> dict[str, Any]:
    """One burst of `questions` ("cycled" or "distinct") against `count` fresh replicas on a
    fresh database; the figures."""
    stub = SlackStub(bot_user_id=BOT, latency=args.latency).start()
    env = {**env, "SLACK_API_URL": stub.api_url, "DATABASE_URL": args.new_database()}
    replicas = start_replicas(count, env)
    try:
        warm_s = wait_until_idle(replicas, 600)
        profilers = start_profilers(replicas, args.profile) if args.profile else []
        rss_before = sum(peak_rss_mb(p.pid) for p, _ in replicas)
        cpu_before = [cpu_seconds(p.pid) for p, _ in replicas]
        load_before = os.getloadavg()[0]
        stub.calls.clear()
        n = args.mentions
        urls = [f"{base}/slack/events" for _, base in replicas]
        asked = question_set(questions, n)
        bodies = [
            json.dumps(envelope(i, f"{1_900_000_000 + i}.{i:06d}", asked[i])) for i in range(n)
        ]
        acks: list[tuple[int, float]] = [(0, 0.0)] * n
        retry_acks: list[tuple[int, float]] = []
        sent_at: dict[str, float] = {}
        barrier = threading.Barrier(n)

        def fire(i: int) -> None:
            barrier.wait()
            sent_at[f"{1_900_000_000 + i}.{i:06d}"] = time.monotonic()
            acks[i] = send(urls[i % count], bodies[i])

        threads = [threading.Thread(target=fire, args=(i,)) for i in range(n)]
        burst_start = time.monotonic()
        machine_before, bench_before, pg_before = machine_cpu_seconds(), os.times(), postgres_cpu()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if args.retries:  # Slack's retry of every event, to another replica
            retry_threads = [
                threading.Thread(
                    target=lambda i=i: retry_acks.append(
                        send(urls[(i + 1) % count], bodies[i], retry=1)
                    )
                )
                for i in range(n)
            ]
            for t in retry_threads:
                t.start()
            for t in retry_threads:
                t.join()
        try:
            stub.wait_for("chat.postMessage", n, timeout=300)
        except AssertionError as err:
            print(f"not every question was answered: {err}"[:300], file=sys.stderr)
        machine = machine_cpu_seconds() - machine_before
        bench = sum(os.times()[:2]) - sum(bench_before[:2])
        pg = postgres_cpu()
        postgres = sum(pg[pid] - pg_before[pid] for pid in pg if pid in pg_before)
        replicas_cpu = sum(cpu_seconds(p.pid) for p, _ in replicas) - sum(cpu_before)
        for profiler in profilers:
            profiler.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
            profiler.wait(60)
        time.sleep(1.0)  # a second answer to anything would show up now
        burst_s = time.monotonic() - burst_start
        rss = [peak_rss_mb(p.pid) for p, _ in replicas]
        cpu = [cpu_seconds(p.pid) - c for (p, _), c in zip(replicas, cpu_before, strict=True)]
        load = os.getloadavg()[0]
    finally:
        for process, _ in replicas:
            process.send_signal(signal.SIGTERM)
        for process, _ in replicas:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        stub.stop()

    posts = [c for c in stub.calls_to("chat.postMessage") if c.status == 200]
    by_thread: dict[str, int] = {}
    reply_s: list[float] = []
    for call in posts:
        ts = call.params.get("thread_ts", "")
        by_thread[ts] = by_thread.get(ts, 0) + 1
        if ts in sent_at and by_thread[ts] == 1:
            reply_s.append(call.at - sent_at[ts])
    ack_s = [a[1] for a in acks]
    return {
        "replicas": count,
        "questions": questions,
        "mentions": n,
        "stub_latency_s": args.latency,
        "ack_p50_ms": round(percentile(ack_s, 50) * 1000, 1),
        "ack_p95_ms": round(percentile(ack_s, 95) * 1000, 1),
        "ack_max_ms": round(max(ack_s) * 1000, 1),
        "acks_over_1s": sum(1 for a in ack_s if a >= 1.0),
        "ack_statuses": sorted({a[0] for a in acks + retry_acks}),
        "reply_first_s": round(min(reply_s), 3) if reply_s else None,
        "reply_p10_s": round(percentile(reply_s, 10), 3),
        "reply_p50_s": round(percentile(reply_s, 50), 3),
        "reply_p95_s": round(percentile(reply_s, 95), 3),
        "reply_max_s": round(max(reply_s), 3) if reply_s else None,
        "answered": len(by_thread),
        "answered_twice": sum(1 for c in by_thread.values() if c > 1),
        "unanswered": n - len([t for t in sent_at if t in by_thread]),
        "retries_sent": len(retry_acks),
        "eyes_put_on": len([c for c in stub.calls_to("reactions.add") if c.status == 200]),
        "burst_total_s": round(burst_s, 2),
        "cpu_s_all_replicas": round(sum(cpu), 1),
        "cpu_ms_per_question": round(sum(cpu) / n * 1000),
        # until the last answer: everything on the machine, this bench (its stub Slack),
        # PostgreSQL, and what else ran meanwhile (other work skews the figures)
        "machine_cpu_s": round(machine, 2),
        "bench_and_stub_cpu_s": round(bench, 2),
        "postgres_cpu_s": round(postgres, 2),
        "other_processes_cpu_s": round(machine - bench - postgres - replicas_cpu, 2),
        "load_avg_1min_before": round(load_before, 1),
        "load_avg_1min_after": round(load, 1),
        "warm_up_wait_s": round(warm_s, 1),
        "rss_mb_before_burst": round(rss_before, 1),
        "peak_rss_mb_per_replica": round(max(rss), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--mentions", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.03, help="stub Slack API latency (s)")
    parser.add_argument("--retries", action="store_true", help="also resend every event once")
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 3])
    parser.add_argument(
        "--questions", nargs="+", choices=["cycled", "distinct"], default=["cycled", "distinct"]
    )
    parser.add_argument("--json", type=Path, help="write the figures to this file too")
    parser.add_argument("--workers", type=int, help="ANSWER_WORKERS per replica")
    parser.add_argument(
        "--profile",
        type=Path,
        help="sample each replica through the burst with py-spy into this folder",
    )
    args = parser.parse_args()

    from tests.pg_fixtures import start_postgres, stop_postgres

    server = start_postgres()
    args.new_database = server.new_database
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "QUOTE_"))}
    env.update(
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        CONTENT_DIR=str(ROOT / "content"),
        LOG_LEVEL="WARNING",
        RELOAD_SECONDS="0",
        DATA_DIR=tempfile.mkdtemp(prefix="burst-"),
    )
    if args.workers:
        env["ANSWER_WORKERS"] = str(args.workers)
    # the index is built once here, so no replica's start-up includes building it
    coach = Path(sys.executable).with_name("coach")
    subprocess.run(
        [str(coach), "index", "build"], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL
    )
    try:
        results = [
            burst(count, questions, args, env)
            for count in args.replicas
            for questions in args.questions
        ]
    finally:
        stop_postgres(server)
    width = max(len(k) for k in results[0])
    for key in results[0]:
        print(f"{key:<{width}}  " + "  ".join(f"{str(r[key]):>12}" for r in results))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))
    ok = all(
        r["acks_over_1s"] == 0
        and r["answered_twice"] == 0
        and r["unanswered"] == 0
        and r["ack_statuses"] == [200]
        for r in results
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
