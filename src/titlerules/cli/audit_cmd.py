"""``titlerules audit POLICY PROCEDURE`` and ``titlerules audit-set POLICY RECORDS...``.

``audit`` checks every procedure rule of the policy against a committee's procedure record:
a finding per rule with its citation and quote, the dates and counts involved and, for
working-day rules, the count and the holidays and make-up days inside the window; then the
verdict the notice's consequence clause gives.

``audit-set`` runs the cross-record checks over files and folders of records: the same
person (by ID number) applying twice in a year, a unit's vacant-post applications beyond its
vacancies (post tables), a committee's pass rate against its plan.

Exit codes: 0 no finding failed, 1 a finding failed, 2 bad input.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Any

from titlerules.errors import UsageError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "audit",
        help="check a committee's procedure record against a policy",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("policy", help="bundled policy id or policy file")
    parser.add_argument("procedure", help="procedure record file (YAML or JSON)")
    parser.add_argument("--json", action="store_true", help="the report as JSON")
    parser.add_argument(
        "--lang",
        choices=("zh", "en"),
        default="zh",
        help="language of the text: zh (default) or en",
    )
    parser.add_argument("--as-of", help="evaluation date YYYY-MM-DD (default: the meeting's)")
    parser.add_argument("--verbose", "-v", action="store_true", help="details of every rule")
    parser.add_argument("--chart", metavar="FILE", help="findings by clause as PNG or SVG")
    parser.add_argument(
        "--redact", action="store_true", help="mask names and ID numbers in the output"
    )
    parser.set_defaults(func=run_audit)

    cross = subparsers.add_parser(
        "audit-set",
        help="cross-record checks over a set of records",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cross.add_argument("policy", help="bundled policy id or policy file")
    cross.add_argument("records", nargs="+", metavar="RECORDS", help="record files or folders")
    cross.add_argument("--json", action="store_true", help="the report as JSON")
    cross.add_argument(
        "--lang",
        choices=("zh", "en"),
        default="zh",
        help="language of the text: zh (default) or en",
    )
    cross.add_argument(
        "--redact", action="store_true", help="mask names and ID numbers in the output"
    )
    cross.set_defaults(func=run_audit_set)


def run_audit(args: argparse.Namespace) -> int:
    from titlerules.atomic import refuse_inputs
    from titlerules.audit.procedure import audit

    if args.chart:
        refuse_inputs(args.chart, [args.policy, args.procedure])
    as_of = _date(args.as_of) if args.as_of else None
    if args.redact:
        from titlerules.facts import load_procedure
        from titlerules.redact import personal_values_of_record, redact_report

        procedure = load_procedure(args.procedure)
        report = redact_report(
            audit(args.policy, procedure, as_of=as_of),
            known=personal_values_of_record(procedure),
            by_field=False,  # an audit report's `name` is a holiday's or a consequence's
        )
    else:
        report = audit(args.policy, args.procedure, as_of=as_of)
    if args.json:
        print(json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=2))
    else:
        print(report.text(args.lang, verbose=args.verbose))
    if args.chart:
        from titlerules.audit.notebook import save_chart
        from titlerules.cli.output import chart_lang

        save_chart(
            "findings",
            report,
            args.chart,
            lang=chart_lang(args.lang),
            inputs=[args.policy, args.procedure],
        )
    return report.exit_code


def run_audit_set(args: argparse.Namespace) -> int:
    from titlerules.audit.crossrecord import audit_set
    from titlerules.cli.records import load_reported

    # Each unreadable record, or folder without one, reported in the one error format.
    results = load_reported(args.records, redact=bool(args.redact))
    report = audit_set(args.policy, results)
    if args.redact:
        from titlerules.redact import redact_report

        report = redact_report(report)
    if args.json:
        print(json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=2))
    else:
        print(report.text(args.lang))
    return report.exit_code


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"invalid date '{text}'", hint="write YYYY-MM-DD") from None
