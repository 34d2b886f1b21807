"""Burst benchmark: N @mentions at once against the real HTTP server and a stub Slack API.

Measures what Slack and the people asking would notice: how long each HTTP ack takes
(Slack gives up and retries after 3 s), how long until each reply is posted (p50/p95), that
every question is answered exactly once (Slack's retries included), and peak memory.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/burst.py            # 100 mentions
    HF_HUB_OFFLINE=1 .venv/bin/python bench/burst.py -n 200 --retries --latency 0.05
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def envelope(i: int, ts: str) -> dict[str, Any]:
    text = f"<@{BOT}> {QUESTIONS[i % len(QUESTIONS)]}"
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--mentions", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.03, help="stub Slack API latency (s)")
    parser.add_argument("--retries", action="store_true", help="also resend every event once")
    parser.add_argument("--workers", type=int, default=8, help="answer worker threads")
    parser.add_argument("--json", type=Path, help="write the figures to this file too")
    args = parser.parse_args()

    from bot.settings import Settings
    from bot.slack.app import build_app
    from bot.slack.http import make_http_server
    from bot.store.engine import make_engine
    from index.library import Library

    tmp = Path(tempfile.mkdtemp(prefix="burst-"))
    stub = SlackStub(bot_user_id=BOT, latency=args.latency).start()
    tokens = {"slack_bot_token": TOKEN, "slack_signing_secret": SECRET}
    settings = Settings(content_dir=ROOT / "content", data_dir=tmp, **tokens).replace(
        slack_api_url=stub.api_url
    )
    t0 = time.perf_counter()
    library = Library.open(settings.content_dir, settings.index_dir, settings.embedding_model)
    load_s = time.perf_counter() - t0
    engine = make_engine(settings.db_url)
    app, slack = build_app(settings, library, engine, workers=args.workers)
    server = make_http_server(app, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.port}/slack/events"
    library.search("warm up the model", 3)
    rss_before = rss_mb()
    stub.calls.clear()

    n = args.mentions
    bodies = [json.dumps(envelope(i, f"{1_900_000_000 + i}.{i:06d}")) for i in range(n)]
    acks: list[tuple[int, float]] = [(0, 0.0)] * n
    retry_acks: list[tuple[int, float]] = []
    sent_at: dict[str, float] = {}
    barrier = threading.Barrier(n)

    def fire(i: int) -> None:
        barrier.wait()
        ts = f"{1_900_000_000 + i}.{i:06d}"
        sent_at[ts] = time.monotonic()
        acks[i] = send(url, bodies[i])

    threads = [threading.Thread(target=fire, args=(i,)) for i in range(n)]
    burst_start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if args.retries:  # Slack's retry of every event, after the fact
        retry_threads = [
            threading.Thread(target=lambda b=b: retry_acks.append(send(url, b, retry=1)))
            for b in bodies
        ]
        for t in retry_threads:
            t.start()
        for t in retry_threads:
            t.join()
    try:
        stub.wait_for("chat.postMessage", n, timeout=300)
    except AssertionError as err:
        print(f"not every question was answered: {err}"[:300], file=sys.stderr)
    slack.wait_idle(120)
    burst_s = time.monotonic() - burst_start

    posts = [c for c in stub.calls_to("chat.postMessage") if c.status == 200]
    by_thread: dict[str, int] = {}
    reply_s: list[float] = []
    for call in posts:
        ts = call.params.get("thread_ts", "")
        by_thread[ts] = by_thread.get(ts, 0) + 1
        if ts in sent_at and by_thread[ts] == 1:
            reply_s.append(call.at - sent_at[ts])
    ack_s = [a[1] for a in acks]
    statuses = sorted({a[0] for a in acks + retry_acks})
    figures = {
        "mentions": n,
        "search_workers": args.workers,
        "stub_latency_s": args.latency,
        "library_load_s": round(load_s, 2),
        "ack_p50_ms": round(percentile(ack_s, 50) * 1000, 1),
        "ack_p95_ms": round(percentile(ack_s, 95) * 1000, 1),
        "ack_max_ms": round(max(ack_s) * 1000, 1),
        "acks_over_3s": sum(1 for a in ack_s if a >= 3.0),
        "ack_statuses": statuses,
        "reply_p50_s": round(percentile(reply_s, 50), 3),
        "reply_p95_s": round(percentile(reply_s, 95), 3),
        "reply_max_s": round(max(reply_s), 3) if reply_s else None,
        "answered": len(by_thread),
        "answered_twice": sum(1 for c in by_thread.values() if c > 1),
        "unanswered": n - len([t for t in sent_at if t in by_thread]),
        "retries_sent": len(retry_acks),
        "burst_total_s": round(burst_s, 2),
        "peak_rss_mb_before_burst": round(rss_before, 1),
        "peak_rss_mb": round(rss_mb(), 1),
    }
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        print(f"{key:<{width}}  {value}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2))
    server.shutdown()
    slack.shutdown()
    stub.stop()
    ok = (
        figures["acks_over_3s"] == 0
        and figures["answered_twice"] == 0
        and figures["unanswered"] == 0
        and statuses == [200]
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
