"""batch layer: streaming tabular records in and results out, in chunks of bounded size.

Readers yield :class:`Chunk` objects: a raw table (columns named by record path), the input
row number of each of its rows, the rows that could not be read at all (with the reason),
and, for JSONL, the records as parsed.  Nothing is dropped: every input row comes out of
:func:`run_file` as exactly one result row, in input order.

* CSV: UTF-8 (a byte-order mark is fine), a header of record paths; ``row`` is the data row
  number (the header is not counted, blank lines are skipped); a row with the wrong number
  of cells, or a quoted cell not closed on its line, is an error row naming its line: a
  record never spans lines (:mod:`titlerules.csvlines`), so a stray quote cannot swallow the
  rows after it.
* JSONL: one record per line (bare, or under ``applicant:``); ``row`` is the line number;
  a line that is not a JSON object is an error row; blank lines are skipped.  A chunk whose
  lines all spell records as a system exports them is parsed by pyarrow's JSON reader in
  one step (:meth:`~titlerules.batch.records.ExportReader.frame_json`); a chunk it refuses
  is halved until each part is read so or holds at most ``JSONL_PART_ROWS`` lines, which are
  read line by line (at once when the chunk's first ``JSONL_SAMPLE_ROWS`` lines are refused
  too).
* Parquet: columns named by record path, typed or text, lists as lists of structs or JSON
  text; ``row`` counts from 1.

Results go to JSONL or Parquet (by the ``--out`` suffix), one row per input row.
"""

from __future__ import annotations

import io
import os
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from titlerules.argcheck import checked
from titlerules.atomic import AtomicOutput
from titlerules.batch._polars import polars, pyarrow_parquet
from titlerules.batch.records import ExportReader
from titlerules.batch.runner import ColumnarPolicy, PerRecordReasons, unreadable_rows
from titlerules.batch.schema import TableSchema, flatten_record
from titlerules.boundedread import read_line_at_most
from titlerules.csvlines import csv_lines
from titlerules.errors import InputFileError, TitleRulesError, UsageError
from titlerules.uniquekeys import DuplicateJSONKeyError, duplicate_key_error, loads_json

TABULAR_SUFFIXES = (".csv", ".jsonl", ".ndjson", ".parquet")
OUTPUT_SUFFIXES = (".jsonl", ".ndjson", ".parquet")
DEFAULT_CHUNK_ROWS = 100_000
#: Longest line of a CSV or JSON Lines table (one record), counted while it is read: a
#: file of one 500 MB line would otherwise be taken in whole.
MAX_LINE_BYTES = 16 * 1024 * 1024


@dataclass
class Chunk:
    raw: Any  # polars.DataFrame
    rows: Sequence[int]
    errors: list[tuple[int, str]] = field(default_factory=list)
    records: list[Any] | None = None  # (JSONL: each row's record, a dict or its JSON text)
    progress: float | None = None  # fraction of the input read so far, when known


def is_tabular(path: str | Path) -> bool:
    return Path(path).suffix.lower() in TABULAR_SUFFIXES


@checked
def read_chunks(
    path: str | Path, schema: TableSchema, chunk_rows: int = DEFAULT_CHUNK_ROWS
) -> Iterator[Chunk]:
    """The file's rows, ``chunk_rows`` at a time."""
    source = Path(path)
    if not source.is_file():
        raise InputFileError(f"{source}: no such file")
    suffix = source.suffix.lower()
    if suffix == ".csv":
        return _csv_chunks(source, chunk_rows)
    if suffix in (".jsonl", ".ndjson"):
        return _jsonl_chunks(source, schema, chunk_rows)
    if suffix == ".parquet":
        return _parquet_chunks(source, chunk_rows)
    raise UsageError(f"{source}: not a table of records", hint="use .csv, .jsonl or .parquet")


def count_rows(path: str | Path) -> int | None:
    """The number of rows, where the file says it cheaply (Parquet)."""
    if Path(path).suffix.lower() == ".parquet":
        return int(_open_parquet(Path(path)).metadata.num_rows)
    return None


def _text_frame(rows: list[list[str]], header: list[str]) -> Any:
    pl = polars()
    return pl.DataFrame(rows, schema={name: pl.String for name in header}, orient="row")


def _csv_chunks(path: Path, chunk_rows: int) -> Iterator[Chunk]:
    size = max(path.stat().st_size, 1)
    with path.open("rb") as handle:
        lines = csv_lines(_utf8_lines(path, handle))
        first = next(lines, None)
        if first is None:
            return
        if first.error is not None:
            raise InputFileError(
                f"{path}:{first.number}: cannot read the header: {first.error}",
                hint="the first line names the record paths, one per cell",
            )
        header = [name.strip() for name in first.cells]
        duplicates = sorted({n for n in header if header.count(n) > 1})
        if duplicates:
            raise InputFileError(
                f"{path}: duplicate column(s) {', '.join(duplicates)}",
                hint="name each record path once",
            )
        rows: list[list[str]] = []
        numbers: list[int] = []
        errors: list[tuple[int, str]] = []
        number = 0
        for line in lines:
            if not line.cells and line.error is None:
                continue  # a blank line is not a row
            number += 1
            if line.error is not None:
                errors.append((number, f"row {number} (line {line.number}): {line.error}"))
            elif len(line.cells) != len(header):
                cells = len(line.cells)
                errors.append(
                    (
                        number,
                        f"row {number} (line {line.number}) has {cells} cells, "
                        f"the header has {len(header)}",
                    )
                )
            else:
                rows.append(line.cells)
                numbers.append(number)
            if len(rows) + len(errors) >= chunk_rows:
                chunk = Chunk(
                    _text_frame(rows, header), numbers, errors, None, _fraction(handle, size)
                )
                rows, numbers, errors = [], [], []  # (not held while the chunk is decided)
                yield chunk
        if rows or errors:
            yield Chunk(_text_frame(rows, header), numbers, errors, None, 1.0)


def _utf8_lines(path: Path, handle: BinaryIO) -> Iterator[str]:
    """The file's lines as text (a line ends at \\n, \\r\\n or \\r), decoded one by one so
    that a byte that is not UTF-8 refuses the file naming its line."""
    count = 0
    while raw := read_line_at_most(handle, MAX_LINE_BYTES, file=str(path), line=count + 1):
        try:
            text = raw.decode("utf-8-sig" if count == 0 else "utf-8")
        except UnicodeDecodeError as error:
            raise InputFileError(
                f"{path}:{count + 1}: not valid UTF-8 (byte {error.start + 1} of the line)",
                hint="save the file as UTF-8",
            ) from None
        parts = io.StringIO(text, newline="") if "\r" in text.rstrip("\r\n") else (text,)
        for part in parts:
            count += 1
            yield part


def _fraction(handle: BinaryIO, size: int) -> float | None:
    try:
        return min(os.lseek(handle.fileno(), 0, os.SEEK_CUR) / size, 1.0)
    except (OSError, ValueError, io.UnsupportedOperation):
        return None


def _jsonl_chunks(path: Path, schema: TableSchema, chunk_rows: int) -> Iterator[Chunk]:
    size = max(path.stat().st_size, 1)
    exports = ExportReader(schema)
    lines: list[tuple[int, bytes]] = []  # (line number, line) of the lines not blank
    with path.open("rb") as handle:
        number = 0
        while line := read_line_at_most(handle, MAX_LINE_BYTES, file=str(path), line=number + 1):
            number += 1
            if line.strip():
                lines.append((number, line))
            if len(lines) >= chunk_rows:
                progress = min(handle.tell() / size, 1.0)
                yield from _jsonl_parts(path, lines, _stripped(lines), schema, exports, progress)
                lines = []
    if lines:
        yield from _jsonl_parts(path, lines, _stripped(lines), schema, exports, 1.0)


def _stripped(lines: list[tuple[int, bytes]]) -> list[bytes]:
    return [line.strip() for _, line in lines]


#: The most lines of a part of a JSON Lines chunk read line by line: a chunk the JSON
#: reader refuses is halved until its parts are read, or this small.
JSONL_PART_ROWS = 4096
#: The lines of a refused chunk the JSON reader is tried on before it is halved: when these
#: are refused too, the lines are taken to be spelled otherwise throughout (numbers quoted,
#: records under ``applicant:``) and read line by line at once.
JSONL_SAMPLE_ROWS = 256


def _jsonl_parts(
    path: Path,
    lines: list[tuple[int, bytes]],
    texts: list[bytes],
    schema: TableSchema,
    exports: ExportReader,
    progress: float,
) -> Iterator[Chunk]:
    """One chunk of JSON Lines, in order: read by pyarrow's JSON reader when every line is a
    record as a system exports it (:meth:`ExportReader.frame_json`; the records are the
    lines' texts); else halved, each half read so, down to :data:`JSONL_PART_ROWS` lines
    read line by line (a few odd lines slow down only the parts that hold them), unless its
    first :data:`JSONL_SAMPLE_ROWS` lines are refused too.  ``texts``: the lines stripped."""
    read = exports.frame_json(texts)
    if read is not None:
        yield Chunk(read[0], [number for number, _ in lines], [], texts, progress)
    elif len(lines) > JSONL_PART_ROWS and exports.frame_json(texts[:JSONL_SAMPLE_ROWS]) is not None:
        half = len(lines) // 2
        yield from _jsonl_parts(path, lines[:half], texts[:half], schema, exports, progress)
        yield from _jsonl_parts(path, lines[half:], texts[half:], schema, exports, progress)
    else:
        yield _jsonl_lines(path, lines, texts, schema, progress)


def _jsonl_lines(
    path: Path,
    lines: list[tuple[int, bytes]],
    texts: list[bytes],
    schema: TableSchema,
    progress: float,
) -> Chunk:
    """Lines of JSON Lines read one by one (each stripped in ``texts``)."""
    pl = polars()
    flats: list[dict[str, str | None]] = []
    records: list[Any] = []
    numbers: list[int] = []
    errors: list[tuple[int, str]] = []
    not_json = object()
    for (number, line), text in zip(lines, texts, strict=True):
        try:
            data = loads_json(text)  # a line nested too deeply is a ValueError too
        except DuplicateJSONKeyError as exc:  # JSON alone would keep the last silently
            found = duplicate_key_error(
                exc, str(path), line.decode("utf-8", "replace"), first_line=number
            )
            errors.append((number, f"line {number}: {found.location}: {found.message}"))
            data = not_json
        except ValueError as exc:
            errors.append((number, f"line {number}: not JSON ({exc})"))
            data = not_json
        if data is not not_json and not isinstance(data, dict):  # null too: never dropped
            errors.append((number, f"line {number}: expected a JSON object (a record)"))
        elif isinstance(data, dict):
            if set(data) == {"applicant"} and isinstance(data["applicant"], dict):
                data = data["applicant"]
            flats.append(flatten_record(data, schema))
            records.append(data)
            numbers.append(number)
    names = sorted({name for flat in flats for name in flat})
    raw = pl.DataFrame(
        {name: [flat.get(name) for flat in flats] for name in names},
        schema={name: pl.String for name in names},
    )
    if not names:
        raw = pl.DataFrame({"__empty": [None] * len(flats)}, schema={"__empty": pl.String})
    return Chunk(raw, numbers, errors, records, progress)


def _parquet_chunks(path: Path, chunk_rows: int) -> Iterator[Chunk]:
    pl = polars()
    parquet = _open_parquet(path)
    names = parquet.schema_arrow.names
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise InputFileError(
            f"{path}: duplicate column(s) {', '.join(duplicates)}",
            hint="name each record path once (rewrite the table with unique column names)",
        )
    total = max(parquet.metadata.num_rows, 1)
    start = 0
    # Row group by row group: a group whose pages cannot be read gives an error row for
    # each of its rows not read yet, and the next group is read as usual.
    for group in range(parquet.metadata.num_row_groups):
        end = start + parquet.metadata.row_group(group).num_rows
        try:
            for batch in parquet.iter_batches(batch_size=chunk_rows, row_groups=[group]):
                raw = pl.from_arrow(batch)
                assert isinstance(raw, pl.DataFrame)
                numbers = range(start + 1, start + raw.height + 1)
                start += raw.height
                yield Chunk(raw, numbers, [], None, start / total)
        except Exception as exc:  # pyarrow's and Polars' own types for a damaged file
            if isinstance(exc, TitleRulesError):
                raise
            reason = _parquet_reason(exc)
            errors = [
                (row, f"row {row} (row group {group + 1}): cannot be read: {reason}")
                for row in range(start + 1, end + 1)
            ]
            for first in range(0, len(errors), chunk_rows):
                part = errors[first : first + chunk_rows]
                yield Chunk(pl.DataFrame(), [], part, None, part[-1][0] / total)
            start = end


def _open_parquet(path: Path) -> Any:
    pq = pyarrow_parquet()
    try:
        return pq.ParquetFile(str(path))
    except Exception as exc:  # pyarrow raises its own types for a file that is not Parquet
        raise InputFileError(
            f"{path}: not a Parquet file ({_parquet_reason(exc)})",
            hint="check the file: it may be cut short or damaged; write it again from its source",
        ) from None


def _parquet_reason(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


# ---------------------------------------------------------------- the whole file


@dataclass
class Summary:
    """What a run did: counts by outcome, rows decided on the per-record path (by reason),
    time."""

    rows: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    per_record_rows: int = 0
    per_record_rules: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    per_record_reasons: PerRecordReasons = field(default_factory=PerRecordReasons)

    @property
    def errors(self) -> int:
        return self.outcomes.get("error", 0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "outcomes": dict(sorted(self.outcomes.items())),
            "per_record_rows": self.per_record_rows,
            "per_record_rules": self.per_record_rules,
            "per_record_reasons": self.per_record_reasons.to_dict(),
            "seconds": round(self.seconds, 3),
            "rows_per_second": round(self.rows / self.seconds) if self.seconds else None,
        }

    def render(self) -> str:
        counts = ", ".join(f"{name} {count:,}" for name, count in sorted(self.outcomes.items()))
        rate = f"{self.rows / self.seconds:,.0f} rows/s" if self.seconds else ""
        lines = [f"{self.rows:,} rows in {self.seconds:.1f} s ({rate}): {counts or 'none'}"]
        if self.per_record_rows:
            lines.append(f"{self.per_record_rows:,} row(s) decided on the per-record path")
            lines.extend(f"  {line}" for line in self.per_record_reasons.lines())
        for rule_id, reason in self.per_record_rules.items():
            lines.append(f"rule {rule_id} runs per record: {reason}")
        return "\n".join(lines)


class Progress:
    """A one-line progress display on a terminal (silent when the stream is not a TTY)."""

    def __init__(self, stream: TextIO | None = None, *, enabled: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.started = time.perf_counter()

    def update(self, rows: int, fraction: float | None) -> None:
        if not self.enabled:
            return
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        width = 24
        if fraction is not None:
            done = int(width * fraction)
            bar = "#" * done + "-" * (width - done)
            share = f"{fraction * 100:5.1f}%"
        else:
            bar, share = "", ""
        self.stream.write(f"\r[{bar}] {share} {rows:,} rows  {rows / elapsed:,.0f} rows/s")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


class ResultWriter:
    """Appends result chunks to a JSONL or Parquet file, written whole or not at all: the
    rows go to a temporary file beside ``path`` (created at once, so an unwritable folder is
    reported before any work) that :meth:`close` puts in place and :meth:`discard` removes.
    ``path`` may not be one of ``inputs`` (the file being read, through a link too)."""

    def __init__(self, path: str | Path, *, inputs: Sequence[str | Path] = ()) -> None:
        self.path = Path(path)
        suffix = self.path.suffix.lower()
        if suffix not in OUTPUT_SUFFIXES:
            raise UsageError(
                f"{self.path}: results are written as .jsonl or .parquet",
                hint="name the output file RESULT.jsonl or RESULT.parquet",
            )
        self.parquet = suffix == ".parquet"
        self._output = AtomicOutput(self.path, inputs=inputs)
        self._writer: Any = None
        self._schema: Any = None
        self.written = False

    def write(self, table: Any) -> None:
        if self.parquet:
            pq = pyarrow_parquet()
            # The rule outcome columns (an Enum) are written as plain text, as ever.
            pl = polars()
            enums = [n for n, t in table.schema.items() if isinstance(t, (pl.Enum, pl.Categorical))]
            if enums:
                table = table.with_columns([pl.col(n).cast(pl.String) for n in enums])
            arrow = table.to_arrow()
            if self._writer is None:
                self._schema = arrow.schema
                self._writer = pq.ParquetWriter(self._output.handle, self._schema)
            self._writer.write_table(arrow.cast(self._schema))
        else:
            table.write_ndjson(self._output.handle)
        self.written = True

    def close(self) -> None:
        """Finish the file and put it in place."""
        if self._writer is not None:
            self._writer.close()
        self._output.commit()

    def discard(self) -> None:
        """Drop what was written: the file at ``path`` stays as it was."""
        if self._writer is not None:
            try:
                self._writer.close()
            except Exception:  # a half-written file is thrown away whatever went wrong
                pass
        self._output.discard()


def evaluate_chunk(
    columnar: ColumnarPolicy, chunk: Chunk, *, explain: bool = False, lang: str = "zh"
) -> Any:
    """One chunk's result rows (read errors included), in input order; with ``explain``,
    with each row's missing facts and explanation (in ``lang``)."""
    pl = polars()
    parts = []
    if chunk.rows:
        parts.append(
            columnar.evaluate(
                chunk.raw, rows=chunk.rows, records=chunk.records, explain=explain, lang=lang
            )
        )
    if chunk.errors:
        parts.append(unreadable_rows(chunk.errors, columnar.rule_ids, explain))
    if not parts:
        return unreadable_rows([], columnar.rule_ids, explain)
    table = parts[0] if len(parts) == 1 else pl.concat(parts, how="vertical")
    return table.sort("row") if chunk.errors else table


@checked
def run_file(
    columnar: ColumnarPolicy,
    source: str | Path,
    out: str | Path | None = None,
    *,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: Progress | None = None,
    explain: bool = False,
    lang: str = "zh",
    redact: bool = False,
) -> tuple[Summary, Any]:
    """Decide every row of ``source``; write the results to ``out`` (when given).  With
    ``explain``, each result row also has its missing facts and explanation (in ``lang``).
    With ``redact``, ID numbers and echoed names are masked in every result row, whether
    written to ``out`` or returned (:func:`titlerules.redact.redact_table`).

    Returns the summary and, when there is no ``out``, the result table (all in memory).
    """
    pl = polars()
    summary = Summary(per_record_rules=dict(columnar.fallback_rules))
    started = time.perf_counter()
    writer = ResultWriter(out, inputs=(source,)) if out is not None else None
    kept: list[Any] = []
    try:
        for chunk in read_chunks(source, columnar.schema, chunk_rows):
            table = evaluate_chunk(columnar, chunk, explain=explain, lang=lang)
            summary.rows += table.height
            for outcome, count in table.group_by("outcome").len().iter_rows():
                summary.outcomes[outcome] = summary.outcomes.get(outcome, 0) + int(count)
            summary.per_record_rows += columnar.last_per_record_rows
            summary.per_record_reasons.merge(columnar.last_per_record_reasons)
            if redact:
                from titlerules.redact import redact_table

                table = redact_table(table)
            if writer is not None:
                writer.write(table)
            else:
                kept.append(table)
            if progress is not None:
                progress.update(summary.rows, chunk.progress)
        if writer is not None:
            if not writer.written:  # no rows: still a readable file, with the result columns
                writer.write(unreadable_rows([], columnar.rule_ids, explain))
            writer.close()
    except BaseException:
        if writer is not None:
            writer.discard()  # a failure part-way never leaves a truncated result file
        raise
    finally:
        if progress is not None:
            progress.close()
    summary.seconds = time.perf_counter() - started
    result = None
    if writer is None:
        result = (
            pl.concat(kept, how="vertical")
            if kept
            else unreadable_rows([], columnar.rule_ids, explain)
        )
    return summary, result
