"""Official PRC calendar facts (calendar layer: pure, knows nothing of policies).

* working days per the State Council's holiday schedules, with provisional years flagged
  (:mod:`titlerules.calendar.workdays`, override files in
  :mod:`titlerules.calendar.overrides`);
* statutory retirement age and date, including the 2025 phased reform
  (:mod:`titlerules.calendar.retirement`);
* default effect periods of sanctions (:mod:`titlerules.calendar.sanctions`).

The module-level working-day functions use :func:`default_calendar`, a non-strict
``Calendar()`` without overrides. Build a :class:`Calendar` for overrides or strict mode.
See ``docs/calendar.md``.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from titlerules.argcheck import checked
from titlerules.calendar._dates import parse_iso_date
from titlerules.calendar.overrides import (
    Holiday,
    OverrideYear,
    load_overrides,
    parse_overrides,
)
from titlerules.calendar.retirement import (
    Gender,
    Retirement,
    StaffCategory,
    known_retirement_date,
    retirement,
    retirement_age,
    retirement_date,
)
from titlerules.calendar.sanctions import (
    SANCTION_RULES,
    SanctionRule,
    SanctionSystem,
    sanction_effect_months,
    sanction_end,
    sanction_kind,
    sanction_rule,
)
from titlerules.calendar.workdays import (
    EPOCH,
    LAST_DATE,
    Calendar,
    DayInfo,
    WorkingDayCount,
    WorkingDayDate,
    WorkingDayWindow,
)

__all__ = [
    "EPOCH",
    "LAST_DATE",
    "SANCTION_RULES",
    "Calendar",
    "DayInfo",
    "Gender",
    "Holiday",
    "OverrideYear",
    "Retirement",
    "SanctionRule",
    "SanctionSystem",
    "StaffCategory",
    "WorkingDayCount",
    "WorkingDayDate",
    "WorkingDayWindow",
    "add_working_days",
    "count_working_days",
    "data_version",
    "deadline_within_working_days",
    "default_calendar",
    "holiday_name",
    "is_provisional_year",
    "is_working_day",
    "known_retirement_date",
    "latest_start_n_working_days_before",
    "load_overrides",
    "parse_iso_date",
    "parse_overrides",
    "retirement",
    "retirement_age",
    "retirement_date",
    "sanction_effect_months",
    "sanction_end",
    "sanction_kind",
    "sanction_rule",
    "shift_working_days",
    "window_working_days",
    "working_day_index",
    "working_days_between",
]


@lru_cache(maxsize=1)
def default_calendar() -> Calendar:
    """The shared non-strict calendar without overrides (built on first use)."""
    return Calendar()


@checked
def is_working_day(day: date) -> bool:
    """True when ``day`` is an official working day (see :meth:`Calendar.is_working_day`)."""
    return default_calendar().is_working_day(day)


@checked
def working_days_between(start: date, end: date) -> int:
    """Working days in ``start..end``, both ends counted; 0 when ``start > end``."""
    return default_calendar().working_days_between(start, end)


@checked
def add_working_days(day: date, n: int) -> date:
    """The n-th working day after (n > 0) or before (n < 0) ``day``; for n == 0, ``day``
    if it is a working day, else the next working day."""
    return default_calendar().add_working_days(day, n)


@checked
def latest_start_n_working_days_before(day: date, n: int, *, on_working_day: bool = False) -> date:
    """The latest date with at least ``n`` working days strictly between it and ``day``
    (see :meth:`Calendar.latest_start_n_working_days_before`)."""
    return default_calendar().latest_start_n_working_days_before(
        day, n, on_working_day=on_working_day
    )


@checked
def deadline_within_working_days(start: date, n: int) -> date:
    """The last allowed date for something due within ``n`` working days after ``start``."""
    return default_calendar().deadline_within_working_days(start, n)


@checked
def holiday_name(day: date) -> str | None:
    """The English name of the public holiday on ``day``, else None."""
    return default_calendar().holiday_name(day)


@checked
def working_day_index(day: date) -> int:
    """Working days from 2000-01-01 to ``day``, both included (for O(1) window counts)."""
    return default_calendar().working_day_index(day)


@checked
def count_working_days(start: date, end: date) -> WorkingDayCount:
    """:func:`working_days_between` with its ``provisional`` flag and data version."""
    return default_calendar().count_working_days(start, end)


@checked
def shift_working_days(day: date, n: int) -> WorkingDayDate:
    """:func:`add_working_days` with its ``provisional`` flag and data version."""
    return default_calendar().shift_working_days(day, n)


@checked
def window_working_days(start: date, end: date) -> WorkingDayWindow:
    """The count of ``start..end`` with the holidays and make-up days that explain it."""
    return default_calendar().window_working_days(start, end)


@checked
def is_provisional_year(year: int) -> bool:
    """True when ``year``'s official schedule is not in the built-in data."""
    return default_calendar().is_provisional_year(year)


def data_version() -> str:
    """The built-in calendar data's version string (see :attr:`Calendar.data_version`)."""
    return default_calendar().data_version
