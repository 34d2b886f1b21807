"""Session 5 of issue 14: multi-part questions, generic framing removal, sentence-level BM25,
soft-IDF and two-way late interaction, per-question signal weights, and abstention from
agreement between signals (bench/quality_agreement.py), each judged by cross-validation.

    .venv/bin/python bench/quality_ideas.py [--content DIR]

As in bench/quality_methods.py: every method is a family with a small grid of knobs; for
each held-out set the knob is chosen by mean MRR@10 on the others and scored on the
held-out one; the row gives each held-out set, the worst (lowest MRR) and the mean. Ranking is
scored as in bench/quality.py (shipped diversification, no abstention), on both libraries.
The framings are bench/data/question_framings.txt, written before measuring. Results:
bench/quality_ideas.md.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402
import quality  # noqa: E402
import quality_agreement  # noqa: E402
import quality_methods as qm  # noqa: E402

from index.embedder import Embedder  # noqa: E402
from index.lexical import LexicalIndex  # noqa: E402
from index.search import HybridSearcher  # noqa: E402

Row = quality.Row
Scorer = qm.Scorer
SHIPPED = qm.SHIPPED
z, zsum = qm.z, qm.zsum
FRAMINGS = ROOT / "bench/data/question_framings.txt"
ANSWER, UNCOVERED, OFF = quality.ANSWER, quality.UNCOVERED, quality.OFF


# ---- question rewriting -----------------------------------------------------------------
def read_framings() -> tuple[list[str], list[str]]:
    """(scaffolding, audience) phrases, longest first."""
    lists: tuple[list[str], list[str]] = ([], [])
    which = 0
    for line in FRAMINGS.read_text(encoding="utf-8").splitlines():
        if line.startswith("## audience"):
            which = 1
        elif line.strip() and not line.startswith("#"):
            lists[which].append(line.strip().lower())
    return (sorted(lists[0], key=len, reverse=True), sorted(lists[1], key=len, reverse=True))


def strip_framings(text: str, phrases: list[str]) -> str:
    """`text` without the phrases (whole words), or `text` when nothing would remain."""
    pattern = r"\b(?:" + "|".join(re.escape(p) for p in phrases) + r")\b"
    out = re.sub(pattern, " ", text.replace("’", "'"), flags=re.IGNORECASE)
    out = re.sub(r"\s+", " ", out).strip(" ,")
    return out if re.search(r"[A-Za-z]{3}", out) else text


def question_parts(text: str, clauses: bool) -> list[str]:
    """The question's sentences (and, with `clauses`, the pieces between ; : and dashes),
    pieces under three words joined to the next."""
    pieces = re.split(r"(?<=[.?!])\s+", text.strip())
    if clauses:
        pieces = [c for p in pieces for c in re.split(r"\s*(?:;|:|\s-\s|\s—\s|—)\s*", p)]
    out: list[str] = []
    carry = ""
    for p in pieces:
        p = f"{carry} {p}".strip() if carry else p.strip()
        if len(p.split()) < 3:
            carry = p
            continue
        out.append(p)
        carry = ""
    if carry:
        if out:
            out[-1] = f"{out[-1]} {carry}"
        else:
            out.append(carry)
    return out or [text]


# ---- sentence-level BM25 ------------------------------------------------------------------
class SentenceBM25:
    """BM25 over the library's sentences (optionally with their passage's heading), the
    best sentence per passage."""

    def __init__(self, searcher: HybridSearcher, heading: bool) -> None:
        texts, owner = [], []
        for i, (p, sentences) in enumerate(
            zip(searcher.passages, searcher._sentences, strict=True)
        ):
            head = f"{p.article.title} {p.section or ''}. " if heading else ""
            for s in sentences:
                texts.append(head + s)
                owner.append(i)
        self.index = LexicalIndex(texts)
        counts = np.bincount(np.array(owner), minlength=len(searcher.passages))
        self.offsets = np.concatenate([[0], np.cumsum(counts)]).astype("int64")

    def scores(self, expanded_question: str) -> np.ndarray:
        return np.maximum.reduceat(self.index.scores(expanded_question), self.offsets[:-1])


# ---- collection ---------------------------------------------------------------------------
def collect(content: Path, embedder: Embedder) -> tuple[HybridSearcher, dict[str, list[Row]]]:
    searcher, sets = quality.collect(content, embedder)
    scaffolding, audience = read_framings()
    sbm = {h: SentenceBM25(searcher, h) for h in (False, True)}
    for rows in sets.values():
        texts: list[str] = []
        spans: list[dict[str, tuple[int, int]]] = []
        for r in rows:
            q = r["q"].question
            span: dict[str, tuple[int, int]] = {}
            for key, variants in (
                ("strip_a", [strip_framings(q, scaffolding)]),
                ("strip_ab", [strip_framings(q, scaffolding + audience)]),
                ("parts_s", question_parts(q, clauses=False)),
                ("parts_c", question_parts(q, clauses=True)),
            ):
                span[key] = (len(texts), len(texts) + len(variants))
                texts.extend(variants)
            spans.append(span)
            expanded = searcher.vocabulary.expand(q)
            r["sbm25"] = sbm[False].scores(expanded)
            r["sbm25_head"] = sbm[True].scores(expanded)
        features = searcher.features_batch(texts)
        for r, span in zip(rows, spans, strict=True):
            for key, (a, b) in span.items():
                r[key] = features[a:b]
        add_token_matrices(searcher, rows)
    return searcher, sets


def add_token_matrices(searcher: HybridSearcher, rows: list[Row]) -> None:
    """Per question (as typed and vocabulary-expanded), the MaxSim matrix (its content
    words x passages) that late interaction averages."""
    d = searcher.dense
    for key, texts in (
        ("li_mat", [r["q"].question for r in rows]),
        ("li_mat_vocab", [searcher.vocabulary.expand(r["q"].question) for r in rows]),
    ):
        _, tokens = searcher.embedder.encode_with_tokens(texts)
        counts = np.diff(d.token_offsets)
        for r, t in zip(rows, tokens, strict=True):
            sims = t @ d.token_vectors.T
            r[key] = np.maximum.reduceat(sims, d.token_offsets[:-1], axis=1)
            # The other direction (BERTScore's precision): each passage word's best match in
            # the question, averaged over the passage.
            r[key.replace("mat", "rev")] = (
                np.add.reduceat(sims.max(axis=0), d.token_offsets[:-1]) / counts
            )


def weighted_li(m: np.ndarray, how: str, tau: float) -> np.ndarray:
    """Late interaction with each question word weighted by how rare a close match to it is
    in the library (a soft IDF from the MaxSim matrix itself: no token ids, no extra pass)."""
    n = m.shape[1]
    if how == "idf":
        df = (m >= tau).sum(axis=1)
        w = np.log((n + 1) / (df + 1))
    elif how == "spread":  # words whose match varies across passages count more
        w = m.std(axis=1)
    elif how == "common":  # 1 - mean match: words every passage matches count less
        w = np.clip(1.0 - m.mean(axis=1), 0, None)
    else:
        raise ValueError(how)
    if w.sum() <= 1e-9:
        return m.mean(axis=0)
    return (w[:, None] * m).sum(axis=0) / w.sum()


# ---- methods ------------------------------------------------------------------------------
def fused(f: dict[str, np.ndarray], names: tuple[str, ...] = SHIPPED) -> np.ndarray:
    return sum(z(f[n]) for n in names)


def swap(r: Row, variant: dict[str, np.ndarray], which: tuple[str, ...]) -> np.ndarray:
    """Shipped z-sum with the signals in `which` taken from `variant`."""
    return sum(z(variant[n] if n in which else r[n]) for n in SHIPPED)


def confidence_fused(r: Row, how: str) -> np.ndarray:
    """z-sum with each signal weighted by how far its own best passage stands out (a
    query-performance prediction per signal): a signal sure of one passage counts more."""
    total = np.zeros(len(r["dense"]))
    for n in SHIPPED:
        zs = z(r[n])
        top = np.sort(zs)[::-1]
        if len(top) < 10:
            w = 1.0
        elif how == "top":
            w = top[0]
        elif how == "gap10":
            w = top[0] - top[9]
        else:  # gap1
            w = top[0] - top[1]
        total += max(float(w), 0.0) * zs
    return total


def multi_part(r: Row, key: str, how: str) -> np.ndarray:
    parts = r[key]
    whole = fused(r)
    if len(parts) < 2:
        return whole
    each = [fused(f) for f in parts]
    if how == "max":
        return np.max([whole, *each], axis=0)
    if how == "whole+max":
        return whole + np.max(each, axis=0)
    if how == "whole+mean":
        return whole + np.mean(each, axis=0)
    if how == "signal-max":  # per signal, the best part (or whole), then z-sum
        return sum(z(np.max([r[n], *[f[n] for f in parts]], axis=0)) for n in SHIPPED)
    if how == "signal-mean":  # per signal, z of each part averaged
        return sum(np.mean([z(r[n]), *[z(f[n]) for f in parts]], axis=0) for n in SHIPPED)
    raise ValueError(how)


def families() -> dict[str, dict[str, Scorer]]:
    shipped: Scorer = lambda r: zsum(r, SHIPPED)  # noqa: E731
    out: dict[str, dict[str, Scorer]] = {"shipped z-sum": {"": shipped}}
    out["1 multi-part question: parts scored separately"] = {
        f"{key[-1]} {how}": (lambda r, key=key, how=how: multi_part(r, key, how))
        for key in ("parts_s", "parts_c")
        for how in ("max", "whole+max", "whole+mean", "signal-max", "signal-mean")
    }
    targets = {
        "d+s": ("dense", "sentence"),
        "d+s+LI": ("dense", "sentence", "tokens", "tokens_vocab"),
        "all": SHIPPED,
    }
    for key, label in (("strip_a", "scaffolding"), ("strip_ab", "scaffolding+audience")):
        out[f"2 framing removal ({label})"] = {
            t: (lambda r, key=key, which=which: swap(r, r[key][0], which))
            for t, which in targets.items()
        }
    out["2c framing removal, either list (knob)"] = {
        f"{key} {t}": (lambda r, key=key, which=which: swap(r, r[key][0], which))
        for key in ("strip_a", "strip_ab")
        for t, which in targets.items()
    }
    out["2d framing: z-sum of whole and stripped (d+s)"] = {
        key: (lambda r, key=key: fused(r) + z(r[key][0]["dense"]) + z(r[key][0]["sentence"]))
        for key in ("strip_a", "strip_ab")
    }
    out["3a sentence BM25 replaces BM25"] = {
        name: (lambda r, name=name: sum(z(r[n]) for n in SHIPPED if n != "lexical") + z(r[name]))
        for name in ("sbm25", "sbm25_head")
    }
    out["3b sentence BM25 added"] = {
        name: (lambda r, name=name: zsum(r, (*SHIPPED, name))) for name in ("sbm25", "sbm25_head")
    }
    li: dict[str, Scorer] = {}
    for how, taus in (("idf", (0.4, 0.5, 0.6, 0.7)), ("spread", (0.0,)), ("common", (0.0,))):
        for tau in taus:
            li[f"{how} {tau}"] = lambda r, how=how, tau=tau: (
                sum(z(r[n]) for n in ("dense", "sentence", "lexical"))
                + z(weighted_li(r["li_mat"], how, tau))
                + z(weighted_li(r["li_mat_vocab"], how, tau))
            )
    out["5 late interaction, words weighted by soft IDF"] = li

    def f1(r: Row, v: str) -> np.ndarray:
        rec, prec = r[f"li_mat{v}"].mean(axis=0), r[f"li_rev{v}"]
        return 2 * rec * prec / np.maximum(rec + prec, 1e-9)

    out["7 late interaction both ways (BERTScore-like)"] = {
        "reverse added": lambda r: zsum(r, SHIPPED) + z(r["li_rev"]) + z(r["li_rev_vocab"]),
        "reverse added (as typed only)": lambda r: zsum(r, SHIPPED) + z(r["li_rev"]),
        "F1 replaces LI": lambda r: (
            sum(z(r[n]) for n in ("dense", "sentence", "lexical"))
            + z(f1(r, ""))
            + z(f1(r, "_vocab"))
        ),
    }
    out["6 signals weighted by their own confidence for the question"] = {
        how: (lambda r, how=how: confidence_fused(r, how)) for how in ("top", "gap10", "gap1")
    }
    return out


def ranking_report(searcher: HybridSearcher, sets: dict[str, list[Row]], label: str) -> None:
    names = qm.NAMES
    print(f"\n## Ranking, {label}: held-out per set (knob chosen on the others), worst, mean")
    print(f"{'method':52}" + "".join(f"{n:>16}" for n in names) + f"{'worst':>16}{'mean':>16}")
    for name, members in families().items():
        cells, chosen = qm.cross_validate(searcher, sets, members)
        knobs = "" if len(members) == 1 else "  [" + ", ".join(chosen) + "]"
        print(
            f"{name:52}"
            + "".join(f"{quality.cell(c):>16}" for c in cells)
            + f"  {qm.summary(cells)}{knobs}"
        )


def first_gold(searcher: HybridSearcher, r: Row, score: np.ndarray) -> int | None:
    ranked = [int(j) for j in np.argsort(-score, kind="stable")]
    shown = searcher._diverse_order(ranked, score)
    return next((k for k, j in enumerate(shown, 1) if r["gold"][j]), None)


def framing_check(searcher: HybridSearcher, sets: dict[str, list[Row]], label: str) -> None:
    """The best framing variant question by question (how many answerable questions move
    their first right passage up or down) and what it does to abstention: the shipped
    library score computed on the stripped question, at the shipped cut-off."""
    which = ("dense", "sentence", "tokens", "tokens_vocab")
    print(f"\n## Framing removal (scaffolding+audience, d+s+LI), question by question, {label}")
    for n, rows in sets.items():
        up = down = 0
        for r in rows:
            if r["kind"] is not ANSWER:
                continue
            a = first_gold(searcher, r, zsum(r, SHIPPED)) or 999
            b = first_gold(searcher, r, swap(r, r["strip_ab"][0], which)) or 999
            up, down = up + (b < a), down + (b > a)
        answers = [float(r["strip_ab"][0]["sentence"].mean()) >= 0.096 for r in rows]
        fa = [not a for a, r in zip(answers, rows, strict=True) if r["kind"] is ANSWER]
        off = [not a for a, r in zip(answers, rows, strict=True) if r["kind"] is OFF]
        print(
            f"  {n:5} first right passage higher {up}, lower {down};"
            f" abstention on the stripped question: false abstain {np.mean(fa):.2f},"
            f" off-topic abstained {sum(off)}/{len(off)}"
        )


def main() -> None:
    content_dir, embedder = qm.content_and_embedder(__doc__ or "")
    libraries: dict[str, dict[str, list[Row]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        seed = quality.seed_library(content_dir, Path(tmp) / "seed")
        for label, content in (("grown", content_dir), ("seed", seed)):
            searcher, sets = collect(content, embedder)
            libraries[label] = sets
            ranking_report(searcher, sets, f"{label} library")
            framing_check(searcher, sets, f"{label} library")
    quality_agreement.report(libraries)


if __name__ == "__main__":
    main()
