"""Language layer: the checker.  Runs before anything is evaluated and reports every error.

It resolves names (parameters, derived values, defs, bound variables, record roots, enum
terms), checks record paths against the pydantic models with "did you mean", infers types
and units, and checks each rule's shape (citation, quote, kind-specific statements).
The result is a list of :class:`~titlerules.lang.diagnostics.Diagnostic`; the compiler
only runs on a policy with no errors.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from titlerules.core.builtins import BUILTINS
from titlerules.errors import PolicySyntaxError
from titlerules.lang import ir
from titlerules.lang import types as T
from titlerules.lang.diagnostics import Diagnostic, did_you_mean
from titlerules.lang.expansion import measure
from titlerules.lang.loader import ResolvedPolicy

Type = T.Type


def enum_registry() -> dict[str, type[enum.Enum]]:
    from titlerules.facts import ENUMS

    return dict(ENUMS)


def lookup_term(term: str) -> list[enum.Enum]:
    from titlerules.facts import lookup_enum_member

    return list(lookup_enum_member(term))


def enum_terms(member: enum.Enum) -> tuple[str, ...]:
    """Every way a policy may write a term: its name, value, Chinese term and aliases."""
    aliases = tuple(getattr(member, "aliases", ()) or ())
    return (member.name, str(member.value), str(getattr(member, "zh", "")), *aliases)


def root_types() -> dict[str, Type]:
    from titlerules.facts import Applicant, Procedure

    return {"applicant": T.record(Applicant), "procedure": T.record(Procedure)}


@dataclass
class _Scope:
    """Bound variables (lambda and def parameters), innermost last."""

    frames: list[dict[str, Type]] = field(default_factory=list)

    def lookup(self, name: str) -> Type | None:
        for frame in reversed(self.frames):
            if name in frame:
                return frame[name]
        return None

    def names(self) -> list[str]:
        return [n for frame in self.frames for n in frame]


class Checker:
    """Checks a resolved policy; ``check()`` returns every diagnostic, errors and warnings."""

    def __init__(self, policy: ResolvedPolicy) -> None:
        self.policy = policy
        self.diagnostics: list[Diagnostic] = list(policy.diagnostics)
        self._seen: set[tuple[str | None, int, int, str]] = set()
        self.enums = enum_registry()
        self.roots = root_types()
        self.param_types: dict[str, Type] = {}
        self.let_types: dict[str, Type] = {}
        self._let_stack: list[str] = []
        self._def_stack: list[str] = []
        # A def's body is checked once per (def, argument types, rule kind): its result and
        # its diagnostics are the same every time, and checking it again at each call would
        # make defs that call defs twice cost exponential time.
        self._def_results: dict[tuple[str, tuple[Type, ...], str | None], Type] = {}
        self.used: set[str] = set()
        self._file: str | None = None
        self._rule_kind: str | None = None

    # ------------------------------------------------ reporting
    def error(self, code: str, message: str, node: object, hint: str | None = None) -> None:
        self._report("error", code, message, node, hint)

    def warning(self, code: str, message: str, node: object, hint: str | None = None) -> None:
        self._report("warning", code, message, node, hint)

    def _report(self, level: str, code: str, message: str, node: object, hint: str | None) -> None:
        span = getattr(node, "span", ir.NO_SPAN)
        key = (self._file, span.line, span.column, message)
        if key in self._seen:
            return
        self._seen.add(key)
        self.diagnostics.append(
            Diagnostic(code, level, message, span, self._file, hint)  # type: ignore[arg-type]
        )

    # ------------------------------------------------ entry point
    def check(self) -> list[Diagnostic]:
        self._check_header()
        for found in measure(self.policy):
            self._file = found.file
            self.error(found.code, found.message, found.node, found.hint)
        for name, sourced in self.policy.params.items():
            self._file = sourced.file
            assert isinstance(sourced.item, ir.Param)
            self.param_types[name] = self._check_param(sourced.item)
        for name in self.policy.lets:
            self._let_type(name)
        for name, sourced in self.policy.defs.items():
            self._file = sourced.file
            assert isinstance(sourced.item, ir.Def)
            scope = _Scope([{p: T.ANY for p in sourced.item.params}])
            self._def_stack.append(name)
            self.infer(sourced.item.body, scope)
            self._def_stack.pop()
        for sourced in self.policy.rules.values():
            self._file = sourced.file
            assert isinstance(sourced.item, ir.Rule)
            self._check_rule(sourced.item)
        is_policy = self.policy.header.kind == "policy"
        for name, sourced in self.policy.params.items():
            if is_policy and name not in self.used and sourced.file == self.policy.path:
                self._file = sourced.file
                self.warning(
                    "TR316",
                    f"parameter '{name}' is never used",
                    sourced.item,
                    "use it in a rule or remove it",
                )
        self.diagnostics.sort(
            key=lambda d: (d.file != self.policy.path, d.file or "", d.span.line, d.span.column)
        )
        return self.diagnostics

    def _check_header(self) -> None:
        header = self.policy.header
        self._file = self.policy.path
        if header.kind != "policy":
            return
        for name in ("title", "document", "source", "year"):
            if getattr(header, name) is None:
                self.error(
                    "TR323",
                    f"policy header has no '{name}'",
                    header,
                    "every policy names its notice: title, document number, source file and year",
                )

    def _check_param(self, param: ir.Param) -> Type:
        declared = T.parse_type_name(param.type.name, param.type.arg, self.enums)
        if declared is None:
            names = ["bool", "int", "fraction", "date", "text", *T.DURATION_UNITS, *self.enums]
            self.error(
                "TR312",
                f"unknown type '{param.type}'",
                param.type,
                did_you_mean(param.type.name, names) or f"use one of: {', '.join(names[:9])}",
            )
            declared = T.ANY
        self._const_names(param.value, param.name)
        actual = self.infer(param.value, _Scope(), expected=declared)
        if declared.kind == "fraction" and T.is_numeric(actual):
            return declared
        if not T.compatible(declared, actual) and declared != T.ANY:
            self.error(
                "TR312",
                f"parameter '{param.name}' is declared {declared} but its value is {actual}",
                param.value,
                f"write a {declared} value",
            )
        return declared

    def _const_names(self, expr: ir.Expr, param: str) -> None:
        """A parameter's value is a constant: no record fields, lets or calls."""
        for node in ir.walk(expr):
            if isinstance(node, ir.Name) and node.id in (*self.roots, *self.policy.lets):
                self.error(
                    "TR312",
                    f"parameter '{param}' must be a constant, but reads '{node.id}'",
                    node,
                    "use a 'let' for values computed from a record",
                )

    def _let_type(self, name: str) -> Type:
        if name in self.let_types:
            return self.let_types[name]
        sourced = self.policy.lets[name]
        assert isinstance(sourced.item, ir.Let)
        if name in self._let_stack:
            cycle = " -> ".join([*self._let_stack, name])
            self.error("TR324", f"derived values refer to each other: {cycle}", sourced.item)
            return T.ANY
        outer_file = self._file
        self._file = sourced.file
        self._let_stack.append(name)
        result = self.infer(sourced.item.value, _Scope())
        self._let_stack.pop()
        self._file = outer_file
        self.let_types[name] = result
        return result

    # ------------------------------------------------ rules
    def _check_rule(self, rule: ir.Rule) -> None:
        self._rule_kind = rule.kind
        if rule.citation is None:
            self.error(
                "TR315",
                f"rule '{rule.id}' has no citation",
                rule,
                'add: cite <clause> "<verbatim quote of the notice>"',
            )
        elif not rule.citation.quote.strip():
            self.error(
                "TR315",
                f"rule '{rule.id}' cites {rule.citation.clause} with an empty quote",
                rule.citation,
                "quote the notice's words verbatim",
            )
        if rule.kind == "exclusion":
            if rule.when is None:
                self.error(
                    "TR318",
                    f"exclusion '{rule.id}' has no 'when'",
                    rule,
                    "an exclusion says when an applicant is excluded: when <condition>",
                )
            if rule.require:
                self.error(
                    "TR318",
                    f"exclusion '{rule.id}' uses 'require'",
                    rule.require[0],
                    "exclusions use 'when'; requirements and procedure rules use 'require'",
                )
        else:
            if rule.when is not None:
                self.error(
                    "TR318",
                    f"{rule.kind} '{rule.id}' uses 'when'",
                    rule.when,
                    "write the condition that must hold as 'require'; "
                    "restrict who it is about with 'applies'",
                )
            if not rule.require:
                self.error(
                    "TR318",
                    f"{rule.kind} '{rule.id}' has no 'require'",
                    rule,
                    "add: require <condition>",
                )
        if rule.consequence is not None and rule.consequence not in self.policy.consequences:
            self.error(
                "TR326",
                f"rule '{rule.id}' names consequence '{rule.consequence}', which is not declared",
                rule,
                did_you_mean(rule.consequence, list(self.policy.consequences))
                or f'declare it: consequence {rule.consequence} <clause> "<quote of the notice>"',
            )
        conditions: list[ir.Expr] = [*rule.require]
        if rule.when is not None:
            conditions.append(rule.when)
        if rule.applies is not None:
            conditions.append(rule.applies)
        conditions.extend(exc.condition for exc in rule.unless)
        conditions.extend(m.when for m in rule.messages if m.when is not None)
        for condition in conditions:
            self._expect_bool(condition, _Scope())
        self._check_words(rule)
        self._check_message(rule)
        self._rule_kind = None

    def _check_words(self, rule: ir.Rule) -> None:
        """An explanation in English needs the English of every label a rule shows."""
        for exception in rule.unless:
            if exception.label is not None and exception.label_en is None:
                self.warning(
                    "TR329",
                    f"rule '{rule.id}': the exception label {exception.label!r} has no English",
                    exception,
                    f'write: unless "{exception.label}" en "<English>": ...',
                )
        for message in rule.messages:
            if message.text_en is None:
                self.warning(
                    "TR329",
                    f"rule '{rule.id}': the message has no English",
                    _At(message.span) if message.span.line else rule,
                    'write: message "<中文>" en "<English>" with the same placeholders',
                )

    def _check_message(self, rule: ir.Rule) -> None:
        """Every message can word a failure (none follows one without ``when``), and every
        placeholder of each names a value the rule has."""
        for index, message in enumerate(rule.messages):
            if message.when is None and index < len(rule.messages) - 1:
                self.error(
                    "TR345",
                    f"rule '{rule.id}': a message without 'when' words every failure, so the "
                    "messages after it are never used",
                    _At(message.span) if message.span.line else rule,
                    "put the message without 'when' last (it words the failures no other "
                    "message's 'when' covers), or give it a 'when'",
                )
            self._check_template(rule, message)

    def _check_template(self, rule: ir.Rule, message: ir.Message) -> None:
        """Every placeholder of a message names a value the rule has."""
        from titlerules.lang.exprparse import parse_expr
        from titlerules.lang.messages import placeholders

        node = _At(message.span) if message.span.line else rule
        known = ["left", "right", *self.policy.lets, *self.policy.params]
        for template in (message.text, message.text_en):
            for name, _spec in placeholders(template or ""):
                if name in ("{", "}"):
                    self.error(
                        "TR328",
                        f"rule '{rule.id}': the message has a lone '{name}'",
                        node,
                        "write {{ or }} for a brace, {name} for a value",
                    )
                    continue
                if name in ("left", "right") or name in self.policy.lets:
                    continue
                if name in self.policy.params:
                    self.used.add(name)
                    continue
                problem = None
                inner_hint = None
                if name.split(".", 1)[0] in self.roots and "." in name:
                    try:
                        expr = parse_expr(name)
                    except PolicySyntaxError:
                        expr = None
                    problem = "is not a record field"
                    if isinstance(expr, ir.Attr) and all(
                        isinstance(n, (ir.Attr, ir.Name)) for n in ir.walk(expr)
                    ):
                        saved = self.diagnostics
                        self.diagnostics = []
                        self.infer(expr, _Scope())
                        found, self.diagnostics = self.diagnostics, saved
                        errors = [d for d in found if d.level == "error"]
                        problem = f"is not a record field ({errors[0].message})" if errors else None
                        inner_hint = errors[0].hint if errors else None
                    if problem is None:
                        continue
                self.error(
                    "TR328",
                    f"rule '{rule.id}': the message names {{{name}}}, which "
                    + (problem or "is no value of the rule"),
                    node,
                    inner_hint
                    or did_you_mean(name, known)
                    or "a placeholder names {left}, {right}, a let, a param or a record field "
                    "such as {applicant.person.birth_date}",
                )

    def _expect_bool(self, expr: ir.Expr, scope: _Scope) -> None:
        actual = self.infer(expr, scope)
        if actual.kind not in ("bool", "any"):
            self.error(
                "TR312",
                f"a condition must be true or false, but this is {actual}",
                expr,
                "compare it with something, e.g. '>= ...' or '== ...'",
            )

    # ------------------------------------------------ expressions
    def infer(self, expr: ir.Expr, scope: _Scope, expected: Type | None = None) -> Type:
        method = getattr(self, "_infer_" + type(expr).__name__.lower().rstrip("_"))
        result: Type = method(expr, scope, expected)
        return result

    def _infer_literal(self, e: ir.Literal_, scope: _Scope, expected: Type | None) -> Type:
        if isinstance(e.value, bool):
            return T.BOOL
        if isinstance(e.value, int):
            return T.INT
        if isinstance(e.value, str):
            return T.TEXT
        return T.DATE

    def _infer_durationlit(self, e: ir.DurationLit, scope: _Scope, expected: Type | None) -> Type:
        return T.duration(e.unit)

    def _infer_setlit(self, e: ir.SetLit, scope: _Scope, expected: Type | None) -> Type:
        element_hint = expected.arg if expected is not None and expected.kind == "set" else None
        types = [self.infer(item, scope, element_hint) for item in e.items]
        if not types:
            return T.set_of(T.ANY)
        first = types[0]
        for item, t in zip(e.items, types, strict=True):
            if not T.compatible(first, t):
                self.error("TR312", f"a set mixes {first} and {t}", item)
        return T.set_of(first)

    def _infer_name(self, e: ir.Name, scope: _Scope, expected: Type | None) -> Type:
        bound = scope.lookup(e.id)
        if bound is not None:
            return bound
        if e.id in self.policy.params:
            self.used.add(e.id)
            return self.param_types.get(e.id, T.ANY)
        if e.id in self.policy.lets:
            return self._let_type(e.id)
        if e.id in self.roots:
            if self._rule_kind == "procedure" and e.id == "applicant":
                self.error(
                    "TR325",
                    "a procedure rule reads 'applicant'",
                    e,
                    "procedure rules read the committee's record: 'procedure. ...'",
                )
            if self._rule_kind in ("exclusion", "requirement") and e.id == "procedure":
                self.error(
                    "TR325",
                    f"an {self._rule_kind} rule reads 'procedure'",
                    e,
                    "applicant rules read the applicant's record: 'applicant. ...'",
                )
            return self.roots[e.id]
        if e.id == "as_of":
            return T.DATE
        if e.id in T.ROUNDINGS:
            return T.ROUNDING
        return self._enum_term(e, e.id, None, expected)

    def _enum_term(
        self, node: object, term: str, enum_name: str | None, expected: Type | None
    ) -> Type:
        if enum_name is not None:
            cls = self.enums[enum_name]
            for member in cls:
                if term in enum_terms(member):
                    return T.enum_of(cls)
            names = [str(getattr(m, "zh", m.name)) for m in cls] + [m.name for m in cls]
            self.error(
                "TR310",
                f"'{term}' is not a term of {enum_name}",
                node,
                did_you_mean(term, names) or f"terms: {', '.join(names[:8])}",
            )
            return T.ANY
        members = lookup_term(term)
        if expected is not None and expected.kind == "enum":
            narrowed = [m for m in members if type(m) is expected.arg]
            members = narrowed or members
        classes = {type(m) for m in members}
        if len(classes) == 1:
            return T.enum_of(next(iter(classes)))
        if len(classes) > 1:
            options = ", ".join(sorted(f"{c.__name__}.{term}" for c in classes))
            self.error(
                "TR319",
                f"'{term}' is a term of several vocabularies",
                node,
                f"qualify it: {options}",
            )
            return T.ANY
        # A misspelt term (灵活就业者 for 灵活就业) is suggested like a misspelt name: the
        # terms of the vocabulary expected here, else of every vocabulary.
        vocabularies = (
            [expected.arg]
            if expected is not None and expected.kind == "enum"
            else self.enums.values()
        )
        candidates = [
            *self.policy.params,
            *self.policy.lets,
            *self.roots,
            *(str(getattr(m, "zh", "") or m.value) for cls in vocabularies for m in cls),
        ]
        self.error(
            "TR310",
            f"unknown name '{term}'",
            node,
            did_you_mean(term, candidates)
            or "declare it with 'param' or 'let', or check the spelling of the term",
        )
        return T.ANY

    def _infer_attr(self, e: ir.Attr, scope: _Scope, expected: Type | None) -> Type:
        if isinstance(e.obj, ir.Name) and e.obj.id in self.enums and scope.lookup(e.obj.id) is None:
            return self._enum_term(e, e.name, e.obj.id, expected)
        base = self.infer(e.obj, scope)
        if base.kind == "any":
            return T.ANY
        if base.kind != "record":
            self.error(
                "TR311",
                f"{base} has no field '{e.name}'",
                e,
                "only records have fields",
            )
            return T.ANY
        fields = T.fields_of(base.arg)
        if e.name not in fields:
            path = _path_text(e)
            options = [f"{_path_text(e.obj)}.{f}" for f in fields]
            self.error(
                "TR311",
                f"unknown field '{path}'",
                e,
                did_you_mean(path, options) or f"{base} has: {', '.join(list(fields)[:12])}",
            )
            return T.ANY
        return fields[e.name]

    def _infer_call(self, e: ir.Call, scope: _Scope, expected: Type | None) -> Type:
        if e.func in self.policy.defs:
            return self._infer_def_call(e, scope)
        builtin = BUILTINS.get(e.func)
        if builtin is None:
            self.error(
                "TR313",
                f"unknown function '{e.func}'",
                e,
                did_you_mean(e.func, [*BUILTINS, *self.policy.defs])
                or "see docs/language.md for the built-in functions",
            )
            for arg in e.args:
                self.infer(arg, scope)
            return T.ANY
        signature = builtin.signature
        if len(e.args) != len(signature.params):
            self.error(
                "TR313",
                f"{e.func}() takes {len(signature.params)} arguments, got {len(e.args)}",
                e,
                f"{e.func}: {signature.doc}",
            )
        args = [self.infer(a, scope) for a in e.args]
        for arg, actual, wanted in zip(e.args, args, signature.params, strict=False):
            if wanted.kind == "rounding":
                if not (isinstance(arg, ir.Name) and arg.id in T.ROUNDINGS):
                    self.error(
                        "TR312",
                        f"{e.func}() needs a rounding rule here",
                        arg,
                        "write floor, ceil or exact",
                    )
                continue
            if wanted.kind == "int" and actual.kind == "duration" and actual.arg == "working_days":
                continue
            if wanted.kind == "enum" and isinstance(wanted.arg, str):
                wanted = T.enum_of(self.enums[wanted.arg])
            if wanted != T.ANY and not T.compatible(wanted, actual):
                self.error(
                    "TR312",
                    f"{e.func}() expects {wanted} here, got {actual}",
                    arg,
                    f"{e.func}: {signature.doc}",
                )
        return builtin.result_type(args, e.args)

    def _infer_def_call(self, e: ir.Call, scope: _Scope) -> Type:
        definition = self.policy.defs[e.func].item
        assert isinstance(definition, ir.Def)
        if len(e.args) != len(definition.params):
            self.error(
                "TR313",
                f"{e.func}() takes {len(definition.params)} arguments, got {len(e.args)}",
                e,
            )
        args = [self.infer(a, scope) for a in e.args]
        if e.func in self._def_stack:
            self.error("TR324", f"'{e.func}' calls itself", e, "defs cannot be recursive")
            return T.ANY
        key = (e.func, tuple(args), self._rule_kind)
        if key in self._def_results:
            return self._def_results[key]
        frame = dict(zip(definition.params, args, strict=False))
        outer_file = self._file
        self._file = self.policy.defs[e.func].file
        self._def_stack.append(e.func)
        result = self.infer(definition.body, _Scope([frame]))
        self._def_stack.pop()
        self._file = outer_file
        self._def_results[key] = result
        return result

    def _infer_methodcall(self, e: ir.MethodCall, scope: _Scope, expected: Type | None) -> Type:
        base = self.infer(e.obj, scope)
        if base.kind in ("set", "list") and e.method in T.SET_METHODS:
            for arg in e.args:
                if isinstance(arg, ir.Lambda):
                    self.error("TR313", f".{e.method}() takes a set, not a lambda", arg)
                else:
                    self.infer(arg, scope, base)
            return T.BOOL
        if base.kind not in ("list", "set", "any"):
            self.error(
                "TR312",
                f".{e.method}() needs a list, but this is {base}",
                e,
                "list methods: " + ", ".join(T.LIST_METHODS),
            )
            return T.ANY
        mode = T.LIST_METHODS.get(e.method)
        if mode is None:
            self.error(
                "TR313",
                f"unknown list method '.{e.method}()'",
                e,
                did_you_mean(e.method, T.LIST_METHODS) or "methods: " + ", ".join(T.LIST_METHODS),
            )
            return T.ANY
        element = base.arg if base.kind in ("list", "set") else T.ANY
        lambdas = [a for a in e.args if isinstance(a, ir.Lambda)]
        if len(e.args) > 1 or (e.args and not lambdas):
            self.error("TR313", f".{e.method}() takes one 'x -> ...' argument", e)
        if mode == "required" and not lambdas:
            self.error(
                "TR313",
                f".{e.method}() needs a condition",
                e,
                f"write .{e.method}(x -> <condition on x>)",
            )
        body_type = T.ANY
        if lambdas:
            lam = lambdas[0]
            scope.frames.append({lam.param: element})
            body_type = self.infer(lam.body, scope)
            scope.frames.pop()
            if e.method in ("any", "all", "count", "where") and body_type.kind not in (
                "bool",
                "any",
            ):
                self.error("TR312", f"the condition of .{e.method}() is {body_type}", lam.body)
        if e.method in ("any", "all"):
            return T.BOOL
        if e.method == "count":
            return T.INT
        if e.method == "where":
            return T.list_of(element)
        return body_type

    def _infer_binop(self, e: ir.BinOp, scope: _Scope, expected: Type | None) -> Type:
        left = self.infer(e.left, scope)
        right = self.infer(e.right, scope)
        result = arithmetic_type(e.op, left, right)
        if result is None:
            self.error(
                "TR312",
                f"cannot {_OP_WORDS[e.op]} {left} and {right}",
                e,
                _arith_hint(e.op, left, right),
            )
            return T.ANY
        return result

    def _infer_compare(self, e: ir.Compare, scope: _Scope, expected: Type | None) -> Type:
        left = self.infer(e.left, scope)
        right = self.infer(e.right, scope, left if left.kind == "enum" else None)
        if left.kind == "any" and e.op not in ("in", "not in"):
            # Re-infer the left with the right's type, e.g. `记过 <= s.kind`.
            left = self.infer(e.left, scope, right)
        if e.op in ("in", "not in"):
            if right.kind not in ("set", "list", "any"):
                self.error("TR312", f"'{e.op}' needs a set or list on the right, got {right}", e)
            elif right.kind != "any" and not T.compatible(left, right.arg):
                self.error("TR312", f"cannot look for {left} in {right}", e)
            return T.BOOL
        if not T.compatible(left, right):
            number = next(
                (str(side.value) for side in (e.right, e.left) if isinstance(side, ir.Literal_)),
                "5",
            )
            self.error(
                "TR312",
                f"cannot compare {left} with {right}",
                e,
                _compare_hint(left, right, number),
            )
        elif e.op in ("<", "<=", ">", ">=") and left.kind in ("bool", "text", "set", "list"):
            self.error("TR312", f"{left} values have no order", e, "use == or !=")
        return T.BOOL

    def _infer_boolop(self, e: ir.BoolOp, scope: _Scope, expected: Type | None) -> Type:
        for operand in e.operands:
            self._expect_bool(operand, scope)
        return T.BOOL

    def _infer_not(self, e: ir.Not, scope: _Scope, expected: Type | None) -> Type:
        self._expect_bool(e.operand, scope)
        return T.BOOL

    def _infer_neg(self, e: ir.Neg, scope: _Scope, expected: Type | None) -> Type:
        operand = self.infer(e.operand, scope)
        if not (T.is_numeric(operand) or operand.kind in ("duration", "any")):
            self.error("TR312", f"cannot negate {operand}", e)
        return operand

    def _infer_ifthenelse(self, e: ir.IfThenElse, scope: _Scope, expected: Type | None) -> Type:
        self._expect_bool(e.cond, scope)
        then = self.infer(e.then, scope, expected)
        other = self.infer(e.else_, scope, expected)
        if not T.compatible(then, other):
            self.error("TR312", f"'then' gives {then} but 'else' gives {other}", e)
        return then if then.kind != "any" else other


_OP_WORDS = {
    "+": "add",
    "-": "subtract",
    "*": "multiply",
    "/": "divide",
    "%": "take the remainder of",
}


@dataclass(frozen=True)
class _At:
    """A place to report at (a statement the IR keeps only the span of)."""

    span: ir.Span


def arithmetic_type(op: str, left: Type, right: Type) -> Type | None:
    """The result type of ``left op right``, or None when the units do not allow it."""
    if left.kind == "any" or right.kind == "any":
        return T.ANY
    if op == "%":  # remainder: whole numbers only (e.g. an odd committee size: n % 2 == 1)
        return T.INT if left.kind == right.kind == "int" else None
    if T.is_numeric(left) and T.is_numeric(right):
        if op == "/" or T.FRACTION in (left, right):
            return T.FRACTION
        return T.INT
    if left.kind == "date" and right.kind == "duration" and op in ("+", "-"):
        return T.DATE
    if left.kind == "duration" and right.kind == "duration" and left.arg == right.arg:
        if op in ("+", "-"):
            return left
        if op == "/":
            return T.FRACTION
    if op == "*" and left.kind == "duration" and T.is_numeric(right):
        return left
    if op == "*" and right.kind == "duration" and T.is_numeric(left):
        return right
    if op == "/" and left.kind == "duration" and T.is_numeric(right):
        return left
    return None


def _arith_hint(op: str, left: Type, right: Type) -> str:
    if "date" in (left.kind, right.kind) and op == "-":
        return "use days_between(a, b) or working_days_between(a, b) for the span between dates"
    if "duration" in (left.kind, right.kind):
        return "durations combine with the same unit, with numbers (* /), or with dates (+ -)"
    return "check the units of both sides"


def _compare_hint(left: Type, right: Type, number: str) -> str:
    kinds = {left.kind, right.kind}
    if kinds == {"duration", "int"}:
        unit = left.arg if left.kind == "duration" else right.arg
        return f"give the number a unit, e.g. '{number} {unit}'"
    if "date" in kinds:
        return "compare a date with a date"
    if kinds == {"duration"}:
        return "compare durations of the same unit"
    return "compare values of the same kind"


def _path_text(e: ir.Expr) -> str:
    if isinstance(e, ir.Name):
        return e.id
    if isinstance(e, ir.Attr):
        return f"{_path_text(e.obj)}.{e.name}"
    return "(...)"


def check(policy: ResolvedPolicy) -> list[Diagnostic]:
    """Every diagnostic for a resolved policy (errors first by position, then warnings)."""
    return Checker(policy).check()
