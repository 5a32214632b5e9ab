"""batch layer: Arrow record batches through the columnar path.

What the database path (:mod:`titlerules.batch.db`) and the Spark path
(:mod:`titlerules.spark`) share: a record batch read as a table of record-path columns
(:func:`plain_batch`), decided as a chunk of a file is (:func:`decide_frame`, by
:func:`~titlerules.batch.io.evaluate_chunk`: no other copy of the semantics), and the result
written back as Arrow (:func:`result_arrow`).
"""

from __future__ import annotations

from typing import Any

from titlerules.batch._polars import polars
from titlerules.batch.io import Chunk, evaluate_chunk
from titlerules.batch.runner import ColumnarPolicy
from titlerules.errors import UsageError


def plain_batch(batch: Any) -> Any:
    """A record batch as a ``polars.DataFrame`` of plain columns: a database's extension
    types (PostgreSQL JSON, numeric) read as their text."""
    import pyarrow as pa

    pl = polars()
    columns = []
    for column in batch.columns:
        if isinstance(column.type, pa.BaseExtensionType):
            column = column.storage
        columns.append(column)
    names = list(batch.schema.names)
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise UsageError(
            f"the query returns the column(s) {', '.join(duplicates)} more than once",
            hint='name each record path once (SELECT ... AS "record.path")',
        )
    frame = pl.from_arrow(pa.RecordBatch.from_arrays(columns, names=names))
    assert isinstance(frame, pl.DataFrame)
    return frame


def result_arrow(table: Any) -> Any:
    """A result table as Arrow, the rule outcome columns (an Enum) as plain text."""
    pl = polars()
    enums = [n for n, t in table.schema.items() if isinstance(t, (pl.Enum, pl.Categorical))]
    if enums:
        table = table.with_columns([pl.col(n).cast(pl.String) for n in enums])
    return table.to_arrow(compat_level=pl.CompatLevel.oldest())


def decide_frame(
    columnar: ColumnarPolicy,
    raw: Any,
    first_row: int,
    *,
    key: str | None = None,
    explain: bool = False,
    lang: str = "zh",
) -> Any:
    """One chunk of a table (a ``polars.DataFrame``, rows numbered from ``first_row``)
    decided by :func:`~titlerules.batch.io.evaluate_chunk`, the ``key`` column (when it is
    not a record path) carried over after ``row``."""
    pl = polars()
    carried = None
    if key is not None and columnar.schema.leaf(key) is None:
        if key not in raw.columns:
            raise UsageError(
                f"the table has no column {key!r} (the key)",
                hint=f"the columns are: {', '.join(raw.columns)}",
            )
        carried = raw.get_column(key)
        raw = raw.drop(key)
    rows = range(first_row, first_row + raw.height)
    if not raw.width:  # only the key: every row an applicant stating nothing
        raw = pl.DataFrame({"__empty": [None] * len(rows)}, schema={"__empty": pl.String})
    result = evaluate_chunk(columnar, Chunk(raw, rows), explain=explain, lang=lang)
    if carried is not None:
        result = result.insert_column(1, carried.alias(key))
    return result


__all__ = ["decide_frame", "plain_batch", "result_arrow"]
