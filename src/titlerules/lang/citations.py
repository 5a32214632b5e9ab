"""Language layer: a policy checked against its notice, and its clause map.

Every rule cites a clause path and quotes the notice; every consequence does too; every
``clause`` item names a clause.  Against the notice's text (the header's ``source``) this
checks that each path is one the notice numbers, that each quote stands in the notice and in
the clause cited (or one under it), that the file is the one the header's sha256 names, and
that every clause of the notice is accounted for: cited by a rule, or given a reason.

:func:`clause_map` is the table ``titlerules clauses`` prints and ``titlerules doc`` renders.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from titlerules.boundedread import read_at_most
from titlerules.lang import ir
from titlerules.lang.convert import MAX_SOURCE_BYTES
from titlerules.lang.diagnostics import Diagnostic, did_you_mean
from titlerules.lang.loader import ResolvedPolicy
from titlerules.lang.notice import (
    Clause,
    clauses,
    clauses_quoting,
    find_quote,
    normal_path,
    read_source,
    source_path,
    subtree_text,
)


@dataclass(frozen=True, slots=True)
class ClauseEntry:
    """One clause of the notice: the rules that encode it and the reasons given for the rest."""

    clause: str
    heading: str
    rules: tuple[str, ...] = ()
    consequences: tuple[str, ...] = ()
    reasons: tuple[tuple[ir.ClauseKind, str], ...] = ()

    @property
    def accounted(self) -> bool:
        return bool(self.rules or self.consequences or self.reasons)

    def as_json(self) -> dict[str, object]:
        return {
            "clause": self.clause,
            "heading": self.heading,
            "rules": list(self.rules),
            "consequences": list(self.consequences),
            "reason": [{"kind": kind, "text": text} for kind, text in self.reasons],
        }


@dataclass(frozen=True, slots=True)
class ClauseMap:
    """The policy's clause map against its notice (``found`` is False without the notice)."""

    policy_id: str
    source: str | None
    found: bool
    entries: tuple[ClauseEntry, ...] = ()
    unknown: tuple[str, ...] = field(default=())

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(e.clause for e in self.entries if not e.accounted)

    @property
    def with_rules(self) -> int:
        """Clauses that rules (or a declared consequence) encode."""
        return sum(1 for e in self.entries if e.rules or e.consequences)

    @property
    def reason_only(self) -> int:
        """Clauses accounted for by a reason alone."""
        return sum(1 for e in self.entries if e.reasons and not (e.rules or e.consequences))


def _own(
    resolved: ResolvedPolicy,
) -> tuple[list[ir.Rule], list[ir.Consequence], list[ir.ClauseNote]]:
    """The rules, consequences and clause notes a policy holds, with those it extends (they
    cite the same notice); modules hold none of them."""
    rules = [s.item for s in resolved.rules.values() if isinstance(s.item, ir.Rule)]
    consequences = [
        s.item for s in resolved.consequences.values() if isinstance(s.item, ir.Consequence)
    ]
    notes = [s.item for s in resolved.clause_notes if isinstance(s.item, ir.ClauseNote)]
    return rules, consequences, notes


def _notice(resolved: ResolvedPolicy) -> tuple[Path | None, list[Clause]]:
    header = resolved.header
    if header.kind != "policy" or not header.source:
        return None, []
    path = source_path(header.source, resolved.path)
    if path is None:
        return None, []
    return path, clauses(read_source(path))


def clause_map(resolved: ResolvedPolicy) -> ClauseMap:
    """Every clause of the notice with the rules citing it and the reasons given."""
    path, found = _notice(resolved)
    header = resolved.header
    if path is None:
        return ClauseMap(header.id, header.source, False)
    rules, consequences, notes = _own(resolved)
    known = {c.path for c in found}
    cited: dict[str, list[str]] = {}
    for rule in rules:
        if rule.citation is not None:
            cited.setdefault(normal_path(rule.citation.clause), []).append(rule.id)
    named: dict[str, list[str]] = {}
    for consequence in consequences:
        named.setdefault(normal_path(consequence.citation.clause), []).append(consequence.name)
    reasons: dict[str, list[tuple[ir.ClauseKind, str]]] = {}
    for note in notes:
        reasons.setdefault(normal_path(note.clause), []).append((note.kind, note.reason))
    entries = tuple(
        ClauseEntry(
            c.path,
            c.heading,
            tuple(cited.get(c.path, ())),
            tuple(named.get(c.path, ())),
            tuple(reasons.get(c.path, ())),
        )
        for c in found
    )
    unknown = sorted((set(cited) | set(named) | set(reasons)) - known)
    return ClauseMap(header.id, header.source, True, entries, tuple(unknown))


def check_citations(resolved: ResolvedPolicy) -> list[Diagnostic]:
    """Diagnostics of the policy's citations, consequences and clause map against its notice."""
    header = resolved.header
    path, found = _notice(resolved)
    if path is None:
        return []
    file = resolved.path
    out: list[Diagnostic] = []
    if header.source_sha256 is not None:
        actual = hashlib.sha256(
            read_at_most(path, MAX_SOURCE_BYTES, what="notice file")
        ).hexdigest()
        if actual != header.source_sha256:
            out.append(
                Diagnostic(
                    "TR344",
                    "error",
                    f"source '{header.source}' does not match the sha256 the header names",
                    header.span,
                    file,
                    f"the file's sha256 is {actual}; check that the notice is the one encoded, "
                    "then write that value in the header",
                )
            )
    if not found:
        return out
    text = read_source(path)
    paths = [c.path for c in found]
    rules, consequences, notes = _own(resolved)
    quoted: list[tuple[str, ir.Citation, ir.Rule | ir.Consequence]] = [
        (f"rule '{r.id}'", r.citation, r) for r in rules if r.citation is not None
    ]
    quoted += [(f"consequence '{c.name}'", c.citation, c) for c in consequences]
    for what, citation, node in quoted:
        if _from_other_file(resolved, node):
            continue
        clause = normal_path(citation.clause)
        if clause not in paths:
            out.append(_unknown_clause(what, citation.clause, citation.span, file, paths))
            continue
        if not find_quote(text, citation.quote):
            out.append(
                Diagnostic(
                    "TR341",
                    "error",
                    f"{what}: the quote is not in the notice",
                    citation.span,
                    file,
                    _quote_hint(found, clause),
                )
            )
        elif not find_quote(subtree_text(found, clause), citation.quote):
            where = clauses_quoting(found, citation.quote) or ["another clause"]
            out.append(
                Diagnostic(
                    "TR342",
                    "warning",
                    f"{what} cites {citation.clause}, but the quote stands in {where[0]}",
                    citation.span,
                    file,
                    f"cite {where[0]}, or quote the words of {citation.clause}",
                )
            )
    for note in notes:
        if note.clause and normal_path(note.clause) not in paths:
            out.append(_unknown_clause("clause map", note.clause, note.span, file, paths))
    for entry in clause_map(resolved).entries:
        if not entry.accounted:
            out.append(
                Diagnostic(
                    "TR343",
                    "warning",
                    f"clause {entry.clause} of the notice ({entry.heading or 'no heading'}) is "
                    "not accounted for",
                    header.span,
                    file,
                    f"cite it from the rules that encode it, or add: clause {entry.clause} "
                    'not_checkable|exhortation|definition|heading "<why no rule encodes it>"',
                )
            )
    return out


def _from_other_file(resolved: ResolvedPolicy, node: ir.Rule | ir.Consequence) -> bool:
    table = resolved.rules if isinstance(node, ir.Rule) else resolved.consequences
    key = node.id if isinstance(node, ir.Rule) else node.name
    sourced = table.get(key)
    return sourced is not None and sourced.file != resolved.path


def _unknown_clause(
    what: str, clause: str, span: ir.Span, file: str, paths: list[str]
) -> Diagnostic:
    return Diagnostic(
        "TR340",
        "error",
        f"{what}: the notice has no clause {clause}",
        span,
        file,
        did_you_mean(normal_path(clause), paths)
        or "write the clause path as the notice numbers it, e.g. 二(三)2 (titlerules clauses "
        "POLICY lists them)",
    )


def _quote_hint(found: list[Clause], clause: str) -> str:
    for c in found:
        if c.path == clause:
            first = " ".join(c.text.split())[:60]
            return f"quote the notice verbatim; {clause} begins: {first}…"
    return "quote the notice verbatim"
