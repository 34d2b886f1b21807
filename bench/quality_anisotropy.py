"""Issue 14, session 4: corrections of the embedding space's anisotropy (every passage is
about sales leadership, so one shared direction dominates MiniLM's in-domain cosines),
each judged by cross-validation.

    .venv/bin/python bench/quality_anisotropy.py [--content DIR]

Families, each fitted on the library only (its passage, sentence or token vectors; never a
question): mean-centring, all-but-the-top (centre, then remove the top D principal
components), ZCA whitening with shrinkage towards the isotropic covariance, and PCA
whitening truncated to k dimensions. Each is applied to the dense space (the question, the
passage and the sentence vectors: the `dense` and `sentence` signals), to late interaction
(question and passage token vectors: `tokens`, `tokens_vocab`), or to both; vectors are
renormalised after the transform, and the shipped z-sum fusion and diversification rank.

Knobs (D, shrinkage, k, which vectors the dense transform is fitted on) are chosen per
held-out set by mean MRR@10 on the other sets (quality.held_out_choice). The
abstention cut-off on the library score (mean best-sentence cosine, which moves when the
sentence vectors are transformed) is re-fitted on the other sets of both libraries (quality.fit_cut)
and scored on the held-out one. Results: bench/quality_methods.md.
"""

from __future__ import annotations

import copy
import dataclasses
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import quality  # first: it sets HF_HUB_OFFLINE and puts the checkout on the path
from quality_methods import NAMES, SHIPPED, Metrics, Row, content_and_embedder, summary, zsum

from index.embedder import Embedder
from index.search import HybridSearcher

Transform = Callable[[np.ndarray], np.ndarray]
ANSWER, UNCOVERED, OFF = quality.ANSWER, quality.UNCOVERED, quality.OFF


# ---- transforms fitted on the library's vectors -----------------------------------------
def renormalise(x: np.ndarray) -> np.ndarray:
    return (x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)).astype("float32")


def fit(vectors: np.ndarray, kind: str, knob: float = 0.0) -> Transform:
    """A map x -> unit-length (x - mean) @ M, M fitted on `vectors` (rows of the library).

    centre: M = I. abtt: M = I - U_D U_D^T, U_D the top D principal directions.
    zca: M = C^(-1/2), C the covariance shrunk by `knob` towards (trace/d) I.
    pca: M = U_k diag(lambda_k)^(-1/2), the top k components whitened (BERT-whitening).
    """
    x = vectors.astype("float64")
    mean = x.mean(axis=0)
    c = x - mean
    d = x.shape[1]
    if kind == "centre":
        m = np.eye(d)
    elif kind == "abtt":
        _, _, vt = np.linalg.svd(c, full_matrices=False)
        u = vt[: int(knob)].T
        m = np.eye(d) - u @ u.T
    else:
        cov = c.T @ c / len(c)
        if kind == "zca":
            cov = (1 - knob) * cov + knob * np.trace(cov) / d * np.eye(d)
        w, v = np.linalg.eigh(cov)
        w = np.maximum(w, 1e-9 * w.max())
        if kind == "zca":
            m = (v / np.sqrt(w)) @ v.T
        else:
            k = int(knob)
            m = v[:, -k:] / np.sqrt(w[-k:])
    return lambda y: renormalise((y.astype("float64") - mean) @ m)


# Each family: member label -> (kind, knob). ZCA at shrinkage 1 is mean-centring.
FAMILIES: dict[str, dict[str, tuple[str, float]]] = {
    "mean-centring": {"": ("centre", 0.0)},
    "all-but-the-top": {f"D={d}": ("abtt", float(d)) for d in range(1, 6)},
    "ZCA whitening, shrinkage a": {f"a={a}": ("zca", a) for a in (0.05, 0.1, 0.25, 0.5, 0.75)},
    "PCA whitening, top k dims": {f"k={k}": ("pca", float(k)) for k in (64, 128, 256)},
}
TARGETS = ("dense+sentence", "dense only", "late interaction", "all four")
BASES = ("sentences", "passages")  # what the dense-space transform is fitted on


# ---- the library's raw vectors and each question's, re-scored under a transform --------
class Space:
    """Raw vectors of one library and its questions; signals recomputed under transforms."""

    def __init__(self, searcher: HybridSearcher, sets: dict[str, list[Row]], embedder: Embedder):
        self.searcher = searcher
        self.sets = sets
        self.rows = [r for n in NAMES for r in sets[n]]
        asked = [r["q"].question for r in self.rows]
        expanded = [searcher.vocabulary.expand(q) for q in asked]
        self.q, self.q_tokens = embedder.encode_with_tokens(asked)
        _, vocab_tokens = embedder.encode_with_tokens(expanded)
        # As features_batch: the expanded form only when the vocabulary changed the question.
        self.q_tokens_vocab = [
            v if e != a else t
            for a, e, t, v in zip(asked, expanded, self.q_tokens, vocab_tokens, strict=True)
        ]
        self.passages = searcher._passage_vectors
        self.sentences = searcher.dense.sentence_vectors
        self.tokens = searcher.dense.token_vectors
        self._dense: dict[tuple, dict[str, np.ndarray]] = {}
        self._late: dict[tuple, dict[str, list[np.ndarray]]] = {}

    def dense(self, key: tuple, t: Transform | None) -> dict[str, np.ndarray]:
        """`dense` (question x passages) and `sentence` (best sentence per passage)."""
        if key not in self._dense:
            q, p, s = (
                (self.q, self.passages, self.sentences)
                if t is None
                else (
                    t(self.q),
                    t(self.passages),
                    t(self.sentences),
                )
            )
            offsets = self.searcher.dense.sentence_offsets
            self._dense[key] = {
                "dense": q @ p.T,
                "sentence": np.maximum.reduceat(q @ s.T, offsets[:-1], axis=1),
            }
        return self._dense[key]

    def late(self, key: tuple, t: Transform | None) -> dict[str, list[np.ndarray]]:
        """Late interaction as shipped (HybridSearcher's own MaxSim), on transformed tokens."""
        if key not in self._late:
            s = self.searcher
            plain, vocab = self.q_tokens, self.q_tokens_vocab
            if t is not None:
                s = copy.copy(s)
                s.dense = dataclasses.replace(s.dense, token_vectors=t(self.tokens))
                plain = [t(x) for x in plain]
                vocab = [t(x) for x in vocab]
            self._late[key] = {
                "tokens": s.late_interaction.scores(plain),
                "tokens_vocab": s.late_interaction.scores(vocab),
            }
        return self._late[key]

    def transformed_sets(
        self, target: str, kind: str, knob: float, basis: str
    ) -> dict[str, list[Row]]:
        """The question sets with the target's signals recomputed under the transform."""
        swap: dict[str, object] = {}
        if target != "late interaction":
            base = self.sentences if basis == "sentences" else self.passages
            d = self.dense((kind, knob, basis), fit(base, kind, knob))
            swap["dense"] = d["dense"]
            if target != "dense only":
                swap["sentence"] = d["sentence"]
        if target in ("late interaction", "all four"):
            li = self.late((kind, knob), fit(self.tokens, kind, knob))
            swap.update(li)
        return self.swapped(swap)

    def plain_sets(self) -> dict[str, list[Row]]:
        """The question sets with the dense signal as plain cosine (before this session)."""
        return self.swapped({"dense": self.dense(("raw",), None)["dense"]})

    def swapped(self, swap: dict[str, object]) -> dict[str, list[Row]]:
        out: dict[str, list[Row]] = {}
        i = 0
        for n in NAMES:
            out[n] = []
            for r in self.sets[n]:
                out[n].append(r | {k: v[i] for k, v in swap.items()})  # type: ignore[index]
                i += 1
        return out

    def check(self) -> float:
        """Largest gap between the signals recomputed here (the dense one under the shipped
        common-direction removal) and the shipped ones."""
        d = self.dense(("shipped",), self.searcher._common)
        d = {"dense": d["dense"], "sentence": self.dense(("raw",), None)["sentence"]}
        li = self.late(("raw",), None)
        gaps = [
            float(np.abs(np.asarray(src[name][i]) - r[name]).max())
            for i, r in enumerate(self.rows)
            for src, names in ((d, ("dense", "sentence")), (li, ("tokens", "tokens_vocab")))
            for name in names
        ]
        return max(gaps)


# ---- cross-validation -------------------------------------------------------------------
def members(target: str, family: str) -> list[tuple[str, str, float, str]]:
    """(label, kind, knob, basis) of every member of a family applied to a target."""
    bases = ("-",) if target == "late interaction" else BASES
    return [
        (f"{label} {basis}".strip() if basis != "-" else label or "-", kind, knob, basis)
        for label, (kind, knob) in FAMILIES[family].items()
        for basis in bases
    ]


def metrics(space: Space, sets: dict[str, list[Row]]) -> list[Metrics]:
    scorer = lambda r: zsum(r, SHIPPED)  # noqa: E731
    return [quality.rank_metrics(space.searcher, sets[n], scorer) for n in NAMES]


def ranking_report(space: Space, label: str) -> dict[tuple[str, str], list[str]]:
    """Held-out ranking per family and target; returns the knob chosen per held-out set."""
    print(f"\n## Ranking, {label}: held-out per set (knob chosen on the others), worst, mean")
    print(f"{'method':46}" + "".join(f"{n:>16}" for n in NAMES) + f"{'worst':>16}{'mean':>16}")
    shipped = metrics(space, space.sets)
    print(f"{'shipped z-sum':46}" + "".join(f"{quality.cell(c):>16}" for c in shipped), end="")
    print(f"  {summary(shipped)}")
    plain = metrics(space, space.plain_sets())
    print(f"{'plain cosine dense (before this session)':46}", end="")
    print("".join(f"{quality.cell(c):>16}" for c in plain) + f"  {summary(plain)}")
    chosen_all: dict[tuple[str, str], list[str]] = {}
    for family in FAMILIES:
        for target in TARGETS:
            grid = {
                lab: metrics(space, space.transformed_sets(target, kind, knob, basis))
                for lab, kind, knob, basis in members(target, family)
            }
            cells, chosen = quality.held_out_choice(grid)
            chosen_all[(family, target)] = chosen
            print(
                f"{family + ', ' + target:46}"
                + "".join(f"{quality.cell(c):>16}" for c in cells)
                + f"  {summary(cells)}  [{', '.join(chosen)}]"
            )
    return chosen_all


def abstention_report(
    spaces: dict[str, Space], chosen_all: dict[tuple[str, str], list[str]]
) -> None:
    """Per family and target (knob chosen on the grown library's other sets): the
    library-score cut-off re-fitted on the other sets of both libraries, scored on the
    held-out set with the ranking: hit@1/hit@3/MRR@10 counting abstentions as misses,
    false abstain, uncovered and off-topic abstained."""
    print("\n## Abstention re-fitted by CV (held-out: metrics with abstention, FA, unc, off)")
    configs = [("shipped", "", "", [])] + [
        (f"{f}, {t}", f, t, c) for (f, t), c in chosen_all.items() if t != "late interaction"
    ]
    for name, family, target, chosen in configs:
        parts, cells = [], {lib: [] for lib in spaces}
        for h, held in enumerate(NAMES):
            if family:
                spec = next(m for m in members(target, family) if m[0] == chosen[h])
                sets = {lib: s.transformed_sets(target, *spec[1:]) for lib, s in spaces.items()}
            else:
                sets = {lib: s.sets for lib, s in spaces.items()}
            train = [r for lib in sets for n in NAMES if n != held for r in sets[lib][n]]
            cut = float(quality.fit_cut(train))
            for lib, space in spaces.items():
                fa, unc, off, answers = quality.outcome(sets[lib][held], cut)
                m = quality.rank_metrics(
                    space.searcher, sets[lib][held], lambda r: zsum(r, SHIPPED), answers
                )
                cells[lib].append(m)
                parts.append(
                    f"{lib} {held} cut {cut:.3f} {quality.cell(m)} FA {fa:.2f} unc {unc} off {off}"
                )
        print(f"{name}: " + "; ".join(f"{lib} {summary(c)}" for lib, c in cells.items()))
        for p in parts:
            print(f"     {p}")


def main() -> None:
    content_dir, embedder = content_and_embedder(__doc__ or "")
    spaces: dict[str, Space] = {}
    chosen: dict[str, dict[tuple[str, str], list[str]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        seed = quality.seed_library(content_dir, Path(tmp) / "seed")
        for label, content in (("grown", content_dir), ("seed", seed)):
            searcher, sets = quality.collect(content, embedder)
            spaces[label] = Space(searcher, sets, embedder)
            print(
                f"{label}: recomputed raw signals differ from shipped by at most "
                f"{spaces[label].check():.4f}"
            )
            chosen[label] = ranking_report(spaces[label], f"{label} library")
    abstention_report(spaces, chosen["grown"])


if __name__ == "__main__":
    main()
