"""Issue 14, abstention: does a curator's out-of-scope map (topics the library does not
cover, each with example questions, written without the question sets) tell uncovered
questions from paraphrased answerable ones?

    .venv/bin/python bench/quality_scope.py SCOPE.yaml [--content DIR]

A question is declined when its nearest out-of-scope example is closer than its nearest
library sentence by more than a margin m (cosines of MiniLM vectors). m is chosen on three
question sets (both libraries pooled): the largest share of uncovered declined with false
abstain at most 5%; then scored on the fourth, in rotation.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import quality  # first: it sets HF_HUB_OFFLINE and puts the checkout on the path
import yaml

from index.embedder import Embedder

ANSWER, UNCOVERED, OFF = quality.ANSWER, quality.UNCOVERED, quality.OFF
MARGINS = [round(x, 3) for x in np.arange(-0.20, 0.301, 0.01)]


def scope_vectors(path: Path, embedder: Embedder) -> tuple[np.ndarray, list[str]]:
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))["out_of_scope"]
    texts, topics = [], []
    for entry in entries:
        for example in entry["examples"]:
            texts.append(str(example))
            topics.append(str(entry["topic"]))
    return embedder.encode(texts), topics


def features(
    rows: list[quality.Row], embedder: Embedder, scope: np.ndarray, owners: np.ndarray
) -> list[dict[str, float]]:
    vectors = embedder.encode([r["q"].question for r in rows])
    out = []
    for r, v in zip(rows, vectors, strict=True):
        sims = scope @ v
        per_topic = [np.sort(sims[owners == t]) for t in np.unique(owners)]
        out.append(
            {
                "scope": float(sims.max()),
                "scope3": float(np.sort(sims)[-3:].mean()),
                "topic2": max(float(t[-2:].mean()) for t in per_topic),
                "topic3": max(float(t[-3:].mean()) for t in per_topic),
                "library": float(r["sentence"].max()),
                "gate": quality.library_score(r) >= quality.SearchTuning().answer_library,
            }
        )
    return out


def outcome(
    rows: list[quality.Row], feats: list[dict[str, float]], m: float | None, key: str
) -> tuple[float, int, int, int, int, int, int, list[bool]]:
    answers = []
    for f in feats:
        declined = m is not None and f[key] - f["library"] > m
        answers.append(bool(f["gate"]) and not declined)
    kinds = [r["kind"] for r in rows]
    fa = sum(not a for a, k in zip(answers, kinds, strict=True) if k is ANSWER)
    na = sum(k is ANSWER for k in kinds)
    unc = sum(not a for a, k in zip(answers, kinds, strict=True) if k is UNCOVERED)
    nu = sum(k is UNCOVERED for k in kinds)
    off = sum(not a for a, k in zip(answers, kinds, strict=True) if k is OFF)
    no = sum(k is OFF for k in kinds)
    return fa / max(na, 1), fa, na, unc, nu, off, no, answers


def choose(pool: list[tuple[list[quality.Row], list[dict[str, float]]]], key: str) -> float | None:
    """The margin declining most uncovered with false abstain <= 5% on `pool`; the larger
    (more cautious) margin on ties."""
    best: tuple[float, float] | None = None
    chosen = None
    for m in MARGINS:
        fa = na = unc = nu = 0
        for rows, feats in pool:
            _, f, a, u, n, _, _, _ = outcome(rows, feats, m, key)
            fa, na, unc, nu = fa + f, na + a, unc + u, nu + n
        if fa / max(na, 1) > 0.05:
            continue
        score = (unc / max(nu, 1), m)
        if best is None or score > best:
            best, chosen = score, m
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scope", type=Path)
    parser.add_argument("--content", type=Path, default=quality.ROOT / "content")
    args = parser.parse_args()
    embedder = Embedder(quality.default_model())
    scope, topics = scope_vectors(args.scope, embedder)
    owners = np.array([sorted(set(topics)).index(t) for t in topics])
    print(f"{len(scope)} out-of-scope examples, {len(set(topics))} topics")
    libs: dict[str, tuple[quality.HybridSearcher, dict[str, list[quality.Row]]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        seed = quality.seed_library(args.content, Path(tmp) / "seed")
        for lib, content in (("grown", args.content), ("seed", seed)):
            libs[lib] = quality.collect(content, embedder)
    feats = {
        lib: {n: features(rows, embedder, scope, owners) for n, rows in sets.items()}
        for lib, (_, sets) in libs.items()
    }
    scorer = quality.METHODS[quality.SHIPPED]
    for key in ("scope", "scope3", "topic2", "topic3"):
        print(f"\n## feature {key}: fixed margins (FA, uncovered, off-topic declined)")
        for m in [None, *MARGINS[::3]]:
            parts = []
            for lib, (_, sets) in libs.items():
                for n, rows in sets.items():
                    fa, _, _, u, nu, o, no, _ = outcome(rows, feats[lib][n], m, key)
                    parts.append(f"{lib[0]}-{n} {fa:.2f} {u}/{nu} {o}/{no}")
            print(f"m {'none' if m is None else f'{m:+.2f}'}  " + " | ".join(parts))
        print(f"\n## feature {key}: margin chosen on three sets, scored on the fourth")
        for held in quality.SETS:
            pool = [
                (sets[n], feats[lib][n])
                for lib, (_, sets) in libs.items()
                for n in sets
                if n != held
            ]
            m = choose(pool, key)
            for lib, (searcher, sets) in libs.items():
                fa, _, _, u, nu, o, no, answers = outcome(sets[held], feats[lib][held], m, key)
                base = outcome(sets[held], feats[lib][held], None, key)
                ranked = quality.rank_metrics(searcher, sets[held], scorer, answers)
                before = quality.rank_metrics(searcher, sets[held], scorer, base[-1])
                print(
                    f"{lib:5} {held:5} m {m}  {quality.cell(before)} -> {quality.cell(ranked)}"
                    f"  FA {base[0]:.2f} -> {fa:.2f}  unc {base[3]}/{nu} -> {u}/{nu}"
                    f"  off {base[5]}/{no} -> {o}/{no}"
                )
        every = [(sets[n], feats[lib][n]) for lib, (_, sets) in libs.items() for n in sets]
        print(f"chosen on all four sets (the shipped margin): m {choose(every, key)}")


if __name__ == "__main__":
    main()
