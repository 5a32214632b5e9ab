"""Language layer: a rule's message template (``message "…{name}…" en "…{name}…"``).

A template is text with placeholders in braces; ``{{`` and ``}}`` stand for a brace.  A
placeholder names a value of the failed rule:

* ``{left}`` / ``{right}``: the operands of the comparison that decided it;
* the name of a ``let`` or a parameter;
* a record field, by its path from the record's root (``{applicant.person.birth_date}``).

A date may be given a format after a colon, in ``strftime`` codes: ``{left:%Y-%m}`` is the
year and month.  The checker checks every placeholder; the report layer fills them in.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["PLACEHOLDER", "fill", "placeholders"]

#: One placeholder: a name or a dotted record path, and an optional format after a colon.
PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}:]*)(?::([^{}]*))?\}|[{}]")


def placeholders(template: str) -> list[tuple[str, str | None]]:
    """The placeholders of ``template`` as (name, format) pairs, in order; a lone brace is
    reported as the placeholder ``{`` or ``}`` (the checker refuses it)."""
    found: list[tuple[str, str | None]] = []
    for match in PLACEHOLDER.finditer(template):
        text = match.group(0)
        if text in ("{{", "}}"):
            continue
        if text in ("{", "}"):
            found.append((text, None))
            continue
        found.append((match.group(1).strip(), match.group(2)))
    return found


def fill(template: str, value: Callable[[str, str | None], str]) -> str:
    """``template`` with each placeholder replaced by ``value(name, format)``."""

    def replace(match: re.Match[str]) -> str:
        text = match.group(0)
        if text in ("{{", "}}"):
            return text[0]
        if text in ("{", "}"):
            return text
        return value(match.group(1).strip(), match.group(2))

    return PLACEHOLDER.sub(replace, template)
