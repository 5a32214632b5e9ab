"""``titlerules calendar``: working days, deadlines and retirement dates (user-facing layer).

Sub-commands::

    titlerules calendar working-days START END [--json]
    titlerules calendar add START N [--json]
    titlerules calendar day DATE [--json]
    titlerules calendar retirement BIRTH --gender male|female [--category cadre|worker]
        [--senior-professional] [--json]

``--overrides FILE`` (repeatable) adds override files and ``--strict`` refuses provisional
years; both may be given before or after the sub-command. Exit codes: 0 answered,
2 bad usage or unreadable override file.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from typing import Any

from titlerules.calendar import Calendar, parse_iso_date, retirement
from titlerules.errors import UsageError


def register(subparsers: Any) -> None:
    """Add the ``calendar`` command and its sub-commands to the main parser."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--overrides",
        dest="overrides_after",
        action="append",
        metavar="FILE",
        default=None,
        help="an override file with a year's official schedule (repeatable)",
    )
    common.add_argument(
        "--strict",
        dest="strict_after",
        action="store_true",
        help="refuse answers that depend on a year without a published schedule",
    )
    json_flag = argparse.ArgumentParser(add_help=False)
    json_flag.add_argument("--json", action="store_true", help="print JSON")

    parser = subparsers.add_parser(
        "calendar",
        help="official working days, deadlines and retirement dates",
        description="Official PRC working days (holidays and 调休 make-up days), deadlines "
        "and statutory retirement dates. Windows count both ends.",
    )
    parser.add_argument(
        "--overrides",
        action="append",
        metavar="FILE",
        default=None,
        help="an override file with a year's official schedule (repeatable)",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="refuse answers that depend on a year without a published schedule",
    )
    parser.set_defaults(func=lambda args: _print_help(parser))
    commands = parser.add_subparsers(
        dest="calendar_command", metavar="COMMAND", help="the calendar question to answer"
    )

    working = commands.add_parser(
        "working-days",
        parents=[common, json_flag],
        help="count working days from START to END, both included",
    )
    working.add_argument("start", metavar="START", help="first day (YYYY-MM-DD), counted")
    working.add_argument("end", metavar="END", help="last day (YYYY-MM-DD), counted")
    working.set_defaults(func=_working_days)

    add = commands.add_parser(
        "add",
        parents=[common, json_flag],
        help="the N-th working day after START (N < 0: before; N = 0: START or the next)",
    )
    add.add_argument("start", metavar="START", help="the date to count from (YYYY-MM-DD)")
    add.add_argument("n", metavar="N", type=int, help="working days to move (may be negative)")
    add.set_defaults(func=_add)

    day = commands.add_parser(
        "day", parents=[common, json_flag], help="whether DATE is a working day, and why"
    )
    day.add_argument("day", metavar="DATE", help="the date (YYYY-MM-DD)")
    day.set_defaults(func=_day)

    retire = commands.add_parser(
        "retirement",
        parents=[common, json_flag],
        help="statutory retirement date and age (2025 phased reform included)",
    )
    retire.add_argument("birth", metavar="BIRTH", help="date of birth (YYYY-MM-DD)")
    retire.add_argument(
        "--gender", required=True, choices=("male", "female"), help="the person's legal gender"
    )
    retire.add_argument(
        "--category",
        choices=("cadre", "worker"),
        default=None,
        help="for women: cadre (干部) or worker (工人); required for women",
    )
    retire.add_argument(
        "--senior-professional",
        action="store_true",
        help="a woman holding a senior title (副高级/正高级) in a public institution, government "
        "organ or people's organisation: 60 under 组通字〔2015〕14号",
    )
    retire.set_defaults(func=_retirement)


def _print_help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _parse_date(text: str, what: str) -> date:
    parsed = parse_iso_date(text)
    if parsed is None:
        raise UsageError(
            f"{what} {text!r} is not a valid date",
            hint="write dates as YYYY-MM-DD, e.g. 2024-09-30",
        )
    return parsed


def _calendar(args: argparse.Namespace) -> Calendar:
    paths = [*(args.overrides or ()), *(getattr(args, "overrides_after", None) or ())]
    strict = bool(args.strict or getattr(args, "strict_after", False))
    if paths:
        return Calendar.from_overrides(paths, strict=strict)
    return Calendar(strict=strict)


def _emit(args: argparse.Namespace, payload: dict[str, object], text: str) -> None:
    if args.json:
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        print(text)


def _note_provisional(years: tuple[int, ...], calendar: Calendar) -> None:
    if years:
        listed = ", ".join(str(year) for year in years)
        print(
            f"note: provisional: depends on {listed}, whose official schedule is not in the "
            f"calendar data ({calendar.data_version}); add --overrides FILE when it is "
            "published",
            file=sys.stderr,
        )


def _working_days(args: argparse.Namespace) -> int:
    start = _parse_date(args.start, "START")
    end = _parse_date(args.end, "END")
    calendar = _calendar(args)
    window = calendar.window_working_days(start, end)
    _emit(args, window.to_dict(), str(window.working_days))
    _note_provisional(window.provisional_years, calendar)
    return 0


def _add(args: argparse.Namespace) -> int:
    start = _parse_date(args.start, "START")
    calendar = _calendar(args)
    result = calendar.shift_working_days(start, args.n)
    payload: dict[str, object] = {
        "start": result.start.isoformat(),
        "n": result.n,
        "date": result.value.isoformat(),
        "provisional": result.provisional,
        "provisional_years": list(result.provisional_years),
        "data_version": result.data_version,
    }
    _emit(args, payload, result.value.isoformat())
    _note_provisional(result.provisional_years, calendar)
    return 0


def _day(args: argparse.Namespace) -> int:
    day = _parse_date(args.day, "DATE")
    calendar = _calendar(args)
    info = calendar.day_info(day)
    payload: dict[str, object] = {
        "date": info.date.isoformat(),
        "working_day": info.working_day,
        "kind": info.kind,
        "name": info.name,
        "provisional": info.provisional,
        "data_version": calendar.data_version,
    }
    words = {
        "workday": "working day",
        "weekend": "weekend, not a working day",
        "holiday": "public holiday, not a working day",
        "makeup_workday": "make-up working day (调休上班日)",
    }[info.kind]
    text = f"{info.date.isoformat()} {info.date.strftime('%a')}: {words}"
    if info.name:
        text += f" ({info.name})"
    _emit(args, payload, text)
    _note_provisional(calendar.count_working_days(day, day).provisional_years, calendar)
    return 0


def _retirement(args: argparse.Namespace) -> int:
    birth = _parse_date(args.birth, "BIRTH")
    result = retirement(
        birth, args.gender, args.category, senior_professional=args.senior_professional
    )
    payload: dict[str, object] = {
        "birth": result.birth.isoformat(),
        "gender": result.gender.value,
        "category": result.category.value if result.category is not None else None,
        "date": result.date.isoformat(),
        "age": {"years": result.age_years, "months": result.age_months},
        "original_age_years": result.original_age_years,
        "delay_months": result.delay_months,
        "citation": result.citation,
        "senior_professional": result.senior_professional,
        "reading": result.reading,
    }
    text = f"{result.date.isoformat()} (age {result.age_years} years {result.age_months} months)"
    if result.reading:
        text += f"\nreading: {result.reading}"
    _emit(args, payload, text)
    return 0
