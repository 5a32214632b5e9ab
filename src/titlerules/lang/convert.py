"""Language layer: read a policy file in any spelling, write it in any spelling.

A policy file is DSL (``.policy``), YAML (``.yaml``/``.yml``) or JSON (``.json``); all three
spell the same IR, so converting between them loses nothing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal, get_args

from titlerules.errors import InputFileError, Location, PolicyError, UsageError
from titlerules.lang import ir
from titlerules.lang.printer import format_policy
from titlerules.lang.yaml_io import dump_json, dump_yaml, load_json, load_yaml
from titlerules.readers import read_text

Spelling = Literal["dsl", "yaml", "json"]
SPELLINGS: tuple[Spelling, ...] = get_args(Spelling)

SPELLING_OF_SUFFIX: dict[str, Spelling] = {
    ".policy": "dsl",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".json": "json",
}
#: Largest policy file read, in bytes (the parser also limits the text to MAX_SOURCE_CHARS).
MAX_SOURCE_BYTES = 8_000_000


def spelling_of(path: str | os.PathLike[str]) -> Spelling:
    """The spelling a file name's extension stands for."""
    suffix = Path(path).suffix.lower()
    spelling = SPELLING_OF_SUFFIX.get(suffix)
    if spelling is None:
        raise InputFileError(
            f"cannot tell the policy format from the extension {suffix or '(none)'!r}",
            location=Location(file=str(path)),
            hint="name the file *.policy, *.yaml, *.yml or *.json",
        )
    return spelling


def read_policy_text(path: str | os.PathLike[str]) -> str:
    """A policy file's text: UTF-8 (a leading byte-order mark is dropped), line ends kept.
    The one reader of policy files: the loader's (imports, ``extends``) and the formatter's."""
    return read_text(
        path,
        MAX_SOURCE_BYTES,
        what="policy file",
        missing_hint="check the path, or run 'titlerules policies' for the bundled ids",
        too_large=lambda: PolicyError(
            f"policy file is too large (more than {MAX_SOURCE_BYTES} bytes)",
            location=Location(file=str(path)),
            hint="split it into modules under policies/common/ and import them",
            code="TR303",
        ),
    )


def load_text(text: str, spelling: Spelling, path: str | None = None) -> ir.PolicyFile:
    """Parse policy text in the given spelling."""
    if spelling == "dsl":
        from titlerules.lang.parser import parse  # the grammar loads when first parsed

        return parse(text, path)
    if spelling == "yaml":
        return load_yaml(text, path)
    return load_json(text, path)


def load_policy_file(path: str | os.PathLike[str]) -> ir.PolicyFile:
    """Read and parse a policy file, choosing the spelling by its extension."""
    spelling = spelling_of(path)
    return load_text(read_policy_text(path), spelling, str(path))


def dump(pf: ir.PolicyFile, to: str) -> str:
    """The policy in the spelling ``to``: ``dsl`` (canonical), ``yaml`` or ``json``."""
    if to == "dsl":
        return format_policy(pf)
    if to == "yaml":
        return dump_yaml(pf)
    if to == "json":
        return dump_json(pf)
    raise UsageError(f"unknown format {to!r}", hint=f"use one of: {', '.join(SPELLINGS)}")
