"""``titlerules doc POLICY [-o FILE]`` and ``titlerules compare A B``: policies for people."""

from __future__ import annotations

import argparse
import json
import shutil
from typing import Any


def register(subparsers: Any) -> None:
    doc = subparsers.add_parser(
        "doc",
        help="a policy as a Markdown page",
        description="A policy (or module) as a Markdown page: its header, parameters, rules "
        "with their citations, and its clause map.",
    )
    doc.add_argument("policy", help="bundled policy id or policy file")
    doc.add_argument("-o", "--output", help="write to this file instead of printing")
    doc.set_defaults(func=run_doc)
    compare = subparsers.add_parser(
        "compare",
        help="how two policies differ, clause family by clause family",
        description="How two policies differ: their rules grouped by what they check (cutoff "
        "dates, publicity windows, filings, votes, deadlines, exclusions, other requirements), "
        "with the parameter values each uses.  Text wrapped to the terminal's width, a "
        "Markdown table (--format markdown) or JSON.",
    )
    compare.add_argument("left", help="bundled policy id or policy file")
    compare.add_argument("right", help="bundled policy id or policy file")
    compare.add_argument(
        "--format",
        choices=("text", "markdown", "json"),
        default="text",
        help="text for a terminal (default), a Markdown table, or JSON",
    )
    compare.add_argument("--json", action="store_true", help="the same as --format json")
    compare.add_argument(
        "--width", type=int, metavar="N", help="wrap text at N columns (default: the terminal's)"
    )
    compare.set_defaults(func=run_compare)


def _resolve(name: str) -> Any:
    # A page describes a module too (its shared params and defs), though only a policy decides.
    from titlerules.engine.policy import load_policy_or_module

    return load_policy_or_module(name)


def run_doc(args: argparse.Namespace) -> int:
    from titlerules.atomic import refuse_inputs, write_atomic
    from titlerules.report.policy_doc import policy_markdown

    if args.output:
        refuse_inputs(args.output, [args.policy])
    text = policy_markdown(_resolve(args.policy))
    if args.output:
        write_atomic(args.output, text.encode("utf-8"), inputs=[args.policy])
    else:
        print(text, end="")
    return 0


def run_compare(args: argparse.Namespace) -> int:
    from titlerules.report.compare import compare, compare_markdown, compare_text

    left, right = _resolve(args.left), _resolve(args.right)
    if args.format == "text" and not args.json:
        width = args.width or shutil.get_terminal_size(fallback=(100, 24)).columns
        print(compare_text(left, right, width), end="")
    elif args.json or args.format == "json":
        rows = [
            {"family": r.key, "heading": r.heading, args.left: r.left, args.right: r.right}
            for r in compare(left, right)
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        print(compare_markdown(left, right), end="")
    return 0
