"""batch layer: a table of applicant records validated once, decided many times.

The per-record path is handed pydantic models validated beforehand; the columnar path's
counterpart is a :class:`ValidatedTable`, made by :func:`validate_table`::

    from titlerules import batch

    table = batch.validate_table(frame)            # every column read and checked, once
    for policy in policies:
        result = batch.ColumnarPolicy(policy).evaluate(table)   # no validation again

It holds the typed frame :func:`~titlerules.batch.schema.normalize` makes (every fact of the
schema as a typed column) and what validation found out about the rows the fast reader
cannot read exactly: each such row validated by the record models, to a model (decided on
the per-record path) or to the reason it is not a record (an error row).  The raw frame is
kept (not copied) for the rare row a policy sends to the per-record path for its own
reasons (a working-day date outside the calendar).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from titlerules.argcheck import checked
from titlerules.batch._polars import frame_types, polars
from titlerules.batch.schema import (
    SLOW,
    TableSchema,
    applicant_schema,
    normalize,
    row_record,
    slow_reasons,
)
from titlerules.errors import TitleRulesError, UsageError


@dataclass(frozen=True, eq=False)
class ValidatedTable:
    """A table of records read and validated once (see the module docstring).

    ``frame``: the typed columns (and the ``__slow`` mask); ``raw``: the table as given;
    ``checked``: for every row the fast reader could not read exactly (by position), its
    validated model or the reason it is not a record; ``rows``: the input row numbers
    (default 1..n); ``records``: the nested records the rows were read from, where known
    (dicts, or their JSON texts: :func:`~titlerules.engine.policy.as_record` reads either);
    ``reasons``: for each row of ``checked``, why the fast reader left it to the models
    (the reason, and the value it could not read; :func:`~titlerules.batch.schema.slow_reasons`).
    """

    frame: Any
    raw: Any
    schema: TableSchema
    checked: dict[int, BaseModel | str] = field(default_factory=dict)
    rows: Sequence[int] | None = None
    records: Sequence[Any] | None = None
    reasons: dict[int, tuple[str, str | None]] = field(default_factory=dict)

    @property
    def height(self) -> int:
        return int(self.frame.height)

    @property
    def slow_rows(self) -> list[int]:
        """Positions of the rows decided on the per-record path (or error rows)."""
        return sorted(self.checked)

    @property
    def errors(self) -> dict[int, str]:
        """Positions of the rows that are not valid records, with the reason."""
        return {i: v for i, v in self.checked.items() if isinstance(v, str)}

    def slice(self, offset: int, length: int) -> ValidatedTable:
        """Rows ``offset`` .. ``offset + length - 1`` (not copied), numbered as here."""
        end = min(offset + length, self.height)
        rows = self.rows[offset:end] if self.rows is not None else range(offset + 1, end + 1)
        return ValidatedTable(
            self.frame.slice(offset, end - offset),
            self.raw.slice(offset, end - offset),
            self.schema,
            {i - offset: v for i, v in self.checked.items() if offset <= i < end},
            rows,
            self.records[offset:end] if self.records is not None else None,
            {i - offset: v for i, v in self.reasons.items() if offset <= i < end},
        )

    def record(self, index: int) -> Any:
        """The nested record of row ``index`` (as the per-record path reads it)."""
        if self.records is not None:
            return self.records[index]
        return row_record(self.raw.row(index, named=True), self.schema)

    def records_at(self, indices: Sequence[int]) -> list[Any]:
        """The nested records of several rows (as :meth:`record`, taken out of the table
        together)."""
        if self.records is not None:
            return [self.records[index] for index in indices]
        if not indices:
            return []
        return raw_records(self.raw[list(indices)], self.schema)

    def __repr__(self) -> str:
        return (
            f"<ValidatedTable {self.height} rows, {len(self.checked)} per-record, "
            f"{len(self.errors)} errors>"
        )


def raw_records(frame: Any, schema: TableSchema) -> list[dict[str, Any]]:
    """The nested records the rows of a raw frame spell (:func:`row_record`).  The rows are
    taken out through Arrow (half the time of Polars' own row dicts) when every column is
    of a type both give the same Python values for; else by Polars."""
    if all(_same_through_arrow(dtype) for dtype in frame.schema.values()):
        rows = frame.to_arrow().to_pylist()
    else:
        rows = frame.to_dicts()
    return [row_record(row, schema) for row in rows]


def _same_through_arrow(dtype: Any) -> bool:
    """Text, numbers, true/false, dates, enums, and lists and records of them: their Python
    values through Arrow are Polars' (a column of Python objects, for one, is not: Arrow
    holds their addresses)."""
    pl = polars()
    if isinstance(dtype, pl.List | pl.Array):
        return _same_through_arrow(dtype.inner)
    if isinstance(dtype, pl.Struct):
        return all(_same_through_arrow(f.dtype) for f in dtype.fields)
    return dtype.is_numeric() or isinstance(
        dtype, pl.String | pl.Boolean | pl.Date | pl.Null | pl.Enum | pl.Categorical
    )


def check_row_numbers(
    height: int, rows: Sequence[int] | None, records: Sequence[object] | None
) -> None:
    """Refuse row numbers or records that are not one for each of a table's rows."""
    for name, given in (("rows", rows), ("records", records)):
        if given is not None and len(given) != height:
            raise UsageError(
                f"argument '{name}' has {len(given):,} item(s), the table {height:,} row(s)",
                hint=f"give one item of '{name}' for each row of the table, in order",
            )


@checked(frame=frame_types)
def validate_table(
    frame: Any,
    schema: TableSchema | None = None,
    *,
    rows: Sequence[int] | None = None,
    records: Sequence[Any] | None = None,
) -> ValidatedTable:
    """Read and validate every column of ``frame`` (a ``polars.DataFrame`` of record-path
    columns, text or typed) once; see :class:`ValidatedTable`.

    ``rows`` numbers the rows (default 1..n); ``records`` gives the nested record each row
    was read from, where the input had one (JSONL).
    """
    from titlerules.engine.policy import as_record

    polars()
    schema = schema or applicant_schema()
    check_row_numbers(frame.height, rows, records)
    if isinstance(frame, ValidatedTable):
        return frame
    typed = normalize(frame, schema)
    slow = typed.get_column(SLOW)
    checked: dict[int, BaseModel | str] = {}
    reasons: dict[int, tuple[str, str | None]] = {}
    if slow.any():
        positions = slow.arg_true().to_list()
        reasons = dict(zip(positions, slow_reasons(frame[positions], schema), strict=True))
        given = (
            [records[index] for index in positions]
            if records is not None
            else raw_records(frame[positions], schema)
        )
        for index, record in zip(positions, given, strict=True):
            try:
                checked[index] = as_record(record)
            except TitleRulesError as exc:
                checked[index] = str(exc)
    return ValidatedTable(typed, frame, schema, checked, rows, records, reasons)


__all__ = ["ValidatedTable", "validate_table"]
