"""batch layer: the built-in functions of the columnar compiler.

Calendar arithmetic is done on day numbers with integer expressions (no per-row date
construction): ``months_between`` and ``add_months`` in closed form, with the engine's
month-end clamping; ``years_between``/``months_between`` against a constant date carry a
:class:`~titlerules.batch.compiler.values.DateStep`, so that comparing them with a constant folds
into one date comparison (:mod:`titlerules.batch.compiler.steps`).  Working-day functions read two
tables built once from the official calendar (the working-day index of every date since
the epoch, and every working day in order), so a window count is a subtraction.
Built-ins with no column form (statutory retirement date, default sanction periods) call
the very same Python function once per distinct argument tuple, remembered across chunks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from titlerules import calendar as cal
from titlerules.batch._polars import polars
from titlerules.batch.compiler.core import CompilerCore
from titlerules.batch.compiler.masks import union
from titlerules.batch.compiler.values import (
    _DAY_OFFSET,
    _DAY_RADIX,
    _MONTH_SPANS,
    _YEAR_SPANS,
    YEARS_1_9999,
    Const,
    DateStep,
    Dur,
    Expr,
    Lst,
    NotColumnar,
    Number,
    Rec,
    Scalar,
    Value,
    _CalendarTables,
    _decode_day,
    _is_dateish,
    _known,
    _member_decoder,
    _NeedsFrame,
    _pick,
    _tables,
    pl_when_known,
)
from titlerules.core import nodes as n
from titlerules.core.builtins import BUILTINS
from titlerules.engine.runtime import (
    Duration,
    Unknown,
    between,
)

_EPOCH = dt.date(1970, 1, 1).toordinal()
_FIRST = dt.date.min.toordinal() - _EPOCH  # day numbers of the dates Python has
_LAST = dt.date.max.toordinal() - _EPOCH

DateLike = Expr | dt.date


def _impl(name: str) -> Callable[..., Any]:
    """A built-in's per-record implementation (for arguments that are all constants)."""
    impl = BUILTINS[name].impl
    assert impl is not None
    return impl


# ---------------------------------------------------------------- day numbers


def _days(d: DateLike) -> Any:
    """Days since 1970-01-01 (Int64 expression, or an int for a constant)."""
    pl = polars()
    if isinstance(d, dt.date):
        return d.toordinal() - _EPOCH
    return d.cast(pl.Int32).cast(pl.Int64)


def _as_date(days: Expr) -> Expr:
    pl = polars()
    return days.cast(pl.Int32, strict=False).cast(pl.Date)


def _ymd(d: DateLike) -> tuple[Any, Any, Any]:
    pl = polars()
    if isinstance(d, dt.date):
        return d.year, d.month, d.day
    return (
        d.dt.year().cast(pl.Int64),
        d.dt.month().cast(pl.Int64),
        d.dt.day().cast(pl.Int64),
    )


def _month_length(year: Any, month: Any) -> Any:
    pl = polars()
    if isinstance(year, int) and isinstance(month, int):
        from calendar import monthrange

        return monthrange(year, month)[1] if 1 <= year <= 9999 else 0
    leap = ((year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))).cast(pl.Int64)
    return pl.when(month == 2).then(28 + leap).otherwise(30 + (month + month // 8) % 2)


def _days_from_civil(year: Any, month: Any, day: Any, bind: Callable[[Any], Any]) -> Any:
    """Day number of a proleptic Gregorian date (H. Hinnant's closed form, any year).
    ``bind`` computes a value read several times once (:meth:`CompilerCore._bind`)."""
    pl = polars()
    y = bind(year - (int(month <= 2) if isinstance(month, int) else (month <= 2).cast(pl.Int64)))
    era = y // 400
    yoe = bind(y - era * 400)
    doy = (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _min(a: Any, b: Any) -> Any:
    pl = polars()
    if isinstance(a, int) and isinstance(b, int):
        return min(a, b)
    return pl.min_horizontal(_lit(a), _lit(b))


def _lit(value: Any) -> Any:
    pl = polars()
    return pl.lit(value) if isinstance(value, (int, bool, dt.date)) else value


@dataclass(frozen=True)
class _Between:
    """Whole years or months between a date and a fixed one, as the engine counts them."""

    unit: str
    rounding: str
    fixed: dt.date
    fixed_is_end: bool

    def __call__(self, day: dt.date) -> int:
        start, end = (day, self.fixed) if self.fixed_is_end else (self.fixed, day)
        return int(between(start, end, self.unit, self.rounding))


class Functions(CompilerCore):
    """The built-in functions (``_fn_<name>``) and date shifts."""

    # ------------------------------------------------ known, coalesce, min, max
    def _known(self, e: n.Known) -> Value:
        return self._fn_known(self.expr(e.arg))

    def _coalesce(self, e: n.Coalesce) -> Value:
        return self._fn_coalesce(self.expr(e.first), self.expr(e.second))

    def _fn_known(self, v: Value) -> Value:
        if isinstance(v, Const):
            return Const(type(v.value) is not Unknown)
        if isinstance(v, Scalar):
            return Scalar("bool", v.expr.is_not_null())
        if isinstance(v, Number):
            return Scalar("bool", v.num.is_not_null())
        if isinstance(v, Dur):
            return Scalar("bool", v.amount.num.is_not_null())
        if isinstance(v, Lst):
            known = v.expr.is_not_null()
            return Scalar("bool", known if v.known is None else known & v.known)
        if isinstance(v, Rec):
            if v.struct is not None:
                return Const(True)
            assert v.prefix is not None
            if not any(c.startswith(v.prefix) for c in self.schema.columns):
                return Const(False)
            return Scalar("bool", self._present(v.prefix))
        raise NotColumnar("known() of this value")

    def _fn_coalesce(self, a: Value, b: Value) -> Value:
        pl = polars()
        if isinstance(a, Const):
            return a if type(a.value) is not Unknown else b
        out: Value
        if isinstance(a, Scalar):
            b_expr = self._scalar_expr(b, a)
            out = Scalar(a.kind, pl.coalesce(a.expr, b_expr), a.enum)
        elif isinstance(a, (Number, Dur)):
            na, nb = self._number_pair(a, b)
            unit = a.unit if isinstance(a, Dur) else None
            num, den = _pick(na.num.is_not_null(), na, nb)
            out = Number(num, den)
            if unit is not None:
                out = Dur(out, unit)
        else:
            raise NotColumnar("coalesce() of records or lists")
        # The second operand's missing facts, where the first is unknown.
        return self._masked(out, self._mask(b).where(~_known(a)))

    def _fn_min(self, a: Value, b: Value) -> Value:
        return self._pick_order(a, b, "<=")

    def _fn_max(self, a: Value, b: Value) -> Value:
        return self._pick_order(a, b, ">=")

    def _pick_order(self, a: Value, b: Value, op: str) -> Value:
        pl = polars()
        if isinstance(a, Const) and isinstance(b, Const):
            impl = BUILTINS["min" if op == "<=" else "max"].impl
            assert impl is not None
            return Const(impl(self._const_env, a.value, b.value))
        a, b = self._bind_value(a), self._bind_value(b)
        keep_a = self._bind(self._bool_expr(self._compare_values(op, a, b)))
        known = _known(a) & _known(b)
        out: Value
        if _is_dateish(a) or _is_dateish(b):
            ea, eb = self._scalar_expr(a, None), self._scalar_expr(b, None)
            out = Scalar("date", pl.when(known).then(pl.when(keep_a).then(ea).otherwise(eb)))
            return self._strict(out, a, b)
        na, nb = self._number_pair(a, b)
        num, den = _pick(keep_a, na, nb)
        out = Number(pl.when(known).then(num), den)
        unit = a.unit if isinstance(a, Dur) else b.unit if isinstance(b, Dur) else None
        if unit is not None:
            out = Dur(out, unit)
        return self._strict(out, a, b)

    # ------------------------------------------------ calendar arithmetic
    def _date_operand(self, v: Value) -> DateLike:
        """A constant date as itself, a column as a (bound) expression."""
        if isinstance(v, Const) and isinstance(v.value, dt.date):
            return v.value
        return self._bind(self._date_expr(v))

    def _add_months(self, day: DateLike, months: Any) -> tuple[Expr, Expr]:
        """(day plus whole months, clamped to the month's end; the resulting year)."""
        y, m, d = _ymd(day)
        total = m - 1 + months
        # (each value read several times computed once: inline, the expression of a date
        # several months after another grows to thousands of nodes, slow to plan)
        year = self._bind(y + total // 12)
        month = self._bind(total % 12 + 1)
        dom = _min(d, _month_length(year, month))
        return _as_date(_days_from_civil(year, month, dom, self._bind)), year

    def _months_between(self, start: DateLike, end: DateLike) -> Expr:
        """Whole months from start to end, truncated towards zero (runtime.months_between):
        the candidate ``add_months(start, m0)`` always falls in end's month."""
        pl = polars()
        sy, sm, sd = _ymd(start)
        ey, em, ed = _ymd(end)
        months = (ey - sy) * 12 + (em - sm)
        candidate = _lit(_min(sd, _month_length(ey, em)))  # a column: one date is not fixed
        forward = _lit(end) >= _lit(start)
        back = (forward & (candidate > ed)).cast(pl.Int64)
        on = (~forward & (candidate < ed)).cast(pl.Int64)
        return months - back + on

    def _flag_days(self, days: Expr) -> None:
        """Rows whose date falls outside years 1..9999 go to the per-record path."""
        self._flag((days < _FIRST) | (days > _LAST), YEARS_1_9999)

    def _shift(self, d: Value, amount: Number, unit: str) -> Value:
        pl = polars()
        day = self._bind(self._date_expr(d))
        if unit == "working_days":
            return self._shift_working(Scalar("date", day), amount)
        if not isinstance(amount.den, int):
            raise NotColumnar("a shift by a fraction read from the record")
        num = self._bind(amount.num)
        whole = (
            num
            if amount.den == 1
            else self._bind(pl.when(num % amount.den == 0).then(num // amount.den))
        )
        if unit == "days":
            days = self._bind(_days(day) + whole)
            self._flag_days(days)
            return Scalar("date", _as_date(days))
        result, year = self._add_months(day, whole if unit == "months" else whole * 12)
        self._flag((year < 1) | (year > 9999), YEARS_1_9999)
        return Scalar("date", self._bind(result))

    def _fn_year(self, d: Value) -> Value:
        if isinstance(d, Const):
            return Const(d.value.year)
        return self._strict(Number(self._date_expr(d).dt.year().cast(polars().Int64)), d)

    def _fn_month(self, d: Value) -> Value:
        if isinstance(d, Const):
            return Const(d.value.month)
        return self._strict(Number(self._date_expr(d).dt.month().cast(polars().Int64)), d)

    def _fn_start_of_month(self, d: Value) -> Value:
        if isinstance(d, Const):
            return Const(d.value.replace(day=1))
        return self._strict(Scalar("date", self._date_expr(d).dt.month_start()), d)

    def _fn_end_of_month(self, d: Value) -> Value:
        if isinstance(d, Const):
            return Const(_impl("end_of_month")(self._const_env, d.value))
        return self._strict(Scalar("date", self._date_expr(d).dt.month_end()), d)

    def _fn_end_of_year(self, d: Value) -> Value:
        pl = polars()
        if isinstance(d, Const):
            return Const(dt.date(d.value.year, 12, 31))
        year = self._date_expr(d).dt.year()
        return self._strict(Scalar("date", pl.date(year, 12, 31)), d)

    def _fn_date(self, y: Value, m: Value, d: Value) -> Value:
        pl = polars()
        if all(isinstance(v, Const) for v in (y, m, d)):
            return Const(_impl("date")(self._const_env, y.value, m.value, d.value))  # type: ignore[union-attr]
        ey, em, ed = (self._bind(self._int_expr(v)) for v in (y, m, d))
        ok = ey.is_between(1, 9999) & em.is_between(1, 12)
        first = pl.date(pl.when(ok).then(ey).otherwise(2000), pl.when(ok).then(em).otherwise(1), 1)
        length = first.dt.month_end().dt.day().cast(pl.Int64)
        valid = ok & (ed >= 1) & (ed <= length)
        # An invalid date is unknown for a reason spelled with the row's numbers: such rows
        # are explained on the per-record path (no static provenance).
        return self._strict(
            Scalar("date", pl.when(valid).then(first + pl.duration(days=ed - 1))), y, m, d
        )

    def _fn_days_between(self, a: Value, b: Value) -> Value:
        if isinstance(a, Const) and isinstance(b, Const):
            return Const(Duration((b.value - a.value).days, "days"))
        days = _lit(_days(self._date_operand(b))) - _days(self._date_operand(a))
        return self._strict(Dur(Number(days), "days"), a, b)

    def _fn_years_between(self, a: Value, b: Value, rounding: Value) -> Value:
        return self._between(a, b, rounding, "years")

    def _fn_months_between(self, a: Value, b: Value, rounding: Value) -> Value:
        return self._between(a, b, rounding, "months")

    def _between(self, a: Value, b: Value, rounding: Value, unit: str) -> Value:
        pl = polars()
        if not isinstance(rounding, Const):
            raise NotColumnar("a rounding read from the record")
        if isinstance(a, Const) and isinstance(b, Const):
            impl = _impl(f"{unit}_between")
            return Const(impl(self._const_env, a.value, b.value, rounding.value))
        start, end = self._date_operand(a), self._date_operand(b)
        step: DateStep | None = None
        fixed = start if isinstance(start, dt.date) else end
        # Whole (floor) years or months are monotone in either date (the engine's ceil is
        # not, for a negative span): only they fold.
        if isinstance(fixed, dt.date) and rounding.value == "floor":
            variable = end if fixed is start else start
            fn = _Between(unit, str(rounding.value), fixed, fixed_is_end=fixed is end)
            step = DateStep(variable, fn, increasing=fixed is start)
        months = self._months_between(start, end)
        whole = months // 12 if unit == "years" else months
        if rounding.value == "floor":
            if unit == "years" and step is None:
                # The engine computes the anniversary (start's year + whole) even here: a
                # year before 1 raises there.
                self._flag(_lit(_ymd(start)[0]) + whole < 1, YEARS_1_9999)
            return self._strict(Number(whole, step=step), a, b)
        whole = self._bind(whole)
        anchor, year = self._add_months(start, whole * 12 if unit == "years" else whole)
        self._flag((year < 1) | (year > 9999), YEARS_1_9999)
        anchor_days = self._bind(_days(anchor))
        remainder = self._bind(_lit(_days(end)) - anchor_days)
        if rounding.value == "ceil":
            ceil = whole + (remainder != 0).cast(pl.Int64)
            return self._strict(Number(self._bind(ceil)), a, b)
        following, year = self._add_months(anchor, 12 if unit == "years" else 1)
        self._flag((year < 1) | (year > 9999), YEARS_1_9999)
        span = _days(following) - anchor_days
        scale = _YEAR_SPANS if unit == "years" else _MONTH_SPANS
        exact = Number(self._bind(whole * scale + remainder * (scale // span)), scale)
        return self._strict(exact, a, b)

    # ------------------------------------------------ working days
    def _working_tables(self) -> _CalendarTables:
        if self.calendar.strict:
            raise NotColumnar("working days in a strict calendar")
        return _tables(self.calendar)

    def _day_number(self, d: Expr) -> Expr:
        """Days since the calendar epoch, clamped into the tables; rows with a date outside
        the calendar go to the per-record path (it raises there)."""
        days = self._bind(_days(d) - _days(cal.EPOCH))
        last = (cal.LAST_DATE - cal.EPOCH).days
        self._flag((days < 0) | (days > last), "a date outside the working-day calendar")
        return days.clip(0, last)

    def _flag_provisional(self, a: Expr, b: Expr | None = None) -> None:
        """With ``provisional`` on, flag the rows where a year from ``a``'s to ``b``'s (either
        order; ``b`` None: ``a``'s alone) is a provisional calendar year: the per-record path
        notes those years for the decision's receipt (``note_years``)."""
        if not self.provisional:
            return
        pl = polars()
        first, last = cal.EPOCH.year, cal.LAST_DATE.year
        count, counts = 0, [0]  # counts[k]: provisional years before first + k
        for year in range(first, last + 1):
            count += self.calendar.is_provisional_year(year)
            counts.append(count)
        if not count:
            return
        table = pl.lit(pl.Series(counts, dtype=pl.Int64))
        year_a = a.dt.year().cast(pl.Int64)
        year_b = year_a if b is None else b.dt.year().cast(pl.Int64)
        low = (pl.min_horizontal(year_a, year_b) - first).clip(0, last - first)
        high = (pl.max_horizontal(year_a, year_b) - first).clip(0, last - first)
        hit = table.gather(high + 1) - table.gather(low) > 0
        self._flag(hit, "a working-day answer in a provisional calendar year")

    def _index(self, d: Expr) -> tuple[Expr, Expr]:
        pl = polars()
        tables = self._working_tables()
        days = self._day_number(d)
        index = pl.lit(tables.index).gather(days)
        working = pl.lit(tables.working).gather(days)
        return index, working

    def _fn_working_days_between(self, a: Value, b: Value) -> Value:
        pl = polars()
        if isinstance(a, Const) and isinstance(b, Const):
            impl = _impl("working_days_between")
            return Const(impl(self._const_env, a.value, b.value))
        start, end = self._bind(self._date_expr(a)), self._bind(self._date_expr(b))
        self._flag_provisional(start, end)
        index_start, working_start = self._index(start)
        index_end, _ = self._index(end)
        count = pl.when(start > end).then(0).otherwise(index_end - (index_start - working_start))
        known = start.is_not_null() & end.is_not_null()
        return self._strict(Dur(Number(pl.when(known).then(count)), "working_days"), a, b)

    def _fn_is_working_day(self, d: Value) -> Value:
        if isinstance(d, Const):
            return Const(self.calendar.is_working_day(d.value))
        _, working = self._index(self._date_expr(d))
        self._flag_provisional(self._date_expr(d))
        return self._strict(Scalar("bool", pl_when_known(self._date_expr(d), working == 1)), d)

    def _fn_add_working_days(self, d: Value, n: Value) -> Value:
        amount = n.amount if isinstance(n, Dur) else self._number(n)
        return self._strict(self._shift_working(d, amount), d, n)

    def _shift_working(self, d: Value, n: Number) -> Value:
        pl = polars()
        if not isinstance(n.den, int) or n.den != 1:
            raise NotColumnar("a fractional working-day shift")
        tables = self._working_tables()
        day = self._bind(self._date_expr(d))
        index, working = self._index(day)
        amount = self._bind(n.num)
        target = self._bind(
            pl.when(amount > 0).then(index + amount).otherwise(index - working + amount + 1)
        )
        self._flag((target < 1) | (target > tables.total), "working days counted past the calendar")
        position = (target - 1).clip(0, tables.total - 1)
        result = pl.lit(tables.workdays).gather(position)
        self._flag_provisional(day, result)
        return Scalar("date", pl.when(day.is_not_null() & amount.is_not_null()).then(result))

    # ------------------------------------------------ built-ins run in Python
    def _python_call(self, func: str, args: list[Value]) -> Value:
        """The Python built-in once per distinct argument tuple (each argument read from the
        record a small integer code, 0 for unknown; the codes packed into one Int64 key)."""
        pl = polars()
        if BUILTINS[func].columnar != "per_distinct":
            raise NotColumnar(f"{func}()")
        if self._frame.element:
            raise _NeedsFrame
        codes: list[Expr] = []
        decoders: list[Callable[[int], Any]] = []
        radices: list[int] = []
        constants: dict[int, Any] = {}
        site: list[Any] = [func]  # what the call computes, argument by argument (its key)
        for i, arg in enumerate(args):
            if isinstance(arg, Const):
                constants[i] = arg.value
                site.append(("const", type(arg.value), repr(arg.value)))
            elif isinstance(arg, Scalar) and arg.kind == "date":
                codes.append(arg.expr.cast(pl.Int64) + _DAY_OFFSET + 1)
                decoders.append(_decode_day)
                radices.append(_DAY_RADIX)
                site.append("date")
            elif isinstance(arg, Scalar) and arg.kind == "enum" and arg.enum is not None:
                members = list(arg.enum)
                table = {str(m.value): k + 1 for k, m in enumerate(members)}
                codes.append(arg.expr.replace_strict(table, default=None, return_dtype=pl.Int64))
                decoders.append(_member_decoder(members))
                radices.append(len(members) + 1)
                site.append(("enum", arg.enum))
            elif isinstance(arg, Scalar) and arg.kind == "bool":
                codes.append(arg.expr.cast(pl.Int64) + 1)
                decoders.append(lambda code: code == 2)
                radices.append(3)
                site.append("bool")
            else:
                raise NotColumnar(f"{func}() of a number, text or a record")
        key: Expr = pl.lit(0, dtype=pl.Int64)
        weight = 1
        for code, radix in zip(codes, radices, strict=True):
            key = key + code.fill_null(0) * weight
            weight *= radix
        if weight >= 2**62:
            raise NotColumnar(f"{func}() of too many arguments")
        call = self.calls.get(tuple(site))
        if call is None:
            call = PythonCall(func, len(args), constants, decoders, radices, self._const_env)
            self.calls[tuple(site)] = call
        out = self._bind(key.map_batches(call.apply, return_dtype=PythonCall.dtype()))
        self._flag(out.struct.field("e"), "a built-in function refuses the row's values")
        value = Scalar("date", self._bind(out.struct.field("v")))
        if not self.explain:
            return value
        # The result's missing facts: those of the arguments it was unknown for; any other
        # reason (spelled with the row's values) sends the row to the per-record path.
        reason = "missing facts named with the row's values (explained per record)"
        self._flag(out.struct.field("x"), reason)
        used = out.struct.field("a")
        masks = [self._mask(arg).where((used // (1 << i)) % 2 == 1) for i, arg in enumerate(args)]
        return self._masked(value, union(masks).map(self._bind))


class PythonCall:
    """One call site of a Python built-in: its results by packed argument key, remembered
    across chunks (the distinct argument tuples of a population repeat)."""

    def __init__(
        self,
        func: str,
        count: int,
        constants: dict[int, Any],
        decoders: list[Callable[[int], Any]],
        radices: list[int],
        env: Any,
    ) -> None:
        builtin = BUILTINS[func]
        assert builtin.impl is not None
        self.impl = builtin.impl
        self.lenient = builtin.lenient
        self.count = count
        self.constants = constants
        self.decoders = decoders
        self.radices = radices
        self.env = env
        self.memo: Any = None  # DataFrame: k, and the result fields

    @staticmethod
    def dtype() -> Any:
        pl = polars()
        return pl.Struct({"v": pl.Date, "e": pl.Boolean, "a": pl.Int64, "x": pl.Boolean})

    def run(self, packed: int) -> tuple[dt.date | None, bool, int, bool]:
        """(date, the per-record path would raise, arguments whose unknown it is, unknown
        for another reason)."""
        values: list[Any] = []
        position = 0
        for i in range(self.count):
            if i in self.constants:
                values.append(self.constants[i])
                continue
            radix = self.radices[position]
            code = packed % radix
            packed //= radix
            values.append(
                Unknown(frozenset({f"\x00{i}"})) if code == 0 else self.decoders[position](code)
            )
            position += 1
        unknown_args = sum(1 << i for i, v in enumerate(values) if type(v) is Unknown)
        if not self.lenient and unknown_args:
            return (None, False, unknown_args, False)
        try:
            result = self.impl(self.env, *values)
        except Exception:  # the per-record path would raise: decide the row there
            return (None, True, 0, False)
        if type(result) is Unknown:
            used = 0
            other = False
            for path in result.paths:
                if path.startswith("\x00"):
                    used |= 1 << int(path[1:])
                else:
                    other = True
            return (None, False, used, other)
        if not isinstance(result, dt.date):
            return (None, False, 0, True)
        return (result, False, 0, False)

    def apply(self, keys: Any) -> Any:
        """The results for a column of packed keys.  A call site may be shared by several
        expressions of one query, which Polars may evaluate at once: each call works on its
        own copy of the memo (taking no lock, which could stall Polars' worker threads) and
        puts back a table with its own results; one lost to a concurrent call is only
        computed again later."""
        pl = polars()
        if not keys.len():
            return pl.Series("r", [], dtype=self.dtype())
        memo = self.memo
        distinct = keys.unique()
        if memo is not None:
            distinct = distinct.filter(~distinct.is_in(memo.get_column("k").implode()))
        if distinct.len():
            found = [self.run(k) for k in distinct.to_list()]
            fresh = pl.DataFrame(
                {
                    "k": distinct,
                    "v": pl.Series([f[0] for f in found], dtype=pl.Date),
                    "e": pl.Series([f[1] for f in found], dtype=pl.Boolean),
                    "a": pl.Series([f[2] for f in found], dtype=pl.Int64),
                    "x": pl.Series([f[3] for f in found], dtype=pl.Boolean),
                }
            )
            memo = fresh if memo is None else pl.concat([memo, fresh])
            self.memo = memo
        joined = keys.rename("k").to_frame().join(memo, on="k", how="left", maintain_order="left")
        return joined.select(pl.struct("v", "e", "a", "x").alias("r")).to_series()


__all__ = ["Functions", "PythonCall"]
