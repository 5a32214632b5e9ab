"""``titlerules demo``: the main job on the bundled examples.

For every bundled policy with examples under ``<examples>/<policy-id>/`` (by default the
examples installed with titlerules), evaluate each applicant and print the explained
decisions, then audit each committee procedure.  A folder with no example of a bundled policy
is an error, never a silent success.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo", help="evaluate the bundled examples", description=__doc__
    )
    parser.add_argument(
        "--examples", metavar="FOLDER", help="examples folder (default: the bundled examples)"
    )
    parser.add_argument(
        "--lang",
        choices=("zh", "en"),
        default="zh",
        help="language of the text: zh (default) or en",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from titlerules import calendar as cal
    from titlerules.audit.procedure import audit
    from titlerules.engine.policy import bundled_policies, load_policy
    from titlerules.errors import Location, UsageError
    from titlerules.facts import Applicant, Procedure, load_records
    from titlerules.report.explanation import explain
    from titlerules.resources import examples_dir

    root = Path(args.examples) if args.examples else examples_dir()
    found = [(i, t) for i, t in bundled_policies() if (root / i).is_dir()]
    if not found:
        raise UsageError(
            "no examples of a bundled policy in the folder",
            location=Location(file=str(root)),
            hint="give --examples FOLDER holding <policy-id>/ folders of records",
        )
    print("== 工作日日历 / working-day calendar ==")
    for start, end in (("2024-09-30", "2024-10-14"), ("2024-01-01", "2024-12-31")):
        import datetime as dt

        a, b = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
        print(f"working days {start} .. {end}: {cal.working_days_between(a, b)}")
    for ident, title in found:
        folder = root / ident
        policy = load_policy(ident)
        print(f"\n== {ident}: {title} ({len(policy.rules)} rules) ==")
        procedures: list[tuple[Path, Procedure]] = []
        for path in sorted(folder.rglob("*.yaml")):
            for record in load_records(path):
                if isinstance(record, Procedure):
                    procedures.append((path, record))
                    continue
                if not isinstance(record, Applicant):
                    continue
                decision = policy.evaluate(record)
                print(f"-- {path}")
                print(explain(decision, args.lang))
        for path, procedure in procedures:  # the committee's round: the procedure audit
            print(f"-- {path}")
            print(audit(policy, procedure).text(args.lang))
    return 0
