"""A uniform weight soup of curated-question adapters (issue 14; bench/adapt_epochs_soup.md)

    .venv/bin/python bench/adapt_soup.py make OUT.safetensors ADAPTER ADAPTER [ADAPTER ...] \
        [--rank 16] [--base MODEL_FOLDER]
    .venv/bin/python bench/adapt_soup.py score shipped=DIR A=DIR B=DIR

`score` reads, per candidate, DIR/SET.txt: the output of `coach eval --json --explain SET`
(first line the metrics, then the misses by question id) for the eight sets, and prints the
table and the leave-one-set-out choice of bench/adapt_epochs_soup.md's rule (the first
candidate named is the shipped one).

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
import json
import re
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


SETS = ("dev", "dev2", "own", "own2", "own3", "own4", "own5", "own6")
MISS = re.compile(r"─ (\S+) \((\w+)\) ")


def read_eval(path: Path) -> dict:
    """`coach eval --json --explain`'s output: its metrics, plus the ids of the answerable
    questions it abstained on and of the off-topic questions it answered."""
    lines = path.read_text(encoding="utf-8").splitlines()
    metrics = json.loads(lines[0])
    abstained: set[str] = set()
    answered_off_topic: set[str] = set()
    for line, after in zip(lines, lines[1:], strict=False):
        found = MISS.search(line)
        if not found:
            continue
        if after.startswith("abstained on an answerable"):
            abstained.add(found.group(1))
        elif after.startswith("answered an off-topic"):
            answered_off_topic.add(found.group(1))
    metrics["abstained_ids"] = abstained
    metrics["off_topic_answered_ids"] = answered_off_topic
    return metrics


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def score(named: list[str]) -> None:
    """The table per set and the leave-one-set-out choice (the rule's steps 1-3)."""
    runs: dict[str, dict[str, dict]] = {}
    for item in named:
        name, _, folder = item.partition("=")
        runs[name] = {s: read_eval(Path(folder) / f"{s}.txt") for s in SETS}
    names = list(runs)
    shipped = names[0]
    print("| set | candidate | hit@1 | hit@3 | MRR@10 | false abstain | uncovered | off-topic |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for s in SETS:
        for name in names:
            m = runs[name][s]
            false = round(m["false_abstain"] * m["answerable"]) if m["answerable"] else 0
            unc = f"{m['uncovered_abstained']}/{m['uncovered']}" if m["uncovered"] else "-"
            off = f"{m['off_topic_abstained']}/{m['off_topic']}" if m["off_topic"] else "-"
            print(
                f"| {s} | {name} | {_rate(m['hit@1'])} | {_rate(m['hit@3'])} | "
                f"{_rate(m['mrr@10'])} | {false}/{m['answerable']} | {unc} | {off} |"
            )
    mrr = {n: {s: runs[n][s]["mrr@10"] for s in SETS} for n in names}
    count = {s: runs[shipped][s]["answerable"] for s in SETS}
    print(
        "\nmean MRR@10 on all eight: "
        + ", ".join(f"{n} {sum(mrr[n].values()) / len(SETS):.4f}" for n in names)
    )
    held: dict[str, float] = {}
    chosen: dict[str, str] = {}
    for out in SETS:
        others = [s for s in SETS if s != out]
        # ties: the first named (the simpler) wins, as max keeps the first maximum
        best = max(names, key=lambda n: round(sum(mrr[n][s] for s in others), 12))
        chosen[out], held[out] = best, mrr[best][out]
        print(f"held out {out}: {best} (MRR {held[out]:.3f}; shipped {mrr[shipped][out]:.3f})")
    worst_held = min(SETS, key=lambda s: held[s])
    worst_shipped = min(SETS, key=lambda s: mrr[shipped][s])
    worst_gain = (held[worst_held] - mrr[shipped][worst_shipped]) * count[worst_held]
    mean_gain = sum((held[s] - mrr[shipped][s]) * count[s] for s in SETS) / len(SETS)
    print(
        f"worst held out {worst_held} {held[worst_held]:.3f} vs shipped's worst "
        f"{worst_shipped} {mrr[shipped][worst_shipped]:.3f}: {worst_gain:+.2f} questions' worth"
    )
    print(f"mean gain {mean_gain:+.2f} questions' worth per set")
    picks = set(chosen.values())
    pick = (
        picks.pop()
        if len(picks) == 1
        else max(names, key=lambda n: round(sum(mrr[n].values()), 12))
    )
    vetoes = []
    for s in SETS:
        m, base = runs[pick][s], runs[shipped][s]
        more = len(m["abstained_ids"]) - len(base["abstained_ids"])
        if more > 1:
            vetoes.append(f"{s}: {more} more false abstains")
        new = m["off_topic_answered_ids"] - base["off_topic_answered_ids"]
        if new:
            vetoes.append(f"{s}: off-topic newly answered {sorted(new)}")
    print(f"candidate to ship: {pick}; vetoes: {vetoes or 'none'}")
    passes = pick != shipped and worst_gain > 2 and mean_gain > 2 and not vetoes
    print(f"decision: {'ship ' + pick if passes else 'keep shipped'}")


def main() -> None:
    from safetensors.numpy import load_file

    if sys.argv[1:2] == ["score"]:
        score(sys.argv[2:])
        return
    if sys.argv[1:2] == ["make"]:
        del sys.argv[1]
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
