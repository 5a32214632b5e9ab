"""``titlerules replay LOG``: evaluate every decision of a decision log again and compare.

Each entry is evaluated against the current policy (``--policy``, else the file or bundled
id the entry names), as of the entry's own as-of date.  An entry is reported when its
decision changed, with what changed and whether the policy (sha256), the engine or the
calendar data changed since it was logged.

Exit 0 when every decision is the same, 1 when one changed or could not be evaluated again,
2 when the log cannot be read.
"""

from __future__ import annotations

import argparse
import json
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "replay",
        help="re-evaluate a decision log and report changed decisions",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("log", metavar="LOG", help="a decision log (JSON Lines)")
    parser.add_argument(
        "--policy", help="replay against this policy (bundled id or file) instead of the logged one"
    )
    parser.add_argument("--json", action="store_true", help="the report as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from titlerules.decision_log import replay

    report = replay(args.log, policy=args.policy)
    if args.json:
        print(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
        return 1 if report.differences else 0
    for entry in report.differences:
        where = f"{report.log}:{entry.line}"
        who = f" ({entry.record})" if entry.record else ""
        if entry.status == "error":
            print(f"{where}{who}: cannot evaluate again: {entry.error}")
            continue
        if entry.old_outcome != entry.new_outcome:
            print(f"{where}{who}: {entry.old_outcome} -> {entry.new_outcome}")
        else:
            print(f"{where}{who}: still {entry.new_outcome}, but")
        for change in entry.changes:
            if not change.startswith("outcome: "):
                print(f"  {change}")
        for note in entry.notes:
            print(f"  note: {note}")
    edited = report.policy_changed
    summary = (
        f"{report.log}: replayed {len(report.entries)} decision(s), "
        f"{len(report.differences)} difference(s)"
    )
    if edited:
        summary += f"; {edited} logged under a different policy version"
    print(summary)
    return 1 if report.differences else 0
