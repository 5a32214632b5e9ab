"""Arguments of the public API checked against their annotations (bottom layer).

A public function decorated with :func:`checked` refuses an argument of the wrong type with
:class:`~titlerules.errors.ArgumentTypeError` (TR001, also a ``TypeError``) naming the
function, the argument and the types it takes, before the function runs: ``load_policy(5)``
says ``load_policy(): argument 'id_or_path': must be str or Path, not int`` instead of
failing somewhere inside with a plain ``TypeError`` or ``AttributeError``.  A path argument
(annotated ``Path``, alone or with ``str``) holding a NUL character, which no file name can
hold, is refused the same way.

The annotations are the specification: ``X | None``, unions, ``Literal``, ``Any``, classes,
and generic containers (``Iterable[...]``, ``Mapping[...]``, ``tuple[...]``: the container is
checked, its elements are left to the function, which names the element).  ``float`` takes
an ``int``; ``Path`` takes any ``os.PathLike``; an annotation that cannot be resolved (a name
imported for type checkers only) is looked up in the names given to the decorator, and a
parameter named there takes that type instead of its annotation (``Any`` written for an
optional package's class, e.g. a ``polars.DataFrame``).  The checks are compiled once, at
the first call.
"""

from __future__ import annotations

import collections.abc
import functools
import inspect
import os
import types
import typing
from collections.abc import Callable
from pathlib import PurePath
from typing import Any, TypeVar

from titlerules.errors import ArgumentTypeError, Location

__all__ = ["checked"]

F = TypeVar("F", bound=Callable[..., Any])

_Check = Callable[[object], bool]


@typing.overload
def checked(func: F, /) -> F: ...


@typing.overload
def checked(**names: Any) -> Callable[[F], F]: ...


def checked(func: F | None = None, /, **names: Any) -> F | Callable[[F], F]:
    """Decorate a public function (or method) so its arguments are checked against its
    annotations.  ``names`` (each a value, or a function returning it, called at the first
    call) resolves annotations naming things imported for type checkers only; one named
    after a parameter is that parameter's type (a class or a tuple of classes)."""

    def decorate(target: F) -> F:
        checks: list[tuple[str, int | None, _Check, str, bool]] | None = None
        qualname = target.__qualname__

        @functools.wraps(target)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            nonlocal checks
            if checks is None:
                checks = _compile(target, names)
            for name, position, check, expected, path_like in checks:
                if position is not None and position < len(args):
                    value = args[position]
                elif name in kwargs:
                    value = kwargs[name]
                else:
                    continue  # the default, or a missing argument Python itself reports
                if not check(value):
                    raise ArgumentTypeError(
                        f"must be {expected}, not {_type_name(value)}",
                        location=Location(record_path=f"{qualname}(): argument '{name}'"),
                        hint=f"see help({target.__module__}.{qualname})",
                    )
                if path_like and _has_nul(value):
                    raise ArgumentTypeError(
                        "holds a NUL character (\\0), which no file name can hold",
                        location=Location(record_path=f"{qualname}(): argument '{name}'"),
                        hint="check where the path came from; remove the \\0",
                    )
            return target(*args, **kwargs)

        return typing.cast(F, wrapper)

    return decorate if func is None else decorate(func)


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\0" in value
    if isinstance(value, os.PathLike):
        text = os.fspath(value)
        return "\0" in text if isinstance(text, str) else b"\0" in text
    return False


def _type_name(value: object) -> str:
    return "None" if value is None else type(value).__name__


def _compile(
    func: Callable[..., Any], names: dict[str, Any]
) -> list[tuple[str, int | None, _Check, str, bool]]:
    namespace = dict(getattr(func, "__globals__", {}))
    for key, value in names.items():
        namespace[key] = value() if callable(value) and not isinstance(value, type) else value
    signature = inspect.signature(func)
    given = {key: namespace[key] for key in names if key in signature.parameters}
    result: list[tuple[str, int | None, _Check, str, bool]] = []
    for index, parameter in enumerate(signature.parameters.values()):
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        annotation = parameter.annotation
        if parameter.name in given:
            kinds = given[parameter.name]
            kinds = kinds if isinstance(kinds, tuple) else (kinds,)
            annotation = typing.Union[kinds]  # noqa: UP007 (built from a tuple)
        if annotation is inspect.Parameter.empty:
            continue
        if isinstance(annotation, str):
            annotation = eval(annotation, namespace)  # the function's own annotation text
        check, expected, path_like = _check_for(annotation)
        if parameter.default is None and not check(None):  # `x: T = None` takes None too
            check = _either(check, _is_none)
        position = None if parameter.kind == parameter.KEYWORD_ONLY else index
        result.append((parameter.name, position, check, expected, path_like))
    return result


def _is_none(value: object) -> bool:
    return value is None


def _either(*checks: _Check) -> _Check:
    return lambda value: any(check(value) for check in checks)


def _anything(value: object) -> bool:
    return True


_ABSTRACT: dict[object, type] = {
    collections.abc.Iterable: collections.abc.Iterable,
    collections.abc.Iterator: collections.abc.Iterator,
    collections.abc.Sequence: collections.abc.Sequence,
    collections.abc.Mapping: collections.abc.Mapping,
    collections.abc.Callable: collections.abc.Callable,  # type: ignore[dict-item]
}


def _check_for(annotation: Any) -> tuple[_Check, str, bool]:
    """(check, the expected types in words, whether the argument is a path)."""
    if annotation is Any or annotation is object or isinstance(annotation, TypeVar):
        return _anything, "anything", False
    if annotation is None or annotation is type(None):
        return _is_none, "None", False
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        parts = [_check_for(arg) for arg in typing.get_args(annotation)]
        checks = [part[0] for part in parts]
        words = " or ".join(dict.fromkeys(part[1] for part in parts))
        return _either(*checks), words, any(part[2] for part in parts)
    if origin is typing.Literal:
        allowed = typing.get_args(annotation)
        return (lambda value: value in allowed), " or ".join(map(repr, allowed)), False
    if origin is not None:  # list[int], Iterable[str], tuple[date, date]: the container
        return _check_for(origin)[0], getattr(origin, "__name__", str(origin)), False
    if annotation is float:
        return (
            (lambda value: isinstance(value, (int, float)) and not isinstance(value, bool)),
            "float",
            False,
        )
    if annotation is int:
        return (lambda value: isinstance(value, int) and not isinstance(value, bool)), "int", False
    if isinstance(annotation, type) and issubclass(annotation, PurePath):
        return (lambda value: isinstance(value, (PurePath, os.PathLike))), "Path", True
    if annotation is str:  # a text; a path only where the annotation names Path too
        return (lambda value: isinstance(value, str)), "str", False
    if isinstance(annotation, type):
        target = _ABSTRACT.get(annotation, annotation)
        return (lambda value: isinstance(value, target)), annotation.__name__, False
    return _anything, "anything", False
