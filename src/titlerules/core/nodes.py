"""Core layer: the resolved core IR.

The checked IR (:mod:`titlerules.lang.ir`) says what a policy author wrote: a name may be a
parameter, a ``let``, a bound variable, a record root, ``as_of``, a rounding rule or an enum
term, and ``x.y`` may be an enum term or a record field.  The core IR says what it *is*:
:func:`titlerules.core.lower.lower_policy` resolves every name once, and every backend
(closures, generated code, Polars) lowers from these nodes without resolving anything.

* constants — literals, duration literals, enum members, rounding rules, parameters and
  constant sets — are :class:`Const` with their value (a parameter whose value depends on
  a provisional calendar year is a :class:`Param`, which reports those years);
* record reads are :class:`Path` nodes: a base (:class:`Root`, :class:`Var` or any other
  expression) and attribute names checked against the record models;
* a call is a :class:`Call` of a :class:`~titlerules.core.builtins.Builtin` from the one
  table, a :class:`DefCall` of a policy's ``def`` (its body lowered once and shared), or
  one of the special forms :class:`Known` and :class:`Coalesce`.

Every node keeps the span of the source it came from (for errors and explanations).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from titlerules.core.builtins import Builtin
from titlerules.lang.ir import Span


def _span() -> Span:
    return Span()


@dataclass(frozen=True, slots=True, eq=False)
class Const:
    """A value known before any record is seen; ``origin`` names the parameter it is the
    value of, if it is one (explanations say where a threshold comes from)."""

    value: Any
    span: Span = field(default_factory=_span)
    origin: str | None = None


@dataclass(frozen=True, slots=True, eq=False)
class Param:
    """A parameter whose value depends on provisional calendar years (reported to every
    evaluation that reads it)."""

    name: str
    value: Any
    years: frozenset[int]
    span: Span = field(default_factory=_span)


@dataclass(frozen=True, slots=True, eq=False)
class Root:
    """The record being decided: ``applicant`` or ``procedure``."""

    name: Literal["applicant", "procedure"]
    span: Span = field(default_factory=_span)


@dataclass(frozen=True, slots=True, eq=False)
class AsOf:
    """The as-of date of the evaluation."""

    span: Span = field(default_factory=_span)


@dataclass(frozen=True, slots=True, eq=False)
class Var:
    """A variable bound by a lambda or a ``def``'s parameter."""

    name: str
    span: Span = field(default_factory=_span)


Words = tuple[str, str | None]
"""A label in Chinese and (if the policy gives one) English."""


@dataclass(frozen=True, slots=True, eq=False)
class LetRef:
    """A policy ``let``: evaluated at most once per record; ``label`` is what its value is
    in words (an explanation shows it in place of the expression)."""

    name: str
    span: Span = field(default_factory=_span)
    label: Words | None = None


@dataclass(frozen=True, slots=True, eq=False)
class Path:
    """A record read ``base.a.b...``; ``names`` were checked against the record models."""

    base: Expr
    names: tuple[str, ...]
    span: Span = field(default_factory=_span)

    @property
    def root(self) -> str | None:
        """The record root the path starts at, if it starts at one."""
        return self.base.name if isinstance(self.base, Root) else None

    @property
    def var(self) -> str | None:
        """The bound variable the path starts at, if it starts at one."""
        return self.base.name if isinstance(self.base, Var) else None

    @property
    def text(self) -> str:
        """The path spelled from its root (``applicant.a.b``); ``(value).a.b`` otherwise."""
        head = self.base.name if isinstance(self.base, (Root, Var)) else "(value)"
        return ".".join((head, *self.names))


@dataclass(frozen=True, slots=True, eq=False)
class Call:
    """A call of a built-in from the one table (:mod:`titlerules.core.builtins`)."""

    builtin: Builtin
    args: tuple[Expr, ...]
    span: Span = field(default_factory=_span)


@dataclass(slots=True, eq=False)
class Def:
    """A policy ``def``: parameters and a body lowered once (shared by every call)."""

    name: str
    params: tuple[str, ...]
    body: Expr | None = None  # set once lowered (a def may be called before it is lowered)
    label: Words | None = None  # what a call's value is, in words


@dataclass(frozen=True, slots=True, eq=False)
class DefCall:
    definition: Def
    args: tuple[Expr, ...]
    span: Span = field(default_factory=_span)


@dataclass(frozen=True, slots=True, eq=False)
class Known:
    """``known(x)``: whether ``x`` is known (never unknown itself)."""

    arg: Expr
    span: Span = field(default_factory=_span)


@dataclass(frozen=True, slots=True, eq=False)
class Coalesce:
    """``coalesce(a, b)``: ``a`` if known, else ``b``."""

    first: Expr
    second: Expr
    span: Span = field(default_factory=_span)


@dataclass(frozen=True, slots=True, eq=False)
class SetLit:
    """A set with a member read from the record (a constant set is a :class:`Const`)."""

    items: tuple[Expr, ...]
    span: Span = field(default_factory=_span)


@dataclass(frozen=True, slots=True, eq=False)
class Compare:
    """A comparison; ``texts`` are its operands as the policy writes them."""

    op: str
    left: Expr
    right: Expr
    span: Span = field(default_factory=_span)
    texts: tuple[str, str] = ("", "")


@dataclass(frozen=True, slots=True, eq=False)
class Arith:
    op: str
    left: Expr
    right: Expr
    span: Span = field(default_factory=_span)


@dataclass(frozen=True, slots=True, eq=False)
class BoolOp:
    op: Literal["and", "or"]
    operands: tuple[Expr, ...]
    span: Span = field(default_factory=_span)


@dataclass(frozen=True, slots=True, eq=False)
class Not:
    operand: Expr
    span: Span = field(default_factory=_span)


@dataclass(frozen=True, slots=True, eq=False)
class Neg:
    operand: Expr
    span: Span = field(default_factory=_span)


@dataclass(frozen=True, slots=True, eq=False)
class If:
    cond: Expr
    then: Expr
    else_: Expr
    span: Span = field(default_factory=_span)


@dataclass(frozen=True, slots=True, eq=False)
class ListMethod:
    """``xs.any(x -> body)``, ``all``, ``count`` (body optional), ``where``, ``sum``,
    ``min``, ``max``."""

    method: str
    obj: Expr
    var: str
    body: Expr | None
    span: Span = field(default_factory=_span)


@dataclass(frozen=True, slots=True, eq=False)
class SetMethod:
    """``xs.contains_all(ys)`` / ``xs.contains_any(ys)``."""

    method: Literal["contains_all", "contains_any"]
    obj: Expr
    arg: Expr
    span: Span = field(default_factory=_span)


Expr = (
    Const
    | Param
    | Root
    | AsOf
    | Var
    | LetRef
    | Path
    | Call
    | DefCall
    | Known
    | Coalesce
    | SetLit
    | Compare
    | Arith
    | BoolOp
    | Not
    | Neg
    | If
    | ListMethod
    | SetMethod
)


@dataclass(frozen=True, slots=True)
class Exception_:
    label: str | None
    condition: Expr
    text: str  # the condition as written (shown when an exception without label applies)
    label_en: str | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule in core form; the checked rule (title, citation, severity) is ``source``.
    Its violation is ``when`` for an exclusion, ``not required`` for the others."""

    source: Any  # lang.ir.Rule
    applies: Expr | None
    require: tuple[Expr, ...]  # a requirement's conditions, each (empty for an exclusion)
    when: Expr | None  # an exclusion's condition
    unless: tuple[Exception_, ...]
    # The values a failure's message template names (lets, parameters, record fields), by
    # the placeholder's text; ``left`` and ``right`` come from the deciding comparison.
    message_values: tuple[tuple[str, Expr], ...] = ()
    # Each message's ``when`` (None: it words every failure), in the order of source.messages.
    message_whens: tuple[Expr | None, ...] = ()

    @property
    def id(self) -> str:
        return str(self.source.id)

    @property
    def required(self) -> Expr | None:
        """The conjunction of the conditions (None for an exclusion)."""
        if not self.require:
            return None
        if len(self.require) == 1:
            return self.require[0]
        return BoolOp("and", self.require, self.source.span)


@dataclass(frozen=True, slots=True)
class CorePolicy:
    """A checked policy lowered to the core IR."""

    resolved: Any  # lang.loader.ResolvedPolicy
    params: dict[str, Any]
    param_years: dict[str, frozenset[int]]
    lets: dict[str, Expr]
    defs: dict[str, Def]
    rules: tuple[Rule, ...]


def label_of(e: Expr) -> Words | None:
    """The label of the value ``e`` gives, if it is a labelled ``let`` or a call of a
    labelled ``def`` (a :class:`Coalesce` or :class:`If` takes its chosen branch's: see
    :meth:`titlerules.core.trace.Trace.chose`)."""
    if isinstance(e, LetRef):
        return e.label
    if isinstance(e, DefCall):
        return e.definition.label
    return None
