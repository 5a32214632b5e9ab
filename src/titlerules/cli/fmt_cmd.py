"""``titlerules fmt FILE...``: print policy files in their canonical layout.

With one file and no option the canonical text goes to standard output.  ``--check``
lists the files that are not in canonical layout (exit 1 if any); ``--diff`` prints what
would change as a unified diff (exit 1 if anything would); ``--write`` rewrites them in
place.  A folder stands for the ``.policy`` files in it.  A file keeps its spelling:
``.policy`` files are printed as DSL, ``.yaml`` and ``.json`` files as canonical YAML and
JSON.

Exit codes: 0 all formatted (or written), 1 some file is not formatted (``--check``,
``--diff``), 2 bad usage, an unreadable file or a syntax error (printed to standard error).
"""

from __future__ import annotations

import argparse
import difflib
import sys
from typing import Any

from titlerules.atomic import write_atomic
from titlerules.cli.output import error_json, print_json, report_error
from titlerules.cli.paths import policy_files
from titlerules.errors import TitleRulesError, UsageError
from titlerules.lang.convert import dump, load_text, read_policy_text, spelling_of


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "fmt",
        help="print policy files in canonical layout (--check, --diff, --write)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "files", nargs="+", metavar="FILE", help=".policy, .yaml or .json file, or a folder"
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--check", action="store_true", help="list files not in canonical layout; exit 1 if any"
    )
    mode.add_argument(
        "--diff", action="store_true", help="print a unified diff of each change; exit 1 if any"
    )
    mode.add_argument("--write", action="store_true", help="rewrite files in place")
    parser.add_argument(
        "--json", action="store_true", help="report as JSON (with --check, --diff or --write)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    listing = args.check or args.diff or args.write
    if args.json and not listing:
        raise UsageError(
            "--json reports on files checked or written",
            hint="add --check, --diff or --write",
        )
    files = policy_files(args.files)
    if not listing and len(files) > 1:
        raise UsageError(
            f"{len(files)} files to format and nowhere to write them",
            hint="give --check, --diff or --write to format more than one file",
        )
    worst = 0
    report: list[dict[str, Any]] = []
    for name in files:
        entry: dict[str, Any] = {"file": name, "formatted": None, "written": False, "error": None}
        report.append(entry)
        try:
            text = read_policy_text(name)
            spelling = spelling_of(name)
            canonical = dump(load_text(text, spelling, name), spelling)
        except TitleRulesError as exc:  # this file's error; the other files are formatted
            report_error(exc)
            entry["error"] = error_json(exc)
            worst = 2
            continue
        entry["formatted"] = text == canonical
        if not listing:
            sys.stdout.write(canonical)
            continue
        if entry["formatted"]:
            continue
        if args.write:
            try:  # in place, but whole or not at all: a failed write keeps the file as it was
                write_atomic(name, canonical.encode("utf-8"))
            except TitleRulesError as exc:
                report_error(exc)
                entry["error"] = error_json(exc)
                worst = 2
                continue
            entry["written"] = True
            _say(args, f"reformatted {name}")
            continue
        worst = max(worst, 1)
        if args.diff:
            diff = "".join(
                difflib.unified_diff(
                    text.splitlines(keepends=True),
                    canonical.splitlines(keepends=True),
                    fromfile=f"{name} (as written)",
                    tofile=f"{name} (formatted)",
                )
            )
            entry["diff"] = diff
            if not args.json:
                sys.stdout.write(diff if diff.endswith("\n") else diff + "\n")
        else:
            _say(args, f"would reformat {name}")
    if args.json:
        print_json(report)
    return worst


def _say(args: argparse.Namespace, text: str) -> None:
    """A line of the report: on stdout, or on stderr when stdout holds the JSON."""
    print(text, file=sys.stderr if args.json else sys.stdout)
