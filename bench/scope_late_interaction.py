"""Issue 14: does the out-of-scope map resist a single rare word better when it compares
questions word by word (late interaction) instead of by their pooled vectors?

The map declines a question whose three nearest out-of-scope examples are nearer than its
three nearest curated questions by more than a margin the library sets itself
(index/scope.py). With pooled MiniLM vectors one rare word can carry a question: "SDR" in
three org-design examples outweighs "commission" in the compensation article's questions.
Late interaction (each question word's best cosine among an example's words, averaged over
the question's words) gives every word one vote. Measured, each margin set the shipped way
(the curated questions scored with their section left out, `share` of them declined):

- cosine: shipped;
- words: late interaction instead of cosine;
- both: decline only when both decline;
- mean: the two margins' excesses, each in units of its spread over the curated questions,
  averaged.

The gate (answer or not) is the shipped one; the map is asked only about what it is asked
about in `search_many`. Each variant's share is chosen by leave-one-set-out with the cost the
shares were chosen by (3 x false-abstain rate + uncovered answered rate + off-topic answered
rate).

    .venv/bin/python bench/scope_late_interaction.py            # every curated question
    TOPK=30 .venv/bin/python bench/scope_late_interaction.py    # its 30 cosine-nearest only

Results and decision: bench/scope_late_interaction.md.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import numpy as np  # noqa: E402
from gate_near_override import cost_of, shown, tally  # noqa: E402
from quality import SETS  # noqa: E402  (the eight question sets)

from bot.settings import default_model  # noqa: E402
from index.evaluate import load_questions  # noqa: E402
from index.late_interaction import LateInteraction  # noqa: E402
from index.library import Library  # noqa: E402
from index.search import _near  # noqa: E402

SHARES = (0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.08)
VARIANTS = ("cosine", "words", "both", "mean")


def word_sims(queries: list[np.ndarray], items: list[np.ndarray]) -> np.ndarray:
    """(queries x items): mean over a query's words of each word's best cosine in the item."""
    offsets = np.cumsum([0, *[len(t) for t in items]])
    li = LateInteraction(np.concatenate(items), offsets, len(items))
    return np.stack(li.scores(queries))


def word_top3_among(
    q_tok: list[np.ndarray], cos: np.ndarray, items: list[np.ndarray], k: int
) -> np.ndarray:
    """Per query, the mean of its 3 best word similarities among its `k` cosine-nearest
    items (`cos`: queries x items, -1 where excluded)."""
    out = np.zeros(len(q_tok))
    for i, t in enumerate(q_tok):
        cand = np.argpartition(-cos[i], k)[:k]
        w = [float((t @ items[j].T).max(axis=1).mean()) for j in cand]
        out[i] = np.mean(sorted(w)[-3:])
    return out


def top3(sims: np.ndarray) -> np.ndarray:
    return np.sort(sims, axis=1)[:, -3:].mean(axis=1)


def elsewhere(sims: np.ndarray, sections: list) -> np.ndarray:
    """Curated x curated: each one's three nearest of other sections."""
    keys = {s: i for i, s in enumerate(dict.fromkeys(sections))}
    owner = np.array([keys[s] for s in sections])
    sims = sims.copy()
    sims[owner[:, None] == owner[None, :]] = -1.0
    return top3(sims)


def main() -> None:
    with tempfile.TemporaryDirectory() as data:
        library = Library.open(ROOT / "content", Path(data), default_model())
        s = library.searcher
        emb = s.embedder
        assert s._asked_signal().described.all(), "every section described: text side unused"
        sections = list(s.asked.sections)
        asked_vec, asked_tok = emb.encode_with_tokens(list(s.asked.texts))
        examples = s.scope.examples()[0]
        ex_vec, ex_tok = emb.encode_with_tokens(examples)
        # the curated questions' excess (scope minus curated, section left out), both ways
        cur = {
            "cosine": top3(asked_vec @ ex_vec.T) - elsewhere(asked_vec @ asked_vec.T, sections),
            "words": top3(word_sims(asked_tok, ex_tok))
            - elsewhere(word_sims(asked_tok, asked_tok), sections),
        }
        K = int(os.environ.get("TOPK", "0"))
        if K:
            keys = {s_: i for i, s_ in enumerate(dict.fromkeys(sections))}
            owner = np.array([keys[s_] for s_ in sections])
            cc = asked_vec @ asked_vec.T
            cc[owner[:, None] == owner[None, :]] = -1.0
            cur["words"] = top3(word_sims(asked_tok, ex_tok)) - word_top3_among(
                asked_tok, cc, asked_tok, K
            )
        rows: dict[str, list[tuple]] = {}
        for name, path in SETS.items():
            questions = load_questions(path)
            texts = [q.question for q in questions]
            feats = s.features_batch(texts)
            vec, tok = emb.encode_with_tokens(texts)
            exc_cos = top3(vec @ ex_vec.T) - top3(vec @ asked_vec.T)
            if K:
                exc_words = top3(word_sims(tok, ex_tok)) - word_top3_among(
                    tok, vec @ asked_vec.T, asked_tok, K
                )
            else:
                exc_words = top3(word_sims(tok, ex_tok)) - top3(word_sims(tok, asked_tok))
            rows[name] = [
                (
                    q.kind,
                    s.should_answer(q.question, f),
                    s._gate.in_domain(_near(f)),
                    float(c),
                    float(w),
                    q.question,
                )
                for q, f, c, w in zip(questions, feats, exc_cos, exc_words, strict=True)
            ]
    spread = {k: float(v.std()) for k, v in cur.items()}

    def declines(variant: str, share: float, c: float, w: float) -> bool:
        mc = float(np.quantile(cur["cosine"], 1 - share))
        mw = float(np.quantile(cur["words"], 1 - share))
        if variant == "cosine":
            return c > mc
        if variant == "words":
            return w > mw
        if variant == "both":
            return c > mc and w > mw
        z = (cur["cosine"] / spread["cosine"] + cur["words"] / spread["words"]) / 2
        return (c / spread["cosine"] + w / spread["words"]) / 2 > float(np.quantile(z, 1 - share))

    def counts(rs: list[tuple], variant: str, share: float) -> tuple[int, ...]:
        return tally(
            (kind, admits and not ((admits or in_dom) and declines(variant, share, c, w)))
            for kind, admits, in_dom, c, w, _ in rs
        )

    def cost(rs: list[tuple], variant: str, share: float) -> float:
        return cost_of(counts(rs, variant, share))

    pooled = [r for rs in rows.values() for r in rs]
    print("## pooled over the eight sets (in-sample), per variant and share")
    for v in VARIANTS:
        for sh in SHARES:
            print(f"{v:6} {sh:.3f}: {shown(counts(pooled, v, sh))}")
    print("\n## leave-one-set-out, per variant (share chosen on the other seven)")
    for v in VARIANTS:
        total = [0] * 6
        for held in rows:
            train = [r for n, rs in rows.items() if n != held for r in rs]
            best = min(SHARES, key=lambda sh: (round(cost(train, v, sh), 9), sh))
            c = counts(rows[held], v, best)
            total = [a + b for a, b in zip(total, c, strict=True)]
            print(f"  {v:6} {held:5} chose {best}: {shown(c)}")
        print(f"{v:6} pooled held-out: {shown(tuple(total))}")
    a_v, a_s, b_v, b_s = os.environ.get("DIFF", "cosine 0.03 mean 0.02").split()
    print(f"\n## questions whose fate differs between {a_v} {a_s} and {b_v} {b_s}")
    for name, rs in rows.items():
        for kind, admits, in_dom, c, w, q in rs:
            a = declines(a_v, float(a_s), c, w) and (admits or in_dom)
            b = declines(b_v, float(b_s), c, w) and (admits or in_dom)
            if a != b:
                print(f"{name:5} {kind.value:10} {a_v} declines={a} {b_v} declines={b} | {q}")


if __name__ == "__main__":
    main()
