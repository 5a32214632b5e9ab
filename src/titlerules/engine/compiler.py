"""Engine layer: compile a policy's core IR into functions of the environment, once.

Every core IR node (:mod:`titlerules.core.nodes`) can become a Python closure
``fn(env) -> value``; names, parameters, enum terms and record paths were resolved when the
policy was lowered (:mod:`titlerules.core.lower`), so evaluating a record does no parsing
and no name lookup beyond reading the record's own attributes.  The body of each function
boundary (a rule's conditions, a ``let``, a ``def``, a lambda) is by default generated as
one Python function instead (:mod:`titlerules.engine.codegen`), which calls these closures
for the nodes it has no form of its own for.  Built-ins are called through their entries in
:mod:`titlerules.core.builtins`.  No text a user wrote is ever passed to ``eval`` or placed
in generated source.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import CodeType
from typing import Any

from titlerules.core import nodes as n
from titlerules.core.trace import EMPTY_SEGMENT
from titlerules.engine import codegen
from titlerules.engine.runtime import (
    ABSENT,
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
    list_elements,
    list_result,
    unbind,
    unknown,
    var_path,
)
from titlerules.lang import ir
from titlerules.lang.loader import ResolvedPolicy


@dataclass(frozen=True, slots=True)
class CompiledException:
    label: str | None
    condition: Fn
    text: str


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule ready to run: its checked IR (for citations and titles), its core form and
    its functions."""

    rule: ir.Rule
    document: str | None
    applies: Fn | None
    violation: Fn
    exceptions: tuple[CompiledException, ...]
    core: n.Rule
    # The values its message templates name, each a function of the record (explanations).
    message_values: tuple[tuple[str, Fn], ...] = ()
    # Each message's ``when`` as a function of the record (None: it words every failure).
    message_whens: tuple[Fn | None, ...] = ()


class Compiler:
    """The closures (and generated functions) of a policy in core form."""

    def __init__(
        self,
        core: n.CorePolicy,
        *,
        generate: bool | None = None,
        code: dict[str, CodeType] | None = None,
    ) -> None:
        self.core = core
        self.generate = codegen.enabled() if generate is None else generate
        # The compiled code of each generated function by its name and source: given, the
        # code the disk cache kept (no compile() of it again); filled with what is compiled.
        self.code: dict[str, CodeType] = {} if code is None else code
        self.params: dict[str, Any] = core.params
        self.let_fns: dict[str, Fn] = {}
        self._def_fns: dict[str, Fn] = {}

    def compile(self) -> tuple[dict[str, Any], tuple[CompiledRule, ...]]:
        for name, value in self.core.lets.items():
            self.let_fns[name] = self.function(value, f"let {name}")
        return self.params, tuple(self.rule(rule) for rule in self.core.rules)

    def rule(self, rule: n.Rule) -> CompiledRule:
        source: ir.Rule = rule.source
        name = f"rule {rule.id}"
        applies = self.function(rule.applies, name) if rule.applies is not None else None
        violation: Fn
        if rule.when is not None:
            violation = self.function(rule.when, name)
        else:
            condition = rule.required
            assert condition is not None
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
            CompiledException(exc.label, self.function(exc.condition, name), exc.text)
            for exc in rule.unless
        )
        document = self.core.resolved.header.document
        message_values = tuple((name, self.expr(value)) for name, value in rule.message_values)
        whens = tuple(self.expr(w) if w is not None else None for w in rule.message_whens)
        return CompiledRule(
            source, document, applies, violation, exceptions, rule, message_values, whens
        )

    # ------------------------------------------------ expressions
    def function(self, e: n.Expr, name: str) -> Fn:
        """The body of a function boundary (a rule's condition, a let, a def, a lambda):
        one generated function (:mod:`titlerules.engine.codegen`), or its closure tree."""
        return codegen.generate(self, e, name) if self.generate else self.expr(e)

    def expr(self, e: n.Expr) -> Fn:
        method = getattr(self, "_" + type(e).__name__.lower())
        fn: Fn = method(e)
        return fn

    def _const(self, e: n.Const) -> Fn:
        value = e.value
        return lambda env: value

    def _param(self, e: n.Param) -> Fn:
        value, years = e.value, e.years

        def provisional_param(env: Env) -> Any:
            env.note_years(years)
            return value

        return provisional_param

    def _root(self, e: n.Root) -> Fn:
        name = e.name

        def root(env: Env) -> Any:
            value = env.roots.get(name)
            return unknown(name) if value is None else value

        return root

    def _asof(self, e: n.AsOf) -> Fn:
        return lambda env: env.as_of if env.as_of is not None else unknown("as_of")

    def _var(self, e: n.Var) -> Fn:
        name = e.name
        return lambda env: env.vars[name]

    def _letref(self, e: n.LetRef) -> Fn:
        name = e.name
        let_fns = self.let_fns

        def let(env: Env) -> Any:
            # Evaluated once per record; the facts it read are replayed into the trace of
            # every later rule that uses it, so each rule's explanation is complete.
            cache = env.lets
            trace = env.trace
            if name in cache:
                if trace is not None:
                    trace.replay(env.let_reads.get(name, EMPTY_SEGMENT))
                return cache[name]
            if trace is None:
                value = cache[name] = let_fns[name](env)
                return value
            mark = trace.mark()
            value = cache[name] = let_fns[name](env)
            trace.derived(name, value)
            env.let_reads[name] = trace.since(mark)
            return value

        return let

    def _setlit(self, e: n.SetLit) -> Fn:
        items = [self.expr(i) for i in e.items]

        def build(env: Env) -> Any:
            values = [fn(env) for fn in items]
            missing = [v for v in values if type(v) is Unknown]
            if missing:
                return Unknown(frozenset().union(*(m.paths for m in missing)))
            return frozenset(values)

        return build

    def _path(self, e: n.Path) -> Fn:
        names = list(e.names)
        if isinstance(e.base, n.Root):
            return _root_reader(e.base.name, names)
        suffixes = ["." + ".".join(names[: i + 1]) for i in range(len(names))]
        steps = tuple(zip(names, suffixes, strict=True))
        if isinstance(e.base, n.Var):
            return _var_reader(e.base.name, steps, suffixes[-1])
        base_fn = self.expr(e.base)

        def read(env: Env) -> Any:
            value = base_fn(env)
            if value is None:
                return unknown("(value)")
            if type(value) is Unknown:
                return value
            for name, suffix in steps:
                value = getattr(value, name)
                if value is None:
                    return unknown("(value)" + suffix)
            return finish_read(value, "(value)" + suffixes[-1], env)

        return read

    def _known(self, e: n.Known) -> Fn:
        inner = self.expr(e.arg)
        return lambda env: type(inner(env)) is not Unknown

    def _coalesce(self, e: n.Coalesce) -> Fn:
        first, second = self.expr(e.first), self.expr(e.second)

        first_node, second_node = e.first, e.second

        def coalesce(env: Env) -> Any:
            value = first(env)
            if type(value) is Unknown:
                if env.trace is not None:
                    env.trace.chose(e, second_node)
                return second(env)
            if env.trace is not None:
                env.trace.chose(e, first_node)
            return value

        return coalesce

    def _call(self, e: n.Call) -> Fn:
        args = [self.expr(a) for a in e.args]
        impl = e.builtin.impl
        assert impl is not None
        if e.builtin.lenient:
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

    def path_of(self, e: n.Expr) -> Any:
        """A function giving the record path an argument was read from (for missing facts)."""
        if isinstance(e, n.Var):
            var = e.name
            return lambda env: env.var_paths.get(var, var)
        if isinstance(e, n.Root):
            root = e.name
            return lambda env: root
        if isinstance(e, n.Path):
            if isinstance(e.base, n.Root):
                text = e.text
                return lambda env: text
            if isinstance(e.base, n.Var):
                var, suffix = e.base.name, "." + ".".join(e.names)
                return lambda env: var_path(env, var) + suffix
        return lambda env: "(value)"

    def operand_path(self, e: n.Expr) -> Any:
        """A function giving the record path of a comparison's operand, None if it is not
        read from the record (for explanations)."""
        if isinstance(e, n.Var) or (isinstance(e, n.Path) and isinstance(e.base, (n.Root, n.Var))):
            spell = self.path_of(e)
            return lambda env: str(spell(env))
        return _NO_PATH

    def _defcall(self, e: n.DefCall) -> Fn:
        definition = e.definition
        name = definition.name
        body = self._def_fns.get(name)
        if body is None:
            assert definition.body is not None
            body = self._def_fns[name] = self.function(definition.body, f"def {name}")
        args = [self.expr(a) for a in e.args]
        arg_paths = [self.path_of(a) for a in e.args]
        arg_nodes = e.args
        params = definition.params

        def call(env: Env) -> Any:
            values = [fn(env) for fn in args]
            saved = {p: env.vars.get(p, ABSENT) for p in params}
            saved_paths = {p: env.var_paths.get(p) for p in params}
            for param, value, path in zip(params, values, arg_paths, strict=True):
                env.vars[param] = value
                env.var_paths[param] = path(env)
            trace = env.trace
            if trace is not None:
                sources = [trace.source(node) for node in arg_nodes]
                for param, source in zip(params, sources, strict=True):
                    trace.bind(param, source)
            try:
                return body(env)
            finally:
                if trace is not None:
                    for param in params:
                        trace.unbind(param)
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

    def _setmethod(self, e: n.SetMethod) -> Fn:
        obj, other = self.expr(e.obj), self.expr(e.arg)
        every = e.method == "contains_all"

        def contains(env: Env) -> Any:
            container, wanted = obj(env), other(env)
            for value in (container, wanted):
                if type(value) is Unknown:
                    return value
            have = set(container.items if isinstance(container, Seq) else container)
            return set(wanted) <= have if every else bool(set(wanted) & have)

        return contains

    def _listmethod(self, e: n.ListMethod) -> Fn:
        obj = self.expr(e.obj)
        body = self.function(e.body, "lambda") if e.body is not None else None
        return _list_method(e.method, obj, e.var, body, self.list_path(e.obj))

    def list_path(self, e: n.Expr) -> Fn:
        """A function giving the record path of the list a ``min``/``max`` takes its value
        from (through ``where`` filters and lets): an empty one names the list the clerk
        must fill (see :func:`empty_list_reason`)."""
        for _ in range(64):
            if isinstance(e, n.ListMethod) and e.method == "where":
                e = e.obj
            elif isinstance(e, n.LetRef) and e.name in self.core.lets:
                e = self.core.lets[e.name]
            else:
                break
        spell: Fn = self.path_of(e)
        return spell

    def _arith(self, e: n.Arith) -> Fn:
        left, right, op = self.expr(e.left), self.expr(e.right), e.op
        return lambda env: arithmetic(op, left(env), right(env), env)

    def _compare(self, e: n.Compare) -> Fn:
        left, right = self.expr(e.left), self.expr(e.right)
        test = comparator(e.op)
        left_path, right_path = self.operand_path(e.left), self.operand_path(e.right)

        def compared(env: Env) -> Any:
            a, b = left(env), right(env)
            result: Any
            if type(a) is Unknown:
                result = a | b if type(b) is Unknown else a
            elif type(b) is Unknown:
                result = b
            else:
                result = test(a, b)
            if env.trace is not None:
                env.trace.compared(e, a, b, result, (left_path(env), right_path(env)))
            return result

        return compared

    def _boolop(self, e: n.BoolOp) -> Fn:
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

    def _not(self, e: n.Not) -> Fn:
        inner = self.expr(e.operand)

        def negate(env: Env) -> Any:
            value = inner(env)
            return value if type(value) is Unknown else not value

        return negate

    def _neg(self, e: n.Neg) -> Fn:
        inner = self.expr(e.operand)

        def negate(env: Env) -> Any:
            value = inner(env)
            if type(value) is Unknown:
                return value
            if isinstance(value, Duration):
                return Duration(-value.amount, value.unit)
            return -value

        return negate

    def _if(self, e: n.If) -> Fn:
        cond, then, other = self.expr(e.cond), self.expr(e.then), self.expr(e.else_)

        then_node, else_node = e.then, e.else_

        def choose(env: Env) -> Any:
            value = cond(env)
            if type(value) is Unknown:
                return value
            if env.trace is not None:
                env.trace.chose(e, then_node if value else else_node)
            return then(env) if value else other(env)

        return choose


def _NO_PATH(env: Env) -> None:
    return None


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


def _list_method(method: str, obj: Fn, var: str, body: Fn | None, path: Fn = _NO_PATH) -> Fn:
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
        trace = env.trace
        if trace is not None:
            trace.bind(var, None)  # an element, not a def's argument
        try:
            for index, item in enumerate(seq.items):
                variables[var] = item
                cursor.index = index
                out.append(body(env))
        finally:
            unbind(variables, var_paths, var, saved, saved_path)
            if trace is not None:
                trace.unbind(var)
        return out

    if method in ("any", "all") and body is not None:
        return _quantifier(method == "any", obj, var, body)

    def run(env: Env) -> Any:
        seq = obj(env)
        if type(seq) is Unknown:
            return seq
        seq = list_elements(seq)
        if body is None:  # .count()
            return len(seq.items)
        return list_result(method, each(env, seq) if seq.items else [], seq, env, path)

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
        trace = env.trace
        if trace is not None:
            trace.bind(var, None)  # an element, not a def's argument
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
            if trace is not None:
                trace.unbind(var)
        if found:
            return decisive
        return (not decisive) if missing is None else Unknown(missing)

    return quantify


def compile_policy(
    policy: ResolvedPolicy,
    *,
    generate: bool | None = None,
    code: dict[str, CodeType] | None = None,
    core: n.CorePolicy | None = None,
) -> tuple[n.CorePolicy, dict[str, Any], tuple[CompiledRule, ...]]:
    """A checked policy lowered to the core IR, its parameters (folded to constants) and its
    compiled rules.  ``generate`` (default: on unless ``TITLERULES_CODEGEN=off``) compiles
    each function boundary to one generated Python function instead of a closure tree; both
    give the same values.  ``code`` holds compiled code of generated functions by their name
    and source (see :attr:`Compiler.code`); ``core``, the policy already lowered (what the
    disk cache keeps: ``lower_policy(policy)`` otherwise)."""
    if core is None or core.resolved is not policy:
        from titlerules.core.lower import lower_policy  # (not for a policy from the disk cache)

        core = lower_policy(policy)
    params, rules = Compiler(core, generate=generate, code=code).compile()
    return core, params, rules
