"""Output files written whole or not at all, and never over the command's own inputs.

Every file titlerules writes (results of ``check --out``, ``doc -o``, ``convert -o``,
``fmt --write``, ``plan --ics``, charts) goes through :class:`AtomicOutput`: the bytes go to
a temporary file in the target's folder (so the final rename stays on one file system, where
it is atomic) that is renamed over the target only once everything was written.  A failure
part-way (an unreadable row, a full disk, an interrupt) leaves the target as it was (absent,
or its previous content), never a truncated or empty file.  The temporary file is created
when the output is opened, before the work, so an unwritable folder is reported at once.

:func:`refuse_inputs` refuses an output that is one of the command's input files, compared
as files (device and inode), so a symbolic or hard link to an input is refused too.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from titlerules.errors import Location, OutputFileError

__all__ = ["AtomicOutput", "refuse_inputs", "write_atomic"]


def refuse_inputs(
    output: str | Path, inputs: Iterable[str | Path | None], *, what: str = "an input"
) -> None:
    """Raise :class:`OutputFileError` when ``output`` is the same file as one of ``inputs``
    (names that are not existing files, such as bundled policy ids, are skipped)."""
    if not os.path.exists(output):  # a file that does not exist yet is no input
        return
    for name in inputs:
        if name is None:
            continue
        try:
            same = os.path.isfile(name) and os.path.samefile(output, name)
        except (OSError, ValueError):  # unreadable or not a path at all: not the same file
            same = False
        if same:
            same_name = os.path.abspath(output) == os.path.abspath(name)
            via = "" if same_name else f" ({name}, through a link)"
            raise OutputFileError(
                f"is also {what} of this command{via}: writing it would destroy that input",
                location=Location(file=str(output)),
                hint="write the output to another file",
            )


class AtomicOutput:
    """A binary file written to a temporary file beside ``path`` and renamed over it by
    :meth:`commit`; :meth:`discard` (or leaving the ``with`` block by an exception) removes
    the temporary file and leaves ``path`` untouched."""

    def __init__(self, path: str | Path, *, inputs: Iterable[str | Path | None] = ()) -> None:
        if "\0" in str(path):
            raise OutputFileError(
                "not a file name: it holds a NUL character", location=Location(file=repr(path))
            )
        refuse_inputs(path, inputs)
        self.path = Path(path)
        # Through a symbolic link, the file it points to is replaced, not the link.
        self.target = Path(os.path.realpath(self.path))
        self.temp, self.handle = _create_beside(self.path, self.target)
        self._done = False

    def commit(self) -> Path:
        """Flush the bytes to disk and put the file in place; returns ``path``."""
        if self._done:
            return self.path
        self._done = True
        try:
            self.handle.flush()
            os.fsync(self.handle.fileno())
            self.handle.close()
            if self.target.exists():  # a rewritten file keeps its permissions
                os.chmod(self.temp, stat.S_IMODE(self.target.stat().st_mode))
            os.replace(self.temp, self.target)
        except OSError as error:
            self._remove_temp()
            raise _cannot_write(self.path, error) from None
        return self.path

    def discard(self) -> None:
        if self._done:
            return
        self._done = True
        self._remove_temp()

    def _remove_temp(self) -> None:
        try:
            self.handle.close()
        except OSError:  # a failed flush of bytes that are being thrown away
            pass
        try:
            os.unlink(self.temp)
        except FileNotFoundError:
            pass

    def __enter__(self) -> AtomicOutput:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()


def write_atomic(
    path: str | Path, data: bytes, *, inputs: Iterable[str | Path | None] = ()
) -> Path:
    """Write ``data`` to ``path`` whole or not at all (see :class:`AtomicOutput`)."""
    with AtomicOutput(path, inputs=inputs) as output:
        try:
            output.handle.write(data)
        except OSError as error:
            raise _cannot_write(output.path, error) from None
    return output.path


_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


def _create_beside(path: Path, target: Path) -> tuple[Path, BinaryIO]:
    if target.is_dir():
        raise OutputFileError(
            "is a folder", location=Location(file=str(path)), hint="name a file to write"
        )
    for _ in range(100):
        # Hidden, so that a folder read for records never picks up a half-written file.
        temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            # Created like any new file (0o666 less the umask), never over an existing one.
            fd = os.open(temp, _NEW_FILE, 0o666)
        except FileExistsError:
            continue
        except OSError as error:
            raise _cannot_write(path, error) from None
        return temp, os.fdopen(fd, "wb")
    raise OutputFileError(  # pragma: no cover - 100 random names all taken
        "cannot create a temporary file beside it", location=Location(file=str(path))
    )


def _cannot_write(path: Path, error: OSError) -> OutputFileError:
    if isinstance(error, FileNotFoundError):
        reason, hint = "its folder does not exist", "create the folder first, or write elsewhere"
    else:
        reason = error.strerror or type(error).__name__
        hint = "write the output to a folder you can write to"
    return OutputFileError(f"cannot write: {reason}", location=Location(file=str(path)), hint=hint)
