"""Record files and folders named on the command line, read for a command."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from titlerules.cli.output import error_text
from titlerules.errors import InputFileError, Location, TitleRulesError

if TYPE_CHECKING:
    from titlerules.facts import RecordResult


def no_records(name: str) -> InputFileError:
    """The error for a folder that holds no record file: never a silent success."""
    return InputFileError(
        "no record file in the folder",
        location=Location(file=name),
        hint="records are .yaml, .yml, .json or .csv files; check the folder's name",
    )


def record_error_text(result: RecordResult, error: TitleRulesError, *, redact: bool) -> str:
    """A record's error in the one format, naming the record (file and record path) first
    when the error's own place is elsewhere (a rule's, for an evaluation error)."""
    from titlerules.redact import redact_error_text

    prefix = "titlerules: error: "
    text = error_text(error, redact=redact)
    where = f"{result.file}: {result.record_path}" if result.record_path else result.file
    own = error.location.file if error.location is not None else None
    if where and own != result.file:
        shown = redact_error_text(where) if redact else where
        text = f"{prefix}{shown}: {text[len(prefix) :]}"
    return text


def load_reported(names: list[str], *, redact: bool = False) -> list[RecordResult]:
    """Every record of the files and folders named, in order; each unreadable one (and each
    folder without a record file) reported on standard error and kept as an error result."""
    from titlerules.facts import RecordResult, load_batch

    results: list[RecordResult] = []
    for name in names:
        found = load_batch(Path(name))
        if not found:
            found = [RecordResult(name, "", error=no_records(name))]
        for result in found:
            if result.error is not None:
                print(record_error_text(result, result.error, redact=redact), file=sys.stderr)
        results.extend(found)
    return results
