"""batch layer: compile a policy's core IR into Polars expressions over a table of records.

Every expression of a rule becomes a column expression; Kleene logic maps onto nulls (a
missing fact is a null, ``false and null`` is false, ``true or null`` is true, and so on).
Numbers stay exact: an integer is an Int64 column, a fraction a pair of integer columns
(numerator, denominator), never a float.  The compiler is made of three parts:

* :mod:`titlerules.batch.compiler.core`: rules, names, record paths, operators, exact arithmetic,
  and (with explanations on) the missing facts behind every null
  (:mod:`titlerules.batch.compiler.masks`);
* :mod:`titlerules.batch.compiler.functions`: built-in functions (closed-form calendar arithmetic,
  working days, Python built-ins once per distinct argument tuple), with comparisons of
  whole years against a constant folded into one date comparison
  (:mod:`titlerules.batch.compiler.steps`);
* :mod:`titlerules.batch.compiler.lists`: list methods, inside ``list.eval`` when their body reads
  only the element, else over an exploded table joined back by row.

What cannot be expressed raises :class:`NotColumnar` while compiling (the rule then runs on
the per-record path); what the per-record path would refuse for a row (a working-day date
outside the calendar, a date past year 9999) marks that row, which is then decided by the
per-record path.  Either way the decision is the one ``Policy.evaluate`` makes.

The values, frames and small helpers it works with are in :mod:`titlerules.batch.compiler.values`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from titlerules import calendar as cal
from titlerules.batch.compiler.functions import Functions
from titlerules.batch.compiler.lists import ListMethods
from titlerules.batch.compiler.values import CompiledRuleColumns, NotColumnar
from titlerules.batch.schema import TableSchema
from titlerules.core import nodes as n


class ColumnarCompiler(ListMethods, Functions):
    """Compiles the rules of a checked policy, for records of one tabular schema."""


def compile_rules(
    policy: n.CorePolicy,
    params: dict[str, Any],
    rules: Sequence[n.Rule],
    schema: TableSchema,
    calendar: cal.Calendar,
    as_of: dt.date | None,
    *,
    explain: bool = False,
    calls: dict[Any, Any] | None = None,
    provisional: bool = False,
) -> tuple[ColumnarCompiler, dict[str, CompiledRuleColumns], dict[str, str]]:
    """The columns of every rule that has them, and why the others have none.  ``calls``:
    the Python built-ins' call sites of another compilation of these rules, to share;
    ``provisional``: flag the rows whose working-day answers touch a provisional calendar
    year (the per-record path names those years in the decision's receipt)."""
    compiler = ColumnarCompiler(
        policy,
        params,
        schema,
        calendar,
        as_of,
        explain=explain,
        calls=calls,
        provisional=provisional,
    )
    compiled: dict[str, CompiledRuleColumns] = {}
    fallback: dict[str, str] = {}
    for rule in rules:
        try:
            compiled[rule.id] = compiler.rule(rule)
        except NotColumnar as exc:
            fallback[rule.id] = str(exc)
    return compiler, compiled, fallback


__all__ = ["ColumnarCompiler", "NotColumnar", "compile_rules"]
