"""Engine layer: compile an expression to one Python function, straight-line.

The closure compiler (:mod:`titlerules.engine.compiler`) turns every core IR node
(:mod:`titlerules.core.nodes`) into a closure;
evaluating a rule then costs a Python call per node.  This module turns the body of a
function boundary (a rule's condition, a ``let``, a ``def`` or a lambda body) into the source
of a single Python function, compiled once with :func:`compile`: record paths become
attribute reads, Kleene ``and``/``or`` become branches, comparisons and calls are inlined.
The generated code follows the closures' semantics exactly: the same operands are evaluated
in the same order (so the explanation trace and the provisional calendar years are the same),
an unknown operand gives the same :class:`~titlerules.engine.runtime.Unknown`, and a node
this module has no form for is the closure itself, called from the generated code.

No text a policy holds is ever placed in the source: constants (strings, dates, enum members,
the missing-fact values) are bound by generated names (``k0``, ``k1``...), and attribute
names come from record paths the checker resolved against the record models, and are
checked to be identifiers again here.  ``TITLERULES_CODEGEN=off`` turns this off (every
boundary then runs the closures), which the tests use to check both give the same decisions.
"""

from __future__ import annotations

import datetime as dt
import enum
import keyword
import os
import types
import typing
from collections.abc import Callable
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from titlerules.core import nodes as n
from titlerules.core.builtins import NOT_CONSTANT
from titlerules.core.trace import Reads
from titlerules.engine.runtime import (
    ABSENT,
    SIMPLE_ORDERED,
    WRAPPED,
    Duration,
    ElementPath,
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

if TYPE_CHECKING:
    from titlerules.engine.compiler import Compiler


def enabled() -> bool:
    return os.environ.get("TITLERULES_CODEGEN", "").lower() not in ("0", "off", "no", "false")


def generate(compiler: Compiler, e: n.Expr, name: str = "fn") -> Fn:
    """``e`` as one generated function ``fn(env) -> value``."""
    return _Generator(compiler).function(e, name)


def generate_violation(compiler: Compiler, required: n.Expr, name: str = "violation") -> Fn:
    """A requirement's violation: ``not required``, unknown staying unknown."""
    gen = _Generator(compiler)
    value = gen.value(required)
    gen.line(f"return {value} if type({value}) is U else not {value}")

    def closures() -> Fn:
        held = compiler.expr(required)

        def violation(env: Any) -> Any:
            value = held(env)
            return value if type(value) is Unknown else not value

        return violation

    return gen.finish(name, closures)


_COLLECTED = frozenset({"where", "count", "sum", "min", "max"})
"""The list methods with a body that keep every element's value (any/all stop early)."""


def _union(*values: Any) -> Unknown:
    """The unknown of several operands, some unknown (the closures' ``a | b``)."""
    paths: frozenset[str] = frozenset()
    for value in values:
        if type(value) is Unknown:
            paths = paths | value.paths
    return Unknown(paths)


def _negate(value: Any) -> Any:
    if isinstance(value, Duration):
        return Duration(-value.amount, value.unit)
    return -value


def _element_path(seq: Any, full: str, index: int) -> str:
    """The record path of element ``index`` of a list read at ``full`` (kept a plain list
    when nothing is traced), or of a :class:`Seq`."""
    return seq.paths[index] if type(seq) is Seq else f"{full}[{index}]"


def _scalar_leaf(root: str, names: list[str]) -> bool:
    """Whether the record models declare ``root.names...`` a single value (a date, a
    number, a term...), never a list or a set; False when in doubt."""
    from titlerules.facts import Applicant, Procedure

    model: Any = {"applicant": Applicant, "procedure": Procedure}.get(root)
    try:
        for i, name in enumerate(names):
            annotation = _unwrap(model.model_fields[name].annotation)
            if i < len(names) - 1:
                model = annotation
                continue
            if not isinstance(annotation, type):
                return False
            return annotation in _SCALARS or issubclass(annotation, enum.Enum)
    except (AttributeError, KeyError, TypeError):
        return False
    return False


_SCALARS = (bool, int, str, dt.date, Fraction)


def _unwrap(annotation: Any) -> Any:
    """``X`` of ``X | None``, ``Optional[X]`` and ``Annotated[X, ...]``."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


class _Generator:
    def __init__(self, compiler: Compiler) -> None:
        self.compiler = compiler
        self.lines: list[str] = []
        self.depth = 1
        self.names: dict[str, Any] = {
            "U": Unknown,
            "union": _union,
            "finish": finish_read,
            "WRAPPED": WRAPPED,
            "negate": _negate,
            "arithmetic": arithmetic,
            "SIMPLE": SIMPLE_ORDERED,
            "Seq": Seq,
            "ElementPath": ElementPath,
            "ABSENT": ABSENT,
            "unbind": unbind,
            "element_path": _element_path,
            "var_path": var_path,
            "list_elements": list_elements,
            "list_result": list_result,
        }
        self._constants: dict[Any, str] = {}
        self._temps = 0
        # Lambda variables bound by a loop of this function: name -> (item, cursor) locals.
        self._loops: list[dict[str, tuple[str, str]]] = []
        self._fallbacks = 0
        self._prefixes: dict[tuple[str, ...], str] = {}
        self._inlining: list[str] = []  # the defs being inlined (a def never inlines itself)
        self.prelude: list[str] = ["trace = env.trace"]
        self._words = False  # whether the prelude sets 'words' (see words())

    # ------------------------------------------------ plumbing
    def words(self) -> str:
        """The local holding the tracer the explanation hooks (compared, chose, bind,
        unbind) report to: the trace, unless it records reads alone (a
        :class:`~titlerules.core.trace.Reads`, whose hooks do nothing), or None."""
        if not self._words:
            self._words = True
            self.names["Reads"] = Reads
            self.prelude.append("words = None if type(trace) is Reads else trace")
        return "words"

    def line(self, text: str) -> None:
        self.lines.append("    " * self.depth + text)

    def temp(self) -> str:
        self._temps += 1
        return f"t{self._temps}"

    def const(self, value: Any) -> str:
        # Text by its value, the rest by identity: equal texts are one constant whether or
        # not the process shares them (a parsed policy and one read from the disk cache
        # share different ones), so that the source is the same in every process.
        key: Any = ("text", value) if type(value) is str else id(value)
        name = self._constants.get(key)
        if name is None:
            name = f"k{len(self._constants)}"
            self._constants[key] = name
            self.names[name] = value
        return name

    def function(self, e: n.Expr, name: str) -> Fn:
        value = self.value(e)
        self.line(f"return {value}")
        return self.finish(name, lambda: self.compiler.expr(e))

    def finish(self, name: str, fallback: Callable[[], Fn]) -> Fn:
        lines = ["    " + line for line in self.prelude] + self.lines
        source = "def generated(env):\n" + "\n".join(lines) + "\n"
        namespace = dict(self.names)
        known = self.compiler.code
        key = f"{name}\0{source}"
        code = known.get(key)
        if code is None:
            try:
                code = compile(source, f"<titlerules {name}>", "exec")
            except (SyntaxError, RecursionError, MemoryError):
                # Nested deeper than Python's compiler takes: the closures do the same work.
                return fallback()
            known[key] = code
        exec(code, namespace)  # the source holds generated names only, see the module doc
        fn: Fn = namespace["generated"]
        fn.__qualname__ = fn.__name__ = name
        fn.__titlerules_source__ = source  # type: ignore[attr-defined]  # for reading
        return fn

    def known(self, name: str) -> bool:
        """Whether the value held by ``name`` is a constant, never unknown."""
        return name in self.names and type(self.names[name]) is not Unknown

    def unknown_test(self, values: list[str]) -> str:
        """A test that one of ``values`` is unknown ("False" if none can be)."""
        tests = [f"type({v}) is U" for v in values if not self.known(v)]
        return " or ".join(tests) or "False"

    def loop_var(self, name: str) -> tuple[str, str] | None:
        for frame in reversed(self._loops):
            if name in frame:
                return frame[name]
        return None

    def fallback(self, e: n.Expr) -> str:
        """A node with no generated form: its closure, called."""
        fn = self.compiler.expr(e)
        self._fallbacks += 1
        out = self.temp()
        self.line(f"{out} = {self.const(fn)}(env)")
        return out

    # ------------------------------------------------ nodes
    def value(self, e: n.Expr) -> str:
        """Emit code computing ``e``; the name holding its value."""
        method: Callable[[Any], str] | None = getattr(self, "_" + type(e).__name__.lower(), None)
        if method is None:
            return self.fallback(e)
        return method(e)

    def _const(self, e: n.Const) -> str:
        return self.const(e.value)

    def _var(self, e: n.Var) -> str:
        bound = self.loop_var(e.name)
        if bound is not None:
            return bound[0]
        out = self.temp()
        self.line(f"{out} = env.vars[{self.const(e.name)}]")
        return out

    def _root(self, e: n.Root) -> str:
        return self.prefix(e.name, ())

    def _asof(self, e: n.AsOf) -> str:
        out = self.temp()
        self.line(f"{out} = env.as_of")
        self.line(f"if {out} is None: {out} = {self.const(unknown('as_of'))}")
        return out

    def _path(self, e: n.Path) -> str:
        names = list(e.names)
        if not all(n.isidentifier() and not keyword.iskeyword(n) for n in names):
            return self.fallback(e)
        if isinstance(e.base, n.Var):
            bound = self.loop_var(e.base.name)
            if bound is not None:
                return self._element_read(bound, names)
        if not isinstance(e.base, n.Root):
            return self.fallback(e)
        return self._read(e.base.name, names)

    def _record_path(self, e: n.Expr) -> tuple[str, list[str]] | None:
        """(root, attribute names) if ``e`` reads a record path this module reads inline."""
        if not (isinstance(e, n.Path) and isinstance(e.base, n.Root)):
            return None
        if not all(n.isidentifier() and not keyword.iskeyword(n) for n in e.names):
            return None
        return e.base.name, list(e.names)

    def _read(self, root: str, names: list[str], raw_list: bool = False) -> str:
        """A record path's value (the closures' _root_reader): the unknown of the first part
        missing, else the value, traced if the evaluation explains itself; a list becomes a
        Seq unless ``raw_list`` (then it stays a list when nothing is traced)."""
        holder = self.prefix(root, tuple(names[:-1]))
        out = self.temp()
        missing = self.const(unknown(".".join([root, *names])))
        full = self.const(".".join([root, *names]))
        if raw_list:
            wraps = f" or type({out}) is not list"
        elif _scalar_leaf(root, names):  # never a list or a set: nothing to wrap
            wraps = ""
        else:
            wraps = f" or isinstance({out}, WRAPPED)"
        self.line(f"if type({holder}) is U: {out} = {holder}")
        self.line("else:")
        self.line(f"    {out} = {holder}.{names[-1]}")
        self.line(f"    if {out} is None: {out} = {missing}")
        if wraps:
            self.line(f"    elif trace is not None{wraps}:")
            self.line(f"        {out} = finish({out}, {full}, env)")
        else:  # a single value: traced as it is (finish_read, without the call)
            self.line(f"    elif trace is not None: trace.append(({full}, {out}))")
        return out

    def prefix(self, root: str, names: tuple[str, ...]) -> str:
        """The local holding ``root.names...`` (a record part, or the unknown of the first
        part missing), read once at the top of the function: reading a part of a record
        has no effect (only the facts at the end of a path are traced)."""
        key = (root, *names)
        local = self._prefixes.get(key)
        if local is not None:
            return local
        local = self._prefixes[key] = f"p{len(self._prefixes)}"
        if not names:
            self.prelude.append(f"{local} = env.roots.get({self.const(root)})")
        else:
            holder = self.prefix(root, names[:-1])
            self.prelude.append(
                f"{local} = {holder} if type({holder}) is U else {holder}.{names[-1]}"
            )
        missing = self.const(unknown(".".join(key)))
        self.prelude.append(f"if {local} is None: {local} = {missing}")
        return local

    def _element_read(self, bound: tuple[str, str], names: list[str]) -> str:
        """``x.a.b`` for a lambda variable bound by a loop here (Compiler's _var_reader);
        the element's path (``cursor``) is spelled only for a missing fact or the trace."""
        item, cursor = bound
        out = self.temp()
        self.line(f"{out} = {item}")
        self.line(f"if {out} is None: {out} = U(frozenset(({cursor},)))")
        self.line(f"elif type({out}) is not U:")
        self.depth += 1
        opened = 1
        for i, attribute in enumerate(names):
            suffix = self.const("." + ".".join(names[: i + 1]))
            self.line(f"{out} = {out}.{attribute}")
            self.line(f"if {out} is None: {out} = U(frozenset(({cursor} + {suffix},)))")
            if i < len(names) - 1:
                self.line("else:")
                self.depth += 1
                opened += 1
        full = self.const("." + ".".join(names))
        self.line(f"elif trace is not None or isinstance({out}, WRAPPED):")
        self.line(f"    {out} = finish({out}, {cursor} + {full}, env)")
        self.depth -= opened
        return out

    def _listmethod(self, e: n.ListMethod) -> str:
        if e.body is None:  # .count(): how many elements
            given, out = self.value(e.obj), self.temp()
            self.line(
                f"{out} = {given} if type({given}) is U else len(list_elements({given}).items)"
            )
            return out
        if e.method in ("any", "all"):
            return self._quantifier(e.method == "any", e.obj, e.var, e.body)
        if e.method not in _COLLECTED:
            return self.fallback(e)
        return self._collected(e, e.body)

    def _quantifier(self, decisive: bool, obj: n.Expr, param: str, lam_body: n.Expr) -> str:
        """``xs.any(x -> C)`` / ``xs.all(x -> C)`` as a loop (the closures' _quantifier):
        every element is evaluated."""
        out, found, missing = self.temp(), self.temp(), self.temp()
        path = self._record_path(obj)
        if path is not None:
            # A list read from the record is not wrapped in a Seq when nothing is traced:
            # its elements' paths are spelled from the list's path, only when needed.
            seq = self._read(*path, raw_list=True)
            full = self.const(".".join([path[0], *path[1]]))
        else:
            seq, full = self.value(obj), ""
        items = self.temp()
        self.line(f"if type({seq}) is U: {out} = {seq}")
        self.line("else:")
        self.depth += 1
        self.line(f"if type({seq}) is list: {items} = {seq}")
        self.line("else:")
        self.line(f"    if not isinstance({seq}, Seq): {seq} = Seq.of(list({seq}), '(list)')")
        self.line(f"    {items} = {seq}.items")
        self.line(f"if not {items}: {out} = {not decisive}")
        self.line("else:")
        self.depth += 1
        self.line(f"{found} = False")
        self.line(f"{missing} = None")

        def each(body: str) -> None:
            self.line(f"if {body} is {decisive}: {found} = True")
            self.line(f"elif type({body}) is U:")
            self.line(
                f"    {missing} = {body}.paths if {missing} is None else {missing} | {body}.paths"
            )

        self._loop(seq, items, full, param, lam_body, each)
        self.line(f"if {found}: {out} = {decisive}")
        self.line(f"else: {out} = {not decisive} if {missing} is None else U({missing})")
        self.depth -= 2
        return out

    def _collected(self, e: n.ListMethod, lam_body: n.Expr) -> str:
        """``xs.where(x -> C)``, ``count``, ``sum``, ``min``, ``max`` with a body: the body
        inlined in a loop that keeps every element's value, the method's value from those
        as the closures make it (:func:`~titlerules.engine.runtime.list_result`)."""
        out, seq, values = self.temp(), self.temp(), self.temp()
        given = self.value(e.obj)
        self.line(f"if type({given}) is U: {out} = {given}")
        self.line("else:")
        self.depth += 1
        self.line(f"{seq} = list_elements({given})")
        self.line(f"{values} = []")
        self.line(f"if {seq}.items:")
        self.depth += 1

        def each(body: str) -> None:
            self.line(f"{values}.append({body})")

        self._loop(seq, f"{seq}.items", "", e.var, lam_body, each)
        self.depth -= 1
        where = self.const(self.compiler.list_path(e.obj))
        # (the method's name is one of the language's own, not text a policy holds: a literal,
        # so that the source is the same in every process, whatever strings are shared)
        self.line(f"{out} = list_result({e.method!r}, {values}, {seq}, env, {where})")
        self.depth -= 1
        return out

    def _loop(
        self,
        seq: str,
        items: str,
        full: str,
        param: str,
        lam_body: n.Expr,
        each: Callable[[str], None],
    ) -> None:
        """A loop over ``items`` (the elements of ``seq``: a Seq, or a list read from the
        record at the path ``full`` names) evaluating the body for every element, ``each``
        emitting what is done with its value.  When the body calls a closure, the variable
        is bound in the environment too, as the closures bind it, and put back afterwards."""
        var = self.const(param)
        item, index, element = self.temp(), self.temp(), self.temp()
        saved, saved_path = self.temp(), self.temp()
        cursor = f"element_path({seq}, {full}, {index})" if full else f"{seq}.paths[{index}]"
        # The body first, into a buffer of its own: whether it calls a closure decides
        # whether the variable must be bound in the environment.
        body, body_lines, binds = self._bound_body(lam_body, {param: (item, cursor)}, 2)
        self.line(f"if {self.words()} is not None: words.bind({var}, None)")  # an element
        if binds:
            self.line(f"{saved} = env.vars.get({var}, ABSENT)")
            self.line(f"{saved_path} = env.var_paths.get({var})")
            if full:
                self.line(f"if type({seq}) is list: {seq} = Seq.of({seq}, {full})")
            self.line(f"{element} = ElementPath({seq})")
            self.line(f"env.var_paths[{var}] = {element}")
            self.line("try:")
            self.depth += 1
            self.line(f"for {index}, {item} in enumerate({items}):")
            self.line(f"    env.vars[{var}] = {item}")
            self.line(f"    {element}.index = {index}")
        else:
            self.line(f"for {index}, {item} in enumerate({items}):")
            body_lines = [line[4:] for line in body_lines]  # no try block around the loop
        self.lines.extend(body_lines)
        self.depth += 1
        each(body)
        self.depth -= 1
        if binds:
            self.depth -= 1
            self.line("finally:")
            self.line(f"    unbind(env.vars, env.var_paths, {var}, {saved}, {saved_path})")
        self.line(f"if {self.words()} is not None: words.unbind({var})")

    def _bound_body(
        self, e: n.Expr, bound: dict[str, tuple[str, str]], indent: int
    ) -> tuple[str, list[str], bool]:
        """``e``'s code with variables bound to locals (name -> (value, path expression)),
        generated ``indent`` levels deeper into a buffer of its own: its value, its lines,
        and whether it calls a closure (which reads the variables from the environment, so
        the caller must bind them there too)."""
        outer, self.lines = self.lines, []
        fallbacks = self._fallbacks
        self.depth += indent
        self._loops.append(bound)
        try:
            value = self.value(e)
        finally:
            self._loops.pop()
            self.depth -= indent
            lines, self.lines = self.lines, outer
        return value, lines, self._fallbacks > fallbacks

    def _defcall(self, e: n.DefCall) -> str:
        """A call of a ``def``, inlined (the closures' _def_call): the arguments are
        evaluated in order, then the body with each parameter bound to its argument and
        the argument's record path (for missing facts and the trace); bound in the
        environment too when the body calls a closure."""
        definition = e.definition
        if definition.name in self._inlining or definition.body is None:
            return self.fallback(e)
        params = definition.params
        values = [self.value(a) for a in e.args]
        paths = [self._path_expr(a) for a in e.args]
        bound = {p: (v, path) for p, v, path in zip(params, values, paths, strict=True)}
        self._inlining.append(definition.name)
        try:
            body, body_lines, binds = self._bound_body(definition.body, bound, 1)
        finally:
            self._inlining.pop()
        # Traced, each parameter is bound to its argument's source (explanations name it).
        for param, node in zip(params, e.args, strict=True):
            self.line(
                f"if {self.words()} is not None: "
                f"words.bind({self.const(param)}, words.source({self.const(node)}))"
            )
        unbinds = [f"if {self.words()} is not None: words.unbind({self.const(p)})" for p in params]
        if not binds:
            self.lines.extend(line[4:] for line in body_lines)
            for line in unbinds:
                self.line(line)
            return body
        saved = [(self.const(p), self.temp(), self.temp()) for p in params]
        for (name, value, path), argument, spelled in zip(saved, values, paths, strict=True):
            self.line(f"{value} = env.vars.get({name}, ABSENT)")
            self.line(f"{path} = env.var_paths.get({name})")
            self.line(f"env.vars[{name}] = {argument}")
            self.line(f"env.var_paths[{name}] = {spelled}")
        self.line("try:")
        self.lines.extend(body_lines)
        self.line("finally:")
        for name, value, path in saved:
            self.line(f"    unbind(env.vars, env.var_paths, {name}, {value}, {path})")
        for line in unbinds:
            self.line("    " + line)
        return body

    def _path_expr(self, e: n.Expr) -> str:
        """An expression spelling the record path an argument was read from (the closures'
        path_of): the loop's cursor itself for a loop variable; spelled now into a local
        when it depends on the environment (binding a parameter may change it)."""
        spelled = self._path_inline(e, keep_cursor=True)
        if spelled == "None":
            return self.const("(value)")
        if "var_path(" not in spelled:
            return spelled
        out = self.temp()
        self.line(f"{out} = {spelled}")
        return out

    def _path_inline(self, e: n.Expr, *, keep_cursor: bool = False) -> str:
        """An expression spelling an operand's record path (None if not read from the
        record), evaluated only where it stands (the closures' operand_path)."""
        if isinstance(e, n.Var):
            bound = self.loop_var(e.name)
            if bound is not None:
                return bound[1] if keep_cursor else f"str({bound[1]})"
            return f"var_path(env, {self.const(e.name)})"
        if isinstance(e, n.Root) and keep_cursor:
            return self.const(e.name)
        if isinstance(e, n.Path) and isinstance(e.base, n.Root):
            return self.const(e.text)
        if isinstance(e, n.Path) and isinstance(e.base, n.Var):
            suffix = self.const("." + ".".join(e.names))
            bound = self.loop_var(e.base.name)
            if bound is not None:
                return f"(str({bound[1]}) + {suffix})"
            return f"(var_path(env, {self.const(e.base.name)}) + {suffix})"
        return "None"

    def _compare(self, e: n.Compare) -> str:
        a = self.value(e.left)
        b = self.value(e.right)
        out = self.temp()
        self.line(f"if {self.unknown_test([a, b])}: {out} = union({a}, {b})")
        op, right = e.op, self.names.get(b)
        if op in ("==", "!="):
            self.line(f"else: {out} = {a} {op} {b}")  # bool for every runtime value
        elif op in ("in", "not in") and self.known(b) and type(right) in (frozenset, set):
            self.line(f"else: {out} = {a} {op} {b}")
        elif op in ("<", "<=", ">", ">="):
            # Dates and integers compare directly; the rest by rank (runtime.comparator).
            if self.known(b) and type(right) in SIMPLE_ORDERED:
                self.line(f"elif type({a}) is {self.const(type(right))}: {out} = {a} {op} {b}")
            else:
                self.line(
                    f"elif type({a}) is type({b}) and type({a}) in SIMPLE: {out} = {a} {op} {b}"
                )
            self.line(f"else: {out} = {self.const(comparator(op))}({a}, {b})")
        else:
            self.line(f"else: {out} = {self.const(comparator(op))}({a}, {b})")
        paths = f"({self._path_inline(e.left)}, {self._path_inline(e.right)})"
        words, node = self.words(), self.const(e)
        self.line(f"if {words} is not None: {words}.compared({node}, {a}, {b}, {out}, {paths})")
        return out

    def _boolop(self, e: n.BoolOp) -> str:
        # 'and' stops at a false operand, 'or' at a true one; otherwise unknown if one is.
        stop = e.op == "or"
        out, missing = self.temp(), self.temp()
        self.line(f"{missing} = None")
        self.line("for _ in (None,):")
        self.depth += 1
        for operand in e.operands:
            value = self.value(operand)
            self.line(f"if type({value}) is U:")
            self.line(
                f"    {missing} = {value}.paths if {missing} is None else {missing} | {value}.paths"
            )
            self.line(f"elif {'' if stop else 'not '}{value}:")
            self.line(f"    {out} = {stop}")
            self.line("    break")
        self.depth -= 1
        self.line("else:")
        self.line(f"    {out} = {not stop} if {missing} is None else U({missing})")
        return out

    def _not(self, e: n.Not) -> str:
        value = self.value(e.operand)
        out = self.temp()
        self.line(f"{out} = {value} if type({value}) is U else not {value}")
        return out

    def _neg(self, e: n.Neg) -> str:
        value = self.value(e.operand)
        out = self.temp()
        self.line(f"{out} = {value} if type({value}) is U else negate({value})")
        return out

    def _if(self, e: n.If) -> str:
        cond = self.value(e.cond)
        out = self.temp()
        self.line(f"if type({cond}) is U: {out} = {cond}")
        self.line(f"elif {cond}:")
        self.depth += 1
        self.line(
            f"if {self.words()} is not None: words.chose({self.const(e)}, {self.const(e.then)})"
        )
        self.line(f"{out} = {self.value(e.then)}")
        self.depth -= 1
        self.line("else:")
        self.depth += 1
        self.line(
            f"if {self.words()} is not None: words.chose({self.const(e)}, {self.const(e.else_)})"
        )
        self.line(f"{out} = {self.value(e.else_)}")
        self.depth -= 1
        return out

    def _arith(self, e: n.Arith) -> str:
        a = self.value(e.left)
        b = self.value(e.right)
        out = self.temp()
        self.line(f"{out} = arithmetic({self.const(e.op)}, {a}, {b}, env)")
        return out

    def _known(self, e: n.Known) -> str:
        out = self.temp()
        value = self.value(e.arg)
        self.line(f"{out} = type({value}) is not U")
        return out

    def _coalesce(self, e: n.Coalesce) -> str:
        out = self.temp()
        first = self.value(e.first)
        self.line(f"if type({first}) is U:")
        self.depth += 1
        self.line(
            f"if {self.words()} is not None: words.chose({self.const(e)}, {self.const(e.second)})"
        )
        self.line(f"{out} = {self.value(e.second)}")
        self.depth -= 1
        self.line("else:")
        self.depth += 1
        self.line(
            f"if {self.words()} is not None: words.chose({self.const(e)}, {self.const(e.first)})"
        )
        self.line(f"{out} = {first}")
        self.depth -= 1
        return out

    def _call(self, e: n.Call) -> str:
        builtin = e.builtin
        assert builtin.impl is not None
        out = self.temp()
        args = [self.value(a) for a in e.args]
        call = f"{self.const(builtin.impl)}(env, {', '.join(args)})"
        if builtin.specialise is not None:
            constants = tuple(self.names[a] if self.known(a) else NOT_CONSTANT for a in args)
            special = builtin.specialise(constants)
            if special is not None:
                fn, positions = special
                call = f"{self.const(fn)}({', '.join(args[i] for i in positions)})"
        if builtin.lenient:
            self.line(f"{out} = {call}")
            return out
        self.line(f"if {self.unknown_test(args)}: {out} = union({', '.join(args)})")
        self.line(f"else: {out} = {call}")
        return out
