"""Language layer: diagnostics (errors and warnings about a policy file) and their rendering.

A diagnostic renders the way compilers do::

    policies/eryuan-2024.policy:41:17: error: unknown field 'applicant.santions'
       41 |   when applicant.santions.any(s -> s.severity >= 记过)
          |        ^^^^^^^^^^^^^^^^^^
       hint: did you mean 'applicant.sanctions'?
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from titlerules.errors import Location
from titlerules.lang.ir import Span

Level = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding about a policy file."""

    code: str
    level: Level
    message: str
    span: Span
    file: str | None = None
    hint: str | None = None

    @property
    def location(self) -> Location:
        return Location(
            file=self.file,
            line=self.span.line or None,
            column=self.span.column or None,
            end_line=self.span.end_line or None,
            end_column=self.span.end_column or None,
        )

    def render(self, source: str | None = None) -> str:
        where = self.file or "<policy>"
        if self.span.line:
            where += f":{self.span.line}:{self.span.column}"
        lines = [f"{where}: {self.level}: {self.message} [{self.code}]"]
        if source is not None and self.span.line:
            lines.extend(_excerpt(source, self.span))
        if self.hint:
            lines.append(f"   hint: {self.hint}")
        return "\n".join(lines)


def _excerpt(source: str, span: Span) -> list[str]:
    text_lines = source.splitlines()
    if not 1 <= span.line <= len(text_lines):
        return []
    text = text_lines[span.line - 1]
    number = str(span.line)
    gutter = " " * len(number)
    start = max(span.column - 1, 0)
    if span.end_line == span.line and span.end_column > span.column:
        width = span.end_column - span.column
    else:
        width = max(len(text) - start, 1)
    # East Asian characters take two columns in a terminal: pad the caret line to match.
    prefix = "".join("  " if _is_wide(ch) else " " for ch in text[:start])
    carets = "".join("^^" if _is_wide(ch) else "^" for ch in text[start : start + width]) or "^"
    return [f"   {number} | {text}", f"   {gutter} | {prefix}{carets}"]


def _is_wide(ch: str) -> bool:
    import unicodedata

    return unicodedata.east_asian_width(ch) in ("W", "F")


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """A "did you mean" hint for a misspelt name, or None when nothing is close."""
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"did you mean '{matches[0]}'?" if matches else None


def render_all(diagnostics: Iterable[Diagnostic], source: str | None) -> str:
    return "\n".join(d.render(source) for d in diagnostics)
