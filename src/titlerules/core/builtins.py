"""Core layer: every built-in function and operator of the policy language, declared once.

An entry carries everything each part of the system needs to know about a built-in:

* ``signature`` — parameter and result types, read by the checker
  (:mod:`titlerules.lang.checker`), and ``result`` for a result type that depends on the
  arguments (``years_between(a, b, exact)`` is a fraction, ``min`` has its operands' type);
* ``impl`` — the per-record implementation ``impl(env, *values)``, called by the closures
  and by the generated code (:mod:`titlerules.engine`);
* ``lenient`` — whether ``impl`` is called with unknown arguments too (and decides what they
  mean); otherwise an unknown argument makes the call unknown without calling it;
* ``specialise`` — optionally, a faster form for some constant arguments (used by the
  generated code): given the arguments' constant values (``NOT_CONSTANT`` for the others),
  a function and the positions of the arguments it takes, or None;
* ``columnar`` — how the Polars compiler (:mod:`titlerules.batch`) lowers it: ``"native"``
  (the compiler's method ``_fn_<name>``, attached by name), ``"per_distinct"`` (``impl``
  called once per distinct tuple of arguments read from the table) or ``None`` (no columnar
  form: the rule runs on the per-record path).

``known`` and ``coalesce`` are special forms (they look at unknown values themselves): they
have a signature and a columnar lowering but no ``impl``; each backend has its form of them.

Adding a built-in is one entry here plus its implementation (and, if it has one, its
columnar lowering): see docs/architecture.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from titlerules.engine import runtime as rt
from titlerules.lang import ir
from titlerules.lang import types as T
from titlerules.lang.types import ANY, BOOL, DATE, INT, ROUNDING, Signature, Type, duration

Columnar = Literal["native", "per_distinct"] | None
NOT_CONSTANT: Any = object()  # an argument whose value is known only per record
Specialiser = Callable[[tuple[Any, ...]], tuple[Callable[..., Any], tuple[int, ...]] | None]


def _first_argument(args: list[Type], nodes: tuple[ir.Expr, ...]) -> Type | None:
    return args[0] if args else None


def _whole_years(constants: tuple[Any, ...]) -> tuple[Callable[..., Any], tuple[int, ...]] | None:
    """``years_between(a, b, floor)``: whole years, without the general path."""
    return (rt.whole_years, (0, 1)) if constants[2] == "floor" else None


def _by_rounding(args: list[Type], nodes: tuple[ir.Expr, ...]) -> Type | None:
    if len(nodes) != 3:
        return None
    rounding = nodes[2]
    exact = isinstance(rounding, ir.Name) and rounding.id == "exact"
    return T.FRACTION if exact else T.INT


@dataclass(frozen=True, slots=True)
class Builtin:
    """One built-in function: what the checker, the per-record backends and the columnar
    backend each need, in one place."""

    name: str
    signature: Signature
    impl: Callable[..., Any] | None
    columnar: Columnar
    lenient: bool = False
    result: Callable[[list[Type], tuple[ir.Expr, ...]], Type | None] | None = None
    specialise: Specialiser | None = None

    @property
    def special(self) -> bool:
        """A special form (``known``, ``coalesce``): no ``impl``; each backend has its own."""
        return self.impl is None

    def result_type(self, args: list[Type], nodes: tuple[ir.Expr, ...]) -> Type:
        if self.result is not None:
            found = self.result(args, nodes)
            if found is not None:
                return found
        return self.signature.result


def _b(
    name: str,
    params: tuple[Type, ...],
    result: Type,
    doc: str,
    impl: Callable[..., Any] | None,
    columnar: Columnar,
    *,
    lenient: bool = False,
    result_of: Callable[[list[Type], tuple[ir.Expr, ...]], Type | None] | None = None,
    specialise: Specialiser | None = None,
) -> Builtin:
    signature = Signature(params, result, doc)
    return Builtin(name, signature, impl, columnar, lenient, result_of, specialise)


_TABLE = (
    _b(
        "working_days_between",
        (DATE, DATE),
        duration("working_days"),
        "official PRC working days from the first date to the second, both counted",
        rt.builtin_working_days_between,
        "native",
    ),
    _b(
        "is_working_day",
        (DATE,),
        BOOL,
        "whether a date is an official working day",
        rt.builtin_is_working_day,
        "native",
    ),
    _b(
        "add_working_days",
        (DATE, INT),
        DATE,
        "the n-th working day after a date (n = 0: the date itself if a working day, "
        "else the next one; negative n counts back)",
        rt.builtin_add_working_days,
        "native",
    ),
    _b(
        "days_between",
        (DATE, DATE),
        duration("days"),
        "calendar days from a to b",
        rt.builtin_days_between,
        "native",
    ),
    _b(
        "years_between",
        (DATE, DATE, ROUNDING),
        ANY,
        "years from a to b, rounded floor / ceil, or exact (a fraction)",
        rt.builtin_years_between,
        "native",
        result_of=_by_rounding,
        specialise=_whole_years,
    ),
    _b(
        "months_between",
        (DATE, DATE, ROUNDING),
        ANY,
        "months from a to b, rounded floor / ceil, or exact (a fraction)",
        rt.builtin_months_between,
        "native",
        result_of=_by_rounding,
    ),
    _b(
        "retirement_date",
        (DATE, Type("enum", "Gender"), Type("enum", "PersonnelIdentity"), BOOL),
        DATE,
        "statutory retirement date from birth date, gender, identity (干部 / 工人) and whether "
        "she is a woman with a senior title in the public sector (组通字〔2015〕14号: 60)",
        rt.builtin_retirement_date,
        "per_distinct",
        lenient=True,
    ),
    _b(
        "sanction_end",
        (
            DATE,
            Type("enum", "SanctionSystem"),
            Type("enum", "SanctionSeverity"),
            Type("enum", "PartySeverity"),
        ),
        DATE,
        "end of a sanction's 处分期 by the default period of its system's table, from its "
        "start, system, severity and party severity (9999-12-31 when it has none: 开除)",
        rt.builtin_sanction_end,
        "per_distinct",
        lenient=True,
    ),
    _b(
        "known",
        (ANY,),
        BOOL,
        "whether a fact is known (never unknown itself)",
        None,
        "native",
    ),
    _b(
        "coalesce",
        (ANY, ANY),
        ANY,
        "the first value if known, else the second",
        None,
        "native",
        result_of=_first_argument,
    ),
    _b("date", (INT, INT, INT), DATE, "the date of year, month, day", rt.builtin_date, "native"),
    _b("year", (DATE,), INT, "the year of a date", rt.builtin_year, "native"),
    _b("month", (DATE,), INT, "the month of a date", rt.builtin_month, "native"),
    _b(
        "start_of_month",
        (DATE,),
        DATE,
        "the first day of the date's month",
        rt.builtin_start_of_month,
        "native",
    ),
    _b(
        "end_of_month",
        (DATE,),
        DATE,
        "the last day of the date's month",
        rt.builtin_end_of_month,
        "native",
    ),
    _b(
        "end_of_year",
        (DATE,),
        DATE,
        "31 December of the date's year",
        rt.builtin_end_of_year,
        "native",
    ),
    _b(
        "min",
        (ANY, ANY),
        ANY,
        "the smaller of two values",
        rt.builtin_min,
        "native",
        result_of=_first_argument,
    ),
    _b(
        "max",
        (ANY, ANY),
        ANY,
        "the larger of two values",
        rt.builtin_max,
        "native",
        result_of=_first_argument,
    ),
)

_BY_NAME: dict[str, Builtin] = {b.name: b for b in _TABLE}
BUILTINS: Mapping[str, Builtin] = MappingProxyType(_BY_NAME)
"""Every built-in function, by name (read-only)."""


@dataclass(frozen=True, slots=True)
class Operator:
    """A binary operator: its per-record implementation.  Operand typing is the checker's
    (:func:`titlerules.lang.checker.arithmetic_type`); every operator has a columnar form."""

    symbol: str
    kind: Literal["compare", "arithmetic"]
    doc: str


_OPERATORS = (
    Operator("==", "compare", "equal"),
    Operator("!=", "compare", "not equal"),
    Operator("<", "compare", "before / less than (terms by their rank)"),
    Operator("<=", "compare", "not after / at most"),
    Operator(">", "compare", "after / more than"),
    Operator(">=", "compare", "not before / at least"),
    Operator("in", "compare", "a member of a set or list"),
    Operator("not in", "compare", "not a member of a set or list"),
    Operator("+", "arithmetic", "sum; a date plus a duration"),
    Operator("-", "arithmetic", "difference; a date minus a duration"),
    Operator("*", "arithmetic", "product (exact)"),
    Operator("/", "arithmetic", "quotient, an exact fraction (unknown when dividing by 0)"),
    Operator("%", "arithmetic", "remainder"),
)
OPERATORS: Mapping[str, Operator] = MappingProxyType({o.symbol: o for o in _OPERATORS})


__all__ = ["BUILTINS", "NOT_CONSTANT", "OPERATORS", "Builtin", "Operator"]
