"""Training pairs, batches and the fine-tuning loop behind bench/adapt_model.py.

Pair sources (never an eval question or gold phrase):
- "ict" (inverse cloze): one sentence of 6+ words of a passage vs the rest of that passage;
- "heading": a section heading (the article title, for text before the first heading) vs the
  section's text;
- "asked": each curated question (front matter `questions:`, written by the curators, part
  of the library) vs the passage of its section nearest to it by the base model, the same
  passage index/asked.py gives it at query time, embedded as the index embeds it (title,
  section, text). Why the nearest passage and not the section cut to 256 tokens: a section
  of several passages would lose everything past its first ~1,000 characters, and the
  model would learn to match the question to the section's opening, while search ranks
  passages; a passage (<= ~600 characters) always fits whole.

Every pair belongs to its section: no batch holds two pairs of one section (in-batch
negatives from the same section would often be right answers) nor a query contained in
another pair's document.
"""

from __future__ import annotations

import random
import shutil
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from bot.settings import default_model
from index.passages import split_sentences
from index.search import HybridSearcher
from index.types import Passage

KINDS = ("ict", "heading", "asked")


@dataclass(frozen=True)
class Pair:
    query: str
    document: str
    group: str  # the section: pairs of one group never share a batch


def section_of(p: Passage) -> str:
    return f"{p.article.id}\x00{p.section or ''}"


def ict_pairs(passages: list[Passage]) -> list[Pair]:
    pairs = []
    for p in passages:
        sentences = split_sentences(p.text)
        if len(sentences) < 2:
            continue
        for i, sentence in enumerate(sentences):
            if len(sentence.split()) < 6:
                continue  # "Why?" says nothing about its passage
            rest = " ".join(sentences[:i] + sentences[i + 1 :])
            pairs.append(Pair(sentence, rest, section_of(p)))
    return pairs


def heading_pairs(passages: list[Passage]) -> list[Pair]:
    sections: dict[str, list[Passage]] = {}
    for p in passages:
        sections.setdefault(section_of(p), []).append(p)
    return [
        Pair(ps[0].section or ps[0].article.title, " ".join(p.text for p in ps), group)
        for group, ps in sections.items()
    ]


def asked_pairs(base: HybridSearcher) -> list[Pair]:
    """Each curated question vs the passage AskedSignal gives it (its section's passage
    nearest to it by the base model)."""
    signal = base._asked_signal()
    starts = [*signal._passage_starts.tolist(), len(signal._by_passage)]
    pairs = []
    for r, passage in enumerate(signal._given_passages.tolist()):
        p = base.passages[passage]
        for k in signal._by_passage[starts[r] : starts[r + 1]].tolist():
            pairs.append(Pair(base.asked.texts[k], p.embed_text, section_of(p)))
    pairs.sort(key=lambda pair: (pair.group, pair.query))  # a fixed order, then shuffled
    return pairs


def mine_pairs(base: HybridSearcher, kinds: set[str]) -> list[Pair]:
    """Training pairs of the given kinds, in a fixed order."""
    pairs: list[Pair] = []
    if "ict" in kinds:
        pairs += ict_pairs(base.passages)
    if "heading" in kinds:
        pairs += heading_pairs(base.passages)
    if "asked" in kinds:
        pairs += asked_pairs(base)
    return pairs


def batches(pairs: list[Pair], size: int, rng: random.Random) -> list[list[Pair]]:
    """Batches of distinct sections, in shuffled order. Each batch takes one pair from each
    of the `size` sections with the most pairs left (ties in a shuffled order), so the
    sections with many questions are spread over as many batches as they need and no batch
    holds two pairs of one section; a pair whose query sits in another's document, or the
    reverse, waits for a later batch."""
    order = pairs[:]
    rng.shuffle(order)
    left: dict[str, list[Pair]] = {}
    for pair in order:
        left.setdefault(pair.group, []).append(pair)
    out: list[list[Pair]] = []
    while left:
        batch: list[Pair] = []
        for group in sorted(left, key=lambda g: -len(left[g])):  # stable: shuffled ties
            if len(batch) == size:
                break
            pair = left[group][0]
            if any(pair.query in b.document or b.query in pair.document for b in batch):
                continue
            batch.append(left[group].pop(0))
            if not left[group]:
                del left[group]
        out.append(batch)
    rng.shuffle(out)
    return out


def save_folder(model: object, out: Path, how: str) -> None:
    """The trained model as a folder: "st" is sentence-transformers' own save (its config and
    tokenizer files, as written by the installed versions); "weights" is a copy of the
    bundled folder with only model.safetensors replaced (same tensor names, same metadata)."""
    if how == "st":
        model.save(str(out))  # type: ignore[attr-defined]
        return
    from safetensors import safe_open
    from safetensors.torch import save_file

    bundled = Path(default_model())
    shutil.copytree(bundled, out, dirs_exist_ok=True)
    state = model[0].auto_model.state_dict()  # type: ignore[index]
    with safe_open(str(bundled / "model.safetensors"), "pt") as handle:
        metadata = handle.metadata()
        # trained tensors under the bundled names; buffers the model does not save
        # (embeddings.position_ids) as bundled
        tensors = {
            name: (state[name] if name in state else handle.get_tensor(name)).detach().contiguous()
            for name in handle.keys()
        }
    unsaved = [name for name in state if name not in tensors]
    if unsaved:
        raise ValueError(f"trained tensors the bundled file does not name: {unsaved}")
    save_file(tensors, str(out / "model.safetensors"), metadata=metadata)


def train(
    pairs: list[Pair], outs: dict[str, Path], *, seed: int, epochs: int, size: int, lr: float
) -> tuple[float, int]:
    """Fine-tune the base model on pairs; saved once per way in `outs` ("weights", "st").
    (seconds, optimiser steps)."""
    import torch
    from sentence_transformers import SentenceTransformer

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from sentence_transformers.losses import MultipleNegativesRankingLoss

    started = time.perf_counter()
    rng = random.Random(seed)
    torch.manual_seed(seed)
    model = SentenceTransformer(default_model(), device="cpu")
    loss = MultipleNegativesRankingLoss(model)
    plan = [b for _ in range(epochs) for b in batches(pairs, size, rng)]
    warm = max(1, len(plan) // 10)
    decay = max(1, len(plan) - warm)
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser,
        lambda s: (s + 1) / warm if s < warm else max(0.0, (len(plan) - s) / decay),
    )
    model.train()
    for batch in plan:
        features = [
            model.preprocess([p.query for p in batch]),
            model.preprocess([p.document for p in batch]),
        ]
        value = loss(features, None)
        value.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        schedule.step()
        optimiser.zero_grad()
    model.eval()
    for how, out in outs.items():
        save_folder(model, out, how)
    return time.perf_counter() - started, len(plan)
