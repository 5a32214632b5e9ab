"""How every command reports an error or a warning: one place, one format.

* On standard error, always: ``titlerules: error: <where>: <message> [TRnnn]``, then the
  excerpt with a caret when the error has one, then ``  hint: ...`` on its own line.
  Warnings read ``titlerules: warning: ...`` the same way.
* On standard output, only when the command was given ``--json`` (or ``--jsonl``): the
  object ``{"error": {"code", "message", "location": {"file", "line", "column",
  "record_path"}, "hint"}}``, so a program reading the output always gets JSON.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from titlerules.errors import TitleRulesError

# A diagnostic rendered compiler-style: ``file:line:col: error: message [TRnnn]``.
_RENDERED_HEAD = re.compile(r"^(?P<where>.*?): error: (?P<rest>.*)$")


def with_code(exc: TitleRulesError) -> str:
    """The error's text with its code (catalogued in docs/errors.md) on the first line."""
    text = str(exc)
    first, newline, rest = text.partition("\n")
    if f"[{exc.code}]" not in first:
        first = f"{first} [{exc.code}]"
    return f"{first}{newline}{rest}"


#: Characters other than "\n" that end a line for ``str.splitlines`` (and for a reader of the
#: terminal): a name echoed in a message shows them escaped, so one error stays one head line.
_LINE_BREAKS = {ord(c): repr(c)[1:-1] for c in "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"}


def error_text(exc: TitleRulesError, *, redact: bool = False) -> str:
    """The error as printed on standard error: ``titlerules: error: ... [TRnnn]``, its
    excerpt (if any) and its hint on the lines below."""
    text = with_code(exc).translate(_LINE_BREAKS)
    first, newline, rest = text.partition("\n")
    head = _RENDERED_HEAD.match(first)
    if head is not None:  # ``file:3:4: error: msg`` reads ``file:3:4: msg`` after the prefix
        first = f"{head.group('where')}: {head.group('rest')}"
    text = f"titlerules: error: {first}{newline}{rest}"
    return _redacted(text) if redact else text


def error_json(exc: TitleRulesError, *, redact: bool = False) -> dict[str, Any]:
    """The error as a JSON object: ``{"code", "message", "location", "hint"}``."""
    location = exc.location
    where: dict[str, Any] | None = None
    if location is not None:
        where = {
            "file": location.file,
            "line": location.line,
            "column": location.column,
            "record_path": location.record_path,
        }
    payload: dict[str, Any] = {
        "code": exc.code,
        "message": exc.message,
        "location": where,
        "hint": exc.hint,
    }
    diagnostics = getattr(exc, "diagnostics", ())
    if diagnostics:  # a policy's errors: each with its own place
        payload["diagnostics"] = [diagnostic_json(d) for d in diagnostics]
    if redact:  # an error may name the file or echo a value: every text masked
        payload = _redact_strings(payload)
    return payload


def diagnostic_json(d: Any) -> dict[str, Any]:
    """A policy diagnostic (lint finding) as JSON."""
    return {
        "file": d.file,
        "line": d.span.line,
        "column": d.span.column,
        "level": d.level,
        "code": d.code,
        "message": d.message,
        "hint": d.hint,
    }


def report_error(
    exc: TitleRulesError, *, json_output: bool = False, redact: bool = False, lines: bool = False
) -> None:
    """Report an error that stops a command: the text on standard error and, with
    ``json_output``, the ``{"error": ...}`` object on standard output (on one line when the
    output is JSON Lines, ``lines``)."""
    print(error_text(exc, redact=redact), file=sys.stderr)
    if json_output:
        print_json({"error": error_json(exc, redact=redact)}, lines=lines)


def report_internal(exc: BaseException, *, json_output: bool = False, lines: bool = False) -> None:
    """A bug in titlerules: one line, never a traceback (unless ``--debug``)."""
    detail = next(iter(str(exc).splitlines()), "")
    message = f"internal error ({type(exc).__name__}: {detail})"
    hint = "rerun with --debug for the traceback and report it"
    print(f"titlerules: {message}; {hint}", file=sys.stderr)
    if json_output:
        error = {"code": None, "message": message, "location": None, "hint": hint}
        print_json({"error": error}, lines=lines)


def warn(message: str, *, hint: str | None = None) -> None:
    """A warning on standard error: the command goes on."""
    text = f"titlerules: warning: {message}"
    if hint:
        text += f"\n  hint: {hint}"
    print(text, file=sys.stderr)


def chart_lang(lang: str) -> str:
    """The language a ``--chart`` is labelled in: ``lang``, or English with a warning saying
    what to install when no font can draw its Chinese labels."""
    from titlerules.audit.notebook import CJK_FONT_HINT, chart_language

    used, reason = chart_language(lang)
    if reason is not None:
        warn(reason, hint=CJK_FONT_HINT)
    return used


def print_json(payload: Any, *, lines: bool = False) -> None:
    """JSON on standard output: indented, or on one line for JSON Lines."""
    print(json.dumps(payload, ensure_ascii=False, indent=None if lines else 2))


def _redact_strings(value: Any) -> Any:
    if isinstance(value, str):
        return _redacted(value)
    if isinstance(value, dict):
        return {key: _redact_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_redact_strings(item) for item in value]
    return value


def _redacted(text: str) -> str:
    from titlerules.redact import redact_error_text

    return redact_error_text(text)
