"""Session 3 of issue 14: hubness reduction, passage granularity, hierarchical and
multi-granularity retrieval, and topic-aware abstention, each judged by cross-validation.

    .venv/bin/python bench/quality_methods.py [--content DIR]

Passage granularity and context: bench/quality_granularity.py; abstention features:
bench/quality_abstain.py.

Every method is a family with a small grid of knobs (a method without knobs has one member).
For each held-out set (dev, dev2, own, own2) the knob is chosen by mean MRR@10 on the others and
scored on the held-out set; the table gives the worst held-out set (lowest MRR) and the mean.
Ranking is scored as in bench/quality.py (shipped diversification, no abstention). Results:
bench/quality_methods.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402
import quality  # noqa: E402

from bot.settings import default_model  # noqa: E402
from index.embedder import Embedder  # noqa: E402
from index.passages import split_sentences  # noqa: E402
from index.search import HybridSearcher  # noqa: E402

Row = quality.Row
Scorer = Callable[[Row], np.ndarray]
Metrics = tuple[float, float, float]
NAMES = list(quality.SETS)
SHIPPED = ("dense", "sentence", "tokens", "tokens_vocab", "lexical")


def z(s: np.ndarray) -> np.ndarray:
    return quality.z(np.asarray(s, dtype="float64"))


def zsum(row: Row, names: tuple[str, ...]) -> np.ndarray:
    return sum(z(row[n]) for n in names)


# ---- extra signals ----------------------------------------------------------------------
def top_k_mean(sims: np.ndarray, k: int) -> np.ndarray:
    """Mean of each row's k largest values."""
    k = min(k, sims.shape[1])
    return np.partition(sims, -k, axis=1)[:, -k:].mean(axis=1)


class Extras:
    """Library-side quantities the new signals need, computed once per library."""

    def __init__(self, searcher: HybridSearcher, embedder: Embedder) -> None:
        self.s = searcher
        passages = searcher.passages
        d = searcher.dense
        offsets = d.sentence_offsets
        self.sentence_passage = np.repeat(np.arange(len(passages)), np.diff(offsets))
        article_ids = sorted({p.article.id for p in passages})
        self.article_of = np.array([article_ids.index(p.article.id) for p in passages])
        sections = sorted({(p.article.id, p.section or "") for p in passages})
        self.section_of = np.array(
            [sections.index((p.article.id, p.section or "")) for p in passages]
        )
        sent_article = self.article_of[self.sentence_passage]
        # Pseudo-queries: every sentence of the library and every heading.
        heads = sorted({f"{p.article.title} - {p.section}" for p in passages if p.section})
        head_vectors = (
            embedder.encode(heads) if heads else np.zeros((0, d.sentence_vectors.shape[1]))
        )
        head_article = np.array(
            [
                self.article_of[
                    next(
                        i for i, p in enumerate(passages) if f"{p.article.title} - {p.section}" == h
                    )
                ]
                for h in heads
            ]
        )
        self.pseudo = np.concatenate([d.sentence_vectors, head_vectors]).astype("float32")
        self.pseudo_article = np.concatenate([sent_article, head_article])
        pv = searcher._passage_vectors
        # Passage hubness: mean cosine to its k nearest pseudo-queries from other articles.
        sims = pv @ self.pseudo.T
        sims_other = np.where(self.article_of[:, None] == self.pseudo_article[None, :], -2.0, sims)
        self.r_passage = {k: top_k_mean(sims_other, k) for k in (5, 10, 25, 50)}
        self.r_passage_all = {k: top_k_mean(sims, k) for k in (10, 50)}
        # Sentence hubness likewise, against other articles' sentences and headings.
        ss = d.sentence_vectors @ self.pseudo.T
        ss = np.where(sent_article[:, None] == self.pseudo_article[None, :], -2.0, ss)
        self.r_sentence = {k: top_k_mean(ss, k) for k in (5, 10, 25, 50)}
        # Section centroids (mean of their sentence vectors) and how tight each section is.
        n_sections = len(sections)
        sec_of_sentence = self.section_of[self.sentence_passage]
        cent = np.zeros((n_sections, pv.shape[1]), dtype="float64")
        np.add.at(cent, sec_of_sentence, d.sentence_vectors)
        cent /= np.maximum(np.linalg.norm(cent, axis=1, keepdims=True), 1e-12)
        self.centroids = cent.astype("float32")
        own = np.einsum("ij,ij->i", d.sentence_vectors, self.centroids[sec_of_sentence])
        self.tightness = np.array(
            [own[sec_of_sentence == c].mean() for c in range(n_sections)], dtype="float64"
        )
        art_cent = np.zeros((len(article_ids), pv.shape[1]), dtype="float64")
        np.add.at(art_cent, sent_article, d.sentence_vectors)
        art_cent /= np.maximum(np.linalg.norm(art_cent, axis=1, keepdims=True), 1e-12)
        self.article_centroids = art_cent.astype("float32")
        # 2-sentence windows within each passage (multi-granularity).
        windows, owner = [], []
        for i, p in enumerate(passages):
            sentences = split_sentences(p.text) or [p.text]
            if len(sentences) == 1:
                windows.append(sentences[0])
                owner.append(i)
            for a, b in zip(sentences, sentences[1:], strict=False):
                windows.append(f"{a} {b}")
                owner.append(i)
        self.window_vectors = embedder.encode(windows)
        self.window_owner = np.array(owner)
        self.window_offsets = np.concatenate(
            [[0], np.cumsum(np.bincount(self.window_owner, minlength=len(passages)))]
        ).astype("int64")

    def add(self, row: Row, q: np.ndarray) -> None:
        """Per-passage signals for one question vector `q`."""
        s = self.s
        offsets = s.dense.sentence_offsets
        cos_p = s._passage_vectors @ q
        cos_s = s.dense.sentence_vectors @ q
        for k, r in self.r_passage.items():
            row[f"dense_csls{k}"] = 2 * cos_p - r
        for k, r in self.r_passage_all.items():
            row[f"dense_cslsall{k}"] = 2 * cos_p - r
        for k, r in self.r_sentence.items():
            row[f"sentence_csls{k}"] = np.maximum.reduceat(2 * cos_s - r, offsets[:-1])
        win = self.window_vectors @ q
        row["window2"] = np.maximum.reduceat(win, self.window_offsets[:-1])
        sec = self.centroids @ q
        row["section_centroid"] = sec[self.section_of]
        row["article_centroid"] = (self.article_centroids @ q)[self.article_of]
        row["qvec"] = q


def collect(
    content: Path, embedder: Embedder
) -> tuple[HybridSearcher, dict[str, list[Row]], Extras]:
    searcher, sets = quality.collect(content, embedder)
    extras = Extras(searcher, embedder)
    for rows in sets.values():
        vectors = embedder.encode([r["q"].question for r in rows])
        for r, v in zip(rows, vectors, strict=True):
            extras.add(r, v)
    return searcher, sets, extras


# ---- methods ----------------------------------------------------------------------------
def group_max(score: np.ndarray, groups: np.ndarray, top: int = 1) -> np.ndarray:
    """Each passage gets the mean of the `top` best scores of its group."""
    out = np.empty_like(score)
    for g in np.unique(groups):
        members = groups == g
        vals = np.sort(score[members])[::-1][:top]
        out[members] = vals.mean()
    return out


def ranks(s: np.ndarray) -> np.ndarray:
    r = np.empty(len(s))
    r[np.argsort(-s, kind="stable")] = np.arange(1, len(s) + 1)
    return r


def family(extras: Extras) -> dict[str, dict[str, Scorer]]:
    shipped: Scorer = lambda r: zsum(r, SHIPPED)  # noqa: E731

    def replace(**swap: str) -> tuple[str, ...]:
        return tuple(swap.get(n, n) for n in SHIPPED)

    methods: dict[str, dict[str, Scorer]] = {"shipped z-sum": {"": shipped}}
    methods["1a CSLS dense (other-article pseudo-queries)"] = {
        f"k={k}": (lambda r, k=k: zsum(r, replace(dense=f"dense_csls{k}"))) for k in (5, 10, 25, 50)
    }
    methods["1b CSLS dense (all pseudo-queries)"] = {
        f"k={k}": (lambda r, k=k: zsum(r, replace(dense=f"dense_cslsall{k}"))) for k in (10, 50)
    }
    methods["1c CSLS best sentence"] = {
        f"k={k}": (lambda r, k=k: zsum(r, replace(sentence=f"sentence_csls{k}")))
        for k in (5, 10, 25, 50)
    }
    methods["1d CSLS dense + best sentence"] = {
        f"k={k}": (
            lambda r, k=k: zsum(r, replace(dense=f"dense_csls{k}", sentence=f"sentence_csls{k}"))
        )
        for k in (5, 10, 25, 50)
    }
    hier: dict[str, Scorer] = {}
    for level, groups in (("section", extras.section_of), ("article", extras.article_of)):
        for top in (1, 2):
            for w in (0.5, 1.0):
                hier[f"{level} top{top} w{w}"] = lambda r, g=groups, t=top, w=w: (
                    z(shipped(r)) + w * z(group_max(shipped(r), g, t))
                )
            hier[f"{level} top{top} rank-fused"] = lambda r, g=groups, t=top: quality.rrf(
                shipped(r), group_max(shipped(r), g, t)
            )
    methods["3a hierarchical: group score of the fused score"] = hier
    methods["3b hierarchical: section/article centroid as a signal"] = {
        "section": lambda r: zsum(r, (*SHIPPED, "section_centroid")),
        "article": lambda r: zsum(r, (*SHIPPED, "article_centroid")),
    }
    methods["4a multi-granularity: + 2-sentence windows (z-sum)"] = {
        "": lambda r: zsum(r, (*SHIPPED, "window2"))
    }
    methods["4b multi-granularity: sentence, window, passage by RRF + rest z-sum"] = {
        f"k={k}": (
            lambda r, k=k: (
                z(quality.rrf(r["sentence"], r["window2"], r["dense"], k=k))
                + zsum(r, ("tokens", "tokens_vocab", "lexical"))
            )
        )
        for k in (10, 60)
    }
    methods["4c window replaces best sentence"] = {
        "": lambda r: zsum(r, replace(sentence="window2"))
    }
    return methods


def metrics_of(
    searcher: HybridSearcher, sets: dict[str, list[Row]], scorer: Scorer
) -> list[Metrics]:
    return [quality.rank_metrics(searcher, sets[n], scorer) for n in NAMES]


def cross_validate(
    searcher: HybridSearcher, sets: dict[str, list[Row]], members: dict[str, Scorer]
) -> tuple[list[Metrics], list[str]]:
    return quality.held_out_choice({k: metrics_of(searcher, sets, s) for k, s in members.items()})


def summary(cells: list[Metrics]) -> str:
    worst = min(cells, key=lambda c: c[2])
    mean = tuple(float(np.mean([c[i] for c in cells])) for i in range(3))
    return f"{quality.cell(worst)}  {quality.cell(mean)}"  # type: ignore[arg-type]


def ranking_report(
    searcher: HybridSearcher, sets: dict[str, list[Row]], extras: Extras, label: str
) -> None:
    print(f"\n## Ranking, {label}: held-out per set (knob chosen on the others), worst, mean")
    print(f"{'method':62}" + "".join(f"{n:>16}" for n in NAMES) + f"{'worst':>16}{'mean':>16}")
    for name, members in family(extras).items():
        cells, chosen = cross_validate(searcher, sets, members)
        knobs = "" if len(members) == 1 else "  [" + ", ".join(chosen) + "]"
        print(
            f"{name:62}"
            + "".join(f"{quality.cell(c):>16}" for c in cells)
            + f"  {summary(cells)}{knobs}"
        )


# ---- per-passage background normalisation (hubness of every dense signal) --------------
class Background:
    """Each passage's score distribution over pseudo-queries from other articles (a sample
    of the library's sentences and its headings): a signal minus that mean, over that
    spread, removes what a passage scores for any question (hubs, long passages in late
    interaction)."""

    def __init__(
        self, searcher: HybridSearcher, extras: Extras, embedder: Embedder, n: int = 400
    ) -> None:
        rng = np.random.default_rng(7)
        d = searcher.dense
        all_sentences = [s for sentences in searcher._sentences for s in sentences]
        pick = np.sort(
            rng.choice(len(all_sentences), size=min(n, len(all_sentences)), replace=False)
        )
        texts = [all_sentences[i] for i in pick]
        sent_article = extras.article_of[extras.sentence_passage][pick]
        vectors, tokens = embedder.encode_with_tokens(texts)
        other = sent_article[:, None] != extras.article_of[None, :]  # (pseudo, passages)
        offsets = d.sentence_offsets
        dense = vectors @ searcher._passage_vectors.T
        sentence = np.maximum.reduceat(vectors @ d.sentence_vectors.T, offsets[:-1], axis=1)
        li = np.stack(searcher.late_interaction.scores(list(tokens)))
        self.stats = {}
        for name, m in (("dense", dense), ("sentence", sentence), ("tokens", li)):
            masked = np.where(other, m, np.nan)
            self.stats[name] = (np.nanmean(masked, axis=0), np.nanstd(masked, axis=0) + 1e-6)
        self.stats["tokens_vocab"] = self.stats["tokens"]

    def add(self, row: Row) -> None:
        for name, (mu, sd) in self.stats.items():
            row[f"{name}_bg"] = (row[name] - mu) / sd
            row[f"{name}_bgc"] = row[name] - mu


def background_report(
    searcher: HybridSearcher,
    sets: dict[str, list[Row]],
    extras: Extras,
    embedder: Embedder,
    label: str,
) -> None:
    bg = Background(searcher, extras, embedder)
    for rows in sets.values():
        for r in rows:
            bg.add(r)
    variants = {
        "dense": ("dense",),
        "dense+sentence": ("dense", "sentence"),
        "late interaction": ("tokens", "tokens_vocab"),
        "all four": ("dense", "sentence", "tokens", "tokens_vocab"),
    }
    print(f"\n## Per-passage background normalisation, {label}")
    for kind, suffix in (("z (minus mean, over spread)", "_bg"), ("centred (minus mean)", "_bgc")):
        for vname, which in variants.items():
            names = tuple(f"{n}{suffix}" if n in which else n for n in SHIPPED)
            cells = metrics_of(searcher, sets, lambda r, names=names: zsum(r, names))
            print(
                f"  {kind:28} {vname:18}"
                + "".join(f"{quality.cell(c):>16}" for c in cells)
                + f"  {summary(cells)}"
            )


def content_and_embedder(doc: str) -> tuple[Path, Embedder]:
    """The command line the issue-14 scripts share: `--content DIR`, and the configured model."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--content", type=Path, default=ROOT / "content")
    content = parser.parse_args().content
    return content, Embedder(os.environ.get("EMBEDDING_MODEL") or default_model())


def main() -> None:
    content_dir, embedder = content_and_embedder(__doc__ or "")
    with tempfile.TemporaryDirectory() as tmp:
        seed = quality.seed_library(content_dir, Path(tmp) / "seed")
        for label, content in (("grown", content_dir), ("seed", seed)):
            searcher, sets, extras = collect(content, embedder)
            ranking_report(searcher, sets, extras, f"{label} library")
            background_report(searcher, sets, extras, embedder, f"{label} library")


if __name__ == "__main__":
    main()
