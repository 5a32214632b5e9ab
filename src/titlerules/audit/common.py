"""audit layer: what the audit, the planner and the cross-record checks share.

Loading a policy or a record from whatever the caller has (an object, an id, a path), the
calendar facts that explain a working-day count (:class:`WorkingDays`: the holidays and
make-up working days inside a window, with their names in Chinese and English), and the
receipt that makes a report reproducible.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from titlerules import calendar as cal
from titlerules._version import __version__
from titlerules.engine.decision import Receipt
from titlerules.engine.policy import Policy, load_policy
from titlerules.errors import Location, RecordError

__all__ = [
    "DayNote",
    "WorkingDays",
    "as_policy",
    "as_procedure",
    "explain_window",
    "make_receipt",
]


class DayNote(BaseModel):
    """A day that is not an ordinary Monday-Friday working day, and why."""

    model_config = ConfigDict(frozen=True)

    date: dt.date
    name: str
    name_zh: str


class WorkingDays(BaseModel):
    """A working-day computation and the calendar facts behind it.

    ``operation`` is ``count`` (the working days of ``start..end``, both ends counted) or
    ``shift`` (``n`` working days from ``origin`` gives ``result``; the window is the days
    between them that were counted: ``result..origin-1`` for a negative ``n``,
    ``origin+1..result`` for a positive one).  ``holidays`` are the public holidays and
    调休 days off on weekdays, ``makeup_workdays`` the Saturdays and Sundays worked instead.
    """

    model_config = ConfigDict(frozen=True)

    operation: Literal["count", "shift", "is_working_day"]
    start: dt.date
    end: dt.date
    working_days: int
    calendar_days: int
    weekend_days: int
    holidays: list[DayNote] = []
    makeup_workdays: list[dt.date] = []
    origin: dt.date | None = None
    n: int | None = None
    result: dt.date | None = None
    provisional_years: list[int] = []


@lru_cache(maxsize=8)
def _zh_calendar(overrides: tuple[cal.OverrideYear, ...]) -> cal.Calendar:
    return cal.Calendar(overrides, language="zh_CN")


def _en_calendar(calendar: cal.Calendar) -> cal.Calendar:
    if calendar.language == "en_US" and not calendar.strict:
        return calendar
    return _en_cached(calendar.overrides)


@lru_cache(maxsize=8)
def _en_cached(overrides: tuple[cal.OverrideYear, ...]) -> cal.Calendar:
    return cal.Calendar(overrides, language="en_US")


def explain_window(
    calendar: cal.Calendar,
    start: dt.date,
    end: dt.date,
    *,
    operation: Literal["count", "shift", "is_working_day"] = "count",
    origin: dt.date | None = None,
    n: int | None = None,
    result: dt.date | None = None,
) -> WorkingDays:
    """The working days of ``start..end`` (both counted) with the days that explain them."""
    english = _en_calendar(calendar).window_working_days(start, end)
    chinese = _zh_calendar(calendar.overrides).window_working_days(start, end)
    names_zh = {h.date: h.name for h in chinese.holidays}
    return WorkingDays(
        operation=operation,
        start=start,
        end=end,
        working_days=english.working_days,
        calendar_days=english.calendar_days,
        weekend_days=english.weekend_days,
        holidays=[
            DayNote(date=h.date, name=h.name, name_zh=names_zh.get(h.date, h.name))
            for h in english.holidays
        ],
        makeup_workdays=list(english.makeup_workdays),
        origin=origin,
        n=n,
        result=result,
        provisional_years=list(english.provisional_years),
    )


def special_days(
    calendar: cal.Calendar, start: dt.date, end: dt.date
) -> tuple[list[DayNote], list[dt.date]]:
    """Every holiday (weekends inside a holiday block included) and make-up working day in
    ``start..end``: what a timeline chart marks."""
    holidays: list[DayNote] = []
    makeup: list[dt.date] = []
    zh = _zh_calendar(calendar.overrides)
    en = _en_calendar(calendar)
    for year in range(start.year, end.year + 1):
        names_zh = {h.date: h.name for h in zh.year_holidays(year)}
        for holiday in en.year_holidays(year):
            if start <= holiday.date <= end:
                holidays.append(
                    DayNote(
                        date=holiday.date,
                        name=holiday.name,
                        name_zh=names_zh.get(holiday.date, holiday.name),
                    )
                )
        makeup.extend(d for d in en.year_makeup_workdays(year) if start <= d <= end)
    return holidays, makeup


def make_receipt(
    policy: Policy,
    calendar: cal.Calendar,
    as_of: dt.date | None,
    provisional: set[int] | frozenset[int],
) -> Receipt:
    return Receipt(
        policy_id=policy.id,
        policy_sha256=policy.sha256,
        engine_version=__version__,
        calendar_version=calendar.data_version,
        as_of=as_of,
        provisional_calendar_years=sorted(provisional),
    )


def as_policy(policy: Policy | str | Path) -> Policy:
    """A loaded policy: the object itself, or a bundled id / policy file to load."""
    if isinstance(policy, Policy):
        return policy
    return load_policy(policy)


def procedure_argument_types() -> tuple[type, ...]:
    """What a procedure argument of the public API may be (:func:`as_procedure`)."""
    from titlerules import facts

    return (facts.Procedure, Mapping, str, Path)


def as_procedure(procedure: Any) -> Any:
    """A :class:`~titlerules.facts.Procedure` from a model, a mapping or a record file."""
    from titlerules import facts

    if isinstance(procedure, facts.Procedure):
        return procedure
    if isinstance(procedure, (str, Path, Mapping)):
        return facts.load_procedure(procedure)
    raise RecordError(
        f"cannot audit a {type(procedure).__name__}",
        location=Location(record_path="(top level)"),
        hint="pass a Procedure, a mapping of its fields, or a procedure record file",
    )
