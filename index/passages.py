"""Articles to passages: a few whole sentences that a reader understands on their own."""

from __future__ import annotations

import re
from collections.abc import Iterable

from index.types import Article, Passage

# Words that end with a full stop without ending a sentence.
_ABBREVIATIONS = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "sr",
    "jr",
    "st",
    "vs",
    "etc",
    "inc",
    "ltd",
    "co",
    "corp",
    "gen",
    "adm",
    "lt",
    "col",
    "capt",
    "sgt",
    "no",
    "fig",
    "approx",
    "dept",
    "est",
    "e.g",
    "i.e",
    "u.s",
    "u.k",
    "a.m",
    "p.m",
    "cf",
}
HEADING = re.compile(r"^#{1,6}\s+(.*)$")
_BOUNDARY = re.compile(r"([.!?…]+[\"”’')\]]*)\s+(?=[\"“‘'(\[]?[A-Z0-9¿¡])")


def split_sentences(text: str) -> list[str]:
    """Sentences of a paragraph; line breaks inside a paragraph also end a sentence."""
    sentences: list[str] = []
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            continue
        start = 0
        for match in _BOUNDARY.finditer(line):
            end = match.end(1)
            before = line[start : match.start(1)]
            last_word = re.split(r"[\s(\"“]+", before)[-1].lower() if before else ""
            if last_word in _ABBREVIATIONS or re.fullmatch(r"[a-z]", last_word):
                continue  # "vs." or an initial such as "Dwight D."
            piece = line[start:end].strip()
            if piece:
                sentences.append(piece)
            start = match.end()
        rest = line[start:].strip()
        if rest:
            sentences.append(rest)
    return sentences


def _windows(sentences: list[str], max_chars: int, overlap: int) -> Iterable[list[str]]:
    """Runs of whole sentences up to max_chars, each sharing `overlap` sentences with the last."""
    i = 0
    while i < len(sentences):
        window = [sentences[i]]
        size = len(sentences[i])
        j = i + 1
        while j < len(sentences) and size + 1 + len(sentences[j]) <= max_chars:
            window.append(sentences[j])
            size += 1 + len(sentences[j])
            j += 1
        yield window
        if j >= len(sentences):
            break
        i = max(i + 1, j - overlap)


def headings(body: str) -> list[str]:
    """The article's section headings, as passages name their section."""
    found = (HEADING.match(para.strip()) for para in body.split("\n\n"))
    return [m.group(1).strip() for m in found if m]


def split_article(
    article: Article,
    *,
    max_chars: int = 600,
    min_chars: int = 200,
    overlap: int = 1,
) -> list[Passage]:
    """Paragraph-aligned passages of whole sentences.

    A paragraph of min_chars..max_chars is one passage; a longer one becomes overlapping
    windows of sentences. A run of short paragraphs (a list of quotes, a one-line tip) is
    windowed the same way, paragraph by paragraph with an overlap, so each short paragraph
    is read together with its neighbours on either side rather than glued to one of them.
    """
    blocks: list[tuple[str | None, list[str]]] = []  # (section, sentences of one passage)
    section: str | None = None
    run: list[list[str]] = []  # consecutive short paragraphs, each a list of sentences

    def size(units: list[list[str]]) -> int:
        return sum(len(s) + 1 for unit in units for s in unit)

    def flush_run() -> None:
        nonlocal run
        i = 0
        while i < len(run):
            j = i + 1
            while j < len(run) and size(run[i:j]) < min_chars and size(run[i : j + 1]) <= max_chars:
                j += 1
            blocks.append((section, [s for unit in run[i:j] for s in unit]))
            if j >= len(run):
                break
            i = j - 1 if overlap and j - 1 > i else j
        run = []

    for para in article.body.split("\n\n"):
        para = para.strip()
        if not para:
            continue
        heading = HEADING.match(para)
        if heading:
            flush_run()
            section = heading.group(1).strip()
            continue
        sentences = split_sentences(para)
        if not sentences:
            continue
        length = size([sentences])
        if length < min_chars:
            run.append(sentences)
            continue
        if run and size(run[-1:]) + length <= max_chars and size(run) < min_chars:
            run.append(sentences)  # a lone lead-in ("Back to Kenneth...") joins what follows
            flush_run()
            continue
        flush_run()
        if length > max_chars:
            for window in _windows(sentences, max_chars, overlap):
                blocks.append((section, window))
        else:
            blocks.append((section, sentences))
    flush_run()

    return [
        Passage(
            id=f"{article.meta.id}#{position}",
            article=article.meta,
            position=position,
            text=" ".join(sentences),
            section=sec,
        )
        for position, (sec, sentences) in enumerate(blocks)
    ]


def split_articles(articles: Iterable[Article], **options: int) -> list[Passage]:
    passages: list[Passage] = []
    for article in articles:
        passages.extend(split_article(article, **options))
    return passages
