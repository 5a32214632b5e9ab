"""``titlerules policies``: the bundled policy ids with their titles."""

from __future__ import annotations

import argparse
import json
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("policies", help="list the bundled policies")
    parser.add_argument("--json", action="store_true", help="a list of {id, title}")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from titlerules.engine.policy import bundled_policies

    rows = bundled_policies()
    if args.json:
        print(json.dumps([{"id": i, "title": t} for i, t in rows], ensure_ascii=False, indent=2))
    else:
        width = max((len(i) for i, _ in rows), default=0)
        for ident, title in rows:
            print(f"{ident.ljust(width)}  {title}")
    return 0
