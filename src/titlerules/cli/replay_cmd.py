"""``titlerules replay LOG``: evaluate every decision of a decision log again and compare.

First the log's hash chain is checked: every entry must match its hash and follow the entry
before it, so an entry deleted, moved, copied or edited is reported with its line.  The last
entry's hash is the log's head: ``--head DIGEST`` checks it against a digest published when
the log was written (without it, entries removed from the end go unnoticed).  A version 1
log has no chain and is reported as unverifiable.

Then each entry is evaluated against the current policy (``--policy``, else the file the
entry names if it lies in the bundled policies folder or a ``--policy-dir``, else the bundled
policy of its id), as of the entry's own as-of date.  An entry is reported when its decision
changed, or when it was logged under another version of the policy (unless
``--allow-policy-change``), with what changed and whether the policy (sha256), the engine or
the calendar data changed since it was logged.

Exit 0 when the chain is verified and every decision is the same, 1 when the chain is broken
or unverifiable, or a decision changed, could not be evaluated again or was made under
another policy version, 2 when the log cannot be read.
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
    parser.add_argument(
        "--head", metavar="DIGEST", help="the published head (sha256) the log must end with"
    )
    parser.add_argument(
        "--allow-policy-change",
        action="store_true",
        help="do not count entries logged under another version of the policy as differences",
    )
    parser.add_argument(
        "--policy-dir",
        action="append",
        default=[],
        metavar="DIR",
        help="a folder the logged policy files may be loaded from (besides the bundled one)",
    )
    parser.add_argument("--json", action="store_true", help="the report as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from titlerules.decision_log import replay

    report = replay(
        args.log,
        policy=args.policy,
        head=args.head,
        allow_policy_change=args.allow_policy_change,
        policy_dirs=args.policy_dir,
    )
    failed = 1 if report.differences or not report.verified else 0
    if args.json:
        print(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
        return failed
    chain = report.chain
    assert chain is not None
    for line, problem in chain.breaks:
        where = f"{report.log}:{line}" if line is not None else report.log
        print(f"{where}: chain broken: {problem}")
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
        if report.allow_policy_change:
            summary += " (allowed)"
    print(summary)
    if chain.status == "verified":
        print(f"chain verified: {chain.entries} entries, head {chain.head}")
    elif chain.status == "broken":
        print(f"chain broken: {len(chain.breaks)} problem(s); the log is not the one written")
    else:
        print("chain unverifiable: a version 1 log has no hash chain; nothing vouches for it")
    return failed
