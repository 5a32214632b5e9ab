"""CSV read one physical line at a time: a record never spans lines.

The csv module lets a quoted cell run over line breaks, so a cell that opens with a stray
``"`` and never closes it swallows every following line into that one cell (10,000 lines in,
10 records out, no error), and two stray quotes join the lines between them into one row
that may even have the right number of cells.  Every CSV reader of titlerules (tables of
applicants, historical title records) reads through :func:`csv_lines` instead, so N lines
in are N results: a line whose quoted cell is not closed on that line is reported as
unreadable, naming its line, and the next line is read as usual.

The price is that a cell cannot hold a line break (a spreadsheet's Alt+Enter); no record
field needs one, and such a cell's lines are reported the same way, never merged silently.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

__all__ = ["UNCLOSED_QUOTE", "CsvLine", "csv_lines"]

UNCLOSED_QUOTE = "a quoted cell is not closed on its line (a stray '\"'? a cell cannot span lines)"


@dataclass(frozen=True, slots=True)
class CsvLine:
    """One physical line: its number (from 1), its cells ([] for a blank line), or why it
    cannot be read (then ``cells`` is [])."""

    number: int
    cells: list[str]
    error: str | None = None


def csv_lines(lines: Iterable[str]) -> Iterator[CsvLine]:
    """Each line of ``lines`` (a text file or ``io.StringIO`` opened with ``newline=""``,
    so that a line ends at ``\\n``, ``\\r\\n`` or ``\\r`` and nowhere else) as CSV cells."""
    limit = csv.field_size_limit()  # process-wide; the csv module enforces it on quoted lines
    for number, line in enumerate(lines, start=1):
        text = line.rstrip("\r\n")
        if '"' not in text:  # the common case, exactly what the csv module would give
            cells = text.split(",") if text else []
            if len(text) > limit and any(len(cell) > limit for cell in cells):
                yield CsvLine(number, [], f"invalid CSV: field larger than field limit ({limit})")
            else:
                yield CsvLine(number, cells)
            continue
        # Offered a second line, the reader takes it only when the first ends inside quotes.
        reader = csv.reader((text, ""))
        try:
            cells = next(reader)
        except csv.Error as error:
            yield CsvLine(number, [], f"invalid CSV: {error}")
            continue
        if reader.line_num > 1:
            yield CsvLine(number, [], UNCLOSED_QUOTE)
        else:
            yield CsvLine(number, cells)
