"""facts layer: pydantic record models, pure, no DSL knowledge.

Validation in pydantic-core alone for records written the usual way, the exact validators for
everything else.

A record model's fields are read by Python validators that accept every spelling a person
writes (``2024/3/1``, ``是``, an enum's Chinese term) and explain each mistake in the
record's own words.  Records exported by a system are spelled one way: ISO dates, JSON
booleans, enum values.  For those, each root record model validates first with a copy of its
own core schema in which these validators are pydantic-core's (``date``, strict ``bool``,
``enum`` by value; an enum's other spellings go through its ``_missing_``, the same lookup)
and only the cross-field checks stay in Python.  The copy accepts a subset of what the exact
validators accept, with the same values; whatever it refuses, the exact validators decide, so
every value accepted today is accepted, and every error message and record path is the exact
validators' own.

:func:`install` puts the two behind the model's ``__pydantic_validator__`` once pydantic has
built it, so ``model_validate``, ``model_validate_json`` and construction all take the quick
way first.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from pydantic_core import SchemaValidator, ValidationError, core_schema

from titlerules.facts.base import _parse_date, _parse_flag

__all__ = ["QUICK_AFTER", "FastFirstValidator", "fast_schema", "install", "subclasses"]

# An ISO date, as a system exports it; anything else (2024/3/1, 2024年3月1日, blanks, a
# datetime) is left to the exact validator.
_ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def _quick_date() -> core_schema.CoreSchema:
    from_text = core_schema.chain_schema(
        [core_schema.str_schema(pattern=_ISO_DATE, strict=True), core_schema.date_schema()]
    )
    return core_schema.json_or_python_schema(
        json_schema=from_text,
        python_schema=core_schema.union_schema(
            [core_schema.date_schema(strict=True), from_text], mode="left_to_right"
        ),
    )


def _quick(schema: dict[str, Any]) -> dict[str, Any] | None:
    """The pydantic-core schema standing in for a Python validator, if it is one of ours."""
    kind = schema.get("type")
    if kind not in ("function-before", "function-plain"):
        return None
    function = schema.get("function")
    target = function.get("function") if isinstance(function, dict) else None
    if target is _parse_date:
        return dict(_quick_date())
    if target is _parse_flag:
        return dict(core_schema.bool_schema(strict=True))
    enum = getattr(target, "zh_enum", None)
    if enum is not None:
        quick = dict(core_schema.enum_schema(enum, list(enum.__members__.values()), sub_type="str"))
        if "serialization" in schema:
            quick["serialization"] = schema["serialization"]
        return quick
    return None


def _rewrite(node: Any) -> Any:
    if isinstance(node, dict):
        quick = _quick(node)
        if quick is not None:
            return quick
        return {key: _rewrite(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_rewrite(item) for item in node]
    if isinstance(node, tuple):
        return tuple(_rewrite(item) for item in node)
    return node


def fast_schema(model: type[BaseModel]) -> core_schema.CoreSchema:
    """``model``'s core schema with the hot Python validators replaced by pydantic-core's."""
    rewritten: core_schema.CoreSchema = _rewrite(model.__pydantic_core_schema__)
    return rewritten


#: Records a model validates with its exact validator before it builds the quick one.
QUICK_AFTER = 16


class FastFirstValidator:
    """A model's validator that tries the quick schema (:func:`fast_schema`, built on first
    use) and falls back to the exact one; anything else is the exact validator's."""

    def __init__(self, model: type[BaseModel], exact: SchemaValidator) -> None:
        self._model = model
        self._exact = exact
        self._fast: SchemaValidator | None = None
        self._calls = 0
        self._lock = threading.Lock()

    def _quick(self) -> SchemaValidator:
        fast = self._fast
        if fast is None:
            with self._lock:
                fast = self._fast
                if fast is None:
                    try:
                        fast = SchemaValidator(fast_schema(self._model))
                    except Exception:  # a pydantic-core that cannot build it: the exact one
                        fast = self._exact
                    self._fast = fast
        return fast

    def _either(self, method: str, data: Any, kwargs: dict[str, Any]) -> Any:
        if self._fast is None and self._calls < QUICK_AFTER:
            # A few records (one from the command line): building the quick schema would
            # cost more than it saves.
            self._calls += 1
            return getattr(self._exact, method)(data, **kwargs)
        quick: Callable[..., Any] = getattr(self._quick(), method)
        try:
            return quick(data, **kwargs)
        except ValidationError:
            return getattr(self._exact, method)(data, **kwargs)

    def validate_python(self, data: Any, **kwargs: Any) -> Any:
        return self._either("validate_python", data, kwargs)

    def validate_json(self, data: Any, **kwargs: Any) -> Any:
        return self._either("validate_json", data, kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._exact, name)

    def __repr__(self) -> str:
        return f"FastFirstValidator({self._model.__name__})"


def install(model: type[BaseModel]) -> None:
    """Validate ``model`` the quick way first (see the module's documentation).

    A record model calls this for itself once pydantic has built it
    (``FactModel.__pydantic_on_complete__``), so every built record model validates this
    way; a nested model's validator is then never one of pydantic-core's own, which a parent
    built later would otherwise take as it is, exact validators and all."""
    exact = model.__pydantic_validator__
    if isinstance(exact, FastFirstValidator) or not isinstance(exact, SchemaValidator):
        return  # installed already, or not built yet (it installs itself when built)
    if _nesting_works():  # (else this pydantic-core needs its own validators there)
        model.__pydantic_validator__ = FastFirstValidator(model, exact)  # type: ignore[assignment]


@functools.cache
def _nesting_works() -> bool:
    """Whether pydantic-core builds a schema holding a model whose validator is ours (some
    versions take a nested model's validator as it is, and refuse another)."""

    class Probe(BaseModel):
        value: int

    exact = Probe.__pydantic_validator__
    assert isinstance(exact, SchemaValidator)
    Probe.__pydantic_validator__ = FastFirstValidator(Probe, exact)  # type: ignore[assignment]
    try:
        SchemaValidator(core_schema.list_schema(Probe.__pydantic_core_schema__))
    except Exception:
        return False
    return True


def subclasses(base: type[BaseModel]) -> list[type[BaseModel]]:
    """Every subclass of ``base`` defined so far, depth first."""
    found: list[type[BaseModel]] = []
    for cls in base.__subclasses__():
        found.append(cls)
        found.extend(subclasses(cls))
    return list(dict.fromkeys(found))
