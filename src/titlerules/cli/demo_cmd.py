"""``titlerules demo``: the main job on the bundled examples.

For every bundled policy with examples under ``examples/<policy-id>/``, evaluate each
applicant and print the explained decisions, then audit each committee procedure.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("demo", help="evaluate the bundled examples")
    parser.add_argument("--examples", default="examples", help="examples folder")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from titlerules import calendar as cal
    from titlerules.audit.procedure import audit
    from titlerules.engine.explain import explain
    from titlerules.engine.policy import bundled_policies, load_policy
    from titlerules.facts import Applicant, Procedure, load_records

    root = Path(args.examples)
    print("== 工作日日历 / working-day calendar ==")
    for start, end in (("2024-09-30", "2024-10-14"), ("2024-01-01", "2024-12-31")):
        import datetime as dt

        a, b = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
        print(f"working days {start} .. {end}: {cal.working_days_between(a, b)}")
    for ident, title in bundled_policies():
        folder = root / ident
        if not folder.is_dir():
            continue
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
