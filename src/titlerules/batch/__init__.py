"""batch layer: deciding tables of records, column-wise (the ``[fast]`` extra: Polars).

::

    import titlerules
    from titlerules import batch

    policy = titlerules.load_policy("eryuan-2024")
    columnar = batch.ColumnarPolicy(policy)            # compile once
    result = columnar.evaluate(frame)                    # a polars.DataFrame of record paths
    table = batch.validate_table(frame)                  # or: validate once ...
    result = columnar.evaluate(table, explain=True)      # ... decide (and explain) many times
    summary, _ = batch.run_file(columnar, "applicants.parquet", "result.parquet")
    summary = batch.run_database(columnar, "duckdb:///office.duckdb", table="applicants",
                                 out_table="decisions")           # [db] extra; docs/scale.md

A table row is one applicant; its columns are named by record path (``person.birth_date``,
``employment.is_civil_servant``; lists of records as JSON text or lists of structs).  The
result has one row per input row: ``row``, ``id``, ``outcome``, ``failed``, ``unknown``,
``error`` and one ``rule.<id>`` column per rule (an Enum of ``passed``, ``failed``,
``not_applicable``, ``unknown``), with the decisions ``Policy.evaluate`` makes (rules or rows
without a columnar form take the per-record path); with ``explain=True`` also ``missing``
(``Decision.missing_facts``) and ``explanation``.  See docs/performance.md.

Polars is imported on first use; without it, using this package raises a
:class:`~titlerules.errors.TitleRulesError` saying to install ``titlerules[fast]``.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from titlerules.argcheck import checked
from titlerules.batch._polars import frame_types, polars

__all__ = [
    "ColumnarPolicy",
    "Progress",
    "Summary",
    "ValidatedTable",
    "applicant_schema",
    "evaluate_table",
    "polars",
    "read_chunks",
    "run_database",
    "run_file",
    "validate_table",
]

if TYPE_CHECKING:
    from titlerules.batch.db import run_database
    from titlerules.batch.io import Progress, Summary, read_chunks, run_file
    from titlerules.batch.runner import ColumnarPolicy
    from titlerules.batch.schema import applicant_schema
    from titlerules.batch.table import ValidatedTable, validate_table

_LAZY = {
    "ColumnarPolicy": "titlerules.batch.runner",
    "Progress": "titlerules.batch.io",
    "Summary": "titlerules.batch.io",
    "read_chunks": "titlerules.batch.io",
    "run_file": "titlerules.batch.io",
    "run_database": "titlerules.batch.db",
    "applicant_schema": "titlerules.batch.schema",
    "ValidatedTable": "titlerules.batch.table",
    "validate_table": "titlerules.batch.table",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'titlerules.batch' has no attribute {name!r}")
    from titlerules.batch._polars import polars

    polars()  # a clear error when the [fast] extra is missing
    import importlib

    return getattr(importlib.import_module(module), name)


def _policy() -> type:
    from titlerules.engine.policy import Policy

    return Policy


@checked(policy=_policy, frame=frame_types, as_of=(dt.date, type(None)))
def evaluate_table(policy: Any, frame: Any, *, as_of: Any = None) -> Any:
    """Decide every row of a ``polars.DataFrame`` of applicant records (columns named by
    record path) with a :class:`~titlerules.engine.policy.Policy`; one result row per row."""
    from titlerules.batch.runner import ColumnarPolicy

    return ColumnarPolicy(policy, as_of=as_of).evaluate(frame)
