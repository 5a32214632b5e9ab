"""batch layer: the values the columnar compiler works with, and their small helpers.

A compiled expression is a constant (:class:`Const`), a column of booleans, dates, text or
enum members (:class:`Scalar`), an exact number as numerator and denominator
(:class:`Number`), a duration (:class:`Dur`), a record (:class:`Rec`) or a list of records
(:class:`Lst`).  With explanations on, a value also carries its :class:`~titlerules.batch.
masks.Mask`: the missing facts behind its nulls.  Frames and stages describe where columns
are computed (see :mod:`titlerules.batch.compiler.columnar`).
"""

from __future__ import annotations

import datetime as dt
import enum
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache
from typing import Any

from titlerules import calendar as cal
from titlerules.batch._polars import collect, collect_all, polars
from titlerules.batch.compiler.masks import Mask
from titlerules.batch.schema import DECIMAL_SCALE, ListField
from titlerules.engine.runtime import Duration, Unknown

Expr = Any  # polars.Expr (Polars is an optional dependency, imported lazily)

_MAX_STATIC_DENOMINATOR = 10**12
_YEAR_SPANS = 365 * 366  # lcm(365, 366): denominators of exact years
_MONTH_SPANS = 28 * 29 * 30 * 31 // 2  # lcm(28, 29, 30, 31): denominators of exact months


AS_OF_COLUMN = "application.submitted_on"
"""The column of a row's own as-of date (the submission date), unless one is given."""
FLAG_PREFIX = "__flag: "
"""A flag column (rows sent to the per-record path) is named by this and its reason."""
YEARS_1_9999 = "a date outside years 1 to 9999"
UNRANKED = "a term without a rank ordered against another"


def first_reason(flags: Sequence[Expr]) -> str:
    """The reason of the first of ``flags`` (its name after :data:`FLAG_PREFIX`)."""
    for flag in flags:
        name = flag.meta.output_name(raise_if_undetermined=False) or ""
        if name.startswith(FLAG_PREFIX):
            return name[len(FLAG_PREFIX) :]
    return "a value the per-record path decides"


class NotColumnar(Exception):
    """The expression has no columnar form here; the rule runs on the per-record path."""


class _NeedsFrame(Exception):
    """A list method's body reads more than its element: use an exploded frame."""


# ---------------------------------------------------------------- compiled values


@dataclass(frozen=True)
class Const:
    """A value known while compiling (a literal, a parameter, an enum term)."""

    value: Any


@dataclass(frozen=True)
class Scalar:
    """A column of booleans, dates, text or enum members (by English value)."""

    kind: str  # bool, date, text, enum
    expr: Expr
    enum: type[enum.Enum] | None = None
    mask: Mask | None = None


@dataclass(frozen=True)
class DateStep:
    """A whole number that is a monotone step function of one date column (``years_between``
    with the other date a constant): ``fn`` gives it for any date, exactly as the engine
    counts; a comparison with a constant folds into a comparison of ``date`` with a date."""

    date: Expr
    fn: Callable[[dt.date], int]
    increasing: bool


@dataclass(frozen=True)
class Number:
    """An exact number: ``num / den`` (den > 0; an int, or a column)."""

    num: Expr
    den: Any = 1  # int or Expr
    mask: Mask | None = None
    step: DateStep | None = None


@dataclass(frozen=True)
class Dur:
    """A duration: an exact amount of one unit."""

    amount: Number
    unit: str

    @property
    def mask(self) -> Mask | None:
        return self.amount.mask


@dataclass(frozen=True)
class Rec:
    """A record: a prefix of flat columns, or a struct (a list element)."""

    model: type[Any]
    prefix: str | None = None
    struct: Expr | None = None
    list_path: str | None = None  # the list an element (``struct``) belongs to
    tag: str = ""  # the list method looking at the element (masks: see batch.masks)


@dataclass(frozen=True)
class Lst:
    """A list of records (a list column of structs); ``known`` is false where the list is
    unknown (a list column that is null, or a filter whose condition was unknown)."""

    expr: Expr
    field: ListField
    known: Expr | None = None
    mask: Mask | None = None
    bits: Expr | None = None  # explaining: List(UInt64), 2**(original index) per element


Value = Const | Scalar | Number | Dur | Rec | Lst


# ---------------------------------------------------------------- frames


@dataclass
class Stage:
    """A step that adds columns to a frame: computed columns (``exprs``, aliased), or a list
    method over an exploded table joined back: ``query`` takes the frame (a DataFrame) and
    gives the LazyFrame of the method's results per row, ``join`` adds them to the frame
    (see :func:`run_stages`)."""

    inputs: set[str]
    outputs: set[str]
    exprs: list[Expr] = field(default_factory=list)
    query: Callable[[Any], Any] | None = None
    join: Callable[[Any, Any], Any] | None = None

    @property
    def explode(self) -> bool:
        return self.query is not None


def run_stages(frame: Any, stages: Sequence[Stage]) -> Any:
    """Apply stages to a LazyFrame.  A list method's stage needs the frame collected (a join
    of a frame with an aggregate of itself would otherwise repeat the whole plan on both
    sides, doubling it at every list method), so the stages run in rounds: a stage's round
    is the number of list methods it waits for, through what it reads; each round computes
    its columns (consecutive ones that do not read each other in one ``with_columns``,
    computed in parallel), collects the frame once, and runs the queries of all its list
    methods together (``collect_all``) before joining their results back.  A policy's list
    methods mostly read the record, not one another: a few rounds, not a collect per
    method."""
    made_in: dict[str, int] = {}  # each column a stage makes: the round it is ready in
    rounds: list[tuple[list[Stage], list[Stage]]] = []  # per round: column stages, lists
    for stage in stages:
        ready = max((made_in[name] for name in stage.inputs if name in made_in), default=0)
        while len(rounds) <= ready:
            rounds.append(([], []))
        columns, lists = rounds[ready]
        (lists if stage.query is not None else columns).append(stage)
        after = ready + 1 if stage.query is not None else ready
        for name in stage.outputs:
            made_in[name] = after
    for columns, lists in rounds:
        frame = _with_columns(frame, columns)
        if lists:
            table = collect(frame)
            results = collect_all([stage.query(table) for stage in lists if stage.query])
            for stage, result in zip(lists, results, strict=True):
                assert stage.join is not None
                table = stage.join(table, result)
            frame = table.lazy()
    return frame


def _with_columns(frame: Any, stages: Sequence[Stage]) -> Any:
    """``frame`` with the columns of ``stages``, in order: consecutive ones that do not read
    each other in one ``with_columns``."""
    batch: list[Expr] = []
    made: set[str] = set()
    for stage in stages:
        if stage.inputs & made:
            frame = frame.with_columns(batch)
            batch, made = [], set()
        batch.extend(stage.exprs)
        made |= stage.outputs
    if batch:
        frame = frame.with_columns(batch)
    return frame


def prune_stages(stages: Sequence[Stage], needed: set[str]) -> list[Stage]:
    """The stages that compute ``needed`` columns (and what those read), in order."""
    wanted = set(needed)
    kept: list[Stage] = []
    for stage in reversed(stages):
        if stage.outputs & wanted:
            kept.append(stage)
            wanted |= stage.inputs
    kept.reverse()
    return kept


@dataclass
class Frame:
    """Where expressions are evaluated: the table of records, an exploded list, or the
    inside of ``list.eval`` (``element``: no other column may be read there)."""

    row_id: str
    parent: Frame | None = None
    element: bool = False
    stages: list[Stage] = field(default_factory=list)
    flags: list[Expr] = field(default_factory=list)


@dataclass(frozen=True)
class CompiledRuleColumns:
    """A rule as columns: applies (None: always), violation, exceptions (all booleans)."""

    id: str
    blocking: bool
    applies: Expr | None
    violation: Expr
    exceptions: tuple[Expr, ...]
    mask: Mask | None = None  # the missing facts where the rule is unknown (explaining)
    reads: tuple[str, ...] = ()  # the facts the rule reads (record paths; list[].field)


# ---------------------------------------------------------------- working-day tables


@dataclass(frozen=True)
class _CalendarTables:
    index: Any  # Series: working-day index of every date from the epoch
    working: Any  # Series: 1 where the date is a working day
    workdays: Any  # Series of dates: the working days in order
    total: int


@cache
def _tables(calendar: cal.Calendar) -> _CalendarTables:
    pl = polars()
    index: list[int] = []
    for year in range(cal.EPOCH.year, cal.LAST_DATE.year + 1):
        index.extend(calendar.working_day_index_table(year))
    working = [index[0]] + [b - a for a, b in itertools.pairwise(index)]
    days = [cal.EPOCH + dt.timedelta(days=i) for i, w in enumerate(working) if w]
    return _CalendarTables(
        pl.Series("index", index, dtype=pl.Int64),
        pl.Series("working", working, dtype=pl.Int64),
        pl.Series("workdays", days, dtype=pl.Date),
        index[-1],
    )


# ---------------------------------------------------------------- small helpers


_DAY_OFFSET = 800_000  # days before 1970-01-01 that a date code can reach (year -220)
_DAY_RADIX = 4_000_000


def _decode_day(code: int) -> dt.date:
    return dt.date(1970, 1, 1) + dt.timedelta(days=code - 1 - _DAY_OFFSET)


def pl_when_known(known_of: Expr, value: Expr) -> Expr:
    pl = polars()
    return pl.when(known_of.is_not_null()).then(value)


def _when_known(obj: Lst, value: Expr) -> Expr:
    pl = polars()
    known = obj.expr.is_not_null()
    if obj.known is not None:
        known = known & obj.known.fill_null(False)
    return pl.when(known).then(value)


def _known(v: Value) -> Expr:
    pl = polars()
    if isinstance(v, Const):
        return pl.lit(type(v.value) is not Unknown)
    if isinstance(v, Scalar):
        return v.expr.is_not_null()
    if isinstance(v, Number):
        return v.num.is_not_null()
    if isinstance(v, Dur):
        return v.amount.num.is_not_null()
    return pl.lit(True)


def _leaf_value(expr: Expr, kind: str, enum_cls: type[enum.Enum] | None) -> Value:
    if kind == "int":
        return Number(expr)
    if kind == "decimal":
        return Number(expr, DECIMAL_SCALE)
    if kind in ("bool", "date", "text", "enum"):
        return Scalar(kind, expr, enum_cls)
    raise NotColumnar(f"a fact of kind {kind}")


@cache
def _element_fields(model: type[Any]) -> dict[str, tuple[str, type[enum.Enum] | None]]:
    from titlerules.batch.schema import _walk

    leaves: list[Any] = []
    _walk(model, "", leaves, None, None)
    return {leaf.path: (leaf.kind, leaf.enum) for leaf in leaves}


def _element_field(model: type[Any], name: str) -> tuple[str, type[enum.Enum] | None] | None:
    return _element_fields(model).get(name)  # type: ignore[arg-type]


def _member_decoder(members: list[Any]) -> Callable[[int], Any]:
    return lambda code: members[code - 1]


def _ranks(value: Scalar) -> Expr:
    """The rank of each enum member (null for a term outside the order)."""
    pl = polars()
    cls = value.enum
    if cls is None or not all(hasattr(m, "rank") for m in cls):
        raise NotColumnar("min/max of terms without an order")
    ranks = {str(m.value): getattr(m, "rank", None) for m in cls}
    return value.expr.replace_strict(ranks, default=None, return_dtype=pl.Int64)


def _cell(value: Any) -> Any:
    """A constant as the column value it is compared with."""
    if isinstance(value, enum.Enum):
        return str(value.value)
    return value


def _is_dateish(v: Value) -> bool:
    return (isinstance(v, Scalar) and v.kind == "date") or (
        isinstance(v, Const) and isinstance(v.value, dt.date)
    )


def _is_duration(v: Value) -> bool:
    return isinstance(v, Dur) or (isinstance(v, Const) and isinstance(v.value, Duration))


def _unit(v: Value) -> str | None:
    if isinstance(v, Dur):
        return v.unit
    if isinstance(v, Const) and isinstance(v.value, Duration):
        return v.value.unit
    return None


def _number_const(value: int | Fraction) -> Number:
    pl = polars()
    fraction = Fraction(value)
    return Number(pl.lit(fraction.numerator, dtype=pl.Int64), fraction.denominator)


def _as_expr(value: Any) -> Expr:
    pl = polars()
    return pl.lit(value, dtype=pl.Int64) if isinstance(value, int) else value


def _mul(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int):
        return a * b
    if isinstance(a, int) and a == 1:
        return b
    if isinstance(b, int) and b == 1:
        return a
    if not isinstance(a, int) and not isinstance(b, int):
        raise NotColumnar("a fraction of fractions read from the record")
    return _as_expr(a) * _as_expr(b)


def _check_static(n: Number) -> None:
    if isinstance(n.den, int) and n.den > _MAX_STATIC_DENOMINATOR:
        raise NotColumnar("a denominator too large for exact integer columns")


def _add(a: Number, b: Number, op: str) -> Number:
    if isinstance(a.den, int) and isinstance(b.den, int):
        common = math.lcm(a.den, b.den)
        num_a = a.num * (common // a.den) if common != a.den else a.num
        num_b = b.num * (common // b.den) if common != b.den else b.num
        out = Number(num_a + num_b if op == "+" else num_a - num_b, common)
        _check_static(out)
        return out
    num_a = a.num * _as_expr(b.den)
    num_b = b.num * _as_expr(a.den)
    return Number(num_a + num_b if op == "+" else num_a - num_b, _mul(a.den, b.den))


def _divide(a: Number, b: Number) -> Number:
    """a / b exactly; null where b is zero (unknown: division by zero)."""
    pl = polars()
    num = a.num * _as_expr(b.den)
    den = b.num * _as_expr(a.den)
    negative = den < 0
    num = pl.when(den != 0).then(pl.when(negative).then(-num).otherwise(num))
    den = pl.when(negative).then(-den).otherwise(den)
    return Number(num, den)


def _pick(condition: Expr, a: Number, b: Number) -> tuple[Expr, Any]:
    pl = polars()
    if isinstance(a.den, int) and isinstance(b.den, int):
        common = math.lcm(a.den, b.den)
        num_a = a.num * (common // a.den) if common != a.den else a.num
        num_b = b.num * (common // b.den) if common != b.den else b.num
        return pl.when(condition).then(num_a).otherwise(num_b), common
    num = pl.when(condition).then(a.num).otherwise(b.num)
    den = pl.when(condition).then(_as_expr(a.den)).otherwise(_as_expr(b.den))
    return num, den


def _apply(op: str, a: Expr, b: Expr) -> Expr:
    if op == "==":
        return a == b
    if op == "!=":
        return a != b
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    if op == ">=":
        return a >= b
    raise NotColumnar(f"operator {op}")
