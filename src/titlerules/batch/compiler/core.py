"""batch layer: the core of the columnar compiler (rules, names, records, operators).

:class:`CompilerCore` turns a rule's core IR (:mod:`titlerules.core.nodes`: names already
resolved) into Polars expressions over the table of records: constants, record paths,
Kleene operators, comparisons and exact arithmetic; a built-in is lowered as its entry in
:mod:`titlerules.core.builtins` says.
Built-ins live in :mod:`titlerules.batch.compiler.functions`, list methods in
:mod:`titlerules.batch.compiler.lists`;
:class:`~titlerules.batch.compiler.columnar.ColumnarCompiler` puts them together.

With ``explain`` on, every value also carries its :class:`~titlerules.batch.compiler.masks.Mask`
(the missing facts behind its nulls), combined exactly as the per-record runtime unions
``Unknown.paths``: a strict operation (comparison, arithmetic, a built-in) has the union of
its operands'; ``and``/``or`` the union of the unknown operands where the result is
unknown; ``if`` the mask of the branch it took; ``coalesce`` its second operand's where the
first is unknown.  The compiler also notes the facts each rule reads (for explanations).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from titlerules import calendar as cal
from titlerules.batch._polars import polars
from titlerules.batch.compiler.masks import ELEMENT_BITS, Mask, Provenance, index_bits, union
from titlerules.batch.compiler.steps import _is_one, fold_step
from titlerules.batch.compiler.values import (
    AS_OF_COLUMN,
    FLAG_PREFIX,
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
    _cell,
    _check_static,
    _divide,
    _element_field,
    _is_dateish,
    _is_duration,
    _known,
    _leaf_value,
    _mul,
    _NeedsFrame,
    _number_const,
    _pick,
    _unit,
    pl_when_known,
)
from titlerules.batch.schema import TableSchema
from titlerules.core import nodes as n
from titlerules.engine.runtime import Duration, Env, Unknown, arithmetic, compare

_DIVISION_BY_ZERO = "division by zero"


class CompilerCore:
    """Compiles the rules of a checked policy, for records of one tabular schema."""

    def __init__(
        self,
        policy: n.CorePolicy,
        params: dict[str, Any],
        schema: TableSchema,
        calendar: cal.Calendar,
        as_of: dt.date | None,
        *,
        explain: bool = False,
        calls: dict[Any, Any] | None = None,
        provisional: bool = False,
    ) -> None:
        self.policy = policy
        self.params = params
        self.schema = schema
        self.calendar = calendar
        self.as_of = as_of
        self.explain = explain
        # Flag the rows whose working-day answers touch a provisional calendar year (for
        # decisions whose receipts name those years; see titlerules.batch.records).
        self.provisional = provisional
        self.root = Frame("__row")
        self.provenance = Provenance()
        self._frame = self.root
        self._scope: list[dict[str, tuple[Value, Frame]]] = []
        # lets by (name, with masks): their value and the facts they read
        self._lets: dict[tuple[str, bool], tuple[Value, frozenset[str]]] = {}
        self._roots: dict[str, str] = {}  # root columns computed once (presence, lists)
        self._reads: list[set[str]] = []
        self._counter = 0
        self._const_env = Env(roots={}, as_of=None, calendar=calendar)
        # Python built-ins' call sites by what they compute (shared with other compilations
        # of the same policy, so their remembered results are too).
        self.calls: dict[Any, Any] = {} if calls is None else calls

    # ------------------------------------------------ rules
    def rule(self, rule: n.Rule) -> CompiledRuleColumns:
        """The rule's columns; raises NotColumnar (and leaves no trace) when it has none.
        An advisory rule never decides nor reports missing facts: it is compiled without
        masks even when explaining."""
        explain = self.explain
        self.explain = explain and rule.source.severity == "blocking"
        try:
            return self._rule(rule)
        finally:
            self.explain = explain

    def _rule(self, rule: n.Rule) -> CompiledRuleColumns:
        saved = (
            list(self.root.stages),
            list(self.root.flags),
            dict(self._lets),
            dict(self._roots),
        )
        self._reads.append(set())
        try:
            applies = self._condition(rule.applies) if rule.applies is not None else None
            if rule.when is not None:
                violation = self._condition(rule.when)
            else:
                required = rule.required
                assert required is not None
                held = self._condition(required)
                violation = Scalar("bool", ~held.expr, mask=held.mask)
            exceptions = tuple(self._condition(e.condition) for e in rule.unless)
            exceptions = tuple(self._bind_value(e) for e in exceptions)  # type: ignore[misc]
            violation = self._bind_value(violation)  # type: ignore[assignment]
            applies = self._bind_value(applies) if applies is not None else None  # type: ignore[assignment]
            mask: Mask | None = None
            if self.explain:
                parts = [violation, *exceptions] + ([applies] if applies is not None else [])
                mask = self._bind_mask(union(self._mask(v) for v in parts))
        except (NotColumnar, _NeedsFrame) as exc:
            stages, flags, lets, roots = saved
            self.root.stages[:] = stages
            self.root.flags[:] = flags
            self._lets, self._roots = lets, roots
            self._frame, self._scope = self.root, []
            raise NotColumnar(str(exc) or "a list element read outside its list") from None
        finally:
            reads = self._reads.pop()
        return CompiledRuleColumns(
            rule.id,
            rule.source.severity == "blocking",
            applies.expr if applies is not None else None,
            violation.expr,
            tuple(e.expr for e in exceptions),
            mask,
            tuple(sorted(reads)),
        )

    def _condition(self, e: n.Expr) -> Scalar:
        value = self.expr(e)
        mask = self._mask(value) if self.explain else None
        return Scalar("bool", self._bool_expr(value), mask=mask)

    def boolean(self, e: n.Expr) -> Expr:
        return self._bool_expr(self.expr(e))

    # ------------------------------------------------ helpers
    def _new_name(self, stem: str) -> str:
        self._counter += 1
        return f"__{stem}{self._counter}"

    def _bind(self, expr: Expr) -> Expr:
        """``expr`` computed once into a column of the current frame, so that expressions
        reading it several times stay small (nested date arithmetic would otherwise grow
        exponentially).  Inside ``list.eval`` there are no columns to add: kept inline."""
        if self._frame.element or isinstance(expr, (int, float)):
            return expr
        return self._bind_in(self._frame, expr)

    def _bind_in(self, frame: Frame, expr: Expr) -> Expr:
        pl = polars()
        if expr.meta.is_column() or expr.meta.is_literal():
            return expr
        name = self._new_name("c")
        frame.stages.append(Stage(set(expr.meta.root_names()), {name}, [expr.alias(name)]))
        return pl.col(name)

    def _root_column(self, key: str, make: Callable[[], Expr]) -> Expr:
        """A column of the table of records computed once, whatever frame is compiling."""
        pl = polars()
        name = self._roots.get(key)
        if name is None:
            expr = make()
            name = self._new_name("r")
            self.root.stages.append(Stage(set(expr.meta.root_names()), {name}, [expr.alias(name)]))
            self._roots[key] = name
        return pl.col(name)

    def _bind_value(self, v: Value) -> Value:
        if isinstance(v, Scalar):
            return Scalar(v.kind, self._bind(v.expr), v.enum, self._bind_mask(v.mask))
        if isinstance(v, Number):
            return self._bind_number(v)
        if isinstance(v, Dur):
            return Dur(self._bind_number(v.amount), v.unit)
        if isinstance(v, Lst) and (v.mask is not None or v.bits is not None):
            bits = self._bind(v.bits) if v.bits is not None else None
            return dataclasses.replace(v, mask=self._bind_mask(v.mask), bits=bits)
        return v

    def _bind_number(self, n: Number) -> Number:
        den = n.den if isinstance(n.den, int) else self._bind(n.den)
        return Number(self._bind(n.num), den, self._bind_mask(n.mask), n.step)

    def _bind_mask(self, mask: Mask | None) -> Mask | None:
        if mask is None:
            return None
        return mask.map(self._bind)

    def constants_provisional(self) -> bool:
        """Whether a constant the rules folded depends on a provisional calendar year."""
        return bool(self._const_env.provisional_years)

    def _flag(self, condition: Expr, reason: str) -> None:
        """Rows where ``condition`` holds go to the per-record path (``reason`` says why, in
        the run summary: it names the flag's column, :data:`FLAG_PREFIX`)."""
        if self._frame.element:
            raise _NeedsFrame
        self._frame.flags.append(condition.fill_null(False).alias(FLAG_PREFIX + reason))

    def _read(self, fact: str) -> None:
        """Note a fact the rule being compiled reads."""
        if self._reads:
            self._reads[-1].add(fact)

    # ------------------------------------------------ masks
    def _mask(self, v: Value) -> Mask:
        """The missing facts behind ``v``'s nulls (empty when not explaining)."""
        if not self.explain:
            return Mask()
        if isinstance(v, Const):
            if type(v.value) is Unknown:
                return union(self.provenance.bit(p) for p in sorted(v.value.paths))
            return Mask()
        if isinstance(v, (Scalar, Number, Lst, Dur)):
            return v.mask if v.mask is not None else Mask()
        return Mask()

    def _masked(self, v: Value, mask: Mask) -> Value:
        """``v`` carrying ``mask`` (unchanged when not explaining)."""
        if not self.explain:
            return v
        if isinstance(v, (Scalar, Number, Lst)):
            return dataclasses.replace(v, mask=mask)
        if isinstance(v, Dur):
            return Dur(dataclasses.replace(v.amount, mask=mask), v.unit)
        return v

    def _strict(self, result: Value, *operands: Value, reason: str | None = None) -> Value:
        """A result unknown exactly where an operand is: the union of their missing facts.
        ``reason`` names the unknown where the operands are known and the result is not
        (``division by zero``); without one, such rows have no provenance and are explained
        on the per-record path."""
        if not self.explain:
            return result
        mask = union(self._mask(o) for o in operands)
        if reason is not None:
            known = [_known(o) for o in operands if not isinstance(o, (Const, Rec))]
            missing = ~_known(result)
            for k in known:
                missing = missing & k
            mask = mask | self.provenance.bit(reason).where(missing)
        return self._masked(result, mask)

    def _read_mask(self, path: str) -> Mask:
        """The mask of reading a record path (its parts computed once, as root columns)."""
        pl = polars()
        mask = self._path_mask(path, pl.col(path).is_null())
        return mask.map_keys(
            lambda key, expr: self._root_column(f"mask:{path}:{key}", lambda: expr)
        )

    def _path_mask(self, path: str, missing: Expr, label: str | None = None) -> Mask:
        """The missing fact where a record path read is null: the first record along the
        path that the row does not state, else the path itself (``label`` if given)."""
        cases: list[tuple[Expr, str]] = []
        parts = path.split(".")
        for depth in range(1, len(parts)):
            prefix = ".".join(parts[:depth]) + "."
            if any(p == prefix for p, _ in self.schema.submodels):
                absent = ~self._present(prefix)
                cases.append((missing & absent, "applicant." + prefix[:-1]))
        cases.append((missing, label or ("applicant." + path)))
        if len(cases) == 1:
            return self.provenance.bit(cases[0][1]).where(missing)
        return self.provenance.first_of(cases)

    def _present(self, prefix: str) -> Expr:
        """Whether the row states anything of the sub-record at ``prefix``."""
        pl = polars()
        columns = [c for c in self.schema.columns if c.startswith(prefix)]

        def make() -> Expr:
            if not columns:
                return pl.lit(False)
            return pl.any_horizontal(*[pl.col(c).is_not_null() for c in columns])

        return self._root_column("present:" + prefix, make)

    def _bool_expr(self, v: Value) -> Expr:
        pl = polars()
        if isinstance(v, Const):
            if type(v.value) is Unknown:
                return pl.lit(None, dtype=pl.Boolean)
            if not isinstance(v.value, bool):
                raise NotColumnar("a condition that is not a boolean")
            return pl.lit(v.value, dtype=pl.Boolean)
        if isinstance(v, Scalar) and v.kind == "bool":
            return v.expr
        raise NotColumnar("a condition that is not a boolean")

    # ------------------------------------------------ expressions
    def expr(self, e: n.Expr) -> Value:
        method = getattr(self, "_" + type(e).__name__.lower(), None)
        if method is None:
            raise NotColumnar(type(e).__name__)
        value: Value = method(e)
        return value

    def _const(self, e: n.Const) -> Value:
        return Const(e.value)

    def _param(self, e: n.Param) -> Value:
        return Const(e.value)

    def _setlit(self, e: n.SetLit) -> Value:
        items = [self.expr(i) for i in e.items]
        if all(isinstance(i, Const) for i in items):
            return Const(frozenset(i.value for i in items if isinstance(i, Const)))
        raise NotColumnar("a set built from the record")

    def _lookup(self, name: str) -> tuple[Value, Frame] | None:
        for frame in reversed(self._scope):
            if name in frame:
                return frame[name]
        return None

    def _var(self, e: n.Var) -> Value:
        bound = self._lookup(e.name)
        if bound is None:
            raise NotColumnar(f"a variable '{e.name}' bound outside the rule")
        value, frame = bound
        if self._frame.element and frame is not self._frame:
            raise _NeedsFrame
        return value

    def _letref(self, e: n.LetRef) -> Value:
        return self._let(e.name)

    def _root(self, e: n.Root) -> Value:
        if e.name == "procedure":
            raise NotColumnar("procedure records")
        if self._frame.element:
            raise _NeedsFrame
        return Rec(self.schema.model, prefix="")

    def _asof(self, e: n.AsOf) -> Value:
        if self.as_of is not None:
            return Const(self.as_of)
        if self._frame.element:
            raise _NeedsFrame
        return self._as_of_column()

    def _as_of_column(self) -> Value:
        """The as-of date read from the record: the submission date (missing: ``as_of``)."""
        pl = polars()
        self._read("as_of")
        column = pl.col(AS_OF_COLUMN)
        value = Scalar("date", column)
        if self.explain:
            value = Scalar(
                "date", column, mask=self.provenance.bit("as_of").where(column.is_null())
            )
        return value

    def _let(self, name: str) -> Value:
        if self._frame.element:
            raise _NeedsFrame
        key = (name, self.explain)
        if key not in self._lets:
            frame, scope = self._frame, self._scope
            self._frame, self._scope = self.root, []
            self._reads.append(set())
            try:
                value = self._bind_value(self.expr(self.policy.lets[name]))
            finally:
                reads = self._reads.pop()
                self._frame, self._scope = frame, scope
            self._lets[key] = (value, frozenset(reads))
        value, facts = self._lets[key]
        for fact in facts:
            self._read(fact)
        return value

    def _column(self, path: str) -> Value:
        pl = polars()
        leaf = self.schema.leaf(path)
        if leaf is not None:
            self._read(path)
            value = _leaf_value(pl.col(path), leaf.kind, leaf.enum)
            if self.explain:
                value = self._masked(value, self._read_mask(path))
            return value
        list_field = self.schema.list_field(path)
        if list_field is not None:
            self._read(path)
            if not self.explain:
                return Lst(pl.col(path), list_field)
            self._flag(
                pl.col(path).list.len() > ELEMENT_BITS,
                f"{path}: more than {ELEMENT_BITS} elements (explained per record)",
            )
            bits = self._root_column("bits:" + path, lambda: index_bits(pl.col(path).list.len()))
            mask = self._read_mask(path)
            return Lst(pl.col(path), list_field, mask=mask, bits=bits)
        for prefix, model in self.schema.submodels:
            if prefix == path + ".":
                return Rec(model, prefix=prefix)
        raise NotColumnar(f"no column for '{path}'")

    def _path(self, e: n.Path) -> Value:
        value = self.expr(e.base)
        for name in e.names:
            value = self._field(value, name)
        return value

    def _field(self, base: Value, name: str) -> Value:
        """Field ``name`` of a record value."""
        if not isinstance(base, Rec):
            raise NotColumnar("a field of something that is not a record")
        if base.prefix is not None:
            return self._column(base.prefix + name)
        assert base.struct is not None
        element = _element_field(base.model, name)
        if element is None:
            raise NotColumnar(f"field '{name}' of a list element")
        kind, enum_cls = element
        field = base.struct.struct.field(name)
        value = _leaf_value(field, kind, enum_cls)
        if base.list_path is not None:
            self._read(f"{base.list_path}[].{name}")
        if self.explain:
            if base.list_path is None or not base.tag:
                raise NotColumnar("an element of a list of unknown origin")
            mask = self.provenance.element(base.list_path, name, field.is_null(), base.tag)
            value = self._masked(value, mask)
        return value

    # ------------------------------------------------ calls
    def _call(self, e: n.Call) -> Value:
        """A built-in, lowered as its table entry says: natively (``_fn_<name>``, attached
        by name), once per distinct argument tuple, or not at all."""
        args = [self.expr(a) for a in e.args]
        columnar = e.builtin.columnar
        if columnar == "native":
            result: Value = getattr(self, "_fn_" + e.builtin.name)(*args)
            return result
        if columnar == "per_distinct":
            return self._python_call(e.builtin.name, args)
        raise NotColumnar(f"{e.builtin.name}()")

    def _python_call(self, func: str, args: list[Value]) -> Value:
        raise NotColumnar(f"{func}()")

    def _defcall(self, e: n.DefCall) -> Value:
        definition = e.definition
        assert definition.body is not None
        args = [self.expr(a) for a in e.args]
        self._scope.append(
            {p: (v, self._frame) for p, v in zip(definition.params, args, strict=True)}
        )
        try:
            return self.expr(definition.body)
        finally:
            self._scope.pop()

    # ------------------------------------------------ operators
    def _boolop(self, e: n.BoolOp) -> Value:
        values = [self.expr(o) for o in e.operands]
        if all(isinstance(v, Const) for v in values):
            consts = [v.value for v in values if isinstance(v, Const)]
            if not any(type(c) is Unknown for c in consts):
                return Const(any(consts) if e.op == "or" else all(consts))
        exprs = [self._bool_expr(v) for v in values]
        result = exprs[0]
        for other in exprs[1:]:
            result = (result | other) if e.op == "or" else (result & other)
        if not self.explain:
            return Scalar("bool", result)
        # Unknown: every operand was evaluated, none decisive; the union of the unknown ones.
        result = self._bind(result)
        mask = union(self._mask(v) for v in values).where(result.is_null())
        return Scalar("bool", result, mask=mask)

    def _not(self, e: n.Not) -> Value:
        value = self.expr(e.operand)
        if isinstance(value, Const):
            return Const(value.value if type(value.value) is Unknown else not value.value)
        return self._strict(Scalar("bool", ~self._bool_expr(value)), value)

    def _neg(self, e: n.Neg) -> Value:
        value = self.expr(e.operand)
        if isinstance(value, Const):
            v = value.value
            if type(v) is Unknown:
                return value
            return Const(Duration(-v.amount, v.unit) if isinstance(v, Duration) else -v)
        if isinstance(value, Number):
            return self._strict(Number(-value.num, value.den), value)
        if isinstance(value, Dur):
            return self._strict(Dur(Number(-value.amount.num, value.amount.den), value.unit), value)
        raise NotColumnar("negation of this value")

    def _if(self, e: n.If) -> Value:
        pl = polars()
        cond, then, other = self.expr(e.cond), self.expr(e.then), self.expr(e.else_)
        if isinstance(cond, Const):
            if type(cond.value) is Unknown:
                raise NotColumnar("an if/then/else on an unknown constant")
            return then if cond.value else other
        c = self._bind(self._bool_expr(cond))
        known = c.is_not_null()
        out: Value
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
            if unit is not None:
                out = Dur(out, unit)
        elif isinstance(then, Const) and isinstance(other, Const) and isinstance(then.value, bool):
            out = Scalar(
                "bool", pl.when(known).then(pl.when(c).then(then.value).otherwise(other.value))
            )
        else:
            template = then if isinstance(then, Scalar) else other
            if not isinstance(template, Scalar):
                template = _const_scalar(then, other) or template
            if not isinstance(template, Scalar):
                raise NotColumnar("if/then/else of records or lists")
            a, b = self._scalar_expr(then, template), self._scalar_expr(other, template)
            out = Scalar(
                template.kind, pl.when(known).then(pl.when(c).then(a).otherwise(b)), template.enum
            )
        if not self.explain:
            return out
        mask = (
            self._mask(cond).where(~known)
            | self._mask(then).where(c.fill_null(False))
            | self._mask(other).where((~c).fill_null(False))
        )
        return self._masked(out, mask)

    def _compare(self, e: n.Compare) -> Value:
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
            return self._strict(Scalar("bool", test if op == "in" else ~test), a)
        if isinstance(a, Const) and isinstance(b, (Scalar, Number, Dur)):
            flipped = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
            return self._compare_values(flipped, b, a)
        if isinstance(a, Scalar) and a.kind == "enum":
            return self._strict(Scalar("bool", self._compare_enum(op, a, b)), a, b)
        if isinstance(a, Scalar):
            other = self._scalar_expr(b, a)
            return self._strict(Scalar("bool", _apply(op, a.expr, other)), a, b)
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
            folded = fold_step(op, a, b)
            if folded is not None:
                test, outside = folded
                if outside is not None:  # dates the engine cannot count: per record
                    self._flag(outside, "a date the engine cannot count from")
                return self._strict(Scalar("bool", test), a)
            na, nb = self._number_pair(a, b)
            left = na.num if _is_one(nb.den) else na.num * _as_expr(nb.den)
            right = nb.num if _is_one(na.den) else nb.num * _as_expr(na.den)
            return self._strict(Scalar("bool", _apply(op, left, right)), a, b)
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
            # The members that pass, decided natively (an unranked one never does).
            test = _RANK_TESTS[op]
            wanted = [n for n, r in ranks.items() if r is not None and test(r, rank_value)]
            return a.expr.is_in(wanted) if wanted else pl_when_known(a.expr, pl.lit(False))
        elif isinstance(b, Scalar) and b.kind == "enum":
            rank_b: Expr = b.expr.replace_strict(ranks, default=None, return_dtype=pl.Int64)
            b_known = b.expr.is_not_null()
        else:
            raise NotColumnar("an enum compared with something else")
        known = a.expr.is_not_null() & b_known
        unranked = rank_a.is_null() | rank_b.is_null()
        return pl.when(known).then(
            pl.when(unranked).then(False).otherwise(_apply(op, rank_a, rank_b))
        )

    def _arith(self, e: n.Arith) -> Value:
        a, b = self.expr(e.left), self.expr(e.right)
        return self._arith_values(e.op, a, b)

    def _arith_values(self, op: str, a: Value, b: Value) -> Value:
        polars()
        if isinstance(a, Const) and isinstance(b, Const):
            return Const(arithmetic(op, a.value, b.value, self._const_env))
        if _is_dateish(a):
            shift = b.value if isinstance(b, Const) else b
            if isinstance(shift, Duration):
                shift = Dur(_number_const(shift.amount), shift.unit)
            if not isinstance(shift, Dur) or op not in ("+", "-"):
                raise NotColumnar("date arithmetic other than date ± duration")
            amount = shift.amount if op == "+" else Number(-shift.amount.num, shift.amount.den)
            return self._strict(self._shift(a, amount, shift.unit), a, b)
        a_dur, b_dur = _is_duration(a), _is_duration(b)
        na, nb = self._number_pair(a, b)
        unit = _unit(a) or _unit(b)
        out: Value
        if a_dur and b_dur:
            if op in ("+", "-"):
                return self._strict(Dur(_add(na, nb, op), unit or ""), a, b)
            if op == "/":
                return self._strict(_divide(na, nb), a, b, reason=_DIVISION_BY_ZERO)
            raise NotColumnar("a product of durations")
        if op in ("+", "-"):
            if a_dur or b_dur:
                raise NotColumnar("a duration plus a number")
            return self._strict(_add(na, nb, op), a, b)
        if op == "*":
            product = Number(na.num * nb.num, _mul(na.den, nb.den))
            _check_static(product)
            out = Dur(product, unit or "") if (a_dur or b_dur) else product
            return self._strict(out, a, b)
        if b_dur:
            raise NotColumnar("a number divided by a duration")
        if op != "/":
            raise NotColumnar(f"operator {op}")
        quotient = _divide(na, nb)
        out = Dur(quotient, unit or "") if a_dur else quotient
        return self._strict(out, a, b, reason=_DIVISION_BY_ZERO)

    def _shift(self, d: Value, amount: Number, unit: str) -> Value:
        raise NotColumnar("date arithmetic")

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


_RANK_TESTS: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: bool(a < b),
    "<=": lambda a, b: bool(a <= b),
    ">": lambda a, b: bool(a > b),
    ">=": lambda a, b: bool(a >= b),
}


def _const_scalar(a: Value, b: Value) -> Scalar | None:
    """The kind of column two constants of one kind make (an if/then/else of terms)."""
    pl = polars()
    if not (isinstance(a, Const) and isinstance(b, Const)) or type(a.value) is not type(b.value):
        return None
    value = a.value
    if isinstance(value, enum.Enum):
        return Scalar("enum", pl.lit(None, dtype=pl.String), type(value))
    if isinstance(value, dt.date):
        return Scalar("date", pl.lit(None, dtype=pl.Date))
    if isinstance(value, str):
        return Scalar("text", pl.lit(None, dtype=pl.String))
    return None


__all__ = ["CompilerCore"]
