"""One reader for every file of user input (bottom layer): policies, records, decision logs,
calendar override files and test cases.

Each kind of file used to be read by a near-copy of the same code (open, bound, decode,
parse, turn each failure into an error), and the copies drifted: one forgot the bound, one
the duplicate keys, one the lone surrogates.  Now they all read through these functions:

* :func:`read_text` — the file's text: read with a limit counted while reading
  (:mod:`titlerules.boundedread`), UTF-8 (a byte-order mark dropped), and every failure an
  :class:`~titlerules.errors.InputFileError` (TR002) naming the file: no such file, a folder,
  no permission, a path holding a NUL character, not UTF-8 (the byte), too large;
* :func:`parse_yaml` — YAML with a loader derived from
  :class:`~titlerules.uniquekeys.UniqueKeyLoader` (the safe loader; a key given twice and
  alias bombs refused), its errors placed at ``file:line:column``;
* :func:`parse_json` — JSON through :func:`~titlerules.uniquekeys.loads_json` (a key given
  twice, a number too long, nesting too deep, a lone surrogate refused), placed likewise;
* :func:`read_data` — the two together, YAML or JSON by the file's suffix.

In both YAML and JSON a ``\\uD800``-style escape naming half of a surrogate pair is refused:
it is no character, and text holding it could never be written out again as UTF-8.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from typing import Any

import yaml

from titlerules.boundedread import read_at_most
from titlerules.errors import InputFileError, Location, TitleRulesError
from titlerules.uniquekeys import (
    MAX_INT_DIGITS,
    DuplicateJSONKeyError,
    DuplicateKeyError,
    JSONContentError,
    NumberTooLongError,
    UniqueKeyLoader,
    duplicate_key_error,
    loads_json,
    refuse_surrogates,
)

__all__ = [
    "check_yaml_text",
    "json_error",
    "parse_json",
    "parse_yaml",
    "read_data",
    "read_text",
    "yaml_error",
]

#: YAML escapes that may name half of a surrogate pair (``\uD800``, ``\U0000DC00``).
_YAML_SURROGATE = re.compile(r"\\(?:u|U0000)[dD][89a-fA-F]")


def read_text(
    path: str | os.PathLike[str],
    limit: int,
    *,
    what: str = "file",
    hint: str | None = None,
    too_large: Callable[[], TitleRulesError] | None = None,
    missing_hint: str | None = "check the path",
) -> str:
    """The text of ``path`` (UTF-8, a leading byte-order mark dropped, line ends kept),
    refusing more than ``limit`` bytes (``too_large`` makes that error, when the kind of
    file has its own code); ``hint`` goes with a file too large."""
    file = os.fspath(path)
    where = Location(file=file)
    if "\0" in file:
        raise InputFileError(
            f"the {what} path holds a NUL character (\\0)",
            location=Location(file=file.replace("\0", "\\0")),
            hint="no file name holds a NUL; check where the path came from",
        )
    try:
        data = read_at_most(path, limit, what=what, hint=hint)
    except InputFileError:
        if too_large is not None:
            raise too_large() from None
        raise
    except FileNotFoundError:
        raise InputFileError("no such file", location=where, hint=missing_hint) from None
    except IsADirectoryError:
        raise InputFileError(
            f"is a folder, not a {what}", location=where, hint=missing_hint
        ) from None
    except OSError as exc:
        raise InputFileError(
            f"cannot read: {exc.strerror or exc}",
            location=where,
            hint="check that the file exists and is readable",
        ) from None
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputFileError(
            f"not valid UTF-8 (byte {exc.start})",
            location=Location(file=file, line=line),
            hint="save the file as UTF-8 (not GBK/GB18030)",
        ) from None


def parse_yaml(
    text: str,
    *,
    file: str | None,
    loader: type[UniqueKeyLoader] = UniqueKeyLoader,
    label: str = "invalid YAML",
    hint: str | None = None,
) -> Any:
    """The YAML document in ``text`` (read with ``loader``, a safe loader refusing keys
    given twice and alias bombs); every failure an InputFileError at its place."""
    try:
        data = yaml.load(text, Loader=loader)  # a SafeLoader subclass: safe
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        raise yaml_error(exc, file, label=label, hint=hint) from None
    check_yaml_text(text, data, file, label=label)
    return data


def check_yaml_text(text: str, data: Any, file: str | None, *, label: str) -> None:
    """Refuse YAML data holding half of a surrogate pair (only a ``\\u`` escape in the text
    can write one), which is no character."""
    if _YAML_SURROGATE.search(text):
        try:
            refuse_surrogates(data)
        except JSONContentError as exc:
            raise InputFileError(
                f"{label}: {exc}",
                location=Location(file=file),
                hint="a \\uD800-style escape needs its pair; save the text as UTF-8",
            ) from None


def yaml_error(
    exc: BaseException, file: str | None, *, label: str = "invalid YAML", hint: str | None = None
) -> InputFileError:
    """The error for a YAML reader's failure: a key given twice (both places), a marked
    problem (its place), nesting too deep, or a value no constructor takes."""
    if isinstance(exc, DuplicateKeyError):
        return duplicate_key_error(exc, file)
    if isinstance(exc, RecursionError):
        return InputFileError(
            f"{label}: nested too deeply",
            location=Location(file=file),
            hint="check the brackets: a file of titlerules nests a few levels",
        )
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or str(exc)
    return InputFileError(
        f"{label}: {problem}",
        location=Location(
            file=file,
            line=None if mark is None else mark.line + 1,
            column=None if mark is None else mark.column + 1,
        ),
        hint=hint or "check the indentation and that every 'key: value' has a space after ':'",
    )


def parse_json(
    text: str,
    *,
    file: str | None,
    first_line: int | None = None,
    label: str = "invalid JSON",
    hint: str | None = None,
) -> Any:
    """The JSON value in ``text`` (``first_line``: its line in ``file`` when it is one line
    of it, a JSON Lines row); every failure an InputFileError at its place."""
    try:
        return loads_json(text)
    except ValueError as exc:
        raise json_error(exc, text, file, first_line=first_line, label=label, hint=hint) from None


def json_object_or_none(text: bytes | bytearray | str) -> dict[str, Any] | None:
    """The JSON object in UTF-8 ``text`` when it is plainly one: standard JSON (no NaN or
    Infinity), each key given once; else None (read it with :func:`parse_json`, which says
    what is wrong).  Quicker than :func:`parse_json` for many small texts (JSON Lines rows)."""
    try:
        if not isinstance(text, str):
            text = bytes(text).decode("utf-8")
        data = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        return None
    # Each key given once: as many key ends as keys read (json_key_ends).
    if type(data) is not dict or json_key_ends(text) != _keys(data):
        return None
    return data


def json_key_ends(text: bytes | bytearray | str) -> int:
    """How many key ends JSON text holds: every key of an object has one (its closing quote,
    blanks, the colon); a text can hold more (an escaped quote before a colon).  Fewer keys
    read than key ends: a key given twice (read once, the last value winning), or such a
    text."""
    if isinstance(text, str):
        return len(_KEY_END_TEXT.findall(text))
    return len(_KEY_END.findall(text))


_KEY_END_TEXT = re.compile(r'"\s*:', re.ASCII)  # (JSON's blanks, as in bytes)
_KEY_END = re.compile(rb'"\s*:')


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _keys(value: Any) -> int:
    """The keys of the objects in a JSON value."""
    if type(value) is dict:
        return len(value) + sum(_keys(v) for v in value.values() if type(v) in (dict, list))
    if type(value) is list:
        return sum(_keys(v) for v in value if type(v) in (dict, list))
    return 0


def json_error(
    exc: ValueError,
    text: str,
    file: str | None,
    *,
    first_line: int | None = None,
    label: str = "invalid JSON",
    hint: str | None = None,
) -> InputFileError:
    """The error for :func:`~titlerules.uniquekeys.loads_json`'s ValueError on ``text``."""
    offset = (first_line or 1) - 1
    if isinstance(exc, DuplicateJSONKeyError):
        return duplicate_key_error(exc, file, text, first_line=first_line)
    if isinstance(exc, json.JSONDecodeError):
        return InputFileError(
            f"{label}: {exc.msg}",
            location=Location(file=file, line=exc.lineno + offset, column=exc.colno),
            hint=hint or "check the brackets, quotes and commas near that place",
        )
    if isinstance(exc, NumberTooLongError):
        at = text.find(exc.digits)
        return InputFileError(
            f"{label}: {exc} (at most {MAX_INT_DIGITS:,})",
            location=Location(
                file=file,
                line=text.count("\n", 0, at) + 1 + offset,
                column=at - text.rfind("\n", 0, at),
            ),
            hint="no number in a file of titlerules is that long; check the value",
        )
    return InputFileError(
        f"{label}: {exc}",
        location=Location(file=file, line=first_line),
        hint=hint or "check the brackets and the \\u escapes (a surrogate needs its pair)",
    )


def read_data(
    path: str | os.PathLike[str],
    limit: int,
    *,
    what: str = "file",
    loader: type[UniqueKeyLoader] = UniqueKeyLoader,
    hint: str | None = None,
) -> tuple[str, Any]:
    """The text of a YAML or JSON file (JSON by the suffix ``.json``) and its data."""
    text = read_text(path, limit, what=what)
    file = os.fspath(path)
    if file.lower().endswith(".json"):
        return text, parse_json(text, file=file, hint=hint)
    return text, parse_yaml(text, file=file, loader=loader, hint=hint)
