"""What adding one article costs a running server: texts embedded vs reused, and how long
the reloader takes from the file landing to the new library answering.

Works on a private copy of content/ and its own index folder (built first, untimed), then
for each of N rounds writes a new article, calls `LibraryReloader.check_now()` (what the
background thread does every RELOAD_SECONDS), and removes it again. Prints the median and
the worst round; the time a change takes to show in `coach serve` is at most the check
interval plus this.

    .venv/bin/python bench/reload.py [--rounds 5]

Results are also written to bench/results/reload.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.settings import default_model  # noqa: E402
from index.embedder import Embedder  # noqa: E402
from index.library import Library  # noqa: E402
from index.reload import LibraryReloader  # noqa: E402

ARTICLE = """---
title: "Round {n}: Drawing Fair Territories"
owner: bench
review_by: 2099-01-01
---

## Start from potential

Round {n}. Territory planning decides how much opportunity each account executive can
reach before the year starts. Estimate the revenue potential of each region from company
counts, sizes and industries, rather than from last year's bookings.

## Balance the workload

Keep territories within ten percent of each other on potential and on the number of
accounts to cover. Review the split once a year, and tell reps how it was drawn.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    embedder = Embedder(default_model())
    with tempfile.TemporaryDirectory() as tmp:
        content = Path(shutil.copytree(REPO / "content", Path(tmp) / "content"))
        index_dir = Path(tmp) / "index"
        started = time.perf_counter()
        library = Library.open(content, index_dir, embedder.model_name, embedder=embedder)
        first_build = time.perf_counter() - started
        reloader = LibraryReloader(library, content, index_dir, embedder)
        adds, removes, embedded, reused = [], [], [], []
        for n in range(args.rounds):
            path = content / f"bench-round-{n}.md"
            path.write_text(ARTICLE.format(n=n), encoding="utf-8")
            outcome = reloader.check_now()
            assert outcome.swapped, outcome
            adds.append(outcome.seconds)
            embedded.append(outcome.embedded)
            reused.append(reloader.current.searcher.dense.reused)
            path.unlink()
            outcome = reloader.check_now()
            assert outcome.swapped, outcome
            removes.append(outcome.seconds)
    result = {
        "articles": len(library.articles),
        "passages": len(library.passages),
        "first_build_seconds": round(first_build, 2),
        "add_reload_seconds_median": round(statistics.median(adds), 3),
        "add_reload_seconds_max": round(max(adds), 3),
        "remove_reload_seconds_median": round(statistics.median(removes), 3),
        "texts_embedded_per_add": statistics.median(embedded),
        "texts_reused_per_add": statistics.median(reused),
    }
    for key, value in result.items():
        print(f"{key:32} {value}")
    out = REPO / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "reload.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
