"""numpy's BLAS on one thread or two: what the library's own linear algebra costs, with the
machine's other core idle and with another process keeping it busy (as a second replica, a
test run or the bench's own stub Slack does).

Times, on the shipped library (medians of `--repeat` runs): the SVD that fits the common
directions when a library opens (`index/anisotropy.py`), and a batch of 16 searches (the
model's forward passes are ONNX Runtime's own threads, set apart; the rest of a search is
numpy: dense scores, late interaction, fusion). `Library.open` now puts BLAS on one thread
for the whole process (`index.library.one_blas_thread`); this script sets each count in turn.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/blas_threads.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from threadpoolctl import threadpool_limits  # noqa: E402

from bot.cli.common import load_settings, open_library  # noqa: E402
from index.anisotropy import CommonDirections  # noqa: E402

OWN_QUESTIONS = ROOT / "bench" / "data" / "own_questions.jsonl"


def median_ms(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times) * 1000, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    library = open_library(load_settings())
    searcher = library.searcher
    vectors = searcher._passage_vectors  # what the library fits its common directions on
    lines = OWN_QUESTIONS.read_text(encoding="utf-8").splitlines()[:16]
    questions = [json.loads(line)["question"] for line in lines]
    library.search_many(questions, 3)  # warm: model, vocabulary

    def fit() -> object:
        return CommonDirections.fit(vectors, searcher.tuning.common_directions)

    def search() -> object:
        return library.search_many(questions, 3)

    cores = os.cpu_count()
    print(f"{len(vectors)} passage vectors, {len(questions)} questions a batch, {cores} cores")
    print(f"{'other core':<12} {'BLAS threads':>12} {'SVD fit ms':>11} {'16 searches ms':>15}")
    for busy in (False, True):
        hog = None
        if busy:  # another process on the machine, busy on one core
            hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
            time.sleep(0.5)
        try:
            for threads in (2, 1):
                with threadpool_limits(threads, user_api="blas"):
                    fit_ms = median_ms(fit, args.repeat)
                    search_ms = median_ms(search, args.repeat)
                label = "busy" if busy else "idle"
                print(f"{label:<12} {threads:>12} {fit_ms:>11} {search_ms:>15}")
        finally:
            if hog is not None:
                hog.kill()
                hog.wait()


if __name__ == "__main__":
    main()
