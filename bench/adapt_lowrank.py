"""How small can the fine-tuned model's difference be kept? (issue 14: shipping the
curated-question fine-tune as a file beside the library, index/adapter.py)

    .venv/bin/python bench/adapt_lowrank.py --tuned /tmp/adapted/asked-e1-s13 --ranks 16,32,64

For each rank: the tuned model's difference from the bundled one kept as index/adapter.py
keeps it (transformer matrices as a rank-r truncated SVD, the word-embedding rows training
touched, the rest whole), added back, and scored like bench/adapt_model.py's "all" rows
(every set of bench/quality.py, shipped fusion, no abstention, each model with an index of
its own), beside the base model and the full fine-tune; file size of each adapter.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import adapt_model  # noqa: E402
import quality  # noqa: E402

from bot.settings import default_model  # noqa: E402
from index.adapter import adapted_model, extract, save_adapter  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tuned", type=Path, required=True, help="a fine-tuned model folder")
    parser.add_argument("--ranks", default="16,32,64")
    parser.add_argument("--content", type=Path, default=ROOT / "content")
    parser.add_argument("--work", type=Path, default=Path("/tmp/adapt-lowrank"))
    args = parser.parse_args()
    from safetensors.numpy import load_file

    args.work.mkdir(parents=True, exist_ok=True)
    bundled = Path(default_model())
    base_w = load_file(str(bundled / "model.safetensors"))
    tuned_w = load_file(str(args.tuned / "model.safetensors"))
    started = time.perf_counter()
    searcher, base = adapt_model.rows_for(str(bundled), args.content, args.work / "onnx-base", None)
    print(f"base scored in {time.perf_counter() - started:.0f} s", flush=True)
    table = {"base": base}
    _, table["full fine-tune"] = adapt_model.rows_for(
        str(args.tuned), args.content, args.work / "onnx-full", None
    )
    for rank in [int(r) for r in args.ranks.split(",")]:
        t0 = time.perf_counter()
        path = args.work / f"rank{rank}" / "adapter.safetensors"
        save_adapter(extract(base_w, tuned_w, rank), path, {"rank": str(rank)})
        folder = adapted_model(bundled, path, Path(tempfile.mkdtemp(dir=args.work)))
        _, table[f"rank {rank}"] = adapt_model.rows_for(
            str(folder), args.content, args.work / f"onnx-rank{rank}", None
        )
        print(
            f"rank {rank}: adapter {path.stat().st_size / 1e6:.1f} MB, scored in "
            f"{time.perf_counter() - t0:.0f} s",
            flush=True,
        )
    adapt_model.print_table("shipped fusion", searcher, table, adapt_model.FUSION)
    adapt_model.print_table("dense alone", searcher, table, quality.METHODS["dense"])


if __name__ == "__main__":
    main()
