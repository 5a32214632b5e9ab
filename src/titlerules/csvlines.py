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

A cell longer than :data:`~titlerules.boundedread.MAX_CELL_CHARS` characters makes its line
unreadable the same way, naming the cell; the csv module's own process-wide limit
(``csv.field_size_limit``, 131,072 by default) plays no part.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from titlerules.boundedread import MAX_CELL_CHARS

__all__ = ["UNCLOSED_QUOTE", "CsvLine", "csv_lines"]


UNCLOSED_QUOTE = "a quoted cell is not closed on its line (a stray '\"'? a cell cannot span lines)"


TOO_LONG = f"a cell is longer than {MAX_CELL_CHARS:,} characters; no field of a record is that long"


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
    # The csv module checks cells against a process-wide limit (131,072 by default) in
    # words naming none of this; it is raised (never lowered) past our own bound, which
    # then refuses a long cell, in our words.
    if csv.field_size_limit() <= MAX_CELL_CHARS:
        csv.field_size_limit(MAX_CELL_CHARS + 1)
    for number, line in enumerate(lines, start=1):
        text = line.rstrip("\r\n")
        if '"' not in text:  # the common case, exactly what the csv module would give
            cells = text.split(",") if text else []
        else:
            # Offered a second line, the reader takes it only when the first ends inside
            # quotes.
            reader = csv.reader((text, ""))
            try:
                cells = next(reader)
            except csv.Error as error:
                if "field larger than field limit" in str(error):
                    yield CsvLine(number, [], TOO_LONG)
                else:
                    yield CsvLine(number, [], f"invalid CSV: {error}")
                continue
            if reader.line_num > 1:
                yield CsvLine(number, [], UNCLOSED_QUOTE)
                continue
        if len(text) > MAX_CELL_CHARS:
            if max(map(len, cells)) > MAX_CELL_CHARS:
                yield CsvLine(number, [], TOO_LONG)
                continue
        yield CsvLine(number, cells)
