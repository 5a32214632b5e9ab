"""The user's cache folder (base layer): checked files, and the compiled code of dataclasses.

* :func:`cache_dir`: ``TITLERULES_CACHE_DIR``, else ``$XDG_CACHE_HOME/titlerules`` (or
  ``~/.cache/titlerules``); none with ``TITLERULES_CACHE=off``.  Its files are unpickled or
  unmarshalled, so a folder others can write to (:func:`private`) is never read or written.
* :func:`write_checked` / :func:`read_checked`: a file written whole through a renamed
  temporary file, after a line with the sha256 of its bytes; a damaged file reads as
  nothing and is removed.
* :func:`install_dataclass_code`: the methods :mod:`dataclasses` generates for titlerules'
  own classes (``__init__``, ``__eq__``, ``__repr__``... of some 150 classes, each compiled
  from source text when its module is imported) are compiled once and kept here, by their
  source text and the Python that compiled them.  ``dataclasses`` runs the same code either
  way: ``exec`` of a text and of that text compiled are one thing.  The policies' own cache
  is :mod:`titlerules.engine.policy`'s.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import CodeType
from typing import Any

__all__ = [
    "MAGIC",
    "cache_dir",
    "discard",
    "install_dataclass_code",
    "private",
    "read_checked",
    "write_checked",
]

MAGIC = b"titlerules cache entry\n"


def cache_dir() -> Path | None:
    """The cache folder (None when the cache is off)."""
    if os.environ.get("TITLERULES_CACHE", "").lower() in ("0", "off", "no", "false"):
        return None
    configured = os.environ.get("TITLERULES_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "titlerules"


def private(directory: Path) -> bool:
    """Whether only its owner can write to the cache folder: entries are unpickled, so a folder
    others can write to is never read from or written to."""
    import stat

    try:
        info = directory.stat()
    except OSError:
        return False
    owned = not hasattr(os, "getuid") or info.st_uid == os.getuid()
    return owned and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def write_checked(file: Path, payload: bytes) -> None:
    """Write ``payload`` after a line with its sha256, through a temporary file renamed into
    place (a reader sees the old file or the new one, whole)."""
    import hashlib
    import threading

    checksum = hashlib.sha256(payload).hexdigest().encode("ascii")
    partial = file.with_name(f"{file.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        partial.write_bytes(MAGIC + checksum + b"\n" + payload)
        os.replace(partial, file)
    finally:
        partial.unlink(missing_ok=True)


def read_checked(file: Path) -> bytes | None:
    """The payload of a file :func:`write_checked` wrote, if its bytes are those written
    (None otherwise: a damaged file is removed, to be written again by the next load)."""
    import hashlib

    try:
        data = file.read_bytes()
    except OSError:
        return None
    start = len(MAGIC) + 65  # the line with the checksum: 64 hex digits and a newline
    payload = data[start:]
    checksum = hashlib.sha256(payload).hexdigest().encode("ascii") + b"\n"
    if data[: len(MAGIC)] == MAGIC and data[len(MAGIC) : start] == checksum:
        return payload
    discard(file)
    return None


def discard(file: Path) -> None:
    try:
        file.unlink(missing_ok=True)
    except OSError:
        pass  # a file that cannot be removed is checked, and refused, again next time


# ---------------------------------------------------------------- dataclasses' generated code


class DataclassCode:
    """The compiled code of the methods ``dataclasses`` generates for titlerules' classes, a
    file per module: read when the module defines its first class, what is compiled anew
    written back at exit."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self.known: dict[str, dict[str, CodeType]] = {}  # by module, read on first use
        self.new: dict[str, dict[str, CodeType]] = {}
        self.used: dict[str, set[str]] = {}  # the texts this process ran, by module
        self.compiled = 0  # texts compiled by this process (the tests read it)

    def file(self, module: str) -> Path | None:
        if self.directory is None:
            return None
        # Code objects are for the Python that compiled them (as .pyc files are).
        python = f"{sys.implementation.cache_tag}-{sys.hexversion:x}"
        return self.directory / f"dataclass-code-{python}-{module}.marshal"

    def code(self, module: str, source: str) -> CodeType:
        known = self.known.get(module)
        if known is None:
            known = self.known[module] = self._read(module)
        self.used.setdefault(module, set()).add(source)
        code = known.get(source)
        if code is None:
            # The file name exec gives a text: the functions are the ones exec makes.
            code = compile(source, "<string>", "exec")
            self.compiled += 1
            if not self.new and self.directory is not None:
                import atexit

                atexit.register(self.save)
            known[source] = self.new.setdefault(module, {})[source] = code
        return code

    def _read(self, module: str) -> dict[str, CodeType]:
        import marshal

        file = self.file(module)
        if file is None or not private(file.parent):
            return {}
        payload = read_checked(file)
        if payload is None:
            return {}
        try:
            kept = marshal.loads(payload)
        except (ValueError, EOFError, TypeError):
            discard(file)
            return {}
        if not isinstance(kept, dict) or not all(
            type(key) is str and type(value) is CodeType for key, value in kept.items()
        ):
            discard(file)
            return {}
        return kept

    def save(self) -> None:
        """Write the code of each module that needed new code: the code of the texts this
        process ran (importing a module defines its classes: a text no longer run, of an
        older version of the module, is left out)."""
        import marshal

        if self.directory is None or not self.new:
            return
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not private(self.directory):
                return
            for module in self.new:
                file = self.file(module)
                assert file is not None
                known = self.known[module]
                used = {source: known[source] for source in sorted(self.used[module])}
                write_checked(file, marshal.dumps(used))
            self.new = {}
        except (OSError, ValueError):
            pass  # a read-only or full disk only costs the next start its speed


_DATACLASS_CODE: DataclassCode | None = None


def dataclass_code() -> DataclassCode | None:
    """The code cache :func:`install_dataclass_code` installed (None if it did not)."""
    return _DATACLASS_CODE


def install_dataclass_code() -> None:
    """Have ``dataclasses`` take the compiled code of the methods it generates for titlerules'
    classes from the cache folder (the text it would ``exec`` is the key).  Nothing changes
    for other modules' dataclasses, nor when the cache is off or ``dataclasses`` makes its
    methods in another way."""
    global _DATACLASS_CODE
    import builtins
    import dataclasses

    if _DATACLASS_CODE is not None or "exec" in vars(dataclasses):
        return
    directory = cache_dir()
    if directory is None:
        return
    cache = DataclassCode(directory)
    run = builtins.exec

    def exec(source: Any, globals: Any = None, locals: Any = None, /, **options: Any) -> None:
        """builtins.exec, with the compiled code of a titlerules class's methods kept."""
        if type(source) is str and type(globals) is dict:
            module = globals.get("__name__")
            if type(module) is str and module.startswith("titlerules."):
                source = cache.code(module, source)
        run(source, globals, locals, **options)

    _DATACLASS_CODE = cache
    # dataclasses calls exec by its global name: this module-level name comes before the
    # built-in one.
    dataclasses.exec = exec  # type: ignore[attr-defined]
