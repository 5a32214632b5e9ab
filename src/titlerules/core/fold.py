"""Core layer: the value of an expression that reads no record (parameters, folding).

Operators and built-ins are computed by the same runtime functions and the same table
entries (:mod:`titlerules.core.builtins`) the per-record backends call, with the same
treatment of unknown values; the working-day calendar is the default one, and the
provisional calendar years a value depends on are returned with it.
"""

from __future__ import annotations

from typing import Any

from titlerules.core import nodes as n
from titlerules.engine import runtime as rt


class NotConstant(Exception):
    """The expression reads the record (or a construct constants do not have)."""


def evaluate_constant(e: n.Expr) -> tuple[Any, frozenset[int]]:
    """The value of ``e`` and the provisional calendar years it depends on."""
    from titlerules.calendar import default_calendar

    env = rt.Env(roots={}, as_of=None, calendar=default_calendar())
    value = _value(e, env, {})
    return value, frozenset(env.provisional_years)


def _union(values: list[Any]) -> rt.Unknown | None:
    missing = [v for v in values if type(v) is rt.Unknown]
    if not missing:
        return None
    return rt.Unknown(frozenset().union(*(m.paths for m in missing)))


def _value(e: n.Expr, env: rt.Env, bound: dict[str, Any]) -> Any:
    if isinstance(e, n.Const):
        return e.value
    if isinstance(e, n.Param):
        env.note_years(e.years)
        return e.value
    if isinstance(e, n.Var) and e.name in bound:
        return bound[e.name]
    if isinstance(e, n.SetLit):
        values = [_value(i, env, bound) for i in e.items]
        return _union(values) or frozenset(values)
    if isinstance(e, n.Compare):
        return rt.compare(e.op, _value(e.left, env, bound), _value(e.right, env, bound))
    if isinstance(e, n.Arith):
        return rt.arithmetic(e.op, _value(e.left, env, bound), _value(e.right, env, bound), env)
    if isinstance(e, n.Not):
        value = _value(e.operand, env, bound)
        return value if type(value) is rt.Unknown else not value
    if isinstance(e, n.Neg):
        value = _value(e.operand, env, bound)
        if type(value) is rt.Unknown:
            return value
        return rt.Duration(-value.amount, value.unit) if isinstance(value, rt.Duration) else -value
    if isinstance(e, n.Known):
        return type(_value(e.arg, env, bound)) is not rt.Unknown
    if isinstance(e, n.Coalesce):
        first = _value(e.first, env, bound)
        return _value(e.second, env, bound) if type(first) is rt.Unknown else first
    if isinstance(e, n.Call):
        values = [_value(a, env, bound) for a in e.args]
        impl = e.builtin.impl
        assert impl is not None
        if not e.builtin.lenient:
            missing = _union(values)
            if missing is not None:
                return missing
        return impl(env, *values)
    if isinstance(e, n.BoolOp):
        stop = e.op == "or"
        paths: frozenset[str] | None = None
        for operand in e.operands:
            value = _value(operand, env, bound)
            if type(value) is rt.Unknown:
                paths = value.paths if paths is None else paths | value.paths
            elif bool(value) is stop:
                return stop
        return (not stop) if paths is None else rt.Unknown(paths)
    if isinstance(e, n.If):
        cond = _value(e.cond, env, bound)
        if type(cond) is rt.Unknown:
            return cond
        return _value(e.then if cond else e.else_, env, bound)
    if isinstance(e, n.DefCall):
        assert e.definition.body is not None
        args = [_value(a, env, bound) for a in e.args]
        return _value(e.definition.body, env, dict(zip(e.definition.params, args, strict=True)))
    raise NotConstant(f"{type(e).__name__} is not a constant")
