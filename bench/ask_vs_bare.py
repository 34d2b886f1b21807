"""`coach ask --json` against a bare sentence-transformers + FAISS script, in one run.

Two figures for each, measured on fresh processes with time.perf_counter:

(a) cold start: wall time for a fresh process to answer one question (median of 3 runs;
    the coach's index is built beforehand, as it is in production);
(b) cost per question: (wall time for 1,001 distinct questions on stdin - wall time for 1)
    / 1,000, the 1,001-question wall time being the median of 3 runs.

Runs of the two commands are interleaved so load from elsewhere hits both alike; CPU time
(user + system of the child process) is reported beside wall time as a steadier figure.

The bare script (bench/bare_search.py) embeds the library's paragraphs at start-up, then
embeds and searches each question in turn. Ratios are coach / bare: at most 1.0 means the
coach is no slower than the bare script.

    .venv/bin/python bench/ask_vs_bare.py [--runs 3] [--batch-runs 3] [--questions 1001]

Results are also written to bench/results/ask_vs_bare.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"

TEMPLATES = (
    "How do I improve {} on my sales team?",
    "What does good {} look like for a sales leader?",
    "Why does {} matter in sales leadership?",
    "How should a new sales manager approach {}?",
    "What are common mistakes with {}?",
    "How can I coach my reps on {}?",
    "What is the difference between managing and leading when it comes to {}?",
    "How do top sales leaders handle {}?",
    "What should I tell my team about {}?",
    "How do I measure {} in a sales organization?",
    "Give me one tip on {} for this quarter.",
    "How do I get buy-in from my reps for {}?",
    "What is the first step to fix {} in my team?",
    "How does {} change when the team works remotely?",
    "Can you explain {} to a first-time sales manager?",
    "How do I keep {} going after a bad month?",
    "What questions should I ask my reps about {}?",
    "How do I balance targets and {}?",
    "What would a great leader do about {}?",
    "How do I talk to my VP about {}?",
    "How do I build a culture of {}?",
    "What habits support {} for sales leaders?",
    "How do I know if {} is working?",
    "Where do sales managers go wrong with {}?",
    "How much time should I spend on {} each week?",
)

TOPICS = (
    "motivation",
    "team morale",
    "coaching underperformers",
    "giving feedback",
    "recognising wins",
    "setting targets",
    "quota pressure",
    "pipeline reviews",
    "sales forecasting",
    "hiring sellers",
    "onboarding new reps",
    "promoting a top seller to manager",
    "leading change",
    "the status quo",
    "accountability",
    "trust",
    "integrity",
    "vision and strategy",
    "the sales playbook",
    "the sales process",
    "data-driven decisions",
    "KPIs",
    "customer outcomes",
    "standing out from commodity competitors",
    "persuasion",
    "influence without authority",
    "confidence",
    "taking calculated risks",
    "empowering managers",
    "leading by example",
    "sales and marketing alignment",
    "discounting and price pressure",
    "time management",
    "one-to-one meetings",
    "burnout",
    "retaining top performers",
    "difficult conversations",
    "celebrating success",
    "cross-functional teamwork",
    "long-term goals",
    "short-term results",
)


def questions(count: int) -> list[str]:
    """`count` distinct sales-leadership questions: templates x topics, numbered if needed."""
    base = [template.format(topic) for template, topic in itertools.product(TEMPLATES, TOPICS)]
    out: list[str] = []
    for round_ in itertools.count():
        for text in base:
            if len(out) == count:
                return out
            out.append(text if round_ == 0 else f"{text} (variant {round_ + 1})")
    return out  # pragma: no cover - the loop returns


@dataclass
class Run:
    """One fresh process: wall seconds, and CPU seconds (user + system, all threads)."""

    wall: float
    cpu: float


@dataclass
class Figures:
    """One command: cold starts answering one question, and runs answering the batch."""

    cold_runs: list[Run]
    batch_runs: list[Run]
    batch_size: int

    @property
    def cold_s(self) -> float:
        return statistics.median(r.wall for r in self.cold_runs)

    @property
    def batch_s(self) -> float:
        return statistics.median(r.wall for r in self.batch_runs)

    @property
    def per_question_ms(self) -> float:
        return (self.batch_s - self.cold_s) / (self.batch_size - 1) * 1000

    @property
    def per_question_cpu_ms(self) -> float:
        cold = statistics.median(r.cpu for r in self.cold_runs)
        batch = statistics.median(r.cpu for r in self.batch_runs)
        return (batch - cold) / (self.batch_size - 1) * 1000

    def as_dict(self) -> dict[str, object]:
        return {
            "cold_runs_s": [round(r.wall, 4) for r in self.cold_runs],
            "cold_cpu_s": [round(r.cpu, 4) for r in self.cold_runs],
            "batch_runs_s": [round(r.wall, 4) for r in self.batch_runs],
            "batch_cpu_s": [round(r.cpu, 4) for r in self.batch_runs],
            "cold_s": round(self.cold_s, 4),
            "batch_s": round(self.batch_s, 4),
            "per_question_ms": round(self.per_question_ms, 3),
            "per_question_cpu_ms": round(self.per_question_cpu_ms, 3),
        }


def environment(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "EMBEDDING_"))}
    env.update(
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
        CONTENT_DIR=str(REPO / "content"),
        DATA_DIR=str(data_dir),
        LOG_LEVEL="WARNING",
    )
    return env


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_run(command: list[str], lines: list[str], env: dict[str, str]) -> Run:
    """A fresh process answering `lines` on stdin; checks one JSON line per question, in order."""
    stdin = "".join(f"{line}\n" for line in lines)
    cpu = _children_cpu()
    started = time.perf_counter()
    proc = subprocess.run(command, input=stdin, capture_output=True, text=True, env=env, cwd=REPO)
    elapsed = time.perf_counter() - started
    cpu = _children_cpu() - cpu
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    answers = [json.loads(line) for line in proc.stdout.splitlines()]
    if [a["question"] for a in answers] != lines:
        raise SystemExit(f"{' '.join(command)}: expected {len(lines)} answers, in order")
    return Run(elapsed, cpu)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="cold-start runs (median)")
    parser.add_argument("--questions", type=int, default=1001, help="questions in the batch")
    parser.add_argument("--batch-runs", type=int, default=3, help="batch runs (median)")
    parser.add_argument("--data-dir", type=Path, default=RESULTS / "data", help="coach DATA_DIR")
    args = parser.parse_args()

    env = environment(args.data_dir)
    bin_dir = Path(sys.executable).parent
    coach = [str(bin_dir / "coach"), "ask", "--json"]
    bare = [sys.executable, str(REPO / "bench" / "bare_search.py")]

    print("building the coach index (if stale)...", file=sys.stderr)
    build = subprocess.run(
        [str(bin_dir / "coach"), "index", "build"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    if build.returncode != 0:
        raise SystemExit(f"coach index build failed:\n{build.stderr}")

    batch = questions(args.questions)
    assert len(set(batch)) == len(batch) == args.questions
    commands = {"coach": coach, "bare": bare}
    # Interleaved, so a burst of load from elsewhere on the machine hits both alike.
    colds: dict[str, list[Run]] = {name: [] for name in commands}
    batches: dict[str, list[Run]] = {name: [] for name in commands}
    for run in range(args.runs):
        for name, command in commands.items():
            print(f"cold start {run + 1}/{args.runs}: {name}", file=sys.stderr)
            colds[name].append(timed_run(command, batch[:1], env))
    for run in range(args.batch_runs):
        for name, command in commands.items():
            print(f"{len(batch)} questions {run + 1}/{args.batch_runs}: {name}", file=sys.stderr)
            batches[name].append(timed_run(command, batch, env))
    figures = {name: Figures(colds[name], batches[name], len(batch)) for name in commands}

    c, b = figures["coach"], figures["bare"]
    cold_ratio = c.cold_s / b.cold_s
    per_ratio = c.per_question_ms / b.per_question_ms
    rows = [
        ("cold start, 1 question (s, median)", c.cold_s, b.cold_s, "{:.3f}", cold_ratio),
        (
            f"cost per question over {len(batch):,} (ms)",
            c.per_question_ms,
            b.per_question_ms,
            "{:.2f}",
            per_ratio,
        ),
    ]
    print(f"\n{'measure':<40} {'coach':>10} {'bare':>10} {'coach/bare':>11} {'<= 1.0':>7}")
    for label, mine, theirs, fmt, ratio in rows:
        verdict = "ok" if ratio <= 1.0 else "MISS"
        print(
            f"{label:<40} {fmt.format(mine):>10} {fmt.format(theirs):>10} {ratio:>11.2f} "
            f"{verdict:>7}"
        )
    print(
        f"\nmedian wall for {len(batch):,} questions: coach {c.batch_s:.2f}s, bare {b.batch_s:.2f}s"
        f"\ncold runs (s): coach {[round(r.wall, 2) for r in c.cold_runs]}, "
        f"bare {[round(r.wall, 2) for r in b.cold_runs]}"
        f"\nbatch runs (s): coach {[round(r.wall, 2) for r in c.batch_runs]}, "
        f"bare {[round(r.wall, 2) for r in b.batch_runs]}"
        f"\nCPU per question (user+sys, ms): coach {c.per_question_cpu_ms:.2f}, "
        f"bare {b.per_question_cpu_ms:.2f}"
    )

    RESULTS.mkdir(parents=True, exist_ok=True)
    report = {
        "questions": len(batch),
        "runs": args.runs,
        "batch_runs": args.batch_runs,
        "coach": c.as_dict(),
        "bare": b.as_dict(),
        "ratio": {"cold": cold_ratio, "per_question": per_ratio},
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "cpus": os.cpu_count(),
    }
    (RESULTS / "ask_vs_bare.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
