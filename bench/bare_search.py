"""The bare baseline for bench/ask_vs_bare.py: the least a search script can do.

Loads sentence-transformers with the same bundled model as the coach, embeds the library's
paragraphs (content/*.md bodies split at blank lines), builds a flat FAISS inner-product
index, then embeds and searches each question from standard input in turn, printing one
JSON line per question.

    .venv/bin/python bench/bare_search.py [CONTENT_DIR] < questions.txt
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TOP_K = 3


def paragraphs(content_dir: Path) -> list[tuple[str, str]]:
    """(article id, paragraph) for every blank-line-separated paragraph of every article."""
    out: list[tuple[str, str]] = []
    for path in sorted(content_dir.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        match = re.match(r"^---\s*\n.*?\n---\s*\n", text, re.S)
        body = text[match.end() :] if match else text
        for para in re.split(r"\n\s*\n", body):
            para = para.strip()
            if para:
                out.append((path.stem, para))
    return out


def main() -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.path.insert(0, str(REPO))
    import faiss
    from sentence_transformers import SentenceTransformer

    from bot.settings import default_model

    content_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "content"
    library = paragraphs(content_dir)
    model = SentenceTransformer(default_model(), device="cpu")
    vectors = model.encode(
        [text for _, text in library], normalize_embeddings=True, convert_to_numpy=True
    ).astype("float32")
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)

    for line in sys.stdin:
        question = line.rstrip("\r\n")
        query = model.encode([question], normalize_embeddings=True, convert_to_numpy=True).astype(
            "float32"
        )
        scores, ids = index.search(query, TOP_K)
        passages = [
            {
                "rank": rank,
                "score": round(float(score), 4),
                "text": library[i][1],
                "article": library[i][0],
            }
            for rank, (score, i) in enumerate(zip(scores[0], ids[0], strict=True), start=1)
            if i >= 0
        ]
        sys.stdout.write(json.dumps({"question": question, "passages": passages}) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
