"""Export a sentence-transformers model's transformer to ONNX, and prove ONNX Runtime then
gives what sentence-transformers gives (token ids, vocabulary, vectors) on probe texts.

Runs as a child process (`python -m index.onnx_export MODEL_DIR OUT.onnx`) so the process
that asked, a server maybe, never imports torch. Writes OUT.onnx and its sidecar OUT.json
(checksum, versions) atomically; when the model cannot be reproduced, only the sidecar,
saying why (exit code 3), so later starts use torch without trying again.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from index.onnx_encoder import INPUTS, OPSET, OnnxEncoder, Recipe, file_sha256, read_recipe

MIN_COSINE = 0.9999
PROBES = [
    "How do I coach an underperforming rep without killing their motivation?",
    "Quota, pipeline & forecast: what's the 30/60/90-day plan?",
    "Café naïve résumé — über-motivated SDRs 🚀 and 販売チーム",
    "",
    "a",
    " ".join(["Leaders who listen build teams that sell, and teams that sell keep leaders."] * 40),
]


class Unsupported(Exception):
    """ONNX Runtime does not reproduce this model: torch must run it."""


def _write_json(path: Path, data: dict[str, Any]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def export(recipe: Recipe, out: Path) -> dict[str, Any]:
    """Write `out` (via a temporary file beside it); the sidecar's content, or Unsupported."""
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    model = SentenceTransformer(str(recipe.model), device="cpu")
    model.eval()
    preprocess = getattr(model, "preprocess", None) or model.tokenize
    features = dict(preprocess(PROBES))
    # tensors other than these would be inputs the export does not feed (ST 6 adds a
    # "modality" string, which is no input of the transformer)
    extra = {k for k, v in features.items() if isinstance(v, torch.Tensor)} - set(INPUTS)
    if extra:
        raise Unsupported(f"the model takes inputs {sorted(extra)}")
    names = [name for name in INPUTS if name in features]
    transformer = model[0].auto_model

    class Hidden(torch.nn.Module):
        """The transformer by keyword (transformers 5 rejects these positionally)."""

        def __init__(self) -> None:
            super().__init__()
            self.inner = transformer

        def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
            return self.inner(**dict(zip(names, tensors, strict=True))).last_hidden_state

    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    started = time.perf_counter()
    try:
        with torch.inference_mode(False), torch.no_grad():
            torch.onnx.export(
                Hidden().eval(),
                tuple(features[name][:2] for name in names),
                str(tmp),
                input_names=names,
                output_names=["last_hidden_state"],
                dynamic_axes={
                    name: {0: "batch", 1: "positions"} for name in [*names, "last_hidden_state"]
                },
                opset_version=OPSET,
                dynamo=False,
            )
        seconds = time.perf_counter() - started
        cosine = _probe(model, features, recipe, tmp)
        meta = {
            "model": str(recipe.model),
            "key": recipe.key,
            "bytes": tmp.stat().st_size,
            "sha256": file_sha256(tmp),
            "opset": OPSET,
            "torch": torch.__version__,
            "export_seconds": round(seconds, 2),
            "probe_min_cosine": cosine,
        }
        tmp.chmod(0o644)  # replicas running as other users read it too
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return meta


def _probe(model: Any, features: dict[str, Any], recipe: Recipe, path: Path) -> float:
    """The least cosine between sentence-transformers' and ONNX Runtime's vectors on PROBES,
    after checking the tokenizer and vocabulary agree exactly; Unsupported when they differ."""
    encoder = OnnxEncoder(recipe, path)
    batch = encoder.forward(PROBES)
    if not np.array_equal(batch.input_ids, features["input_ids"].numpy()):
        raise Unsupported("its tokenizer.json tokenizes differently from sentence-transformers")
    tokenizer = model.tokenizer
    pieces = [str(p) for p in tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))]
    if encoder.vocabulary() != (pieces, set(tokenizer.all_special_ids)):
        raise Unsupported("its tokenizer.json has another vocabulary than sentence-transformers")
    expected = model.encode(PROBES, normalize_embeddings=True, convert_to_numpy=True)
    got = batch.sentence_embeddings
    got = got / np.maximum(np.linalg.norm(got, axis=1, keepdims=True), 1e-12)
    cosine = float((got * expected).sum(axis=1).min())
    if cosine < MIN_COSINE:
        raise Unsupported(f"its ONNX vectors differ (cosine {cosine:.6f} < {MIN_COSINE})")
    return round(cosine, 7)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m index.onnx_export MODEL_DIR OUT.onnx", file=sys.stderr)
        return 2
    out = Path(argv[1])
    sidecar = out.with_suffix(".json")
    recipe = read_recipe(argv[0])
    try:
        if isinstance(recipe, str):
            raise Unsupported(recipe)
        meta = export(recipe, out)
    except Unsupported as exc:
        _write_json(sidecar, {"model": argv[0], "unsupported": str(exc)})
        print(f"unsupported: {exc}", file=sys.stderr)
        return 3
    _write_json(sidecar, meta)
    print(json.dumps(meta))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
