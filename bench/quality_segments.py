"""Issue 14: where passages are cut inside long headingless runs of sentences (four of the
five seed articles have no heading at all): topic segmentation by the drop in MiniLM
similarity between neighbouring sentences, paragraph ends as preferred cut points, and a
passage's neighbours mixed into its dense vector; each cross-validated over the eight sets
on both libraries, as bench/quality.py --cv does.

    nice -n 10 .venv/bin/python bench/quality_segments.py [--content DIR] [--neighbours]

Every config is a rebuilt library (both the grown one and the seed one) scored with the
shipped fusion and diversification. A family's knob is chosen, for each held-out set, by
the mean MRR@10 over both libraries' other seven sets, and scored on the held-out one;
ranking alone, and with abstention (the cut-off fitted on the other sets of both
libraries, for that config, as in bench/quality.py). The curators' per-passage questions
follow the passages: AskedSignal gives each curated question to its section's passage
nearest to it whenever a library loads, so every config is compared with its own
assignment. Results: bench/quality_segments.md.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402
import quality  # noqa: E402

from bot.settings import default_model  # noqa: E402
from index.anisotropy import CommonDirections  # noqa: E402
from index.embedder import Embedder  # noqa: E402
from index.passages import HEADING, split_article, split_sentences  # noqa: E402
from index.search import HybridSearcher  # noqa: E402
from index.types import Article, Passage  # noqa: E402

Metrics = tuple[float, float, float]
NAMES = list(quality.SETS)
LIBS = ("grown", "seed")
MAX_CHARS, MIN_CHARS = 600, 200  # the shipped bounds, kept
LONG_RUN = 2 * MAX_CHARS  # a headingless run longer than this is segmented


class MemoEmbedder(Embedder):
    """The bundled model, each text embedded once per run (questions, curated questions and
    unchanged passages are shared by every config)."""

    def __init__(self, model: str) -> None:
        super().__init__(model)
        self._memo: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def encode_with_tokens(
        self, texts: list[str], *, progress: bool = False, batch_size: int | None = None
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        missing = [t for t in dict.fromkeys(texts) if t not in self._memo]
        if missing:
            vectors, tokens = super().encode_with_tokens(missing, batch_size=batch_size)
            self._memo.update(zip(missing, zip(vectors, tokens, strict=True), strict=True))
        if not texts:
            return np.zeros((0, self.dimensions), dtype="float32"), []
        return np.stack([self._memo[t][0] for t in texts]), [self._memo[t][1] for t in texts]


# ---- segmentation ----------------------------------------------------------------------
def gap_depths(vectors: np.ndarray, block: int) -> np.ndarray:
    """TextTiling depth of each gap between sentences i-1 and i (i = 1..n-1): how far the
    similarity of the `block` sentences before and after the gap falls below the highest
    similarity reached climbing away from it on either side."""
    n = len(vectors)
    sims = np.empty(n - 1)
    for g in range(1, n):
        left = vectors[max(0, g - block) : g].mean(axis=0)
        right = vectors[g : g + block].mean(axis=0)
        sims[g - 1] = left @ right / max(np.linalg.norm(left) * np.linalg.norm(right), 1e-12)
    depths = np.empty_like(sims)
    for i, s in enumerate(sims):
        left = i
        while left > 0 and sims[left - 1] >= sims[left]:
            left -= 1
        right = i
        while right < len(sims) - 1 and sims[right + 1] >= sims[right]:
            right += 1
        depths[i] = (sims[left] - s) + (sims[right] - s)
    return depths


def best_cuts(lengths: list[int], reward: np.ndarray, min_chars: int, max_chars: int) -> list[int]:
    """Where to cut a run of sentences (indices where a passage starts, 0 first): passages
    of min_chars..max_chars (a longer sentence alone; a shorter run whole; a passage under
    min_chars only where nothing else fits), maximising the summed reward of the gaps cut
    at (reward[g-1] for the gap before sentence g)."""
    n = len(lengths)
    ends = np.cumsum([0, *[x + 1 for x in lengths]])
    best = np.full(n + 1, -np.inf)
    back = np.zeros(n + 1, dtype=int)
    best[0] = 0.0
    for j in range(1, n + 1):
        for i in range(j - 1, -1, -1):
            size = ends[j] - ends[i]
            if size > max_chars and j - i > 1:
                break
            short = size < min_chars and not (i == 0 and j == n)
            score = best[i] + (reward[i - 1] if i > 0 else 0.0) - (10.0 if short else 0.0)
            if score > best[j]:
                best[j], back[j] = score, i
    starts, j = [], n
    while j > 0:
        j = back[j]
        starts.append(j)
    return sorted(starts)


@dataclass(frozen=True)
class Segmenter:
    """How a long headingless run is cut: `block` sentences each side compared (TextTiling),
    gaps whose depth is above the run's `percentile` rewarded, and `paragraph` added for a
    gap at a paragraph end (None = similarity not used: cuts only where the bounds force,
    preferring paragraph ends, the greedy rule of method 2); with `overlap`, each passage
    but the first also takes the sentence before its cut, as the shipped windows do."""

    block: int = 1
    percentile: float | None = 50.0
    paragraph: float = 0.0
    run_chars: int = LONG_RUN
    overlap: bool = False

    def cut(self, sentences: list[str], para_end: list[bool], embedder: Embedder) -> list[int]:
        lengths = [len(s) for s in sentences]
        if len(sentences) < 2:
            return [0]
        paragraph = np.array(para_end[:-1], dtype=float)
        if self.percentile is None:
            return greedy_paragraph_cuts(lengths, para_end)
        depths = gap_depths(embedder.encode(sentences), self.block)
        reward = depths - np.percentile(depths, self.percentile) + self.paragraph * paragraph
        return best_cuts(lengths, reward, MIN_CHARS, MAX_CHARS)


def greedy_paragraph_cuts(lengths: list[int], para_end: list[bool]) -> list[int]:
    """Fill each passage up to MAX_CHARS, then cut at the last paragraph end that leaves it
    at least MIN_CHARS, else at the last sentence that fits."""
    starts, i, n = [0], 0, len(lengths)
    while True:
        size, j = lengths[i], i + 1
        while j < n and size + 1 + lengths[j] <= MAX_CHARS:
            size += 1 + lengths[j]
            j += 1
        if j >= n:
            return starts
        ends = [e for e in range(i + 1, j + 1) if para_end[e - 1]]
        room = [e for e in ends if sum(lengths[i:e]) + (e - i - 1) >= MIN_CHARS]
        i = room[-1] if room else j
        starts.append(i)


def split_segmented(article: Article, seg: Segmenter, embedder: Embedder) -> list[Passage]:
    """The shipped split, but every headingless run longer than seg.run_chars is cut by
    `seg` instead of by paragraphs and windows."""
    pieces: list[tuple[str | None, list[str]]] = []  # (section, paragraphs)
    section: str | None = None
    pieces.append((None, []))
    for para in article.body.split("\n\n"):
        para = para.strip()
        if not para:
            continue
        heading = HEADING.match(para)
        if heading:
            section = heading.group(1).strip()
            pieces.append((section, []))
        else:
            pieces[-1][1].append(para)
    blocks: list[tuple[str | None, str]] = []
    for sec, paras in pieces:
        if sum(len(p) for p in paras) <= seg.run_chars:
            head = f"## {sec}\n\n" if sec else ""
            part = Article(meta=article.meta, body=head + "\n\n".join(paras))
            blocks += [(p.section, p.text) for p in split_article(part)]
            continue
        sentences: list[str] = []
        para_end: list[bool] = []
        for p in paras:
            found = split_sentences(p)
            sentences += found
            para_end += [False] * (len(found) - 1) + [True]
        starts = [*seg.cut(sentences, para_end, embedder), len(sentences)]
        for a, b in zip(starts, starts[1:], strict=False):
            a = a - 1 if seg.overlap and a > 0 else a
            blocks.append((sec, " ".join(sentences[a:b])))
    return [
        Passage(id=f"{article.meta.id}#{k}", article=article.meta, position=k, text=t, section=s)
        for k, (s, t) in enumerate(blocks)
    ]


# ---- neighbour context in the dense vector (method 3) -----------------------------------
def neighbour_searcher(weight: float) -> type[HybridSearcher]:
    """A searcher whose dense signal compares the question with each passage's vector plus
    `weight` times each adjacent passage's of the same article (renormalised)."""

    class Neighbours(HybridSearcher):
        def __init__(self, passages, dense, embedder, **kw):  # type: ignore[no-untyped-def]
            super().__init__(passages, dense, embedder, **kw)
            v = self._passage_vectors.astype("float64")
            mixed = v.copy()
            for i, p in enumerate(self.passages):
                for j in (i - 1, i + 1):
                    if 0 <= j < len(v) and self.passages[j].article.id == p.article.id:
                        mixed[i] += weight * v[j]
            mixed /= np.linalg.norm(mixed, axis=1, keepdims=True)
            mixed = mixed.astype("float32")
            self._common = CommonDirections.fit(mixed, self.tuning.common_directions)
            self._dense_passages = self._common(mixed) if self._common else mixed

    return Neighbours


# ---- scoring ----------------------------------------------------------------------------
@dataclass
class Scored:
    """One config on both libraries: per library, per set, ranking metrics, metrics with the
    CV-fitted abstention, each question's first gold rank, and the passage count."""

    rank: dict[str, list[Metrics]]
    abstain: dict[str, list[Metrics]]
    firsts: dict[str, dict[str, int | None]]
    passages: dict[str, int]
    unreachable: dict[str, int]  # answerable questions whose gold phrase no passage holds


def first_ranks(searcher: HybridSearcher, rows: list[quality.Row]) -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    for r in rows:
        if r["kind"] is not quality.ANSWER:
            continue
        score = quality.shipped(r)
        ranked = [int(j) for j in np.argsort(-score, kind="stable")]
        shown = searcher._diverse_order(ranked, score, limit=10)[:10]
        out[r["q"].id] = next((k for k, j in enumerate(shown, 1) if r["gold"][j]), None)
    return out


def score_config(
    content: Path,
    embedder: Embedder,
    split: Callable[[list[Article]], list[Passage]],
    searcher: type[HybridSearcher] = HybridSearcher,
) -> Scored:
    original = quality.split_articles, quality.HybridSearcher
    quality.split_articles, quality.HybridSearcher = split, searcher
    try:
        libs = quality.both_libraries(content, embedder)
    finally:
        quality.split_articles, quality.HybridSearcher = original
    result = Scored({}, {lib: [] for lib in LIBS}, {}, {}, {})
    for lib, (s, sets) in libs.items():
        result.rank[lib] = [quality.rank_metrics(s, sets[n], quality.shipped) for n in NAMES]
        result.firsts[lib] = {
            f"{n}:{q}": f for n in NAMES for q, f in first_ranks(s, sets[n]).items()
        }
        result.passages[lib] = len(s.passages)
        result.unreachable[lib] = sum(
            r["kind"] is quality.ANSWER and not r["gold"].any() for n in NAMES for r in sets[n]
        )
    for held in NAMES:
        train = [r for _, sets in libs.values() for n in NAMES if n != held for r in sets[n]]
        cut = float(quality.fit_cut(train))
        for lib, (s, sets) in libs.items():
            answers = quality.outcome(sets[held], cut)[3]
            m = quality.rank_metrics(s, sets[held], quality.shipped, answers)
            result.abstain[lib].append(m)
    return result


def choose(family: dict[str, Scored]) -> tuple[list[str], dict[str, dict[str, list[Metrics]]]]:
    """Per held-out set, the member with the best mean MRR@10 over both libraries' other
    sets (ranking), and the held-out cells it gets (ranking and with abstention)."""
    chosen: list[str] = []
    cells: dict[str, dict[str, list[Metrics]]] = {"rank": {}, "abstain": {}}
    for h in range(len(NAMES)):
        pick = max(
            family,
            key=lambda m: float(
                np.mean([c[2] for lib in LIBS for j, c in enumerate(family[m].rank[lib]) if j != h])
            ),
        )
        chosen.append(pick)
        for kind in cells:
            for lib in LIBS:
                cells[kind].setdefault(lib, []).append(getattr(family[pick], kind)[lib][h])
    return chosen, cells


def chosen_line(chosen: list[str]) -> str:
    return "   chosen per held-out set: " + "; ".join(
        f"{n}: {c}" for n, c in zip(NAMES, chosen, strict=True)
    )


def show(title: str, cells: dict[str, list[Metrics]]) -> None:
    for lib in LIBS:
        worst, mean = quality.summary(cells[lib])
        print(
            f"{title[:44]:44} {lib:5}"
            + "".join(f"{quality.cell(c):>15}" for c in cells[lib])
            + f"  | worst {quality.cell(worst)}  mean {quality.cell(mean)}"
        )


def moves(base: Scored, other: Scored) -> None:
    """Questions whose first gold rank changed (None = not in the top 10), per set."""
    for lib in LIBS:
        up, down = [], []
        for key, before in base.firsts[lib].items():
            after = other.firsts[lib].get(key)
            if (after or 99) != (before or 99):
                (up if (after or 99) < (before or 99) else down).append(f"{key} {before}->{after}")
        count = {n: [sum(m.startswith(n + ":") for m in ms) for ms in (up, down)] for n in NAMES}
        per_set = ", ".join(f"{n} +{u}/-{d}" for n, (u, d) in count.items())
        print(f"   {lib}: {len(up)} up, {len(down)} down ({per_set})")
        print("     up:   " + ", ".join(up))
        print("     down: " + ", ".join(down))


def report(title: str, runs: dict[str, Scored], base: Scored) -> None:
    """A family's held-out table (ranking, with abstention), its knobs, and the moves of
    its most chosen member against the shipped split."""
    chosen, cells = choose(runs)
    show(f"{title} (ranking)", cells["rank"])
    show(f"{title} (with abstention)", cells["abstain"])
    print(chosen_line(chosen))
    top = max(set(chosen), key=chosen.count)
    print(f"   moves against the shipped split, {top}:")
    moves(base, runs[top])


FAMILIES: dict[str, dict[str, Segmenter]] = {
    "1 topic segmentation (TextTiling depth)": {
        f"k={k} p={p}": Segmenter(block=k, percentile=p) for k in (1, 3) for p in (50.0, 75.0, 90.0)
    },
    "2 paragraph ends preferred (greedy fill)": {"greedy": Segmenter(percentile=None)},
    "1 with one sentence of overlap": {
        f"k={k} p={p}": Segmenter(block=k, percentile=p, overlap=True)
        for k in (1, 3)
        for p in (75.0, 90.0)
    },
    "1+2 segmentation, paragraph ends +0.5": {
        f"k={k} p={p}": Segmenter(block=k, percentile=p, paragraph=0.5)
        for k in (1, 3)
        for p in (50.0, 75.0, 90.0)
    },
}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--content", type=Path, default=ROOT / "content")
    parser.add_argument("--neighbours", action="store_true", help="also run method 3")
    args = parser.parse_args()
    embedder = MemoEmbedder(os.environ.get("EMBEDDING_MODEL") or default_model())
    shipped_split = quality.split_articles
    base = score_config(args.content, embedder, shipped_split)
    print(f"passages {base.passages}; unreachable gold {base.unreachable}")
    print(f"\n{'method':44} {'lib':5}" + "".join(f"{n:>15}" for n in NAMES))
    show("shipped split (ranking)", base.rank)
    show("shipped split (with abstention)", base.abstain)
    scored: dict[str, Scored] = {"shipped": base}
    for family, members in FAMILIES.items():
        runs: dict[str, Scored] = {}
        for name, seg in members.items():

            def split(articles: list[Article], seg: Segmenter = seg) -> list[Passage]:
                return [p for a in articles for p in split_segmented(a, seg, embedder)]

            r = runs[name] = score_config(args.content, embedder, split)
            mrr = {lib: " ".join(f"{c[2]:.2f}" for c in r.rank[lib]) for lib in LIBS}
            print(f"   {family[:30]} {name}: passages {r.passages}, unreachable", end=" ")
            print(f"{r.unreachable}; MRR {mrr}", flush=True)
        report(family, runs, base)
        scored.update({f"{family} {k}": v for k, v in runs.items()})
    report("CV-selected among all splits and shipped", scored, base)
    if args.neighbours:
        runs = {
            f"w={w}": score_config(args.content, embedder, shipped_split, neighbour_searcher(w))
            for w in (0.1, 0.2, 0.35)
        }
        report("3 neighbours in the dense vector", runs, base)


if __name__ == "__main__":
    main()
