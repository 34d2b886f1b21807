"""A uniform weight soup of curated-question adapters (issue 14; bench/adapt_epochs_soup.md)

    .venv/bin/python bench/adapt_soup.py OUT.safetensors ADAPTER ADAPTER [ADAPTER ...] \
        [--rank 16] [--base MODEL_FOLDER]

Each adapter (a `coach index adapt` file, trained from the same bundled weights, one seed
each) is added back to the base weights (`index.adapter.apply`: its rank-r change
reconstructed); the adapted weights are averaged, and the average's change from the base is
kept as the shipped adapter keeps it (`index.adapter.extract`: rank `--rank` per
transformer matrix, the word-embedding rows moved, the rest whole), so the soup is a file
of the shipped size that the search reads like any adapter. Its `about` is the first
adapter's, with the members' seeds and the soup said.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.settings import default_model  # noqa: E402
from index.adapter import (  # noqa: E402
    WEIGHTS,
    adapter_about,
    apply,
    extract,
    save_adapter,
    weights_fingerprint,
)


def soup(
    base: dict[str, np.ndarray], adapters: list[dict[str, np.ndarray]], rank: int
) -> dict[str, np.ndarray]:
    """The uniform soup of `adapters` on `base`, as an adapter of rank `rank`."""
    total: dict[str, np.ndarray] = {name: np.zeros_like(w, np.float64) for name, w in base.items()}
    for adapter in adapters:
        for name, weight in apply(base, adapter).items():
            total[name] += weight.astype(np.float64)
    mean = {
        name: (total[name] / len(adapters)).astype(np.float32) for name in base
    }  # the unchanged tensors average back to the base exactly (same value n times)
    return extract(base, mean, rank)


def main() -> None:
    from safetensors.numpy import load_file

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the soup adapter file to write")
    parser.add_argument("adapters", type=Path, nargs="+", help="two or more adapter files")
    parser.add_argument("--rank", type=int, default=16)
    parser.add_argument("--base", type=Path, default=Path(default_model()))
    args = parser.parse_args()
    if len(args.adapters) < 2:
        parser.error("a soup needs two or more adapters")
    fingerprint = weights_fingerprint(args.base)
    abouts = [adapter_about(path) for path in args.adapters]
    for path, about in zip(args.adapters, abouts, strict=True):
        if about.get("base") != fingerprint:
            parser.error(f"{path} was made from other weights than {args.base}")
    questions = {about.get("questions") for about in abouts}
    if len(questions) > 1:
        print(f"warning: members trained on different curated questions: {questions}")
    base = load_file(str(args.base / WEIGHTS))
    out = soup(base, [load_file(str(path)) for path in args.adapters], args.rank)
    about = dict(abouts[0])
    seeds = "+".join(about.get("seed", "?") for about in abouts)
    about.update(seed=seeds, rank=str(args.rank), soup=f"uniform weight soup of seeds {seeds}")
    save_adapter(out, args.out, about)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB): {about['soup']}")


if __name__ == "__main__":
    main()
