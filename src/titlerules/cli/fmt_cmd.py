"""``titlerules fmt FILE...``: print policy files in their canonical layout.

With one file and no option the canonical text goes to standard output.  ``--check``
lists the files that are not in canonical layout (exit 1 if any); ``--write`` rewrites
them in place.  A file keeps its spelling: ``.policy`` files are printed as DSL, ``.yaml``
and ``.json`` files as canonical YAML and JSON.

Exit codes: 0 all formatted (or written), 1 some file is not formatted (``--check``),
2 bad usage, an unreadable file or a syntax error (printed to standard error).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from titlerules.atomic import write_atomic
from titlerules.errors import TitleRulesError
from titlerules.lang.convert import dump, load_text, read_policy_text, spelling_of


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "fmt",
        help="print policy files in canonical layout (--check, --write)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help=".policy, .yaml or .json file")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--check", action="store_true", help="list files not in canonical layout; exit 1 if any"
    )
    mode.add_argument("--write", action="store_true", help="rewrite files in place")
    parser.add_argument("--json", action="store_true", help="report as JSON (with --check/--write)")
    parser.set_defaults(func=run)


def render_error(exc: TitleRulesError) -> str:
    """An error as the user should see it: ``file:line:col: error: ...`` with its excerpt."""
    if exc.rendered is not None:  # a diagnostic rendered with its source line and caret
        return exc.rendered
    return f"error: {exc}"


def run(args: argparse.Namespace) -> int:
    files: list[str] = args.files
    if not (args.check or args.write) and len(files) > 1:
        print(
            "titlerules fmt: give --check or --write to format more than one file",
            file=sys.stderr,
        )
        return 2
    worst = 0
    report: list[dict[str, Any]] = []

    def failed(entry: dict[str, Any], exc: TitleRulesError) -> None:
        entry["error"] = render_error(exc)
        if not args.json:
            print(entry["error"], file=sys.stderr)

    for name in files:
        entry: dict[str, Any] = {"file": name, "formatted": None, "written": False, "error": None}
        report.append(entry)
        try:
            text = read_policy_text(name)
            spelling = spelling_of(name)
            canonical = dump(load_text(text, spelling, name), spelling)
        except TitleRulesError as exc:
            failed(entry, exc)
            worst = 2
            continue
        entry["formatted"] = text == canonical
        if not (args.check or args.write):
            sys.stdout.write(canonical)
            continue
        if entry["formatted"]:
            continue
        if args.write:
            try:  # in place, but whole or not at all: a failed write keeps the file as it was
                write_atomic(name, canonical.encode("utf-8"))
            except TitleRulesError as exc:
                failed(entry, exc)
                worst = 2
                continue
            entry["written"] = True
            if not args.json:
                print(f"reformatted {name}")
        else:
            worst = max(worst, 1)
            if not args.json:
                print(f"would reformat {name}")
    if args.json and (args.check or args.write):
        print(json.dumps(report, ensure_ascii=False, indent=2))
    return worst
