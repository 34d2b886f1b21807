"""Fine-tuning the embedding model on the library's own curated questions, the training
behind the library's model adapter (index/adapter.py, `coach index adapt`).

Pairs: each curated question (front matter `questions:`) vs the passage of its section
nearest to it by the base model, the passage the "asked" signals give it at query time,
embedded as the index embeds it (title, section, text). Not the section cut to 256 tokens:
a section of several passages would lose everything past its first ~1,000 characters and
the model would learn to match questions to a section's opening, while search ranks
passages (bench/adapt_pairs.py, bench/adapt_model.md).

Loss: MultipleNegativesRankingLoss (the other pairs of a batch are the negatives), so no
batch holds two pairs of one section (they would often be right answers to each other).
AdamW at 2e-5, 10% linear warm-up then linear decay, gradients clipped at 1.0, a fixed
seed and a fixed torch thread count: the same library and seed give the same model (the
shipped adapter is reproducible; results move slightly with the thread count).
"""

from __future__ import annotations

import random
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from index.adapter import WEIGHTS

if TYPE_CHECKING:
    from index.asked import AskedQuestions
    from index.embedder import Embedder
    from index.search import HybridSearcher
    from index.types import Article, Passage

BATCH = 32
LR = 2e-5
THREADS = 2  # torch's CPU threads while training: fixed, so a run can be reproduced
WARM_UP = 10  # the learning rate climbs over the first tenth of the steps
CLIP = 1.0
WEIGHT_DECAY = 0.01

# (batches done, batches in all): called once the model is loaded, then after each step
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Pair:
    """One training example: a query and the text that answers it."""

    query: str
    document: str
    group: str  # the section: pairs of one group never share a batch


def section_of(p: Passage) -> str:
    """The group of a passage's pairs: its article and section."""
    return f"{p.article.id}\x00{p.section or ''}"


def base_searcher(
    passages: list[Passage], asked: AskedQuestions, embedder: Embedder
) -> HybridSearcher:
    """The library searched with the base model, its index built afresh in a folder that
    is thrown away (as bench/quality.py builds it): the passage vectors the curated
    questions are given by, whatever model the library's own index was built with."""
    from index.search import HybridSearcher
    from index.store import IndexStore

    with tempfile.TemporaryDirectory(prefix="coach-adapt-") as tmp:
        dense = IndexStore(Path(tmp)).build(passages, embedder)
    return HybridSearcher(passages, dense, embedder, asked=asked)


def asked_pairs(base: HybridSearcher) -> list[Pair]:
    """Each curated question vs the passage AskedSignal gives it (its section's passage
    nearest to it by the base model), in a fixed order (the batches shuffle it)."""
    signal = base._asked_signal()
    starts = [*signal._passage_starts.tolist(), len(signal._by_passage)]
    pairs = []
    for r, passage in enumerate(signal._given_passages.tolist()):
        p = base.passages[passage]
        for k in signal._by_passage[starts[r] : starts[r + 1]].tolist():
            pairs.append(Pair(base.asked.texts[k], p.embed_text, section_of(p)))
    pairs.sort(key=lambda pair: (pair.group, pair.query))
    return pairs


def batches(pairs: list[Pair], size: int, rng: random.Random) -> list[list[Pair]]:
    """Batches of distinct sections, in shuffled order. Each batch takes one pair from each
    of the `size` sections with the most pairs left (ties in a shuffled order), so the
    sections with many questions are spread over as many batches as they need and no batch
    holds two pairs of one section; a pair whose query sits in another's document, or the
    reverse, waits for a later batch (it would be a false negative)."""
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


def plan_steps(pairs: list[Pair], *, seed: int, epochs: int, size: int = BATCH) -> int:
    """How many optimiser steps `fine_tune` takes on these pairs (for a progress line
    before the model loads)."""
    rng = random.Random(seed)
    return sum(len(batches(pairs, size, rng)) for _ in range(epochs))


def fine_tune(
    pairs: list[Pair],
    model_folder: str,
    *,
    seed: int,
    epochs: int,
    size: int = BATCH,
    lr: float = LR,
    threads: int = THREADS,
    progress: Progress | None = None,
) -> Any:
    """The model in `model_folder` fine-tuned on `pairs` (a SentenceTransformer, in eval
    mode). The seed fixes the batches, the model's dropout and the order of everything
    else; torch runs on `threads` threads meanwhile (its previous count is restored)."""
    import torch
    from sentence_transformers import SentenceTransformer

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from sentence_transformers.losses import MultipleNegativesRankingLoss

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        rng = random.Random(seed)
        torch.manual_seed(seed)
        model = SentenceTransformer(model_folder, device="cpu")
        loss = MultipleNegativesRankingLoss(model)
        plan = [b for _ in range(epochs) for b in batches(pairs, size, rng)]
        warm = max(1, len(plan) // WARM_UP)
        decay = max(1, len(plan) - warm)
        optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=WEIGHT_DECAY)
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimiser,
            lambda s: (s + 1) / warm if s < warm else max(0.0, (len(plan) - s) / decay),
        )
        model.train()
        if progress is not None:
            progress(0, len(plan))  # the model is loaded: the batches start
        for done, batch in enumerate(plan, start=1):
            features = [
                model.preprocess([p.query for p in batch]),
                model.preprocess([p.document for p in batch]),
            ]
            value = loss(features, None)
            value.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP)
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            if progress is not None:
                progress(done, len(plan))
        model.eval()
        return model
    finally:
        torch.set_num_threads(before)


def tuned_weights(model: Any, base_folder: Path) -> dict[str, np.ndarray]:
    """The fine-tuned model's tensors under the names (and in the set) of the base folder's
    `model.safetensors`: what `index.adapter.extract` compares with the base weights.
    Buffers the model does not train (embeddings.position_ids) are the base's own."""
    from safetensors import safe_open

    state = model[0].auto_model.state_dict()
    with safe_open(str(base_folder / WEIGHTS), "np") as handle:
        names = list(handle.keys())
        tensors = {
            name: (state[name].detach().cpu().numpy() if name in state else handle.get_tensor(name))
            for name in names
        }
    unsaved = [name for name in state if name not in tensors]
    if unsaved:
        raise ValueError(f"trained tensors the base model's file does not name: {unsaved[:3]}")
    return tensors


PAIRS_ABOUT = "asked: each curated question vs its section's passage nearest to it"


@dataclass(frozen=True)
class Trained:
    """What `train_adapter` wrote."""

    path: Path
    questions: int
    pairs: int
    steps: int


def train_adapter(
    articles: list[Article],
    base_folder: Path,
    embedder: Embedder,
    out: Path,
    *,
    rank: int,
    epochs: int,
    seed: int,
    trained: str,
    progress: Progress | None = None,
    mined: Callable[[int, int], None] | None = None,
) -> Trained:
    """Fine-tune the model in `base_folder` on the articles' curated questions and write its
    difference, rank `rank`, to `out` (atomically: an interruption leaves no file), with
    what it was trained on in its `about`. `embedder` runs the same base model as the index
    would (it gives each question its passage); `mined(pairs, steps)` is called before the
    training starts. ValueError when the articles have no curated questions."""
    from safetensors.numpy import load_file

    from index.adapter import extract, questions_fingerprint, save_adapter, weights_fingerprint
    from index.asked import AskedQuestions
    from index.passages import split_articles

    asked = AskedQuestions.of(articles)
    if not len(asked):
        raise ValueError("the library has no curated questions")
    pairs = asked_pairs(base_searcher(split_articles(articles), asked, embedder))
    if not pairs:
        raise ValueError("no curated question belongs to a section with text")
    steps = plan_steps(pairs, seed=seed, epochs=epochs)
    if mined is not None:
        mined(len(pairs), steps)
    model = fine_tune(pairs, str(base_folder), seed=seed, epochs=epochs, progress=progress)
    base = load_file(str(base_folder / WEIGHTS))
    adapter = extract(base, tuned_weights(model, base_folder), rank)
    about = {
        "base": weights_fingerprint(base_folder),
        "questions": questions_fingerprint(asked),
        "question_count": str(len(asked)),
        "pairs": PAIRS_ABOUT,
        "rank": str(rank),
        "epochs": str(epochs),
        "seed": str(seed),
        "lr": str(LR),
        "batch": str(BATCH),
        "trained": trained,
    }
    save_adapter(adapter, out, about)
    return Trained(out, len(asked), len(pairs), steps)
