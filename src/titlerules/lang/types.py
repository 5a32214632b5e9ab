"""Language layer: the static types of policy expressions, and the built-in signatures.

Types are checked before anything runs: a date compared with a count, working days added
to a fraction or an unknown record field are errors with a location and a hint.  Record
types come from the pydantic models of :mod:`titlerules.facts`, read through their field
annotations.
"""

from __future__ import annotations

import datetime as dt
import enum
import fractions
import types as pytypes
import typing
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from pydantic import BaseModel


@dataclass(frozen=True, slots=True)
class Type:
    """A static type: ``kind`` plus an argument (duration unit, enum class, element type...)."""

    kind: str
    arg: Any = None

    def __str__(self) -> str:
        if self.kind == "duration":
            return str(self.arg)
        if self.kind in ("enum", "record"):
            return str(getattr(self.arg, "__name__", self.arg))
        if self.kind in ("set", "list"):
            return f"{self.kind}[{self.arg}]"
        return self.kind


BOOL = Type("bool")
INT = Type("int")
FRACTION = Type("fraction")
DATE = Type("date")
TEXT = Type("text")
ANY = Type("any")
ROUNDING = Type("rounding")
NUMERIC_KINDS = ("int", "fraction")
DURATION_UNITS = ("working_days", "days", "months", "years")
ROUNDINGS = ("floor", "ceil", "exact")


def duration(unit: str) -> Type:
    return Type("duration", unit)


def enum_of(cls: type[enum.Enum]) -> Type:
    return Type("enum", cls)


def set_of(element: Type) -> Type:
    return Type("set", element)


def list_of(element: Type) -> Type:
    return Type("list", element)


def record(cls: type[BaseModel]) -> Type:
    return Type("record", cls)


def is_numeric(t: Type) -> bool:
    return t.kind in NUMERIC_KINDS


def compatible(a: Type, b: Type) -> bool:
    """Whether values of the two types can be compared for equality / order."""
    if a.kind == "any" or b.kind == "any":
        return True
    if is_numeric(a) and is_numeric(b):
        return True
    if a.kind != b.kind:
        return False
    if a.kind in ("set", "list"):
        return compatible(a.arg, b.arg)
    if a.kind == "enum":
        return bool(a.arg is b.arg)
    return bool(a.arg == b.arg)


def from_annotation(annotation: Any) -> Type:
    """The static type of a pydantic field annotation (``X | None`` is ``X``: missing values
    are the evaluator's business, not the type's)."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return from_annotation(args[0])
    if origin in (typing.Union, pytypes.UnionType):
        rest = [a for a in args if a is not type(None)]
        return from_annotation(rest[0]) if len(rest) == 1 else ANY
    if origin in (list, tuple, typing.Sequence) or (origin is not None and _is_seq(origin)):
        return list_of(from_annotation(args[0]) if args else ANY)
    if origin in (set, frozenset):
        return set_of(from_annotation(args[0]) if args else ANY)
    if origin is typing.Literal:
        return TEXT
    if annotation is bool:
        return BOOL
    if annotation is int:
        return INT
    if annotation in (float, Decimal, fractions.Fraction):
        return FRACTION
    if annotation in (dt.date, dt.datetime):
        return DATE
    if annotation is str:
        return TEXT
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return enum_of(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return record(annotation)
    return ANY


def _is_seq(origin: Any) -> bool:
    import collections.abc as abc

    return isinstance(origin, type) and issubclass(origin, abc.Sequence)


@cache
def fields_of(model: type[BaseModel]) -> dict[str, Type]:
    """The fields a policy may read on a record model, with their static types."""
    result: dict[str, Type] = {}
    for name, info in model.model_fields.items():
        result[name] = from_annotation(info.annotation)
    return result


def parse_type_name(name: str, arg: str | None, enums: dict[str, type[enum.Enum]]) -> Type | None:
    """The type a parameter declaration names (``date``, ``set[Level]``...), or None."""
    simple = {
        "bool": BOOL,
        "int": INT,
        "integer": INT,
        "fraction": FRACTION,
        "date": DATE,
        "text": TEXT,
    }
    if arg is None:
        if name in simple:
            return simple[name]
        if name in DURATION_UNITS:
            return duration(name)
        if name in enums:
            return enum_of(enums[name])
        return None
    if name in ("set", "list"):
        inner = parse_type_name(arg, None, enums)
        if inner is None:
            return None
        return set_of(inner) if name == "set" else list_of(inner)
    return None


# A built-in function's parameter types and result type (the built-ins themselves are
# declared in :mod:`titlerules.core.builtins`).  ``ANY`` parameters are checked by the
# function's own rule in the checker where it matters.
@dataclass(frozen=True, slots=True)
class Signature:
    params: tuple[Type, ...]
    result: Type
    doc: str
    variadic: bool = False


# List methods: name -> whether it takes a lambda (required / optional / none).
LIST_METHODS: dict[str, str] = {
    "any": "required",
    "all": "required",
    "count": "optional",
    "where": "required",
    "sum": "required",
    "min": "required",
    "max": "required",
}
SET_METHODS = ("contains_all", "contains_any")

ROOTS = ("applicant", "procedure")
