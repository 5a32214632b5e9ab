"""``titlerules test [PATH...]``: run policy test cases and print rule coverage.

Exit 0 when every case passes, 1 when one fails (or, with ``--require-coverage``, when a rule
was not made to both fail and pass), 2 on unreadable input.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("test", help="run policy test cases", description=__doc__)
    parser.add_argument("paths", nargs="*", metavar="PATH", help="case files or folders")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--require-coverage",
        action="store_true",
        help="exit 1 unless every rule fails in one case and passes in another",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from titlerules.resources import policies_dir
    from titlerules.testing import run_tests

    paths = [Path(p) for p in args.paths] or [policies_dir() / "tests"]
    report = run_tests(paths)
    failures = [r for r in report.results if not r.ok]
    uncovered = {
        pid: cov for pid, cov in report.coverage.items() if cov.missing_fail or cov.missing_pass
    }
    if args.json:
        print(
            json.dumps(
                {
                    "cases": len(report.results),
                    "failed": [
                        {"file": r.file, "name": r.name, "problems": r.problems} for r in failures
                    ],
                    "coverage": {
                        pid: {
                            "rules": len(cov.rules),
                            "percent": round(cov.percent, 1),
                            "never_failed": cov.missing_fail,
                            "never_passed": cov.missing_pass,
                        }
                        for pid, cov in report.coverage.items()
                    },
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        for r in failures:
            print(f"FAIL {r.file}: {r.name}")
            for problem in r.problems:
                print(f"  {problem}")
        for pid, cov in sorted(report.coverage.items()):
            print(f"{pid}: {len(cov.rules)} rules, coverage {cov.percent:.0f}%")
            if cov.missing_fail:
                print(f"  never failed: {', '.join(cov.missing_fail)}")
            if cov.missing_pass:
                print(f"  never passed: {', '.join(cov.missing_pass)}")
        passed = len(report.results) - len(failures)
        print(f"{passed} passed, {len(failures)} failed")
    if failures or (args.require_coverage and uncovered):
        return 1
    return 0
