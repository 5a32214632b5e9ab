"""Reading a file or a line with a limit counted while reading (bottom layer).

A size checked with ``stat()`` first says nothing about ``/dev/zero``, a pipe or a file
growing while it is read (they report 0 bytes, or fewer than follow), so every input is
read through these helpers: never more than the limit and one byte is taken in, and more
than the limit is an :class:`InputFileError` (TR002) naming the file (and the line).
"""

from __future__ import annotations

import os
from typing import BinaryIO

from titlerules.errors import InputFileError, Location

#: The longest cell of a CSV table, in characters (a name, a date, a list of a person's
#: titles as JSON).  Python's csv module has a process-wide limit of its own (131,072 by
#: default); titlerules reads CSV one line at a time (:mod:`titlerules.csvlines`) and
#: applies this bound to every cell, quoted or not, whatever that limit is set to.
MAX_CELL_CHARS = 1_000_000


def read_at_most(
    path: str | os.PathLike[str], limit: int, *, what: str = "file", hint: str | None = None
) -> bytes:
    """The bytes of ``path``, refusing a file longer than ``limit`` bytes.

    ``OSError`` (no such file, a folder, no permission) is left to the caller, which knows
    how to word it for its kind of file."""
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise InputFileError(
            f"{what} is larger than {limit:,} bytes",
            location=Location(file=os.fspath(path)),
            hint=hint or "check the path (a device or a pipe has no end); split a large file",
        )
    return data


def read_line_at_most(
    handle: BinaryIO, limit: int, *, file: str, line: int, what: str = "line"
) -> bytes:
    """The next line of ``handle`` (``b""`` at the end), refusing one longer than ``limit``
    bytes; ``line`` is its number, for the error."""
    data = handle.readline(limit + 1)
    if len(data) > limit:
        raise InputFileError(
            f"{what} {line} is longer than {limit:,} bytes",
            location=Location(file=file, line=line),
            hint="one line holds one record: check that the file is the one meant",
        )
    return data
