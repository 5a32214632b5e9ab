"""``titlerules test [PATH...]``: run policy test cases and print rule coverage.

Without a PATH, the bundled policies' cases.  ``--run PATTERN`` runs the cases whose name
matches the regular expression; ``-v`` lists every case with its outcome and the rules that
decided it; ``--format json`` or ``--format junit`` prints one entry per case (JUnit XML for
CI).  ``--coverage`` lists, per rule, whether a case made it fail and one made it pass;
``--threshold N`` fails the run when a policy's rule coverage is below N percent.

Exit 0 when every case passes, 1 when one fails (or, with ``--require-coverage`` or
``--threshold``, when coverage falls short), 2 on unreadable input or when no case ran.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

from titlerules.errors import Location, UsageError

if TYPE_CHECKING:
    from titlerules.testing import CaseResult, Coverage, TestReport


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "test",
        help="run policy test cases",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="case files or folders")
    parser.add_argument(
        "--run", metavar="PATTERN", help="only the cases whose name matches this regular expression"
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="every case with its outcome and rules"
    )
    parser.add_argument(
        "--format",
        choices=("text", "json", "junit"),
        default="text",
        help="text (default), json or junit: one entry per case",
    )
    parser.add_argument("--json", action="store_true", help="the same as --format json")
    parser.add_argument(
        "--coverage", action="store_true", help="list each rule's coverage (failed and passed)"
    )
    parser.add_argument(
        "--threshold",
        type=float,
        metavar="N",
        help="exit 1 when a policy's rule coverage is below N percent",
    )
    parser.add_argument(
        "--require-coverage",
        action="store_true",
        help="exit 1 unless every rule fails in one case and passes in another",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from titlerules.resources import policies_dir
    from titlerules.testing import run_tests

    if args.json:
        args.format = "json"
    if args.threshold is not None and not 0 <= args.threshold <= 100:
        raise UsageError(f"--threshold {args.threshold:g} is not a percentage", hint="give 0-100")
    paths = [Path(p) for p in args.paths] or [policies_dir() / "tests"]
    report = run_tests(paths, run=args.run)
    if not report.results:  # nothing ran: never a silent success
        raise UsageError(
            "no test case ran" + (f" (none named like {args.run!r})" if args.run else ""),
            location=Location(file=" ".join(str(p) for p in paths)),
            hint="check --run PATTERN and the paths: case files are *.yaml with a 'cases' list",
        )
    failures = [r for r in report.results if not r.ok]
    short = _short_coverage(args, report)
    if args.format == "json":
        print(json.dumps(_as_json(report, short), ensure_ascii=False, indent=2))
    elif args.format == "junit":
        sys.stdout.write(junit_xml(report))
    else:
        _print_text(args, report, short)
    if failures or short:
        return 1
    return 0


def _short_coverage(args: argparse.Namespace, report: TestReport) -> list[str]:
    """Why coverage falls short of what was asked (``--require-coverage``, ``--threshold``)."""
    short: list[str] = []
    for pid, cov in sorted(report.coverage.items()):
        if args.require_coverage and (cov.missing_fail or cov.missing_pass):
            short.append(f"{pid}: not every rule both failed and passed")
        if args.threshold is not None and cov.percent < args.threshold:
            short.append(f"{pid}: coverage {cov.percent:.1f}% is below {args.threshold:g}%")
    return short


def _case_json(result: CaseResult) -> dict[str, Any]:
    return {
        "file": result.file,
        "name": result.name,
        "policy": result.policy_id,
        "ok": result.ok,
        "outcome": result.outcome,
        **result.deciding_rules,
        "problems": result.problems,
    }


def _coverage_json(cov: Coverage) -> dict[str, Any]:
    return {
        "rules": len(cov.rules),
        "percent": round(cov.percent, 1),
        "never_failed": cov.missing_fail,
        "never_passed": cov.missing_pass,
    }


def _as_json(report: TestReport, short: list[str]) -> dict[str, Any]:
    failed = sum(not r.ok for r in report.results)
    return {
        "cases": [_case_json(r) for r in report.results],
        "passed": len(report.results) - failed,
        "failed": failed,
        "coverage": {pid: _coverage_json(cov) for pid, cov in sorted(report.coverage.items())},
        "coverage_short": short,
    }


def junit_xml(report: TestReport) -> str:
    """The cases as JUnit XML: one ``testsuite`` per case file, one ``testcase`` per case."""
    root = ElementTree.Element("testsuites", name="titlerules", tests=str(len(report.results)))
    root.set("failures", str(sum(not r.ok for r in report.results)))
    suites: dict[str, ElementTree.Element] = {}
    for result in report.results:
        suite = suites.get(result.file)
        if suite is None:
            suite = ElementTree.SubElement(root, "testsuite", name=result.file)
            suite.set("tests", "0")
            suite.set("failures", "0")
            suites[result.file] = suite
        suite.set("tests", str(int(suite.get("tests", "0")) + 1))
        case = ElementTree.SubElement(
            suite, "testcase", classname=result.policy_id, name=result.name, file=result.file
        )
        if not result.ok:
            suite.set("failures", str(int(suite.get("failures", "0")) + 1))
            failure = ElementTree.SubElement(
                case, "failure", message=result.problems[0].splitlines()[0]
            )
            failure.text = "\n".join(result.problems)
        elif result.outcome is not None:
            out = ElementTree.SubElement(case, "system-out")
            out.text = _case_line(result)
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _case_line(result: CaseResult) -> str:
    """``outcome; failed: a, b; unknown: c; exceptions: d`` (the non-empty lists only)."""
    parts = [result.outcome or "not evaluated"]
    for key, rules in result.deciding_rules.items():
        if rules:
            parts.append(f"{key}: {', '.join(rules)}")
    return "; ".join(parts)


def _print_text(args: argparse.Namespace, report: TestReport, short: list[str]) -> None:
    for r in report.results:
        if r.ok and args.verbose:
            print(f"ok   {r.file}: {r.name}: {_case_line(r)}")
        elif not r.ok:
            print(f"FAIL {r.file}: {r.name}" + (f": {_case_line(r)}" if args.verbose else ""))
            for problem in r.problems:
                print(f"  {problem}")
    for pid, cov in sorted(report.coverage.items()):
        print(f"{pid}: {len(cov.rules)} rules, coverage {cov.percent:.0f}%")
        if args.coverage:
            for rule in cov.rules:
                failed = "failed" if rule in cov.failed_seen else "never failed"
                passed = "passed" if rule in cov.passed_seen else "never passed"
                print(f"  {rule}: {failed}, {passed}")
            continue
        if cov.missing_fail:
            print(f"  never failed: {', '.join(cov.missing_fail)}")
        if cov.missing_pass:
            print(f"  never passed: {', '.join(cov.missing_pass)}")
    for reason in short:
        print(f"coverage short: {reason}")
    count = sum(not r.ok for r in report.results)
    print(f"{len(report.results) - count} passed, {count} failed")
