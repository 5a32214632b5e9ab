"""Where the bundled grammar, policies and examples are (bottom layer).

In a wheel they are inside the package (``titlerules/_bundled/``); in a source checkout
(editable install) they are the top-level ``grammar/``, ``policies/`` and ``examples/``
folders.  Both keep the three side by side, so the bundled test cases' ``../../../examples/``
paths resolve in either.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def data_root() -> Path:
    """The folder holding ``grammar/`` and ``policies/``."""
    bundled = _PACKAGE_DIR / "_bundled"
    if (bundled / "grammar").is_dir():
        return bundled
    return _PACKAGE_DIR.parent.parent


def grammar_dir() -> Path:
    return data_root() / "grammar"


def policies_dir() -> Path:
    return data_root() / "policies"


def examples_dir() -> Path:
    return data_root() / "examples"
