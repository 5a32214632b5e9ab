"""``titlerules check POLICY RECORD...``: evaluate records and explain each decision.

Exit 0 whatever the outcomes; 2 when a policy or a record cannot be read.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from typing import Any

from titlerules.errors import UsageError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "check", help="evaluate records against a policy", description=__doc__
    )
    parser.add_argument("policy", help="bundled policy id or policy file")
    parser.add_argument("records", nargs="+", metavar="RECORD", help="record files or folders")
    parser.add_argument("--json", action="store_true", help="decisions as JSON")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    parser.add_argument("--as-of", help="evaluation date YYYY-MM-DD (default: the record's)")
    parser.add_argument("--verbose", "-v", action="store_true", help="list every rule")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from titlerules.engine.explain import explain
    from titlerules.engine.policy import load_policy
    from titlerules.facts import Applicant, Procedure, load_batch

    as_of = _date(args.as_of) if args.as_of else None
    policy = load_policy(args.policy)
    payloads: list[dict[str, Any]] = []
    texts: list[str] = []
    unreadable = False
    for name in args.records:
        for result in load_batch(Path(name)):
            where = f"{result.file}: {result.record_path}" if result.file else result.record_path
            if result.error is not None:
                unreadable = True
                payloads.append(
                    {
                        "file": result.file,
                        "record_path": result.record_path,
                        "error": str(result.error),
                    }
                )
                texts.append(f"{where}: error: {result.error}")
                continue
            record = result.record
            if not isinstance(record, (Applicant, Procedure)):
                kind = type(record).__name__
                payloads.append(
                    {
                        "file": result.file,
                        "record_path": result.record_path,
                        "error": f"a {kind} is not evaluated by a policy",
                    }
                )
                texts.append(f"{where}: skipped: a {kind} is not evaluated by a policy")
                continue
            decision = policy.evaluate(record, as_of=as_of)
            payloads.append(decision.model_dump(mode="json"))
            texts.append(explain(decision, args.lang, verbose=args.verbose))
    if args.json:
        payload: Any = payloads[0] if len(payloads) == 1 else payloads
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        print("\n\n".join(texts))
    return 2 if unreadable else 0


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"invalid date '{text}'", hint="write YYYY-MM-DD") from None
