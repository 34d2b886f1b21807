"""Cosine similarity of our own question pairs (bench/data/gap_pairs.jsonl): paraphrases of
one need ("same") against related-but-different sales questions, to pick the threshold at
which `coach report` merges gap questions (bot/gaps/cluster.py DEFAULT_THRESHOLD).

    .venv/bin/python bench/gap_threshold.py
"""

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.gaps.cluster import DEFAULT_THRESHOLD  # noqa: E402
from bot.settings import default_model  # noqa: E402
from index.embedder import Embedder  # noqa: E402

pairs = [
    json.loads(line)
    for line in (ROOT / "bench/data/gap_pairs.jsonl").read_text().splitlines()
    if line.strip()
]
embedder = Embedder(default_model())
a = embedder.encode([p["a"] for p in pairs])
b = embedder.encode([p["b"] for p in pairs])
sims = (a * b).sum(axis=1)
same = sorted(float(s) for s, p in zip(sims, pairs, strict=True) if p["same"])
diff = sorted(float(s) for s, p in zip(sims, pairs, strict=True) if not p["same"])
for p, s in sorted(zip(pairs, sims, strict=True), key=lambda x: -x[1]):
    print(f"{s:.3f}  {'same' if p['same'] else 'diff'}  {p['a']}  |  {p['b']}")
print(f"paraphrases: min {same[0]:.3f} median {same[len(same) // 2]:.3f}")
print(f"different:   max {diff[-1]:.3f} median {diff[len(diff) // 2]:.3f}")
for threshold in sorted({0.6, 0.65, 0.7, DEFAULT_THRESHOLD, 0.75, 0.8}):
    wrong_merge = sum(s >= threshold for s in diff)
    merged = sum(s >= threshold for s in same)
    mark = "  <- DEFAULT_THRESHOLD" if threshold == DEFAULT_THRESHOLD else ""
    print(
        f"threshold {threshold:.2f}: {merged}/{len(same)} paraphrase pairs merged, "
        f"{wrong_merge}/{len(diff)} different pairs merged{mark}"
    )
