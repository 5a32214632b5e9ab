"""``titlerules lint FILE...``: check policy files; every error as file:line:col with a caret.

A folder stands for the ``.policy`` files in it.  A file that does not parse (DSL, YAML or
JSON alike) is a finding like any other error: exit 1.  Exit 2 when a file cannot be found.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from titlerules.cli.output import diagnostic_json, error_json, error_text, print_json
from titlerules.cli.paths import policy_files
from titlerules.errors import InputFileError, PolicyError, TitleRulesError
from titlerules.lang.loader import find_policy


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "lint", help="check policy files (exit 1 on errors)", description=__doc__
    )
    parser.add_argument(
        "files", nargs="+", metavar="FILE", help="policy file, folder of policies or bundled id"
    )
    parser.add_argument(
        "--json", action="store_true", help="diagnostics as JSON (human text on stderr)"
    )
    parser.add_argument("--warnings-as-errors", action="store_true", help="exit 1 on warnings too")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from titlerules.engine.policy import lint_policy

    worst = 0
    out: list[dict[str, Any]] = []
    # With --json, standard output holds the JSON only; the human text goes to stderr.
    human = sys.stderr if args.json else sys.stdout
    for name in policy_files(args.files):
        path = find_policy(name)
        try:
            resolved, diagnostics = lint_policy(Path(path))
        except TitleRulesError as exc:  # a file that does not parse stops the check of it
            if not _is_finding(exc):
                raise
            worst = max(worst, 1)
            found = list(getattr(exc, "diagnostics", ()))
            # As the checker's findings: file:line:col: error: ..., the source line, a caret.
            print(exc.rendered if exc.rendered is not None else error_text(exc), file=human)
            if found:
                out.extend(diagnostic_json(d) for d in found)
            else:
                out.append(_error_entry(exc, str(path)))
            continue
        for d in diagnostics:
            out.append(diagnostic_json(d))
            print(d.render(resolved.sources.get(d.file or "")), file=human)
        errors = sum(d.level == "error" for d in diagnostics)
        warnings = len(diagnostics) - errors
        if errors or (warnings and args.warnings_as_errors):
            worst = 1
        status = "ok" if not errors else f"{errors} error(s)"
        print(f"{path}: {status}, {warnings} warning(s), {len(resolved.rules)} rule(s)", file=human)
    if args.json:
        print_json(out)
    return worst


def _is_finding(exc: TitleRulesError) -> bool:
    """An error in the policy's text (any spelling): a lint finding, not a failure to run."""
    if isinstance(exc, PolicyError):
        return True
    located = exc.location is not None and exc.location.line is not None
    return isinstance(exc, InputFileError) and located


def _error_entry(exc: TitleRulesError, file: str) -> dict[str, Any]:
    """A file's error that is no checker diagnostic, in the shape of one."""
    data = error_json(exc)
    where = data["location"] or {}
    return {
        "file": where.get("file") or file,
        "line": where.get("line"),
        "column": where.get("column"),
        "level": "error",
        "code": data["code"],
        "message": data["message"],
        "hint": data["hint"],
    }
