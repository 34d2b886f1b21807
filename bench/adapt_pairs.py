"""Training pairs behind bench/adapt_model.py; the "asked" pairs, the batching and the
fine-tuning loop are the product's own (index/adapt_training.py, `coach index adapt`).

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

import shutil
import time
from pathlib import Path

from bot.settings import default_model
from index.adapt_training import Pair, asked_pairs, fine_tune, plan_steps, section_of
from index.passages import split_sentences
from index.search import HybridSearcher
from index.types import Passage

__all__ = ["KINDS", "Pair", "mine_pairs", "train"]

KINDS = ("ict", "heading", "asked")


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
    """Fine-tune the base model on pairs (index/adapt_training.py, as `coach index adapt`
    does); saved once per way in `outs` ("weights", "st"). (seconds, optimiser steps)."""
    started = time.perf_counter()
    model = fine_tune(pairs, default_model(), seed=seed, epochs=epochs, size=size, lr=lr)
    for how, out in outs.items():
        save_folder(model, out, how)
    return time.perf_counter() - started, plan_steps(pairs, seed=seed, epochs=epochs, size=size)
