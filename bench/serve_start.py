"""`coach serve` cold start and memory, per EMBEDDING_BACKEND, on a prebuilt index.

For each backend, fresh `coach serve` processes (HTTP mode, stub Slack) are started in turn,
interleaved so load from elsewhere hits both alike. Figures (median over --runs):

- ready_s: wall time from spawn until /healthz answers and the start-up work is done
  (the warm-up search and the suggested questions: pending == 0);
- cpu_s: user + system CPU time the process used by then;
- rss_mb / peak_rss_mb: resident memory when ready (VmRSS) and its peak (VmHWM);
- torch_loaded: whether libtorch is mapped into the process.

The index (and, for onnx, the exported model) is built beforehand, as in production.

    HF_HUB_OFFLINE=1 nice -n 10 .venv/bin/python bench/serve_start.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from bench.burst import (  # noqa: E402
    cpu_seconds,
    peak_rss_mb,
    start_replicas,
    wait_until_idle,
)
from tests.slack_stub import SlackStub  # noqa: E402

BACKENDS = ("torch", "onnx")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_once(env: dict[str, str]) -> dict[str, float | bool]:
    """One fresh `coach serve`, until ready; its figures; then stopped."""
    started = time.monotonic()
    [(process, base)] = start_replicas(1, env)
    try:
        wait_until_idle([(process, base)], 600)
        ready = time.monotonic() - started
        maps = Path(f"/proc/{process.pid}/maps").read_text()
        return {
            "ready_s": ready,
            "cpu_s": cpu_seconds(process.pid),
            "rss_mb": rss_mb(process.pid),
            "peak_rss_mb": peak_rss_mb(process.pid),
            "torch_loaded": "libtorch" in maps,
        }
    finally:
        process.terminate()
        process.wait(30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    stub = SlackStub(bot_user_id="UCOACHBOT").start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "QUOTE_"))}
    env.update(
        SLACK_BOT_TOKEN="xoxb-bench-token",
        SLACK_SIGNING_SECRET="bench-signing-secret",
        SLACK_API_URL=stub.api_url,
        CONTENT_DIR=str(ROOT / "content"),
        LOG_LEVEL="WARNING",
        RELOAD_SECONDS="0",
        DATA_DIR=tempfile.mkdtemp(prefix="serve-start-"),
    )
    coach = Path(sys.executable).with_name("coach")
    for backend in BACKENDS:  # the index, and for onnx the exported model, made beforehand
        subprocess.run(
            [str(coach), "index", "build"],
            env={**env, "EMBEDDING_BACKEND": backend},
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    runs: dict[str, list[dict[str, float | bool]]] = {b: [] for b in BACKENDS}
    for _ in range(args.runs):
        for backend in BACKENDS:
            runs[backend].append(start_once({**env, "EMBEDDING_BACKEND": backend}))
    print(f"load average before: {load_before:.2f} (1 min)")
    print(f"{'backend':<10}" + "".join(f"{k:>14}" for k in runs[BACKENDS[0]][0]))
    for backend, results in runs.items():
        cells = []
        for key in results[0]:
            values = [r[key] for r in results]
            if isinstance(values[0], bool):
                cells.append(f"{str(all(values)):>14}")
            else:
                cells.append(f"{statistics.median(values):>14.2f}")
        print(f"{backend:<10}" + "".join(cells))
    print(f"load average after: {os.getloadavg()[0]:.2f} (1 min)")
    stub.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
