"""Core layer: lower a checked policy to the core IR — the one place names are resolved.

A name is, in this order: a variable bound by an enclosing lambda or ``def``; a parameter;
a ``let``; a record root (``applicant``, ``procedure``); ``as_of``; a rounding rule
(``floor``, ``ceil``, ``exact``); an enum term.  ``Enum.term`` is an enum member; any other
``x.a.b`` is a record read.  Parameters are computed here, once, and every subexpression
whose value cannot depend on a record is folded to a constant (unless computing it reports
a provisional calendar year, which each evaluation that reads it must report too).
"""

from __future__ import annotations

import enum
import functools
from typing import Any

from titlerules.core import nodes as n
from titlerules.core.builtins import BUILTINS
from titlerules.core.fold import NotConstant, evaluate_constant
from titlerules.errors import Location, PolicyError, TitleRulesError
from titlerules.lang import ir
from titlerules.lang.checker import enum_registry, enum_terms, lookup_term
from titlerules.lang.loader import ResolvedPolicy, Sourced
from titlerules.lang.types import ROOTS, ROUNDINGS


def lower_policy(policy: ResolvedPolicy) -> n.CorePolicy:
    """The checked ``policy`` in core form (its parameters computed)."""
    return _Lowerer(policy).policy()


class _Lowerer:
    def __init__(self, policy: ResolvedPolicy) -> None:
        self.source = policy
        self.enums = enum_registry()
        self.params: dict[str, Any] = {}
        self.param_years: dict[str, frozenset[int]] = {}
        self.defs: dict[str, n.Def] = {}
        self.let_labels: dict[str, n.Words | None] = {
            name: _words(sourced.item)  # type: ignore[arg-type]
            for name, sourced in policy.lets.items()
        }
        self._scope: list[frozenset[str]] = []

    def policy(self) -> n.CorePolicy:
        source = self.source
        for name, sourced in source.params.items():
            assert isinstance(sourced.item, ir.Param)
            try:
                value, years = evaluate_constant(self.expr(sourced.item.value))
            except NotConstant as exc:
                raise _param_error(name, sourced, exc) from None
            except (ArithmeticError, ValueError, TypeError, TitleRulesError) as exc:
                raise _param_error(name, sourced, exc) from None
            if years:
                self.param_years[name] = years
            if sourced.item.type.name == "set" and isinstance(value, (set, frozenset)):
                value = frozenset(value)
            self.params[name] = value
        lets = {}
        for name, sourced in source.lets.items():
            assert isinstance(sourced.item, ir.Let)
            lets[name] = self.expr(sourced.item.value)
        for name in source.defs:
            self.definition(name)
        rules = tuple(
            self.rule(sourced.item)  # type: ignore[arg-type]
            for sourced in source.rules.values()
        )
        return n.CorePolicy(source, self.params, self.param_years, lets, self.defs, rules)

    def rule(self, rule: ir.Rule) -> n.Rule:
        from titlerules.lang.printer import format_expr

        applies = self.expr(rule.applies) if rule.applies is not None else None
        require: tuple[n.Expr, ...] = ()
        when: n.Expr | None = None
        if rule.kind == "exclusion":
            assert rule.when is not None
            when = self.expr(rule.when)
        else:
            require = tuple(self.expr(condition) for condition in rule.require)
        unless = tuple(
            n.Exception_(
                exc.label, self.expr(exc.condition), format_expr(exc.condition), exc.label_en
            )
            for exc in rule.unless
        )
        whens = tuple(self.expr(m.when) if m.when is not None else None for m in rule.messages)
        return n.Rule(rule, applies, require, when, unless, self.message_values(rule), whens)

    def message_values(self, rule: ir.Rule) -> tuple[tuple[str, n.Expr], ...]:
        """The values a rule's message templates name, lowered (``left`` and ``right`` are
        the deciding comparison's and need none)."""
        from titlerules.lang.exprparse import parse_expr
        from titlerules.lang.messages import placeholders

        found: dict[str, n.Expr] = {}
        templates = [t for m in rule.messages for t in (m.text, m.text_en)]
        for template in templates:
            for name, _spec in placeholders(template or ""):
                if name not in found and name not in ("left", "right"):
                    found[name] = self.expr(parse_expr(name))
        return tuple(found.items())

    def definition(self, name: str) -> n.Def:
        found = self.defs.get(name)
        if found is not None:
            return found
        item = self.source.defs[name].item
        assert isinstance(item, ir.Def)
        definition = self.defs[name] = n.Def(name, tuple(item.params), label=_words(item))
        saved, self._scope = self._scope, [frozenset(item.params)]
        try:
            definition.body = self.expr(item.body)
        finally:
            self._scope = saved
        return definition

    # ------------------------------------------------ expressions
    def expr(self, e: ir.Expr) -> n.Expr:
        method = getattr(self, "_" + type(e).__name__.lower().rstrip("_"))
        lowered: n.Expr = method(e)
        return _folded(lowered)

    def _in_scope(self, name: str) -> bool:
        return any(name in frame for frame in self._scope)

    def _literal(self, e: ir.Literal_) -> n.Expr:
        return n.Const(e.value, e.span)

    def _durationlit(self, e: ir.DurationLit) -> n.Expr:
        from titlerules.engine.runtime import Duration

        return n.Const(Duration(e.amount, e.unit), e.span)

    def _setlit(self, e: ir.SetLit) -> n.Expr:
        return n.SetLit(tuple(self.expr(i) for i in e.items), e.span)

    def _name(self, e: ir.Name) -> n.Expr:
        name, span = e.id, e.span
        if self._in_scope(name):
            return n.Var(name, span)
        if name in self.params:
            years = self.param_years.get(name)
            if years:
                return n.Param(name, self.params[name], years, span)
            return n.Const(self.params[name], span, origin=name)
        if name in self.source.params:  # a parameter read while computing parameters
            item = self.source.params[name].item
            assert isinstance(item, ir.Param)
            return self.expr(item.value)
        if name in self.source.lets:
            return n.LetRef(name, span, self.let_labels.get(name))
        if name in ROOTS:
            return n.Root(name, span)  # type: ignore[arg-type]
        if name == "as_of":
            return n.AsOf(span)
        if name in ROUNDINGS:
            return n.Const(name, span)
        return n.Const(self._enum(name, None), span)

    def _enum(self, term: str, enum_name: str | None) -> enum.Enum:
        if enum_name is not None:
            for member in self.enums[enum_name]:
                if term in enum_terms(member):
                    return member
        members = _members_named(term)
        if len({type(m) for m in members}) == 1:
            return members[0]
        raise PolicyError(f"cannot resolve '{term}' (run 'titlerules lint')", code="TR310")

    def _attr(self, e: ir.Attr) -> n.Expr:
        names: list[str] = []
        node: ir.Expr = e
        while isinstance(node, ir.Attr):
            names.append(node.name)
            node = node.obj
        names.reverse()
        if (
            isinstance(node, ir.Name)
            and node.id in self.enums
            and not self._in_scope(node.id)
            and len(names) == 1
        ):
            return n.Const(self._enum(names[0], node.id), e.span)
        base = self.expr(node)
        return n.Path(base, tuple(names), e.span)

    def _call(self, e: ir.Call) -> n.Expr:
        args = tuple(self.expr(a) for a in e.args)
        if e.func in self.source.defs:
            return n.DefCall(self.definition(e.func), args, e.span)
        if e.func == "known":
            return n.Known(args[0], e.span)
        if e.func == "coalesce":
            return n.Coalesce(args[0], args[1], e.span)
        return n.Call(BUILTINS[e.func], args, e.span)

    def _methodcall(self, e: ir.MethodCall) -> n.Expr:
        obj = self.expr(e.obj)
        if e.method in ("contains_all", "contains_any"):
            arg = e.args[0]
            assert not isinstance(arg, ir.Lambda)
            return n.SetMethod(e.method, obj, self.expr(arg), e.span)  # type: ignore[arg-type]
        lam = e.args[0] if e.args else None
        if not isinstance(lam, ir.Lambda):
            return n.ListMethod(e.method, obj, "", None, e.span)
        self._scope.append(frozenset({lam.param}))
        try:
            body = self.expr(lam.body)
        finally:
            self._scope.pop()
        return n.ListMethod(e.method, obj, lam.param, body, e.span)

    def _binop(self, e: ir.BinOp) -> n.Expr:
        return n.Arith(e.op, self.expr(e.left), self.expr(e.right), e.span)

    def _compare(self, e: ir.Compare) -> n.Expr:
        from titlerules.lang.printer import format_expr

        texts = (format_expr(e.left), format_expr(e.right))
        return n.Compare(e.op, self.expr(e.left), self.expr(e.right), e.span, texts)

    def _boolop(self, e: ir.BoolOp) -> n.Expr:
        return n.BoolOp(e.op, tuple(self.expr(o) for o in e.operands), e.span)

    def _not(self, e: ir.Not) -> n.Expr:
        return n.Not(self.expr(e.operand), e.span)

    def _neg(self, e: ir.Neg) -> n.Expr:
        return n.Neg(self.expr(e.operand), e.span)

    def _ifthenelse(self, e: ir.IfThenElse) -> n.Expr:
        return n.If(self.expr(e.cond), self.expr(e.then), self.expr(e.else_), e.span)


def _words(item: ir.Let | ir.Def) -> n.Words | None:
    return (item.label, item.label_en) if item.label is not None else None


_FOLDABLE = (n.SetLit, n.Compare, n.Arith, n.Not, n.Neg, n.Call)


def _folded(e: n.Expr) -> n.Expr:
    """``e`` as a constant when its value cannot depend on a record (and computing it
    reports no provisional calendar year); else ``e``.  Only nodes whose operands are all
    constants are folded (bottom-up, as the lowering goes), so this is linear."""
    if not isinstance(e, _FOLDABLE):
        return e
    operands: tuple[n.Expr, ...]
    if isinstance(e, n.SetLit):
        operands = e.items
    elif isinstance(e, (n.Compare, n.Arith)):
        operands = (e.left, e.right)
    elif isinstance(e, (n.Not, n.Neg)):
        operands = (e.operand,)
    else:
        operands = e.args
    if not all(type(o) is n.Const for o in operands):
        return e
    try:
        value, years = evaluate_constant(e)
    except (NotConstant, ArithmeticError, ValueError, TypeError, TitleRulesError):
        return e  # each evaluation meets the same error, where it is reported with its rule
    if years:
        return e
    return n.Const(value, e.span)


@functools.cache
def _members_named(term: str) -> tuple[enum.Enum, ...]:
    """The enum members a bare term may name (vocabularies are fixed: looked up once)."""
    return tuple(lookup_term(term))


def _param_error(name: str, sourced: Sourced, exc: Exception) -> PolicyError:
    """A parameter whose constant value cannot be computed (e.g. a date past 9999-12-31)."""
    span = sourced.item.span
    reason = exc.message if isinstance(exc, TitleRulesError) else str(exc)
    return PolicyError(
        f"parameter '{name}' cannot be computed: {reason}",
        location=Location(file=sourced.file, line=span.line or None, column=span.column or None),
        hint="give the parameter a value inside the supported range (dates 2000-2099 for "
        "working days, years 1-9999)",
        code="TR330",
    )
