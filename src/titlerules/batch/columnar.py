"""batch layer: compile a checked policy's IR into Polars expressions over a table of records.

Every expression of a rule becomes a column expression; Kleene logic maps onto nulls (a
missing fact is a null, ``false and null`` is false, ``true or null`` is true, and so on).
Numbers stay exact: an integer is an Int64 column, a fraction a pair of integer columns
(numerator, denominator), never a float.  Working-day functions read two tables built once
from the official calendar (the working-day index of every date since the epoch, and every
working day in order), so a window count is a subtraction.  List methods run inside
``list.eval`` when their body reads only the element, else over an exploded table joined
back by row.  Built-ins with no column form (statutory retirement date, default sanction
periods) call the very same Python function once per distinct argument tuple.

What cannot be expressed raises :class:`NotColumnar` while compiling (the rule then runs on
the per-record path); what the per-record path would refuse for a row (a working-day date
outside the calendar, a date past year 9999) marks that row, which is then decided by the
per-record path.  Either way the decision is the one ``Policy.evaluate`` makes.

The values, frames and small helpers it works with are in :mod:`titlerules.batch.values`.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

from titlerules import calendar as cal
from titlerules.batch._polars import polars
from titlerules.batch.schema import TableSchema
from titlerules.batch.values import (
    _DAY_OFFSET,
    _DAY_RADIX,
    _MONTH_SPANS,
    _YEAR_SPANS,
    CompiledRuleColumns,
    Const,
    Dur,
    Expr,
    Frame,
    Lst,
    NotColumnar,
    Number,
    Rec,
    Scalar,
    Stage,
    Value,
    _add,
    _apply,
    _as_expr,
    _CalendarTables,
    _cell,
    _check_static,
    _decode_day,
    _divide,
    _element_field,
    _is_dateish,
    _is_duration,
    _known,
    _leaf_value,
    _member_decoder,
    _mul,
    _NeedsFrame,
    _number_const,
    _pick,
    _ranks,
    _tables,
    _unit,
    _when_known,
    pl_when_known,
    run_stages,
    unknown_value,
)
from titlerules.engine.runtime import BUILTIN_IMPLS, Duration, Env, Unknown, arithmetic, compare
from titlerules.lang import ir
from titlerules.lang.checker import enum_registry, enum_terms, lookup_term
from titlerules.lang.loader import ResolvedPolicy
from titlerules.lang.types import ROUNDINGS

# ---------------------------------------------------------------- the compiler


class ColumnarCompiler:
    """Compiles the rules of a checked policy, for records of one tabular schema."""

    def __init__(
        self,
        policy: ResolvedPolicy,
        params: dict[str, Any],
        schema: TableSchema,
        calendar: cal.Calendar,
        as_of: dt.date | None,
    ) -> None:
        self.policy = policy
        self.params = params
        self.schema = schema
        self.calendar = calendar
        self.as_of = as_of
        self.enums = enum_registry()
        self.root = Frame("__row")
        self._frame = self.root
        self._scope: list[dict[str, tuple[Value, Frame]]] = []
        self._lets: dict[str, Value] = {}
        self._counter = 0
        self._const_env = Env(roots={}, as_of=None, calendar=calendar)

    # ------------------------------------------------ rules
    def rule(self, rule: ir.Rule) -> CompiledRuleColumns:
        """The rule's columns; raises NotColumnar (and leaves no trace) when it has none."""
        saved_stages, saved_flags = list(self.root.stages), list(self.root.flags)
        saved_lets = dict(self._lets)
        try:
            applies = self.boolean(rule.applies) if rule.applies is not None else None
            if rule.kind == "exclusion":
                assert rule.when is not None
                violation = self.boolean(rule.when)
            else:
                required = (
                    rule.require[0]
                    if len(rule.require) == 1
                    else ir.BoolOp("and", rule.require, span=rule.span)
                )
                violation = ~self.boolean(required)
            exceptions = tuple(self._bind(self.boolean(e.condition)) for e in rule.unless)
            violation = self._bind(violation)
            applies = self._bind(applies) if applies is not None else None
        except (NotColumnar, _NeedsFrame) as exc:
            self.root.stages[:] = saved_stages
            self.root.flags[:] = saved_flags
            self._lets = saved_lets
            self._frame, self._scope = self.root, []
            raise NotColumnar(str(exc) or "a list element read outside its list") from None
        return CompiledRuleColumns(
            rule.id, rule.severity == "blocking", applies, violation, exceptions
        )

    def boolean(self, e: ir.Expr) -> Expr:
        return self._bool_expr(self.expr(e))

    # ------------------------------------------------ helpers
    def _new_name(self, stem: str) -> str:
        self._counter += 1
        return f"__{stem}{self._counter}"

    def _bind(self, expr: Expr) -> Expr:
        """``expr`` computed once into a column of the current frame, so that expressions
        reading it several times stay small (nested date arithmetic would otherwise grow
        exponentially).  Inside ``list.eval`` there are no columns to add: kept inline."""
        pl = polars()
        if self._frame.element or isinstance(expr, (int, float)):
            return expr
        if expr.meta.is_column():
            return expr
        name = self._new_name("c")
        aliased = expr.alias(name)

        def add_column(frame: Any, aliased: Expr = aliased) -> Any:
            return frame.with_columns(aliased)

        self._frame.stages.append(
            Stage(
                add_column,
                set(expr.meta.root_names()),
                {name},
            )
        )
        return pl.col(name)

    def _bind_value(self, v: Value) -> Value:
        if isinstance(v, Scalar):
            return Scalar(v.kind, self._bind(v.expr), v.enum)
        if isinstance(v, Number):
            return self._bind_number(v)
        if isinstance(v, Dur):
            return Dur(self._bind_number(v.amount), v.unit)
        return v

    def _bind_number(self, n: Number) -> Number:
        den = n.den if isinstance(n.den, int) else self._bind(n.den)
        return Number(self._bind(n.num), den)

    def _add_months(self, day: Expr, months: Expr | int) -> Expr:
        """``day`` plus whole months, clamped to the month's end (runtime.add_months)."""
        pl = polars()
        day = self._bind(day)
        total = self._bind(day.dt.month().cast(pl.Int64) - 1 + months)
        year = self._bind(day.dt.year().cast(pl.Int64) + total // 12)
        month = total - (total // 12) * 12 + 1
        safe_year = year.clip(1, 9999)
        first = self._bind(pl.date(safe_year, month, 1))
        length = first.dt.month_end().dt.day().cast(pl.Int64)
        dom = day.dt.day().cast(pl.Int64)
        result = first + pl.duration(days=pl.min_horizontal(dom, length) - 1)
        # A year outside 1..9999 is no date: keep it visible to the range check.
        beyond = pl.lit(dt.date(9999, 12, 31)) + pl.duration(days=1)
        return self._bind(pl.when(year != safe_year).then(beyond).otherwise(result))

    def _months_between(self, start: Expr, end: Expr) -> Expr:
        """Whole months from start to end, truncated towards zero (runtime.months_between)."""
        pl = polars()
        start, end = self._bind(start), self._bind(end)
        months = self._bind(
            (end.dt.year().cast(pl.Int64) - start.dt.year().cast(pl.Int64)) * 12
            + (end.dt.month().cast(pl.Int64) - start.dt.month().cast(pl.Int64))
        )
        candidate = self._add_months(start, months)
        forward = months - (candidate > end).cast(pl.Int64)
        backward = months + (candidate < end).cast(pl.Int64)
        return self._bind(pl.when(end >= start).then(forward).otherwise(backward))

    def _flag(self, condition: Expr) -> None:
        """Rows where ``condition`` holds go to the per-record path."""
        if self._frame.element:
            raise _NeedsFrame
        self._frame.flags.append(condition.fill_null(False))

    def _bool_expr(self, v: Value) -> Expr:
        pl = polars()
        if isinstance(v, Const):
            if not isinstance(v.value, bool):
                raise NotColumnar("a condition that is not a boolean")
            return pl.lit(v.value, dtype=pl.Boolean)
        if isinstance(v, Scalar) and v.kind == "bool":
            return v.expr
        raise NotColumnar("a condition that is not a boolean")

    # ------------------------------------------------ expressions
    def expr(self, e: ir.Expr) -> Value:
        method = getattr(self, "_" + type(e).__name__.lower().rstrip("_"), None)
        if method is None:
            raise NotColumnar(type(e).__name__)
        value: Value = method(e)
        return value

    def _literal(self, e: ir.Literal_) -> Value:
        return Const(e.value)

    def _durationlit(self, e: ir.DurationLit) -> Value:
        return Const(Duration(e.amount, e.unit))

    def _setlit(self, e: ir.SetLit) -> Value:
        items = [self.expr(i) for i in e.items]
        if all(isinstance(i, Const) for i in items):
            return Const(frozenset(i.value for i in items if isinstance(i, Const)))
        raise NotColumnar("a set built from the record")

    def _lookup(self, name: str) -> tuple[Value, Frame] | None:
        for frame in reversed(self._scope):
            if name in frame:
                return frame[name]
        return None

    def _name(self, e: ir.Name) -> Value:
        name = e.id
        bound = self._lookup(name)
        if bound is not None:
            value, frame = bound
            if self._frame.element and frame is not self._frame:
                raise _NeedsFrame
            return value
        if name in self.params:
            return Const(self.params[name])
        if name in self.policy.lets:
            return self._let(name)
        if name == "applicant":
            if self._frame.element:
                raise _NeedsFrame
            return Rec(self.schema.model, prefix="")
        if name == "procedure":
            raise NotColumnar("procedure records")
        if name == "as_of":
            if self.as_of is not None:
                return Const(self.as_of)
            if self._frame.element:
                raise _NeedsFrame
            return self._column("application.submitted_on")
        if name in ROUNDINGS:
            return Const(name)
        return Const(self._enum(name, None))

    def _let(self, name: str) -> Value:
        if self._frame.element:
            raise _NeedsFrame
        if name not in self._lets:
            sourced = self.policy.lets[name].item
            assert isinstance(sourced, ir.Let)
            frame, scope = self._frame, self._scope
            self._frame, self._scope = self.root, []
            try:
                self._lets[name] = self._bind_value(self.expr(sourced.value))
            finally:
                self._frame, self._scope = frame, scope
        return self._lets[name]

    def _enum(self, term: str, enum_name: str | None) -> enum.Enum:
        if enum_name is not None:
            for member in self.enums[enum_name]:
                if term in enum_terms(member):
                    return member
        members = lookup_term(term)
        if len({type(m) for m in members}) == 1:
            return members[0]
        raise NotColumnar(f"cannot resolve '{term}'")

    def _column(self, path: str) -> Value:
        pl = polars()
        leaf = self.schema.leaf(path)
        if leaf is not None:
            return _leaf_value(pl.col(path), leaf.kind, leaf.enum)
        list_field = self.schema.list_field(path)
        if list_field is not None:
            return Lst(pl.col(path), list_field)
        for prefix, model in self.schema.submodels:
            if prefix == path + ".":
                return Rec(model, prefix=prefix)
        raise NotColumnar(f"no column for '{path}'")

    def _attr(self, e: ir.Attr) -> Value:
        if isinstance(e.obj, ir.Name) and e.obj.id in self.enums and self._lookup(e.obj.id) is None:
            return Const(self._enum(e.name, e.obj.id))
        base = self.expr(e.obj)
        if not isinstance(base, Rec):
            raise NotColumnar("a field of something that is not a record")
        if base.prefix is not None:
            return self._column(base.prefix + e.name)
        assert base.struct is not None
        element = _element_field(base.model, e.name)
        if element is None:
            raise NotColumnar(f"field '{e.name}' of a list element")
        kind, enum_cls = element
        return _leaf_value(base.struct.struct.field(e.name), kind, enum_cls)

    # ------------------------------------------------ calls
    def _call(self, e: ir.Call) -> Value:
        if e.func in self.policy.defs:
            return self._def_call(e)
        args = [self.expr(a) for a in e.args]
        handler = getattr(self, "_fn_" + e.func, None)
        if handler is not None:
            result: Value = handler(*args)
            return result
        return self._python_call(e.func, args)

    def _def_call(self, e: ir.Call) -> Value:
        definition = self.policy.defs[e.func].item
        assert isinstance(definition, ir.Def)
        args = [self.expr(a) for a in e.args]
        self._scope.append(
            {p: (v, self._frame) for p, v in zip(definition.params, args, strict=True)}
        )
        try:
            return self.expr(definition.body)
        finally:
            self._scope.pop()

    def _fn_known(self, v: Value) -> Value:
        pl = polars()
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
            columns = [c for c in self.schema.columns if c.startswith(v.prefix)]
            if not columns:
                return Const(False)
            return Scalar("bool", pl.any_horizontal(*[pl.col(c).is_not_null() for c in columns]))
        raise NotColumnar("known() of this value")

    def _fn_coalesce(self, a: Value, b: Value) -> Value:
        pl = polars()
        if isinstance(a, Const):
            return a
        if isinstance(a, Scalar):
            b_expr = self._scalar_expr(b, a)
            return Scalar(a.kind, pl.coalesce(a.expr, b_expr), a.enum)
        if isinstance(a, (Number, Dur)) or (isinstance(b, (Number, Dur)) and isinstance(a, Const)):
            na, nb = self._number_pair(a, b)
            unit = a.unit if isinstance(a, Dur) else None
            num, den = _pick(na.num.is_not_null(), na, nb)
            out = Number(num, den)
            return Dur(out, unit) if unit is not None else out
        raise NotColumnar("coalesce() of records or lists")

    def _fn_min(self, a: Value, b: Value) -> Value:
        return self._pick_order(a, b, "<=")

    def _fn_max(self, a: Value, b: Value) -> Value:
        return self._pick_order(a, b, ">=")

    def _pick_order(self, a: Value, b: Value, op: str) -> Value:
        pl = polars()
        if isinstance(a, Const) and isinstance(b, Const):
            impl = BUILTIN_IMPLS["min" if op == "<=" else "max"]
            return Const(impl(self._const_env, a.value, b.value))
        a, b = self._bind_value(a), self._bind_value(b)
        keep_a = self._bind(self._bool_expr(self._compare_values(op, a, b)))
        known = _known(a) & _known(b)
        if _is_dateish(a) or _is_dateish(b):
            ea, eb = self._scalar_expr(a, None), self._scalar_expr(b, None)
            return Scalar("date", pl.when(known).then(pl.when(keep_a).then(ea).otherwise(eb)))
        na, nb = self._number_pair(a, b)
        num, den = _pick(keep_a, na, nb)
        out = Number(pl.when(known).then(num), den)
        unit = a.unit if isinstance(a, Dur) else b.unit if isinstance(b, Dur) else None
        return Dur(out, unit) if unit is not None else out

    def _fn_year(self, d: Value) -> Value:
        if isinstance(d, Const):
            return Const(d.value.year)
        return Number(self._date_expr(d).dt.year().cast(polars().Int64))

    def _fn_month(self, d: Value) -> Value:
        if isinstance(d, Const):
            return Const(d.value.month)
        return Number(self._date_expr(d).dt.month().cast(polars().Int64))

    def _fn_start_of_month(self, d: Value) -> Value:
        if isinstance(d, Const):
            return Const(d.value.replace(day=1))
        return Scalar("date", self._date_expr(d).dt.month_start())

    def _fn_end_of_month(self, d: Value) -> Value:
        if isinstance(d, Const):
            return Const(BUILTIN_IMPLS["end_of_month"](self._const_env, d.value))
        return Scalar("date", self._date_expr(d).dt.month_end())

    def _fn_end_of_year(self, d: Value) -> Value:
        pl = polars()
        if isinstance(d, Const):
            return Const(dt.date(d.value.year, 12, 31))
        year = self._date_expr(d).dt.year()
        return Scalar("date", pl.date(year, 12, 31))

    def _fn_date(self, y: Value, m: Value, d: Value) -> Value:
        pl = polars()
        if all(isinstance(v, Const) for v in (y, m, d)):
            return Const(BUILTIN_IMPLS["date"](self._const_env, y.value, m.value, d.value))  # type: ignore[union-attr]
        ey, em, ed = (self._bind(self._int_expr(v)) for v in (y, m, d))
        ok = ey.is_between(1, 9999) & em.is_between(1, 12)
        first = pl.date(pl.when(ok).then(ey).otherwise(2000), pl.when(ok).then(em).otherwise(1), 1)
        length = first.dt.month_end().dt.day().cast(pl.Int64)
        valid = ok & (ed >= 1) & (ed <= length)
        return Scalar("date", pl.when(valid).then(first + pl.duration(days=ed - 1)))

    def _fn_days_between(self, a: Value, b: Value) -> Value:
        if isinstance(a, Const) and isinstance(b, Const):
            return Const(Duration((b.value - a.value).days, "days"))
        days = (self._date_expr(b) - self._date_expr(a)).dt.total_days()
        return Dur(Number(days.cast(polars().Int64)), "days")

    def _fn_years_between(self, a: Value, b: Value, rounding: Value) -> Value:
        return self._between(a, b, rounding, "years")

    def _fn_months_between(self, a: Value, b: Value, rounding: Value) -> Value:
        return self._between(a, b, rounding, "months")

    def _between(self, a: Value, b: Value, rounding: Value, unit: str) -> Value:
        if not isinstance(rounding, Const):
            raise NotColumnar("a rounding read from the record")
        if isinstance(a, Const) and isinstance(b, Const):
            impl = BUILTIN_IMPLS[f"{unit}_between"]
            return Const(impl(self._const_env, a.value, b.value, rounding.value))
        start, end = self._bind(self._date_expr(a)), self._bind(self._date_expr(b))
        months = self._months_between(start, end)
        pl = polars()
        whole = self._bind(months // 12 if unit == "years" else months)
        if rounding.value == "floor":
            return Number(whole)
        anchor = self._add_months(start, whole * 12 if unit == "years" else whole)
        self._flag_date_range(anchor)
        remainder = self._bind((end - anchor).dt.total_days().cast(pl.Int64))
        if rounding.value == "ceil":
            return Number(self._bind(whole + (remainder != 0).cast(pl.Int64)))
        following = self._add_months(anchor, 12 if unit == "years" else 1)
        span = (following - anchor).dt.total_days()
        scale = _YEAR_SPANS if unit == "years" else _MONTH_SPANS
        return Number(self._bind(whole * scale + remainder * (scale // span.cast(pl.Int64))), scale)

    # working days
    def _working_tables(self) -> _CalendarTables:
        if self.calendar.strict:
            raise NotColumnar("working days in a strict calendar")
        return _tables(self.calendar)

    def _day_number(self, d: Expr) -> Expr:
        """Days since the calendar epoch, clamped into the tables; rows with a date outside
        the calendar go to the per-record path (it raises there)."""
        pl = polars()
        days = self._bind((d - pl.lit(cal.EPOCH)).dt.total_days().cast(pl.Int64))
        last = (cal.LAST_DATE - cal.EPOCH).days
        self._flag((days < 0) | (days > last))
        return days.clip(0, last)

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
            impl = BUILTIN_IMPLS["working_days_between"]
            return Const(impl(self._const_env, a.value, b.value))
        start, end = self._bind(self._date_expr(a)), self._bind(self._date_expr(b))
        index_start, working_start = self._index(start)
        index_end, _ = self._index(end)
        count = pl.when(start > end).then(0).otherwise(index_end - (index_start - working_start))
        known = start.is_not_null() & end.is_not_null()
        return Dur(Number(pl.when(known).then(count)), "working_days")

    def _fn_is_working_day(self, d: Value) -> Value:
        if isinstance(d, Const):
            return Const(self.calendar.is_working_day(d.value))
        _, working = self._index(self._date_expr(d))
        return Scalar("bool", pl_when_known(self._date_expr(d), working == 1))

    def _fn_add_working_days(self, d: Value, n: Value) -> Value:
        if isinstance(n, Dur):
            n = n.amount
        return self._shift_working(d, self._number(n))

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
        self._flag((target < 1) | (target > tables.total))
        position = (target - 1).clip(0, tables.total - 1)
        result = pl.lit(tables.workdays).gather(position)
        return Scalar("date", pl.when(day.is_not_null() & amount.is_not_null()).then(result))

    # built-ins without a column form: the Python function once per distinct argument tuple
    def _python_call(self, func: str, args: list[Value]) -> Value:
        pl = polars()
        if func not in ("retirement_date", "sanction_end"):
            raise NotColumnar(f"{func}()")
        if self._frame.element:
            raise _NeedsFrame
        impl = BUILTIN_IMPLS[func]
        lenient = func == "retirement_date"
        # Each argument read from the record becomes a small integer code (0: unknown), and
        # the codes one Int64 key; the function runs once per distinct key.
        codes: list[Expr] = []
        decoders: list[Callable[[int], Any]] = []
        radices: list[int] = []
        constants: dict[int, Any] = {}
        for i, arg in enumerate(args):
            if isinstance(arg, Const):
                constants[i] = arg.value
            elif isinstance(arg, Scalar) and arg.kind == "date":
                codes.append(arg.expr.cast(pl.Int64) + _DAY_OFFSET + 1)
                decoders.append(_decode_day)
                radices.append(_DAY_RADIX)
            elif isinstance(arg, Scalar) and arg.kind == "enum" and arg.enum is not None:
                members = list(arg.enum)
                table = {str(m.value): k + 1 for k, m in enumerate(members)}
                codes.append(arg.expr.replace_strict(table, default=None, return_dtype=pl.Int64))
                decoders.append(_member_decoder(members))
                radices.append(len(members) + 1)
            elif isinstance(arg, Scalar) and arg.kind == "bool":
                codes.append(arg.expr.cast(pl.Int64) + 1)
                decoders.append(lambda code: code == 2)
                radices.append(3)
            else:
                raise NotColumnar(f"{func}() of a number, text or a record")
        key: Expr = pl.lit(0, dtype=pl.Int64)
        weight = 1
        for code, radix in zip(codes, radices, strict=True):
            key = key + code.fill_null(0) * weight
            weight *= radix
        if weight >= 2**62:
            raise NotColumnar(f"{func}() of too many arguments")
        env = self._const_env
        # One memo per call site (constant arguments differ between sites), kept across
        # chunks: the distinct argument tuples of a population repeat.
        memo: dict[int, tuple[dt.date | None, bool]] = {}

        def run(packed: int) -> tuple[dt.date | None, bool]:
            values: list[Any] = []
            position = 0
            for i in range(len(args)):
                if i in constants:
                    values.append(constants[i])
                    continue
                radix = radices[position]
                code = packed % radix
                packed //= radix
                values.append(unknown_value() if code == 0 else decoders[position](code))
                position += 1
            if not lenient and any(type(v) is Unknown for v in values):
                return (None, False)
            try:
                result = impl(env, *values)
            except Exception:  # the per-record path would raise: decide the row there
                return (None, True)
            if type(result) is Unknown or not isinstance(result, dt.date):
                return (None, False)
            return (result, False)

        def apply(keys: Any) -> Any:
            distinct = keys.unique().to_list()
            for packed in distinct:
                if packed not in memo:
                    memo[packed] = run(packed)
            dates = pl.Series([memo[k][0] for k in distinct], dtype=pl.Date)
            errors = pl.Series([memo[k][1] for k in distinct], dtype=pl.Boolean)
            if not distinct:
                dates, errors = pl.Series([], dtype=pl.Date), pl.Series([], dtype=pl.Boolean)
                return pl.DataFrame({"v": dates, "e": errors}).to_struct("r")
            return pl.DataFrame(
                {
                    "v": keys.replace_strict(distinct, dates, return_dtype=pl.Date),
                    "e": keys.replace_strict(distinct, errors, return_dtype=pl.Boolean),
                }
            ).to_struct("r")

        out = self._bind(
            key.map_batches(apply, return_dtype=pl.Struct({"v": pl.Date, "e": pl.Boolean}))
        )
        self._flag(out.struct.field("e"))
        return Scalar("date", self._bind(out.struct.field("v")))

    # ------------------------------------------------ list methods
    def _methodcall(self, e: ir.MethodCall) -> Value:
        pl = polars()
        obj = self.expr(e.obj)
        if e.method in ("contains_all", "contains_any"):
            raise NotColumnar("set methods")
        if not isinstance(obj, Lst):
            raise NotColumnar("a list method on something that is not a list of records")
        if not e.args:  # .count()
            count = obj.expr.list.len().cast(pl.Int64)
            return Number(_when_known(obj, count))
        lam = e.args[0]
        assert isinstance(lam, ir.Lambda)
        try:
            return self._list_in_element(e.method, obj, lam)
        except _NeedsFrame:
            if self._frame.element:
                raise
        return self._list_exploded(e.method, obj, lam)

    def _list_in_element(self, method: str, obj: Lst, lam: ir.Lambda) -> Value:
        pl = polars()
        frame = self._frame
        child = Frame(row_id="", parent=frame, element=True)
        self._frame = child
        self._scope.append({lam.param: (Rec(obj.field.model, struct=pl.element()), child)})
        try:
            body = self.expr(lam.body)
        finally:
            self._scope.pop()
            self._frame = frame
        xs = obj.expr
        if method in ("any", "all", "count", "where"):
            b = self._bool_expr(body)
            unknown_any = xs.list.eval(b.is_null()).list.any()
            if method in ("any", "all"):
                decisive = method == "any"
                hit = b.fill_null(False) if decisive else (~b).fill_null(False)
                found = xs.list.eval(hit).list.any()
                return Scalar("bool", self._quantify(obj, found, unknown_any, decisive))
            if method == "count":
                kept = xs.list.eval(b.fill_null(False).cast(pl.Int64)).list.sum()
                return Number(_when_known(obj, pl.when(~unknown_any).then(kept)))
            filtered = xs.list.eval(pl.element().filter(b.fill_null(False)))
            known = ~unknown_any if obj.known is None else obj.known & ~unknown_any
            return Lst(filtered, obj.field, known)
        return self._aggregate_element(method, obj, body)

    def _aggregate_element(self, method: str, obj: Lst, body: Value) -> Value:
        pl = polars()
        xs = obj.expr
        if isinstance(body, (Number, Dur)):
            number = body.amount if isinstance(body, Dur) else body
            if not isinstance(number.den, int):
                raise NotColumnar("a sum of fractions with varying denominators")
            values = number.num
            unknown_any = xs.list.eval(values.is_null()).list.any()
            if method == "sum":
                total = xs.list.eval(values).list.sum()
                out = Number(_when_known(obj, pl.when(~unknown_any).then(total)), number.den)
            else:
                pick = xs.list.eval(values)
                agg = pick.list.min() if method == "min" else pick.list.max()
                out = Number(_when_known(obj, pl.when(~unknown_any).then(agg)), number.den)
            return Dur(out, body.unit) if isinstance(body, Dur) else out
        if isinstance(body, Scalar) and body.kind == "date" and method in ("min", "max"):
            unknown_any = xs.list.eval(body.expr.is_null()).list.any()
            pick = xs.list.eval(body.expr)
            agg = pick.list.min() if method == "min" else pick.list.max()
            return Scalar("date", _when_known(obj, pl.when(~unknown_any).then(agg)))
        if isinstance(body, Scalar) and body.kind == "enum" and method in ("min", "max"):
            rank = _ranks(body)
            unknown_any = xs.list.eval(body.expr.is_null()).list.any()
            assert body.enum is not None
            by_rank = {getattr(m, "rank", None): str(m.value) for m in body.enum}
            if len(by_rank) == len(body.enum) and None not in by_rank:
                # Ranks name their members: the best rank is the answer, found natively.
                ranks = xs.list.eval(rank)
                best_rank = ranks.list.min() if method == "min" else ranks.list.max()
                agg = best_rank.replace_strict(by_rank, default=None, return_dtype=pl.String)
            else:
                best = rank.min() if method == "min" else rank.max()
                agg = xs.list.eval(body.expr.filter(rank == best).first()).list.first()
            # Python's min/max cannot order an unranked term against another: that row
            # raises on the per-record path, and is decided there.
            unranked = rank.is_null() & body.expr.is_not_null()
            self._flag(xs.list.eval(unranked).list.any() & (xs.list.len() >= 2))
            return Scalar("enum", _when_known(obj, pl.when(~unknown_any).then(agg)), body.enum)
        raise NotColumnar(f"{method}() of these values")

    def _quantify(self, obj: Lst, found: Expr, unknown_any: Expr, decisive: bool) -> Expr:
        pl = polars()
        result = (
            pl.when(found.fill_null(False))
            .then(pl.lit(decisive))
            .when(unknown_any.fill_null(False))
            .then(pl.lit(None, dtype=pl.Boolean))
            .otherwise(pl.lit(not decisive))
        )
        return _when_known(obj, result)

    def _list_exploded(self, method: str, obj: Lst, lam: ir.Lambda) -> Value:
        pl = polars()
        parent = self._frame
        x = self._new_name("x")
        child = Frame(row_id=self._new_name("r"), parent=parent)
        self._frame = child
        self._scope.append({lam.param: (Rec(obj.field.model, struct=pl.col(x)), child)})
        try:
            # The body is computed into columns of the exploded table first: aggregations
            # then only read columns (a Python built-in inside an aggregation would run
            # once per group).
            body = self._bind_value(self.expr(lam.body))
        finally:
            self._scope.pop()
            self._frame = parent
        out = self._new_name("v")
        aggs: list[Expr] = []
        result_exprs: list[Expr] = []
        if method in ("any", "all", "count", "where"):
            b = self._bool_expr(body)
            aggs.append(b.is_null().any().alias(out + "_u"))
            if method in ("any", "all"):
                hit = b.fill_null(False) if method == "any" else (~b).fill_null(False)
                aggs.append(hit.any().alias(out + "_t"))
                result_exprs.append(b)
            elif method == "count":
                aggs.append(b.fill_null(False).cast(pl.Int64).sum().alias(out + "_t"))
                result_exprs.append(b)
            else:
                aggs.append(pl.col(x).filter(b.fill_null(False)).alias(out + "_t"))
                result_exprs.append(b)
        else:
            number: Number | None = None
            if isinstance(body, (Number, Dur)):
                number = body.amount if isinstance(body, Dur) else body
                if not isinstance(number.den, int):
                    raise NotColumnar("a sum of fractions with varying denominators")
                values = number.num
            elif isinstance(body, Scalar) and body.kind == "date" and method in ("min", "max"):
                values = body.expr
            elif isinstance(body, Scalar) and body.kind == "enum" and method in ("min", "max"):
                values = body.expr
                rank = _ranks(body)
            else:
                raise NotColumnar(f"{method}() of these values")
            aggs.append(values.is_null().any().alias(out + "_u"))
            if method == "sum":
                aggs.append(values.sum().alias(out + "_t"))
            elif isinstance(body, Scalar) and body.kind == "enum":
                best = rank.min() if method == "min" else rank.max()
                aggs.append(values.filter(rank == best).first().alias(out + "_t"))
                # An unranked term cannot be ordered (the per-record path raises, or not):
                # decide such rows there.
                child.flags.append(rank.is_null() & values.is_not_null())
                result_exprs.append(rank)
            else:
                aggs.append((values.min() if method == "min" else values.max()).alias(out + "_t"))
            result_exprs.append(values)
        if child.flags:
            aggs.append(pl.any_horizontal(*child.flags).any().alias(out + "_f"))
        produced = {x, child.row_id} | {o for stage in child.stages for o in stage.outputs}
        needed: set[str] = set()
        for expr in [*result_exprs, *child.flags]:
            needed |= set(expr.meta.root_names())
        for stage in child.stages:
            needed |= stage.inputs
        needed -= produced
        list_expr = obj.expr
        if obj.known is not None:
            list_expr = pl.when(obj.known).then(list_expr)
        needed_inputs = needed | set(list_expr.meta.root_names())
        row_id = parent.row_id
        child_stages = list(child.stages)
        needed_sorted = sorted(needed - {row_id})

        def apply(frame: Any) -> Any:
            sub = frame.select(
                [pl.col(row_id), *[pl.col(c) for c in needed_sorted], list_expr.alias(x)]
            )
            sub = sub.lazy().explode(x).filter(pl.col(x).is_not_null())
            sub = run_stages(sub.with_row_index(child.row_id), child_stages)
            grouped = sub.group_by(row_id).agg(aggs).collect()
            return frame.join(grouped, on=row_id, how="left")

        outputs = {out + "_u", out + "_t", out + "_f"}
        parent.stages.append(Stage(apply, needed_inputs | {row_id}, outputs, explode=True))
        if child.flags:
            self._flag(pl.col(out + "_f"))
        unknown_any = pl.col(out + "_u").fill_null(False)
        total = pl.col(out + "_t")
        if method in ("any", "all"):
            return Scalar(
                "bool", self._quantify(obj, total.fill_null(False), unknown_any, method == "any")
            )
        if method == "count":
            return Number(_when_known(obj, pl.when(~unknown_any).then(total.fill_null(0))))
        if method == "where":
            empty = obj.expr.list.slice(0, 0)
            kept = pl.coalesce(total, empty)
            known = ~unknown_any if obj.known is None else obj.known & ~unknown_any
            return Lst(kept, obj.field, known)
        assert number is not None or isinstance(body, Scalar)
        if method == "sum":
            assert number is not None
            value = Number(
                _when_known(obj, pl.when(~unknown_any).then(total.fill_null(0))), number.den
            )
        elif number is not None:
            value = Number(_when_known(obj, pl.when(~unknown_any).then(total)), number.den)
        else:
            assert isinstance(body, Scalar)
            return Scalar(body.kind, _when_known(obj, pl.when(~unknown_any).then(total)), body.enum)
        return Dur(value, body.unit) if isinstance(body, Dur) else value

    # ------------------------------------------------ operators
    def _boolop(self, e: ir.BoolOp) -> Value:
        values = [self.expr(o) for o in e.operands]
        if all(isinstance(v, Const) for v in values):
            consts = [v.value for v in values if isinstance(v, Const)]
            return Const(any(consts) if e.op == "or" else all(consts))
        exprs = [self._bool_expr(v) for v in values]
        result = exprs[0]
        for other in exprs[1:]:
            result = (result | other) if e.op == "or" else (result & other)
        return Scalar("bool", result)

    def _not(self, e: ir.Not) -> Value:
        value = self.expr(e.operand)
        if isinstance(value, Const):
            return Const(value.value if type(value.value) is Unknown else not value.value)
        return Scalar("bool", ~self._bool_expr(value))

    def _neg(self, e: ir.Neg) -> Value:
        value = self.expr(e.operand)
        if isinstance(value, Const):
            v = value.value
            return Const(Duration(-v.amount, v.unit) if isinstance(v, Duration) else -v)
        if isinstance(value, Number):
            return Number(-value.num, value.den)
        if isinstance(value, Dur):
            return Dur(Number(-value.amount.num, value.amount.den), value.unit)
        raise NotColumnar("negation of this value")

    def _ifthenelse(self, e: ir.IfThenElse) -> Value:
        pl = polars()
        cond, then, other = self.expr(e.cond), self.expr(e.then), self.expr(e.else_)
        if isinstance(cond, Const):
            return then if cond.value else other
        c = self._bool_expr(cond)
        known = c.is_not_null()
        if isinstance(then, (Number, Dur)) or isinstance(other, (Number, Dur)):
            na, nb = self._number_pair(then, other)
            num, den = _pick(c, na, nb)
            out = Number(pl.when(known).then(num), den)
            unit = (
                then.unit
                if isinstance(then, Dur)
                else other.unit
                if isinstance(other, Dur)
                else None
            )
            if unit is None and isinstance(then, Const) and isinstance(then.value, Duration):
                unit = then.value.unit
            return Dur(out, unit) if unit is not None else out
        if isinstance(then, Const) and isinstance(other, Const) and isinstance(then.value, bool):
            return Scalar(
                "bool", pl.when(known).then(pl.when(c).then(then.value).otherwise(other.value))
            )
        template = then if isinstance(then, Scalar) else other
        if not isinstance(template, Scalar):
            raise NotColumnar("if/then/else of records or lists")
        a, b = self._scalar_expr(then, template), self._scalar_expr(other, template)
        return Scalar(
            template.kind, pl.when(known).then(pl.when(c).then(a).otherwise(b)), template.enum
        )

    def _compare(self, e: ir.Compare) -> Value:
        return self._compare_values(e.op, self.expr(e.left), self.expr(e.right))

    def _compare_values(self, op: str, a: Value, b: Value) -> Value:
        pl = polars()
        if isinstance(a, Const) and isinstance(b, Const):
            return Const(compare(op, a.value, b.value))
        if op in ("in", "not in"):
            if not isinstance(b, Const) or not isinstance(b.value, (set, frozenset)):
                raise NotColumnar("'in' a set read from the record")
            if isinstance(a, Number):
                if a.den != 1 or not all(type(m) is int for m in b.value):
                    raise NotColumnar("'in' with fractions")
                column, wanted = a.num, sorted(b.value)
            elif isinstance(a, Scalar):
                python_type = {"text": str, "enum": str, "date": dt.date, "bool": bool}[a.kind]
                wanted = [_cell(m) for m in b.value]
                if not all(type(m) is python_type for m in wanted):
                    raise NotColumnar("'in' a set of values of another kind")
                column = a.expr
            else:
                raise NotColumnar("'in' for this value")
            test = column.is_in(wanted) if wanted else pl_when_known(column, pl.lit(False))
            return Scalar("bool", test if op == "in" else ~test)
        if isinstance(a, Const) and isinstance(b, (Scalar, Number, Dur)):
            flipped = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
            return self._compare_values(flipped, b, a)
        if isinstance(a, Scalar) and a.kind == "enum":
            return Scalar("bool", self._compare_enum(op, a, b))
        if isinstance(a, Scalar):
            other = self._scalar_expr(b, a)
            return Scalar("bool", _apply(op, a.expr, other))
        if isinstance(a, (Number, Dur)):
            if (
                isinstance(a, Dur)
                and isinstance(b, Dur)
                and a.unit != b.unit
                and op in ("==", "!=")
            ):
                raise NotColumnar("durations of different units")
            if op in ("==", "!=") and (isinstance(a, Dur) != _is_duration(b)):
                raise NotColumnar("a duration compared for equality with a number")
            na, nb = self._number_pair(a, b)
            return Scalar("bool", _apply(op, na.num * _as_expr(nb.den), nb.num * _as_expr(na.den)))
        raise NotColumnar("comparison of records or lists")

    def _compare_enum(self, op: str, a: Scalar, b: Value) -> Expr:
        pl = polars()
        cls = a.enum
        assert cls is not None
        if op in ("==", "!="):
            other = self._scalar_expr(b, a)
            return _apply(op, a.expr, other)
        ranked = all(hasattr(m, "rank") for m in cls)
        if not ranked:
            return _apply(op, a.expr, self._scalar_expr(b, a))
        ranks = {str(m.value): getattr(m, "rank", None) for m in cls}
        rank_a = a.expr.replace_strict(ranks, default=None, return_dtype=pl.Int64)
        if isinstance(b, Const):
            rank_value = getattr(b.value, "rank", None)
            if rank_value is None:
                return pl_when_known(a.expr, pl.lit(False))
            rank_b: Expr = pl.lit(rank_value, dtype=pl.Int64)
            b_known = pl.lit(True)
        elif isinstance(b, Scalar) and b.kind == "enum":
            rank_b = b.expr.replace_strict(ranks, default=None, return_dtype=pl.Int64)
            b_known = b.expr.is_not_null()
        else:
            raise NotColumnar("an enum compared with something else")
        known = a.expr.is_not_null() & b_known
        unranked = rank_a.is_null() | rank_b.is_null()
        return pl.when(known).then(
            pl.when(unranked).then(False).otherwise(_apply(op, rank_a, rank_b))
        )

    def _binop(self, e: ir.BinOp) -> Value:
        a, b = self.expr(e.left), self.expr(e.right)
        return self._arith(e.op, a, b)

    def _arith(self, op: str, a: Value, b: Value) -> Value:
        polars()
        if isinstance(a, Const) and isinstance(b, Const):
            result = arithmetic(op, a.value, b.value, self._const_env)
            if type(result) is Unknown:
                return Const(result)
            return Const(result)
        if _is_dateish(a):
            shift = b.value if isinstance(b, Const) else b
            if isinstance(shift, Duration):
                shift = Dur(_number_const(shift.amount), shift.unit)
            if not isinstance(shift, Dur) or op not in ("+", "-"):
                raise NotColumnar("date arithmetic other than date ± duration")
            amount = shift.amount if op == "+" else Number(-shift.amount.num, shift.amount.den)
            return self._shift(a, amount, shift.unit)
        a_dur, b_dur = _is_duration(a), _is_duration(b)
        na, nb = self._number_pair(a, b)
        unit = _unit(a) or _unit(b)
        if a_dur and b_dur:
            if op in ("+", "-"):
                return Dur(_add(na, nb, op), unit or "")
            if op == "/":
                return _divide(na, nb)
            raise NotColumnar("a product of durations")
        if op in ("+", "-"):
            if a_dur or b_dur:
                raise NotColumnar("a duration plus a number")
            return _add(na, nb, op)
        if op == "*":
            product = Number(na.num * nb.num, _mul(na.den, nb.den))
            _check_static(product)
            return Dur(product, unit or "") if (a_dur or b_dur) else product
        if b_dur:
            raise NotColumnar("a number divided by a duration")
        quotient = _divide(na, nb)
        return Dur(quotient, unit or "") if a_dur else quotient

    def _shift(self, d: Value, amount: Number, unit: str) -> Value:
        pl = polars()
        day = self._bind(self._date_expr(d))
        if unit == "working_days":
            return self._shift_working(Scalar("date", day), amount)
        if not isinstance(amount.den, int):
            raise NotColumnar("a shift by a fraction read from the record")
        num = self._bind(amount.num)
        whole = self._bind(pl.when(num % amount.den == 0).then(num // amount.den))
        if unit == "days":
            result = self._bind(day + pl.duration(days=whole))
        else:
            months = whole if unit == "months" else whole * 12
            result = self._add_months(day, months)
        self._flag_date_range(result)
        return Scalar("date", result)

    def _flag_date_range(self, d: Expr) -> None:
        year = d.dt.year()
        self._flag((year < 1) | (year > 9999))

    # ------------------------------------------------ conversions
    def _number(self, v: Value) -> Number:
        pl = polars()
        if isinstance(v, Number):
            return v
        if isinstance(v, Dur):
            return v.amount
        if isinstance(v, Const):
            value = v.value
            if isinstance(value, Duration):
                value = value.amount
            if isinstance(value, bool) or not isinstance(value, (int, Fraction)):
                raise NotColumnar("a number expected")
            return _number_const(value)
        if isinstance(v, Scalar) and v.kind == "bool":
            return Number(v.expr.cast(pl.Int64))
        raise NotColumnar("a number expected")

    def _number_pair(self, a: Value, b: Value) -> tuple[Number, Number]:
        return self._number(a), self._number(b)

    def _int_expr(self, v: Value) -> Expr:
        n = self._number(v)
        if n.den != 1:
            raise NotColumnar("an integer expected")
        return n.num

    def _date_expr(self, v: Value) -> Expr:
        pl = polars()
        if isinstance(v, Const) and isinstance(v.value, dt.date):
            return pl.lit(v.value, dtype=pl.Date)
        if isinstance(v, Const) and type(v.value) is Unknown:
            return pl.lit(None, dtype=pl.Date)
        if isinstance(v, Scalar) and v.kind == "date":
            return v.expr
        raise NotColumnar("a date expected")

    def _scalar_expr(self, v: Value, like: Scalar | None) -> Expr:
        pl = polars()
        if isinstance(v, Scalar):
            return v.expr
        if isinstance(v, Const):
            if type(v.value) is Unknown:
                return pl.lit(None)
            if isinstance(v.value, dt.date):
                return pl.lit(v.value, dtype=pl.Date)
            if isinstance(v.value, bool):
                return pl.lit(v.value, dtype=pl.Boolean)
            return pl.lit(_cell(v.value))
        raise NotColumnar("a value of another kind")


def compile_rules(
    policy: ResolvedPolicy,
    params: dict[str, Any],
    rules: Sequence[ir.Rule],
    schema: TableSchema,
    calendar: cal.Calendar,
    as_of: dt.date | None,
) -> tuple[ColumnarCompiler, dict[str, CompiledRuleColumns], dict[str, str]]:
    """The columns of every rule that has them, and why the others have none."""
    compiler = ColumnarCompiler(policy, params, schema, calendar, as_of)
    compiled: dict[str, CompiledRuleColumns] = {}
    fallback: dict[str, str] = {}
    for rule in rules:
        try:
            compiled[rule.id] = compiler.rule(rule)
        except NotColumnar as exc:
            fallback[rule.id] = str(exc)
    return compiler, compiled, fallback
