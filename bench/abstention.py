"""Print the abstention signals for our own on- and off-topic questions, best sentence
ascending, to calibrate SearchTuning's answer_* thresholds (never on the dev set).

    .venv/bin/python bench/abstention.py
"""

import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.settings import default_model  # noqa: E402
from index.evaluate import load_questions  # noqa: E402
from index.library import Library  # noqa: E402

lib = Library.open(ROOT / "content", ROOT / "data/index", default_model())
s = lib.searcher
extra_off = [
    "How do I configure Salesforce dashboards?",
    "What is the best CRM software?",
    "How do I fix a printer jam?",
    "Tell me a joke",
    "What's the stock price of Apple?",
    "hello",
    "thanks!",
    "How do I cook rice?",
    "Who is the president of France?",
    "What is machine learning?",
    "How do I write a cover letter?",
    "Explain quantum computing",
    "asdf qwerty",
    "What's our holiday policy?",
    "How do I reset my VPN?",
]
extra_on = [
    "how do I motivate my reps?",
    "my team hates change, what do I do?",
    "how do I give feedback to a struggling AE?",
    "What quotes about leadership do you have?",
    "how do I get my sellers to hit quota?",
    "what makes a good sales leader?",
    "remote teams",
    "coaching",
    "motivation",
    "how do I lead people who don't want to change?",
]
rows = []
for f in [ROOT / "bench/data/own_questions.jsonl"]:
    for q in load_questions(Path(f)):
        rows.append((("OFF" if q.off_topic else "on ") + "-own", q.question))
rows += [("OFF-x", q) for q in extra_off] + [("on -x", q) for q in extra_on]
out = []
for tag, q in rows:
    f = s.features(q)
    out.append(
        (
            tag,
            float(f["sentence"].max()),
            float(f["dense"].max()),
            float(f["tokens"].max()),
            float(f["lexical"].max()),
            s.lexical.coverage(q),
            q,
        )
    )
out.sort(key=lambda r: r[1])
for r in out:
    tag, sent, dense, li, bm, cov, question = r
    print(
        f"{tag:8} sent={sent:.3f} dense={dense:.3f} li={li:.3f} bm={bm:.2f} cov={cov:.2f} "
        f"{question[:60]}"
    )
