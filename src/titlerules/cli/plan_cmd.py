"""``titlerules plan POLICY --meeting START[..END]``: the timeline of an evaluation round.

For every step the policy's procedure rules constrain (the notice, publicity windows,
filings, results publicity, post-meeting filing, calendar deadlines), the earliest and the
latest allowed date, counted in official working days from the meeting, with the rules that
decide it; a warning where a window crosses a year whose holiday schedule is not published.
``--procedure`` takes the committee's facts (its level, whether it evaluates itself) from a
procedure record, so that rules which apply only to some committees are decided.

Outputs: a table (default), ``--json``, an iCalendar file (``--ics``) and a timeline chart
marking holidays and make-up working days (``--chart``, PNG or SVG).

Exit codes: 0 planned, 1 the meeting dates break a rule or the rules conflict, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from titlerules.errors import UsageError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "plan",
        help="earliest and latest dates of every step around a meeting",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("policy", help="bundled policy id or policy file")
    parser.add_argument(
        "--meeting", required=True, metavar="START[..END]", help="meeting dates YYYY-MM-DD"
    )
    parser.add_argument(
        "--procedure", metavar="FILE", help="take the committee's facts from a record"
    )
    parser.add_argument("--json", action="store_true", help="the plan as JSON")
    parser.add_argument("--ics", metavar="FILE", help="write the plan as an iCalendar file")
    parser.add_argument("--chart", metavar="FILE", help="write a timeline chart (PNG or SVG)")
    parser.add_argument(
        "--lang",
        choices=("zh", "en"),
        default="zh",
        help="language of the text: zh (default) or en",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from titlerules.atomic import refuse_inputs, write_atomic
    from titlerules.audit.planner import parse_meeting, plan

    meeting = parse_meeting(args.meeting)
    if args.chart and Path(args.chart).suffix.lower() not in (".png", ".svg"):
        raise UsageError(f"cannot write a chart as '{args.chart}'", hint="use a .png or .svg file")
    inputs = [args.policy, args.procedure]
    for output in (args.ics, args.chart):
        if output:
            refuse_inputs(output, inputs)
    if args.ics and args.chart:
        if os.path.realpath(args.ics) == os.path.realpath(args.chart):
            raise UsageError("--ics and --chart name the same file", hint="name two files")
        refuse_inputs(args.chart, [args.ics], what="the --ics file")  # a hard link between them
    result = plan(args.policy, meeting, base=args.procedure)
    if args.json:
        print(json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=2))
    else:
        print(result.text(args.lang))
    if args.ics:
        write_atomic(args.ics, result.to_ics(lang=args.lang), inputs=inputs)
    if args.chart:
        from titlerules.audit.notebook import save_chart
        from titlerules.cli.output import chart_lang

        save_chart("plan", result, args.chart, lang=chart_lang(args.lang), inputs=inputs)
    broken = [w for w in result.warnings if w.kind in ("meeting", "conflict")]
    return 1 if broken else 0
