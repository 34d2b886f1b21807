"""A Word document's body in reading order: its paragraphs, and its tables, which the
paragraphs alone leave out (python-docx's `Document.paragraphs` skips every table)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from index.ingest.document import clean_text


def word_blocks(container: Any) -> Iterator[Paragraph | str]:
    """Each paragraph of `container` (a document or a table cell) in order, and each table:
    one whose rows have a single cell (a box or a sidebar around text) as the paragraphs in
    it, any other as a Markdown table, as a web page's table is read."""
    for item in container.iter_inner_content():
        if not isinstance(item, Table):
            yield item
            continue
        rows = [_cells(row.cells) for row in item.rows]
        if all(len(row) <= 1 for row in rows):
            for row in rows:
                for cell in row:
                    yield from word_blocks(cell)
        elif table := _markdown_table(item):
            yield table


def _cells(cells: list[_Cell]) -> list[_Cell]:
    """A row's cells, a merged cell once (python-docx repeats it for each column it spans)."""
    unique: list[_Cell] = []
    for cell in cells:
        if not any(cell._tc is seen._tc for seen in unique):
            unique.append(cell)
    return unique


def _markdown_table(table: Table) -> str:
    """`| a | b |` lines, the first row as the header; '' for a table with no text. A cell
    merged across columns has its text in the first of them."""
    texts = []
    for row in table.rows:
        cells = row.cells
        texts.append(
            [
                "" if i and cell._tc is cells[i - 1]._tc else _cell_text(cell).replace("|", "\\|")
                for i, cell in enumerate(cells)
            ]
        )
    texts = [row for row in texts if any(row)]
    if not texts:
        return ""
    width = max(len(row) for row in texts)
    lines = ["| " + " | ".join(row + [""] * (width - len(row))) + " |" for row in texts]
    lines.insert(1, "|" + "---|" * width)
    return "\n".join(lines)


def _cell_text(cell: _Cell) -> str:
    """A cell's words on one line, a table inside it included."""
    parts: list[str] = []
    for item in cell.iter_inner_content():
        if isinstance(item, Table):
            parts.extend(_cell_text(c) for row in item.rows for c in _cells(row.cells))
        else:
            parts.append(clean_text(item.text) or "")
    return " ".join(part for part in parts if part)
