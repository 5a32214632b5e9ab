"""Core layer: which comparisons of a rule can have decided it, and how.

A rule is violated when its ``when`` holds (an exclusion) or its requirement does not.  Each
comparison in the violation's expression (through ``let`` values and ``def`` bodies) has a
*polarity*: ``True`` if the comparison holding pushes towards the violation, ``False`` if
the comparison failing does, ``None`` where it depends (under an ``if`` condition, inside a
count, a sum, ``known``...).  Explanations use it to show the comparisons that decided a
failed rule, with their values (:meth:`titlerules.engine.policy.Policy.evaluate`).
"""

from __future__ import annotations

from collections.abc import Mapping

from titlerules.core import nodes as n

Polarities = Mapping[int, frozenset[bool | None]]


def polarities(rule: n.Rule, lets: Mapping[str, n.Expr]) -> dict[int, frozenset[bool | None]]:
    """The polarities of every comparison node (by ``id``) in ``rule``'s violation."""
    found: dict[int, set[bool | None]] = {}
    seen: set[tuple[int, bool | None]] = set()

    def walk(e: n.Expr, pol: bool | None) -> None:
        key = (id(e), pol)
        if key in seen:
            return
        seen.add(key)
        if isinstance(e, n.Compare):
            found.setdefault(id(e), set()).add(pol)
            walk(e.left, None)
            walk(e.right, None)
        elif isinstance(e, n.BoolOp):
            for operand in e.operands:
                walk(operand, pol)
        elif isinstance(e, n.Not):
            walk(e.operand, None if pol is None else not pol)
        elif isinstance(e, n.If):
            walk(e.cond, None)
            walk(e.then, pol)
            walk(e.else_, pol)
        elif isinstance(e, n.LetRef):
            if e.name in lets:
                walk(lets[e.name], pol)
        elif isinstance(e, n.DefCall):
            for arg in e.args:
                walk(arg, None)
            if e.definition.body is not None:
                walk(e.definition.body, pol)
        elif isinstance(e, n.ListMethod):
            walk(e.obj, None)
            if e.body is not None:
                walk(e.body, pol if e.method in ("any", "all") else None)
        else:
            for child in _children(e):
                walk(child, None)

    if rule.when is not None:
        walk(rule.when, True)
    for condition in rule.require:
        walk(condition, False)
    return {key: frozenset(value) for key, value in found.items()}


def _children(e: n.Expr) -> tuple[n.Expr, ...]:
    if isinstance(e, n.Path):
        return (e.base,)
    if isinstance(e, n.Call):
        return e.args
    if isinstance(e, n.Known):
        return (e.arg,)
    if isinstance(e, n.Coalesce):
        return (e.first, e.second)
    if isinstance(e, n.SetLit):
        return e.items
    if isinstance(e, n.Arith):
        return (e.left, e.right)
    if isinstance(e, n.Neg):
        return (e.operand,)
    if isinstance(e, n.SetMethod):
        return (e.obj, e.arg)
    return ()


def deciding(polarity: frozenset[bool | None] | None, result: object, failed: bool) -> bool | None:
    """Whether a comparison with this ``result`` decided a rule that ``failed`` (else was
    unknown): True if it did, None if its polarity is mixed (it may have), False if not."""
    if polarity is None:
        return False
    if not failed:
        return type(result) is not bool
    if type(result) is not bool:
        return False
    if result in polarity:
        return True
    return None if None in polarity else False
