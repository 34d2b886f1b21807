"""Issue 14: questions wrapped in the chatter people type around them in Slack.

No question set has much of it, but leaders write "hey coach, quick question: ... thanks!"
rather than the bare question. Each question of the eight sets is scored as written and
wrapped: a greeting before it, a sign-off after it, both, and typed in lower case without
punctuation. The wrappers are general Slack phrasing, fixed before anything was scored; each
question draws its own at random with a fixed seed. The wrapped text goes through the Slack
app's own `clean_question` first, as a mention's text does.

    .venv/bin/python bench/chatter.py            # about 3 minutes
    .venv/bin/python bench/chatter.py bench/data/chatter_heldout.json

The second form draws the wrappers from a file of "openers" and "closers" written by someone
who had not seen index/chatter.py nor these wrappers: the rule's held-out check.

Results: bench/chatter.md.
"""

from __future__ import annotations

import json
import os
import random
import re
import sys
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from quality import SETS  # noqa: E402  (the eight question sets)

from bot.settings import default_model  # noqa: E402
from bot.slack.text import clean_question  # noqa: E402
from index.evaluate import EvalQuestion, evaluate, load_questions  # noqa: E402
from index.library import Library  # noqa: E402
from index.search import HybridSearcher  # noqa: E402

SEED = 5
GREETINGS = (
    "hey coach, ",
    "hi! quick question: ",
    "morning all - ",
    "qq: ",
    "Hey, random one for you. ",
    "ok so ",
    "Hi there :wave: ",
    "hello! ",
)
SIGN_OFFS = (
    " thanks!",
    " any tips?",
    " thanks in advance \U0001f64f",
    " cheers",
    " would love some advice",
    " :pray:",
    " TIA",
    " thx",
)


def greeted(q: str, rng: random.Random) -> str:
    return rng.choice(GREETINGS) + q


def signed(q: str, rng: random.Random) -> str:
    return q + rng.choice(SIGN_OFFS)


def both(q: str, rng: random.Random) -> str:
    return signed(greeted(q, rng), rng)


def lower_bare(q: str, rng: random.Random) -> str:
    return re.sub(r"[?!.,;:]", "", q.lower())


STYLES: dict[str, Callable[[str, random.Random], str]] = {
    "as written": lambda q, rng: q,
    "greeting": greeted,
    "sign-off": signed,
    "both": both,
    "lower, no punctuation": lower_bare,
}


def score(s: HybridSearcher, questions: list[EvalQuestion]) -> dict[str, float]:
    texts = [q.question for q in questions]
    found = dict(zip(texts, s.search_many(texts, k=10), strict=True))
    m = evaluate(questions, lambda t: found[t]).metrics()
    out = {k: float(m[k] or 0) for k in ("hit@1", "mrr@10", "false_abstain")}
    out["uncovered_answered"] = m["uncovered"] - m["uncovered_abstained"]
    out["off_topic_answered"] = m["off_topic"] - m["off_topic_abstained"]
    return out


def main() -> None:
    global GREETINGS, SIGN_OFFS
    if len(sys.argv) > 1:
        wrappers = json.loads(Path(sys.argv[1]).read_text())
        GREETINGS, SIGN_OFFS = tuple(wrappers["openers"]), tuple(wrappers["closers"])
    with tempfile.TemporaryDirectory() as data:
        s = Library.open(ROOT / "content", Path(data), default_model()).searcher
        sets = {name: load_questions(path) for name, path in SETS.items()}
        print("hit@1 / MRR@10 / false abstain / uncovered answered / off-topic answered")
        totals: dict[str, list[float]] = {style: [0.0] * 5 for style in STYLES}
        for name, qs in sets.items():
            for style, wrap in STYLES.items():
                wrapped = [
                    replace(
                        q, question=clean_question(wrap(q.question, random.Random(f"{SEED}{q.id}")))
                    )
                    for q in qs
                ]
                r = score(s, wrapped)
                row = [r["hit@1"], r["mrr@10"], r["false_abstain"]]
                row += [r["uncovered_answered"], r["off_topic_answered"]]
                totals[style] = [a + b for a, b in zip(totals[style], row, strict=True)]
                print(
                    f"{name:5} {style:22} {row[0]:.3f} / {row[1]:.3f} / {row[2]:.3f} / "
                    f"{row[3]:.0f} / {row[4]:.0f}"
                )
        print(
            "\nmean of the sets (hit@1, MRR, false abstain); summed uncovered / off-topic answered"
        )
        n = len(sets)
        for style, t in totals.items():
            print(
                f"{style:22} {t[0] / n:.3f} / {t[1] / n:.3f} / {t[2] / n:.3f} / "
                f"{t[3]:.0f} / {t[4]:.0f}"
            )


if __name__ == "__main__":
    main()
