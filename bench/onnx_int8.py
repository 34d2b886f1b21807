"""Would int8 dynamic quantisation of the ONNX encoder pay? Speed, how far the vectors move,
and retrieval quality cross-validated (bench/quality.py --cv), fp32 against int8.

The exported model (fp32, what the app runs) is quantised with onnxruntime.quantization into
a throwaway cache folder; each variant is then found by the Embedder through
XDG_CACHE_HOME, so quality.py runs unchanged. Results and the decision: bench/onnx_int8.md.

    HF_HUB_OFFLINE=1 nice -n 10 .venv/bin/python bench/onnx_int8.py [VARIANT ...]

VARIANT: int8 (per tensor, the default), int8-pc (per channel, weight MatMuls only),
int8-pc-rr (and reduce_range), uint8-pc, int8-pc-ffn (feed-forward MatMuls only).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

from bot.settings import default_model  # noqa: E402
from index.embedder import Embedder  # noqa: E402
from index.onnx_encoder import OnnxEncoder, file_sha256, onnx_paths, read_recipe  # noqa: E402

QUESTIONS = [ROOT.parent / "shared/eval/dev.jsonl", ROOT.parent / "shared/eval/dev2.jsonl"]


# name -> quantize_dynamic options; "weights" = only the MatMuls with a weight operand
# (the attention's activation products stay fp32), "ffn" = only the feed-forward ones
VARIANTS: dict[str, dict[str, object]] = {
    "int8": {"weight_type": "QInt8"},
    "int8-pc": {"weight_type": "QInt8", "per_channel": True, "nodes": "weights"},
    "int8-pc-rr": {"weight_type": "QInt8", "per_channel": True, "reduce_range": True},
    "uint8-pc": {"weight_type": "QUInt8", "per_channel": True, "nodes": "weights"},
    "int8-pc-ffn": {"weight_type": "QInt8", "per_channel": True, "nodes": "ffn"},
}


def matmuls(model: Path, which: str) -> list[str]:
    import onnx

    names = [n.name for n in onnx.load(str(model)).graph.node if n.op_type == "MatMul"]
    weights = [n for n in names if not n.endswith(("self/MatMul", "self/MatMul_1"))]
    if which == "ffn":
        return [
            n for n in weights if "intermediate" in n or ("/output/" in n and "attention" not in n)
        ]
    return weights


def variants(root: Path, names: list[str]) -> dict[str, Path]:
    """XDG_CACHE_HOME folders holding the fp32 export and each quantised copy under one key."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    recipe = read_recipe(default_model())
    assert not isinstance(recipe, str), recipe
    homes = {name: root / name for name in ["fp32", *names]}
    folders = {name: home / "leadership-coach" / "onnx" for name, home in homes.items()}
    _ = Embedder(default_model(), onnx_dir=folders["fp32"]).dimensions  # exports fp32
    fp32, sidecar = onnx_paths(folders["fp32"], recipe)
    for name in names:
        options = dict(VARIANTS[name])
        nodes = options.pop("nodes", None)
        weight_type = QuantType[str(options.pop("weight_type"))]
        folders[name].mkdir(parents=True)
        quantised, quantised_sidecar = onnx_paths(folders[name], recipe)
        quantize_dynamic(
            str(fp32),
            str(quantised),
            weight_type=weight_type,
            nodes_to_quantize=matmuls(fp32, str(nodes)) if nodes else None,
            **options,  # type: ignore[arg-type]
        )
        meta = json.loads(sidecar.read_text())
        meta.update(bytes=quantised.stat().st_size, sha256=file_sha256(quantised), quantized=name)
        quantised_sidecar.write_text(json.dumps(meta))
        print(
            f"model size: {name} {meta['bytes'] / 1e6:.0f} MB,"
            f" fp32 {fp32.stat().st_size / 1e6:.0f} MB"
        )
    return homes


def speed(homes: dict[str, Path]) -> None:
    """Single-thread CPU ms per question by batch size, and each variant's cosine to fp32."""
    recipe = read_recipe(default_model())
    assert not isinstance(recipe, str)
    encoders = {
        name: OnnxEncoder(recipe, onnx_paths(home / "leadership-coach/onnx", recipe)[0], 1)
        for name, home in homes.items()
    }
    questions = [
        json.loads(line)["question"] for path in QUESTIONS for line in path.open() if line.strip()
    ]

    def unit(name: str) -> np.ndarray:
        v = encoders[name].forward(questions).sentence_embeddings
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    base = unit("fp32")
    for name in encoders:
        cosine = (unit(name) * base).sum(axis=1)
        print(
            f"{name} vs fp32 question vectors:"
            f" cosine min {cosine.min():.4f} mean {cosine.mean():.4f}"
        )
    print(f"load average {os.getloadavg()[0]:.2f}")
    for size in (1, 7, 16):
        cells = []
        for name, encoder in encoders.items():
            encoder.forward(questions[:size])
            started, n = time.process_time(), 0
            for _ in range(3):
                for i in range(0, len(questions), size):
                    n += len(encoder.forward(questions[i : i + size]).input_ids)
            cells.append(f"{name} {(time.process_time() - started) / n * 1000:.2f}")
        print(f"batch {size:2}: CPU ms/question " + ", ".join(cells))


def quality(homes: dict[str, Path]) -> None:
    """quality.py --cv per variant; the shipped method's row and the worst/mean lines."""
    for name, home in homes.items():
        done = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "quality.py"), "--cv"],
            env={**os.environ, "XDG_CACHE_HOME": str(home)},
            capture_output=True,
            text=True,
            check=True,
        )
        print(f"\n## {name}")
        for line in done.stdout.splitlines():
            if "(shipped)" in line or "worst held-out" in line:
                print(line)


def main() -> int:
    names = sys.argv[1:] or ["int8"]
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        raise SystemExit(f"unknown variant(s) {unknown}; choose from {sorted(VARIANTS)}")
    with tempfile.TemporaryDirectory(prefix="onnx-int8-") as tmp:
        homes = variants(Path(tmp), names)
        speed(homes)
        quality(homes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
