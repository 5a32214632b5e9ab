"""Language layer: resolve ``import`` and ``extends`` into one policy.

* ``import "common/x"`` brings a module's shared definitions (params, lets, defs).
* ``extends "other"`` brings another policy's definitions *and* rules.
* A local ``override param`` / ``override <rule>`` replaces an inherited one by name or id;
  overriding something that does not exist is an error, and so is redefining without
  ``override``.

Paths are looked up next to the importing file, then in the bundled ``policies/`` folder.
A path may not be absolute or climb out with ``..``; an import cycle is an error naming it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from titlerules.errors import PolicyError
from titlerules.lang import ir
from titlerules.lang.convert import SPELLING_OF_SUFFIX, load_text, read_policy_text
from titlerules.lang.diagnostics import Diagnostic
from titlerules.resources import policies_dir

MAX_IMPORT_DEPTH = 16
#: Most rules one policy may hold, with everything it imports and extends.
MAX_RULES = 1000
POLICY_SUFFIXES = tuple(SPELLING_OF_SUFFIX)


@dataclass(frozen=True, slots=True)
class Sourced:
    """An item with the file it came from."""

    item: ir.Param | ir.Let | ir.Def | ir.Rule | ir.Consequence | ir.ClauseNote
    file: str


@dataclass
class ResolvedPolicy:
    """A policy with its imports and parents merged in; input to the checker and compiler."""

    header: ir.Header
    path: str
    params: dict[str, Sourced] = field(default_factory=dict)
    lets: dict[str, Sourced] = field(default_factory=dict)
    defs: dict[str, Sourced] = field(default_factory=dict)
    rules: dict[str, Sourced] = field(default_factory=dict)
    consequences: dict[str, Sourced] = field(default_factory=dict)
    #: The clause map's entries for clauses no rule encodes (``clause`` items), in file order.
    clause_notes: list[Sourced] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    #: (importing file, path as written, file it resolved to) of every import and extends,
    #: in load order: which file a path resolves to depends on the folders, not only on the
    #: texts in ``sources``, so a cached policy is valid only while each still resolves so.
    links: list[tuple[str, str, str]] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    root_file: ir.PolicyFile | None = None

    @property
    def sha256(self) -> str:
        """Content hash over every file the policy is made of (in load order)."""
        return sources_sha256(self.sources.items())


def sources_sha256(sources: Iterable[tuple[str, str]]) -> str:
    """The hash of a policy's files, (name, text) in load order: the one definition of
    :attr:`ResolvedPolicy.sha256`, which the compile cache recomputes from the files."""
    digest = hashlib.sha256()
    for name, text in sources:
        digest.update(Path(name).name.encode("utf-8"))
        digest.update(b"\0")
        digest.update(text.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


def parse_file(path: Path) -> tuple[ir.PolicyFile, str]:
    """Parse a policy file of any spelling (DSL, YAML, JSON) by its extension."""
    text = read_policy_text(path)
    spelling = SPELLING_OF_SUFFIX.get(path.suffix.lower(), "dsl")  # any other name: the DSL
    return load_text(text, spelling, str(path)), text


def find_policy(name: str, relative_to: Path | None = None) -> Path:
    """The file a policy id, module path or file path names.

    A path given by the user (``relative_to`` is None) may be any file.  An ``import`` or
    ``extends`` path (``relative_to`` is the importing file's folder) stays inside that folder
    or the bundled ``policies/``: no absolute paths, no ``..``, no symbolic link out.
    """
    candidate = Path(name)
    if relative_to is None and candidate.suffix in POLICY_SUFFIXES and candidate.is_file():
        return candidate
    if candidate.is_absolute() or ".." in candidate.parts or "\0" in name:
        raise PolicyError(
            f"policy path '{name}' must be relative and stay inside the policies folder",
            hint="write it as 'common/name' relative to policies/",
            code="TR320",
        )
    roots = [relative_to] if relative_to is not None else []
    roots.append(policies_dir())
    for root in roots:
        for suffix in ("", *POLICY_SUFFIXES):
            path = root / f"{name}{suffix}"
            if path.is_file():
                if relative_to is not None and not path.resolve().is_relative_to(root.resolve()):
                    raise PolicyError(
                        f"policy path '{name}' leads outside {root} (a symbolic link)",
                        hint="copy the module into the policies folder instead of linking it",
                        code="TR320",
                    )
                return path
    raise PolicyError(
        f"no policy or module named '{name}'",
        hint="run 'titlerules policies' for the bundled ids, or give a file path",
        code="TR320",
    )


def resolve(path: Path, text: str | None = None) -> ResolvedPolicy:
    """Load a policy file with everything it imports or extends.  ``text``, when given, is
    the file's text as an editor holds it (read from disk otherwise); what it imports or
    extends is read from disk."""
    if text is None:
        root, text = parse_file(path)
    else:
        spelling = SPELLING_OF_SUFFIX.get(path.suffix.lower(), "dsl")
        root = load_text(text, spelling, str(path))
    resolved = ResolvedPolicy(header=root.header, path=str(path), root_file=root)
    _merge(resolved, root, path, text, stack=[path.resolve()], own=True)
    return resolved


def _merge(
    target: ResolvedPolicy,
    pf: ir.PolicyFile,
    path: Path,
    text: str,
    stack: list[Path],
    own: bool,
) -> None:
    file = str(path)
    target.sources[file] = text
    for item in pf.items:
        if isinstance(item, (ir.Import, ir.Extends)):
            _merge_child(target, item, path, stack)
    for item in pf.items:
        if isinstance(item, (ir.Import, ir.Extends)):
            continue
        if isinstance(item, ir.Rule) and pf.header.kind == "module":
            target.diagnostics.append(
                Diagnostic(
                    "TR321",
                    "error",
                    f"module '{pf.header.id}' declares rule '{item.id}'",
                    item.span,
                    file,
                    "modules hold shared params, lets and defs; put rules in a policy "
                    "(a policy can 'extends' another policy to inherit its rules)",
                )
            )
            continue
        _add(target, item, file)


def _merge_child(
    target: ResolvedPolicy, item: ir.Import | ir.Extends, path: Path, stack: list[Path]
) -> None:
    word = "import" if isinstance(item, ir.Import) else "extends"
    try:
        child_path = find_policy(item.path, path.parent)
    except PolicyError as exc:
        target.diagnostics.append(
            Diagnostic("TR320", "error", exc.message, item.span, str(path), exc.hint)
        )
        return
    target.links.append((str(path), item.path, str(child_path)))
    resolved_child = child_path.resolve()
    if resolved_child in stack:
        cycle = " -> ".join(p.name for p in [*stack, resolved_child])
        target.diagnostics.append(
            Diagnostic(
                "TR322",
                "error",
                f"import cycle: {cycle}",
                item.span,
                str(path),
                "remove one of the imports so the files form a tree",
            )
        )
        return
    if len(stack) >= MAX_IMPORT_DEPTH:
        target.diagnostics.append(
            Diagnostic(
                "TR322",
                "error",
                f"imports nested deeper than {MAX_IMPORT_DEPTH}",
                item.span,
                str(path),
                "flatten the chain of imports",
            )
        )
        return
    if str(child_path) in target.sources:
        return  # already merged (diamond imports are fine)
    child, child_text = parse_file(child_path)
    if isinstance(item, ir.Import) and child.header.kind != "module":
        target.diagnostics.append(
            Diagnostic(
                "TR321",
                "error",
                f"'{item.path}' is a policy, not a module",
                item.span,
                str(path),
                f"use 'extends \"{item.path}\"' to build on a policy; {word} is for modules",
            )
        )
        return
    if isinstance(item, ir.Extends) and child.header.kind != "policy":
        target.diagnostics.append(
            Diagnostic(
                "TR321",
                "error",
                f"'{item.path}' is a module, not a policy",
                item.span,
                str(path),
                f"use 'import \"{item.path}\"' for modules",
            )
        )
        return
    _merge(target, child, child_path, child_text, [*stack, resolved_child], own=False)


def _add(target: ResolvedPolicy, item: ir.Item, file: str) -> None:
    if isinstance(item, ir.ClauseNote):
        target.clause_notes.append(Sourced(item, file))
        return
    if isinstance(item, ir.Rule):
        table, kind, key = target.rules, "rule", item.id
        overriding = item.override
    elif isinstance(item, ir.Param):
        table, kind, key = target.params, "param", item.name
        overriding = item.override
    elif isinstance(item, ir.Let):
        table, kind, key = target.lets, "let", item.name
        overriding = False
    elif isinstance(item, ir.Def):
        table, kind, key = target.defs, "def", item.name
        overriding = False
    elif isinstance(item, ir.Consequence):
        table, kind, key = target.consequences, "consequence", item.name
        overriding = False
    else:  # pragma: no cover - imports are handled by the caller
        return
    exists = key in table
    if kind == "rule" and not exists and len(table) >= MAX_RULES:
        if len(table) == MAX_RULES:  # report once, at the first rule beyond the limit
            target.diagnostics.append(
                Diagnostic(
                    "TR306",
                    "error",
                    f"more than {MAX_RULES} rules in one policy",
                    item.span,
                    file,
                    "a notice has tens of rules: split the policy, or generate fewer rules",
                )
            )
            table[key] = Sourced(item, file)
        return
    if overriding and not exists:
        target.diagnostics.append(
            Diagnostic(
                "TR317",
                "error",
                f"'override' of {kind} '{key}', which no imported or extended file declares",
                item.span,
                file,
                "remove 'override', or check the name against the base policy",
            )
        )
        table[key] = Sourced(item, file)
        return
    if exists and not overriding:
        previous = table[key]
        same_file = previous.file == file
        target.diagnostics.append(
            Diagnostic(
                "TR314",
                "error",
                f"duplicate {kind} '{key}'"
                + ("" if same_file else f" (also declared in {Path(previous.file).name})"),
                item.span,
                file,
                "rename it"
                if same_file
                else f"write 'override {kind}' to replace the inherited one"
                if kind in ("rule", "param")
                else "rename it",
            )
        )
        return
    table[key] = Sourced(item, file)
