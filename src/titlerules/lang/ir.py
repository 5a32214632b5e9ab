"""Language layer: the policy IR, frozen dataclasses with a source span on every node.

The IR is the single source of truth for a policy.  The DSL (``.policy``) and the YAML
spelling are two ways of writing it; the JSON dump is a third.  Spans are carried for
error messages but take no part in equality, so a policy converted DSL -> YAML -> DSL
compares equal to the original.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

RuleKind = Literal["exclusion", "requirement", "procedure"]
Severity = Literal["blocking", "advisory"]
ClauseKind = Literal["not_checkable", "exhortation", "definition", "heading"]
CLAUSE_KINDS: tuple[ClauseKind, ...] = ("not_checkable", "exhortation", "definition", "heading")
RULE_KINDS: tuple[RuleKind, ...] = ("exclusion", "requirement", "procedure")
DURATION_UNITS = ("working_days", "days", "months", "years")


@dataclass(frozen=True, slots=True)
class Span:
    """Where a node is in its source: 1-based line and column, end exclusive."""

    line: int = 0
    column: int = 0
    end_line: int = 0
    end_column: int = 0


NO_SPAN = Span()


def _span() -> Span:
    return field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Comment:
    """A ``#`` comment kept with the node it stands before (or after, on the same line)."""

    text: str
    trailing: bool = False


# ---------------------------------------------------------------- expressions


@dataclass(frozen=True, slots=True)
class Literal_:
    """An integer, date, string or boolean literal."""

    value: int | bool | str | dt.date
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class DurationLit:
    """``30 working_days``, ``12 months`` ... (``unit`` is one of DURATION_UNITS)."""

    amount: int
    unit: str
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Name:
    """A bare name: a parameter, derived value, bound variable, record root or enum term."""

    id: str
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Attr:
    """``obj.name``: a field of a record or a qualified enum term (``Level.中级``)."""

    obj: Expr
    name: str
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Call:
    """``func(args...)``: a built-in function or a ``def``."""

    func: str
    args: tuple[Expr, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Lambda:
    """``s -> body``, only as an argument of a list method."""

    param: str
    body: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class MethodCall:
    """``list.any(s -> ...)``, ``list.count()``, ``list.where(s -> ...)``..."""

    obj: Expr
    method: str
    args: tuple[Expr | Lambda, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class SetLit:
    items: tuple[Expr, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class BinOp:
    """Exact arithmetic: ``+ - * /`` (``/`` of integers gives an exact fraction)."""

    op: str
    left: Expr
    right: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Compare:
    """``== != < <= > >= in, not in``."""

    op: str
    left: Expr
    right: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class BoolOp:
    """``and`` / ``or`` over two or more operands (Kleene three-valued)."""

    op: Literal["and", "or"]
    operands: tuple[Expr, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Not:
    operand: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Neg:
    operand: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class IfThenElse:
    cond: Expr
    then: Expr
    else_: Expr
    span: Span = _span()


Expr: TypeAlias = (
    Literal_
    | DurationLit
    | Name
    | Attr
    | Call
    | MethodCall
    | SetLit
    | BinOp
    | Compare
    | BoolOp
    | Not
    | Neg
    | IfThenElse
)


# ---------------------------------------------------------------- declarations


@dataclass(frozen=True, slots=True)
class Header:
    """The ``policy`` (or ``module``) block: what notice this file encodes."""

    kind: Literal["policy", "module"]
    id: str
    title: str | None = None
    title_en: str | None = None
    jurisdiction: str | None = None
    issuer: str | None = None
    document: str | None = None
    issued: dt.date | None = None
    year: int | None = None
    source: str | None = None
    source_sha256: str | None = None
    description: str | None = None
    comments: tuple[Comment, ...] = ()
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class TypeRef:
    """A parameter type: ``date``, ``int``, ``fraction``, ``working_days``, ``set[Level]``..."""

    name: str
    arg: str | None = None
    span: Span = _span()

    def __str__(self) -> str:
        return f"{self.name}[{self.arg}]" if self.arg else self.name


@dataclass(frozen=True, slots=True)
class Import:
    path: str
    comments: tuple[Comment, ...] = ()
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Extends:
    path: str
    comments: tuple[Comment, ...] = ()
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    type: TypeRef
    value: Expr
    override: bool = False
    comments: tuple[Comment, ...] = ()
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Let:
    """``let NAME ["中文" en "English"] = value``: a named value of the record; the optional
    label says what it is in words (explanations show it instead of the expression)."""

    name: str
    value: Expr
    comments: tuple[Comment, ...] = ()
    span: Span = _span()
    label: str | None = None
    label_en: str | None = None


@dataclass(frozen=True, slots=True)
class Def:
    """``def NAME(params) ["中文" en "English"] = body``: the label says what a call's value
    is in words."""

    name: str
    params: tuple[str, ...]
    body: Expr
    comments: tuple[Comment, ...] = ()
    span: Span = _span()
    label: str | None = None
    label_en: str | None = None


@dataclass(frozen=True, slots=True)
class Citation:
    """The clause path as the notice numbers it, and a verbatim quote of the notice."""

    clause: str
    quote: str
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Exception_:
    """``unless ["中文" [en "English"]:] condition``: when the condition holds the rule does
    not apply; the label names the exception in each language."""

    condition: Expr
    label: str | None = None
    span: Span = _span()
    label_en: str | None = None


@dataclass(frozen=True, slots=True)
class Message:
    """A rule's ``message [when COND:] "中文" en "English"``: the words of a failure of the
    rule, a template in each language; with ``when``, of the failures where ``when``
    holds."""

    text: str
    text_en: str | None = None
    when: Expr | None = None
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule.

    * exclusion: fails when ``when`` holds (and no exception holds);
    * requirement / procedure: fails when a ``require`` does not hold (and no exception holds).

    ``applies`` (optional) restricts the rule to the records it is about; where it is false
    the rule is *not applicable*.  ``comments`` are keyed by the statement they stand before:
    ``header``, ``cite``, ``applies``, ``when``, ``require[i]``, ``unless[i]``, ``severity``,
    ``note[i]``, ``consequence``, ``message``, ``end``.

    ``messages`` (optional): how a failure of the rule is worded, each a template whose
    ``{placeholders}`` name the rule's lets, parameters, record fields, or ``left`` /
    ``right`` (the values of the comparison that decided); a failure is worded by the first
    whose ``when`` holds, or that has none.
    """

    kind: RuleKind
    id: str
    title: str
    title_en: str | None = None
    citation: Citation | None = None
    applies: Expr | None = None
    when: Expr | None = None
    require: tuple[Expr, ...] = ()
    unless: tuple[Exception_, ...] = ()
    severity: Severity = "blocking"
    notes: tuple[str, ...] = ()
    consequence: str | None = None
    override: bool = False
    comments: tuple[tuple[str, tuple[Comment, ...]], ...] = ()
    span: Span = _span()
    messages: tuple[Message, ...] = ()

    def comments_at(self, slot: str) -> tuple[Comment, ...]:
        for key, value in self.comments:
            if key == slot:
                return value
        return ()


@dataclass(frozen=True, slots=True)
class Consequence:
    """``consequence NAME CLAUSE "quote" en "gloss"``: what the notice says follows when a rule
    fails (results not recognised, qualification withdrawn ...).  Rules name it with the
    statement ``consequence NAME``; an audit verdict cites the consequences of the rules that
    failed."""

    name: str
    citation: Citation
    gloss: str | None = None
    comments: tuple[Comment, ...] = ()
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class ClauseNote:
    """``clause CLAUSE KIND "reason"``: a clause of the notice (or the part of one) that no rule
    encodes, and why: ``not_checkable`` (no record can show it, or it needs a judgement),
    ``exhortation``, ``definition`` (a term or computation the rules use), ``heading``.
    With the rules' citations it makes the policy's clause map."""

    clause: str
    kind: ClauseKind
    reason: str
    comments: tuple[Comment, ...] = ()
    span: Span = _span()


Item: TypeAlias = Import | Extends | Param | Let | Def | Rule | Consequence | ClauseNote


@dataclass(frozen=True, slots=True)
class PolicyFile:
    """One parsed file: its header and its items in source order."""

    header: Header
    items: tuple[Item, ...]
    trailing_comments: tuple[Comment, ...] = ()
    path: str | None = field(default=None, compare=False)

    @property
    def rules(self) -> tuple[Rule, ...]:
        return tuple(item for item in self.items if isinstance(item, Rule))

    @property
    def params(self) -> tuple[Param, ...]:
        return tuple(item for item in self.items if isinstance(item, Param))

    @property
    def consequences(self) -> tuple[Consequence, ...]:
        return tuple(item for item in self.items if isinstance(item, Consequence))

    @property
    def clause_notes(self) -> tuple[ClauseNote, ...]:
        return tuple(item for item in self.items if isinstance(item, ClauseNote))


def walk(expr: Expr | Lambda) -> list[Expr | Lambda]:
    """Every node of an expression, depth first, the node itself first."""
    out: list[Expr | Lambda] = [expr]
    children: list[Expr | Lambda] = []
    if isinstance(expr, Attr):
        children = [expr.obj]
    elif isinstance(expr, Call):
        children = list(expr.args)
    elif isinstance(expr, MethodCall):
        children = [expr.obj, *expr.args]
    elif isinstance(expr, Lambda):
        children = [expr.body]
    elif isinstance(expr, SetLit):
        children = list(expr.items)
    elif isinstance(expr, (BinOp, Compare)):
        children = [expr.left, expr.right]
    elif isinstance(expr, BoolOp):
        children = list(expr.operands)
    elif isinstance(expr, (Not, Neg)):
        children = [expr.operand]
    elif isinstance(expr, IfThenElse):
        children = [expr.cond, expr.then, expr.else_]
    for child in children:
        out.extend(walk(child))
    return out


def rule_expressions(rule: Rule) -> list[Expr]:
    """The expressions of a rule: applies, when, every require and every exception."""
    found: list[Expr] = [*rule.require, *(e.condition for e in rule.unless)]
    if rule.when is not None:
        found.append(rule.when)
    if rule.applies is not None:
        found.append(rule.applies)
    return found
