"""``titlerules validate-records FILE``: historical title records (Xianning attachment 4).

Reads a ``.csv`` or ``.xlsx`` file and checks every row: the 12 mandatory fields, the ID
number's check character and its agreement with the birth date and gender, the dates
(approval within the 2012-2021 collection range; earlier years are a warning), the
vocabularies of 性别 and 证件类型.  One result per input row, errors listed by row and field,
and a summary.

Exit codes: 0 every row valid, 1 a row failed, 2 bad input.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Any

from titlerules.errors import UsageError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "validate-records",
        help="check historical title records (CSV or XLSX) row by row",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", help="a .csv or .xlsx file")
    parser.add_argument("--json", action="store_true", help="every row's result as JSON")
    parser.add_argument(
        "--lang",
        choices=("zh", "en"),
        default="zh",
        help="language of the text: zh (default) or en",
    )
    parser.add_argument(
        "--limit", type=int, default=50, help="failing rows listed in the text output (0: all)"
    )
    parser.add_argument("--from-year", type=int, help="first year of the collection range")
    parser.add_argument("--to-year", type=int, help="last year of the collection range")
    parser.add_argument(
        "--redact", action="store_true", help="mask names and ID numbers in the output"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from titlerules.audit.historical import COLLECTION_FROM, COLLECTION_TO, validate_records

    start = (
        dt.date(_year(args.from_year, "--from-year"), 1, 1)
        if args.from_year is not None
        else COLLECTION_FROM
    )
    end = (
        dt.date(_year(args.to_year, "--to-year"), 12, 31)
        if args.to_year is not None
        else COLLECTION_TO
    )
    if end < start:
        raise UsageError("the collection range ends before it starts")
    report = validate_records(args.file, collection=(start, end))
    if args.redact:
        from titlerules.redact import redact_report

        report = redact_report(report)
    if args.json:
        print(json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=1))
    else:
        print(report.text(args.lang, limit=args.limit or None))
    return report.exit_code


def _year(value: int, option: str) -> int:
    """``value`` as a year a date can have (1-9999); ``0`` is refused, not read as unset."""
    from titlerules.audit.historical import COLLECTION_FROM, COLLECTION_TO

    collection_years = f"{COLLECTION_FROM.year}-{COLLECTION_TO.year}"
    if not dt.MINYEAR <= value <= dt.MAXYEAR:
        raise UsageError(
            f"{option} {value} is not a year",
            hint=f"give a year from {dt.MINYEAR} to {dt.MAXYEAR}; the default range is "
            f"{collection_years}",
        )
    return value
