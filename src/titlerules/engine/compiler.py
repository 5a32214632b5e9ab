"""Engine layer: compile a checked policy into functions of the environment, once.

Every IR expression can become a Python closure ``fn(env) -> value``; names, parameters, enum
terms and record paths are resolved here, at compile time, so evaluating a record does no
parsing and no name lookup beyond reading the record's own attributes.  The body of each
function boundary (a rule's conditions, a ``let``, a ``def``, a lambda) is by default
generated as one Python function instead (:mod:`titlerules.engine.codegen`), which calls
these closures for the nodes it has no form of its own for.  No text a user wrote is ever
passed to ``eval`` or placed in generated source.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass
from typing import Any

from titlerules.engine import codegen
from titlerules.engine.runtime import (
    ABSENT,
    BUILTIN_IMPLS,
    LENIENT_BUILTINS,
    WRAPPED,
    Duration,
    ElementPath,
    Env,
    Fn,
    Seq,
    Unknown,
    arithmetic,
    comparator,
    finish_read,
    rank,
    unbind,
    unknown,
    var_path,
)
from titlerules.errors import Location, PolicyError, TitleRulesError
from titlerules.lang import ir
from titlerules.lang.checker import enum_registry, enum_terms, lookup_term
from titlerules.lang.loader import ResolvedPolicy, Sourced
from titlerules.lang.types import ROOTS, ROUNDINGS


@dataclass(frozen=True, slots=True)
class CompiledException:
    label: str | None
    condition: Fn
    text: str


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule ready to run: its IR (for citations and titles) and its closures."""

    rule: ir.Rule
    document: str | None
    applies: Fn | None
    violation: Fn
    exceptions: tuple[CompiledException, ...]


class Compiler:
    def __init__(self, policy: ResolvedPolicy, *, generate: bool | None = None) -> None:
        self.policy = policy
        self.generate = codegen.enabled() if generate is None else generate
        self.enums = enum_registry()
        self.params: dict[str, Any] = {}
        self.param_years: dict[str, frozenset[int]] = {}
        self.let_fns: dict[str, Fn] = {}
        self._scope: list[set[str]] = []

    def compile(self) -> tuple[dict[str, Any], tuple[CompiledRule, ...]]:
        for name, sourced in self.policy.params.items():
            assert isinstance(sourced.item, ir.Param)
            # A fresh environment per parameter: the provisional calendar years its value
            # depends on are replayed into every decision that reads it.
            const_env = _ConstEnv()
            try:
                value = self.expr(sourced.item.value)(const_env)
            except (ArithmeticError, ValueError, TypeError, TitleRulesError) as exc:
                raise _param_error(name, sourced, exc) from None
            if const_env.provisional_years:
                self.param_years[name] = frozenset(const_env.provisional_years)
            if sourced.item.type.name == "set" and isinstance(value, (set, frozenset)):
                value = frozenset(value)
            self.params[name] = value
        for name, sourced in self.policy.lets.items():
            assert isinstance(sourced.item, ir.Let)
            self.let_fns[name] = self.function(sourced.item.value, f"let {name}")
        rules = []
        for sourced in self.policy.rules.values():
            assert isinstance(sourced.item, ir.Rule)
            rules.append(self.rule(sourced.item))
        return self.params, tuple(rules)

    def rule(self, rule: ir.Rule) -> CompiledRule:
        from titlerules.lang.printer import format_expr

        name = f"rule {rule.id}"
        applies = self.function(rule.applies, name) if rule.applies is not None else None
        violation: Fn
        if rule.kind == "exclusion":
            assert rule.when is not None
            violation = self.function(rule.when, name)
        else:
            condition = (
                rule.require[0]
                if len(rule.require) == 1
                else ir.BoolOp("and", rule.require, span=rule.span)
            )
            if self.generate:
                violation = codegen.generate_violation(self, condition, name)
            else:
                required = self.expr(condition)

                def violation(env: Env, required: Fn = required) -> Any:
                    held = required(env)
                    if type(held) is Unknown:
                        return held
                    return not held

        exceptions = tuple(
            CompiledException(
                exc.label, self.function(exc.condition, name), format_expr(exc.condition)
            )
            for exc in rule.unless
        )
        return CompiledRule(rule, self.policy.header.document, applies, violation, exceptions)

    # ------------------------------------------------ expressions
    def function(self, e: ir.Expr, name: str) -> Fn:
        """The body of a function boundary (a rule's condition, a let, a def, a lambda):
        one generated function (:mod:`titlerules.engine.codegen`), or its closure tree."""
        return codegen.generate(self, e, name) if self.generate else self.expr(e)

    def expr(self, e: ir.Expr) -> Fn:
        method = getattr(self, "_" + type(e).__name__.lower().rstrip("_"))
        fn: Fn = method(e)
        return fn

    def _literal(self, e: ir.Literal_) -> Fn:
        value = e.value
        return lambda env: value

    def _durationlit(self, e: ir.DurationLit) -> Fn:
        value = Duration(e.amount, e.unit)
        return lambda env: value

    def _setlit(self, e: ir.SetLit) -> Fn:
        items = [self.expr(i) for i in e.items]
        if all(self._is_constant(i) for i in e.items):
            constant = frozenset(fn(_CONST_ENV) for fn in items)
            return lambda env: constant

        def build(env: Env) -> Any:
            values = [fn(env) for fn in items]
            missing = [v for v in values if type(v) is Unknown]
            if missing:
                return Unknown(frozenset().union(*(m.paths for m in missing)))
            return frozenset(values)

        return build

    def _is_constant(self, e: ir.Expr) -> bool:
        """A literal, a parameter or an enum term: foldable before any record is seen."""
        if isinstance(e, ir.Literal_):
            return True
        if isinstance(e, ir.Name):
            return (
                not self._in_scope(e.id)
                and e.id not in self.policy.lets
                and e.id not in self.param_years  # keeps its provisional years
                and (e.id in self.params or e.id not in (*ROOTS, "as_of"))
            )
        if isinstance(e, ir.Attr):
            return isinstance(e.obj, ir.Name) and e.obj.id in self.enums
        return False

    def _in_scope(self, name: str) -> bool:
        return any(name in frame for frame in self._scope)

    def _name(self, e: ir.Name) -> Fn:
        name = e.id
        if self._in_scope(name):
            return lambda env: env.vars[name]
        if name in self.params:
            value = self.params[name]
            years = self.param_years.get(name)
            if years:

                def provisional_param(env: Env) -> Any:
                    env.note_years(years)
                    return value

                return provisional_param
            return lambda env: value
        if name in self.policy.params:  # a parameter read while compiling parameters
            sourced = self.policy.params[name].item
            assert isinstance(sourced, ir.Param)
            return self.expr(sourced.value)
        if name in self.policy.lets:
            return self._let_ref(name)
        if name in ROOTS:

            def root(env: Env) -> Any:
                value = env.roots.get(name)
                return unknown(name) if value is None else value

            return root
        if name == "as_of":
            return lambda env: env.as_of if env.as_of is not None else unknown("as_of")
        if name in ROUNDINGS:
            return lambda env: name
        member = self._enum(name, None)
        return lambda env: member

    def _let_ref(self, name: str) -> Fn:
        def let(env: Env) -> Any:
            # Evaluated once per record; the facts it read are replayed into the trace of
            # every later rule that uses it, so each rule's explanation is complete.
            cache = env.lets
            trace = env.trace
            if name in cache:
                if trace is not None:
                    trace.extend(env.let_reads.get(name, ()))
                return cache[name]
            start = len(trace) if trace is not None else 0
            value = self.let_fns[name](env)
            cache[name] = value
            if trace is not None:
                env.let_reads[name] = tuple(trace[start:])
            return value

        return let

    def _enum(self, term: str, enum_name: str | None) -> enum.Enum:
        if enum_name is not None:
            for member in self.enums[enum_name]:
                if term in enum_terms(member):
                    return member
        members = _members_named(term)
        if len({type(m) for m in members}) == 1:
            return members[0]
        raise PolicyError(f"cannot resolve '{term}' (run 'titlerules lint')", code="TR310")

    def _path(self, e: ir.Attr) -> tuple[ir.Expr, list[str]]:
        names: list[str] = []
        node: ir.Expr = e
        while isinstance(node, ir.Attr):
            names.append(node.name)
            node = node.obj
        names.reverse()
        return node, names

    def _attr(self, e: ir.Attr) -> Fn:
        base, names = self._path(e)
        if (
            isinstance(base, ir.Name)
            and base.id in self.enums
            and not self._in_scope(base.id)
            and len(names) == 1
        ):
            member = self._enum(names[0], base.id)
            return lambda env: member
        if isinstance(base, ir.Name) and base.id in ROOTS:
            root = base.id

            def base_value(env: Env) -> tuple[Any, str]:
                value = env.roots.get(root)
                return (value, root)

        elif isinstance(base, ir.Name) and self._in_scope(base.id):
            var = base.id

            def base_value(env: Env) -> tuple[Any, str]:
                return (env.vars[var], var_path(env, var))

        else:
            base_fn = self.expr(base)

            def base_value(env: Env) -> tuple[Any, str]:
                return (base_fn(env), "(value)")

        suffixes = ["." + ".".join(names[: i + 1]) for i in range(len(names))]
        steps = list(zip(names, suffixes, strict=True))
        if isinstance(base, ir.Name) and base.id in ROOTS:
            return _root_reader(base.id, names)
        if isinstance(base, ir.Name) and self._in_scope(base.id):
            return _var_reader(base.id, tuple(steps), suffixes[-1])

        def read(env: Env) -> Any:
            value, path = base_value(env)
            if value is None:
                return unknown(path)
            if type(value) is Unknown:
                return value
            for name, suffix in steps:
                value = getattr(value, name)
                if value is None:
                    return unknown(path + suffix)
            full = path + suffixes[-1]
            return finish_read(value, full, env)

        return read

    def _call(self, e: ir.Call) -> Fn:
        args = [self.expr(a) for a in e.args]
        if e.func in self.policy.defs:
            return self._def_call(e.func, args, [self._path_of(a) for a in e.args])
        if e.func == "known":
            inner = args[0]
            return lambda env: type(inner(env)) is not Unknown
        if e.func == "coalesce":
            first, second = args

            def coalesce(env: Env) -> Any:
                value = first(env)
                return second(env) if type(value) is Unknown else value

            return coalesce
        impl = BUILTIN_IMPLS[e.func]
        if e.func in LENIENT_BUILTINS:
            return lambda env: impl(env, *(fn(env) for fn in args))
        if len(args) == 1:
            (only,) = args

            def call1(env: Env) -> Any:
                value = only(env)
                return value if type(value) is Unknown else impl(env, value)

            return call1
        if len(args) == 2:
            first, second = args

            def call2(env: Env) -> Any:
                a, b = first(env), second(env)
                if type(a) is Unknown:
                    return a | b if type(b) is Unknown else a
                if type(b) is Unknown:
                    return b
                return impl(env, a, b)

            return call2

        def call(env: Env) -> Any:
            values = [fn(env) for fn in args]
            missing = [v for v in values if type(v) is Unknown]
            if missing:
                return Unknown(frozenset().union(*(m.paths for m in missing)))
            return impl(env, *values)

        return call

    def _path_of(self, e: ir.Expr) -> Any:
        """A function giving the record path an argument was read from (for missing facts)."""
        if isinstance(e, ir.Name) and self._in_scope(e.id):
            var = e.id
            return lambda env: env.var_paths.get(var, var)
        if isinstance(e, ir.Name) and e.id in ROOTS:
            root = e.id
            return lambda env: root
        if isinstance(e, ir.Attr):
            base, names = self._path(e)
            if isinstance(base, ir.Name) and base.id in ROOTS:
                text = ".".join([base.id, *names])
                return lambda env: text
            if isinstance(base, ir.Name) and self._in_scope(base.id):
                var, suffix = base.id, "." + ".".join(names)
                return lambda env: var_path(env, var) + suffix
        return lambda env: "(value)"

    def _def_call(self, name: str, args: list[Fn], arg_paths: list[Any]) -> Fn:
        definition = self.policy.defs[name].item
        assert isinstance(definition, ir.Def)
        self._scope.append(set(definition.params))
        body = self.function(definition.body, f"def {name}")
        self._scope.pop()
        params = definition.params

        def call(env: Env) -> Any:
            values = [fn(env) for fn in args]
            saved = {p: env.vars.get(p, ABSENT) for p in params}
            saved_paths = {p: env.var_paths.get(p) for p in params}
            for param, value, path in zip(params, values, arg_paths, strict=True):
                env.vars[param] = value
                env.var_paths[param] = path(env)
            try:
                return body(env)
            finally:
                for param in params:
                    if saved[param] is ABSENT:
                        env.vars.pop(param, None)
                    else:
                        env.vars[param] = saved[param]
                    previous = saved_paths[param]
                    if previous is None:
                        env.var_paths.pop(param, None)
                    else:
                        env.var_paths[param] = previous

        return call

    def _methodcall(self, e: ir.MethodCall) -> Fn:
        obj = self.expr(e.obj)
        if e.method in ("contains_all", "contains_any"):
            other = self.expr(e.args[0])  # type: ignore[arg-type]
            every = e.method == "contains_all"

            def contains(env: Env) -> Any:
                container, wanted = obj(env), other(env)
                for value in (container, wanted):
                    if type(value) is Unknown:
                        return value
                have = set(container.items if isinstance(container, Seq) else container)
                return set(wanted) <= have if every else bool(set(wanted) & have)

            return contains
        lam = e.args[0] if e.args else None
        body: Fn | None = None
        var = ""
        if isinstance(lam, ir.Lambda):
            var = lam.param
            self._scope.append({var})
            body = self.function(lam.body, "lambda")
            self._scope.pop()
        return _list_method(e.method, obj, var, body)

    def _binop(self, e: ir.BinOp) -> Fn:
        left, right, op = self.expr(e.left), self.expr(e.right), e.op
        return lambda env: arithmetic(op, left(env), right(env), env)

    def _compare(self, e: ir.Compare) -> Fn:
        left, right = self.expr(e.left), self.expr(e.right)
        test = comparator(e.op)

        def compared(env: Env) -> Any:
            a, b = left(env), right(env)
            if type(a) is Unknown:
                return a | b if type(b) is Unknown else a
            if type(b) is Unknown:
                return b
            return test(a, b)

        return compared

    def _boolop(self, e: ir.BoolOp) -> Fn:
        fns = tuple(self.expr(o) for o in e.operands)
        stop = e.op == "or"  # or stops at True, and stops at False

        def kleene(env: Env) -> Any:
            missing: frozenset[str] | None = None
            for fn in fns:
                value = fn(env)
                if type(value) is Unknown:
                    missing = value.paths if missing is None else missing | value.paths
                elif bool(value) is stop:
                    return stop
            return (not stop) if missing is None else Unknown(missing)

        return kleene

    def _not(self, e: ir.Not) -> Fn:
        inner = self.expr(e.operand)

        def negate(env: Env) -> Any:
            value = inner(env)
            return value if type(value) is Unknown else not value

        return negate

    def _neg(self, e: ir.Neg) -> Fn:
        inner = self.expr(e.operand)

        def negate(env: Env) -> Any:
            value = inner(env)
            if type(value) is Unknown:
                return value
            if isinstance(value, Duration):
                return Duration(-value.amount, value.unit)
            return -value

        return negate

    def _ifthenelse(self, e: ir.IfThenElse) -> Fn:
        cond, then, other = self.expr(e.cond), self.expr(e.then), self.expr(e.else_)

        def choose(env: Env) -> Any:
            value = cond(env)
            if type(value) is Unknown:
                return value
            return then(env) if value else other(env)

        return choose


def _var_reader(var: str, steps: tuple[tuple[str, str], ...], suffix: str) -> Fn:
    """A reader of ``x.a.b...`` for a bound variable ``x``; its path is spelled only when a
    fact is missing or the read is traced."""

    def read(env: Env) -> Any:
        value = env.vars[var]
        if value is None:
            return unknown(var_path(env, var))
        if type(value) is Unknown:
            return value
        for name, step_suffix in steps:
            value = getattr(value, name)
            if value is None:
                return unknown(var_path(env, var) + step_suffix)
        if env.trace is None and not isinstance(value, WRAPPED):
            return value
        return finish_read(value, var_path(env, var) + suffix, env)

    return read


def _root_reader(root: str, names: list[str]) -> Fn:
    """A reader of ``root.a.b...``: paths and their 'missing' values are built once, here."""
    root_missing = unknown(root)
    steps = tuple(
        (name, unknown(root + "." + ".".join(names[: i + 1]))) for i, name in enumerate(names)
    )
    full = root + "." + ".".join(names)
    if len(steps) == 1:
        ((only, only_missing),) = steps

        def read1(env: Env) -> Any:
            value = env.roots.get(root)
            if value is None:
                return root_missing
            value = getattr(value, only)
            if value is None:
                return only_missing
            if env.trace is None and not isinstance(value, WRAPPED):
                return value
            return finish_read(value, full, env)

        return read1

    def read(env: Env) -> Any:
        value = env.roots.get(root)
        if value is None:
            return root_missing
        for name, missing in steps:
            value = getattr(value, name)
            if value is None:
                return missing
        if env.trace is None and not isinstance(value, WRAPPED):
            return value
        return finish_read(value, full, env)

    return read


@functools.cache
def _members_named(term: str) -> tuple[enum.Enum, ...]:
    """The enum members a bare term may name (vocabularies are fixed: looked up once)."""
    return tuple(lookup_term(term))


class _ConstEnv(Env):
    """The environment constants are folded in: reading a record is not allowed."""

    def __init__(self) -> None:
        from titlerules.calendar import default_calendar

        super().__init__(roots={}, as_of=None, calendar=default_calendar())


_CONST_ENV = _ConstEnv()


def _list_method(method: str, obj: Fn, var: str, body: Fn | None) -> Fn:
    def elements(env: Env) -> Any:
        seq = obj(env)
        if type(seq) is Unknown:
            return seq
        if isinstance(seq, (set, frozenset)):  # a set: a stable order, whatever the hashing
            seq = Seq.of(sorted(seq, key=lambda v: (str(rank(v)), str(v))), "(set)")
        elif not isinstance(seq, Seq):
            seq = Seq.of(list(seq), "(list)")
        return seq

    def each(env: Env, seq: Seq) -> list[Any]:
        """The body's value for every element (all of them: each may add to the trace)."""
        assert body is not None
        variables, var_paths = env.vars, env.var_paths
        saved = variables.get(var, ABSENT)
        saved_path = var_paths.get(var)
        out = []
        # The element's path is spelled only if a missing fact or the trace asks for it.
        cursor = ElementPath(seq)
        var_paths[var] = cursor
        try:
            for index, item in enumerate(seq.items):
                variables[var] = item
                cursor.index = index
                out.append(body(env))
        finally:
            unbind(variables, var_paths, var, saved, saved_path)
        return out

    if method in ("any", "all") and body is not None:
        return _quantifier(method == "any", obj, var, body)

    def run(env: Env) -> Any:
        seq = elements(env)
        if type(seq) is Unknown:
            return seq
        if body is None:  # .count()
            return len(seq.items)
        if not seq.items:
            values: list[Any] = []
        else:
            values = each(env, seq)
        missing = [r for r in values if type(r) is Unknown]
        if method in ("any", "all"):
            decisive = method == "any"
            if any(r is decisive for r in values):
                return decisive
            if missing:
                return Unknown(frozenset().union(*(m.paths for m in missing)))
            return not decisive
        if method in ("count", "where"):
            if missing:
                return Unknown(frozenset().union(*(m.paths for m in missing)))
            if method == "count":
                return sum(1 for r in values if r)
            kept = [i for i, r in enumerate(values) if r]
            paths = seq.paths
            return Seq(tuple(seq.items[i] for i in kept), tuple(paths[i] for i in kept))
        if missing:
            return Unknown(frozenset().union(*(m.paths for m in missing)))
        if method == "sum":
            if not values:
                return 0
            total: Any = values[0]
            for value in values[1:]:
                total = arithmetic("+", total, value, env)
            return total
        if not values:
            return unknown(f"{method} of an empty list")
        return (min if method == "min" else max)(values, key=rank)

    return run


def _quantifier(decisive: bool, obj: Fn, var: str, body: Fn) -> Fn:
    """``xs.any(x -> C)`` (decisive True) or ``xs.all(x -> C)`` (decisive False), Kleene:
    the decisive value if an element gives it, else unknown if one is unknown.  Every element
    is evaluated (each may add to the trace or to the provisional calendar years)."""

    def quantify(env: Env) -> Any:
        seq = obj(env)
        if type(seq) is Unknown:
            return seq
        if not isinstance(seq, Seq):
            seq = Seq.of(list(seq), "(list)")
        items = seq.items
        if not items:
            return not decisive
        variables, var_paths = env.vars, env.var_paths
        saved = variables.get(var, ABSENT)
        saved_path = var_paths.get(var)
        cursor = ElementPath(seq)
        var_paths[var] = cursor
        found = False
        missing: frozenset[str] | None = None
        try:
            for index, item in enumerate(items):
                variables[var] = item
                cursor.index = index
                value = body(env)
                if value is decisive:
                    found = True
                elif type(value) is Unknown:
                    missing = value.paths if missing is None else missing | value.paths
        finally:
            unbind(variables, var_paths, var, saved, saved_path)
        if found:
            return decisive
        return (not decisive) if missing is None else Unknown(missing)

    return quantify


def compile_policy(
    policy: ResolvedPolicy, *, generate: bool | None = None
) -> tuple[dict[str, Any], tuple[CompiledRule, ...]]:
    """Parameters (folded to constants) and compiled rules of a checked policy.  ``generate``
    (default: on unless ``TITLERULES_CODEGEN=off``) compiles each function boundary to one
    generated Python function instead of a closure tree; both give the same values."""
    return Compiler(policy, generate=generate).compile()


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
