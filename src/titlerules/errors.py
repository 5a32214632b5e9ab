"""One exception hierarchy for titlerules (bottom layer: imported by every other layer).

Every error a user can see is a :class:`TitleRulesError`: it has a stable ``code``
(catalogued in ``docs/errors.md``), a message, an optional :class:`Location` (a file
with line/column, or a record path) and an optional hint saying what to do.
Errors are picklable, so they survive multiprocessing.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Location:
    """Where an error is: ``file:line:col`` in a text, or ``file: record.path`` in a record."""

    file: str | None = None
    line: int | None = None
    column: int | None = None
    end_line: int | None = None
    end_column: int | None = None
    record_path: str | None = None

    def __str__(self) -> str:
        parts: list[str] = []
        if self.file:
            parts.append(self.file)
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        text = ":".join(parts)
        if self.record_path:
            text = f"{text}: {self.record_path}" if text else self.record_path
        return text


class TitleRulesError(Exception):
    """Base of every error titlerules raises on purpose."""

    code = "TR000"
    #: A full rendering (e.g. compiler-style, with the source line and a caret) when the
    #: error has one; ``str()`` returns it.
    rendered: str | None = None

    def __init__(
        self,
        message: str,
        *,
        location: Location | None = None,
        hint: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.hint = hint
        if code is not None:
            self.code = code

    def __reduce__(self) -> tuple[object, ...]:
        # The instance's own attributes (a subclass's ``diagnostics``, ``rendered``) go
        # along as the state, so an error unpickled in another process says all it said.
        return (
            _rebuild,
            (type(self), self.message, self.location, self.hint, self.code, self.rendered),
            dict(self.__dict__),
        )

    def __str__(self) -> str:
        if self.rendered is not None:
            return self.rendered
        where = f"{self.location}: " if self.location is not None and str(self.location) else ""
        text = f"{where}{self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


def _rebuild(
    cls: type[TitleRulesError],
    message: str,
    location: Location | None,
    hint: str | None,
    code: str,
    rendered: str | None = None,
) -> TitleRulesError:
    error = cls(message, location=location, hint=hint, code=code)
    error.rendered = rendered
    return error


class UsageError(TitleRulesError):
    """A command or function was called the wrong way."""

    code = "TR001"


class ArgumentTypeError(UsageError, TypeError):
    """A function of the public API was given an argument of the wrong type (or a path
    holding a NUL character); its location names the function and the argument, its message
    the types it takes.  Also a ``TypeError``, as Python's own would be."""

    code = "TR001"


class InputFileError(TitleRulesError):
    """A file could not be read (missing, too large, not UTF-8, not YAML/JSON)."""

    code = "TR002"


class OutputFileError(TitleRulesError):
    """A file cannot be written: its folder is missing or not writable, or it is a file the
    same command reads (through a link too), which writing would destroy."""

    code = "TR003"


class RecordError(TitleRulesError):
    """A record (applicant, procedure, historical title record) failed validation."""

    code = "TR100"


class CalendarError(TitleRulesError):
    """A calendar question could not be answered from official data (e.g. strict mode and a
    year whose schedule is not published in the data)."""

    code = "TR200"


class PolicyError(TitleRulesError):
    """Base for errors in a policy file."""

    code = "TR300"


class PolicySyntaxError(PolicyError):
    """A policy file does not parse; ``diagnostics`` holds the error with its span."""

    code = "TR301"
    diagnostics: tuple[object, ...] = ()


class PolicyCheckError(PolicyError):
    """A policy file parses but the checker found errors; ``diagnostics`` lists them all."""

    code = "TR302"

    def __init__(
        self,
        message: str,
        *,
        location: Location | None = None,
        hint: str | None = None,
        code: str | None = None,
        diagnostics: tuple[object, ...] = (),
    ) -> None:
        super().__init__(message, location=location, hint=hint, code=code)
        self.diagnostics = diagnostics


class EvaluationError(TitleRulesError):
    """A record could not be evaluated (it is not the kind of record the policy reads)."""

    code = "TR400"


class DecisionLogError(TitleRulesError):
    """A decision log (JSON Lines) cannot be read: a line is not JSON (TR500) or not a log
    entry (TR501).  The location is ``file:line``."""

    code = "TR500"
