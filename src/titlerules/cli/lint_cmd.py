"""``titlerules lint FILE...``: check policy files; every error as file:line:col with a caret."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from titlerules.errors import PolicyError
from titlerules.lang.loader import find_policy


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "lint", help="check policy files (exit 1 on errors)", description=__doc__
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="policy file or bundled id")
    parser.add_argument("--json", action="store_true", help="diagnostics as JSON")
    parser.add_argument("--warnings-as-errors", action="store_true", help="exit 1 on warnings too")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from titlerules.engine.policy import lint_policy

    worst = 0
    out: list[dict[str, Any]] = []
    for name in args.files:
        path = find_policy(name)
        try:
            resolved, diagnostics = lint_policy(Path(path))
        except PolicyError as exc:  # a syntax error stops the check of that file
            diagnostics = list(getattr(exc, "diagnostics", ()))
            if not diagnostics:
                raise
            print(str(exc))
            worst = max(worst, 1)
            out.extend(_as_json(d) for d in diagnostics)
            continue
        for d in diagnostics:
            if args.json:
                out.append(_as_json(d))
            else:
                print(d.render(resolved.sources.get(d.file or "")))
        errors = sum(d.level == "error" for d in diagnostics)
        warnings = len(diagnostics) - errors
        if errors or (warnings and args.warnings_as_errors):
            worst = 1
        if not args.json:
            status = "ok" if not errors else f"{errors} error(s)"
            print(f"{path}: {status}, {warnings} warning(s), {len(resolved.rules)} rule(s)")
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
    return worst


def _as_json(d: Any) -> dict[str, Any]:
    return {
        "file": d.file,
        "line": d.span.line,
        "column": d.span.column,
        "level": d.level,
        "code": d.code,
        "message": d.message,
        "hint": d.hint,
    }
