"""Small date helpers (calendar layer: pure, knows nothing of policies).

Month arithmetic with the civil-law day clamp, ISO date parsing that reports bad input as
titlerules errors, and argument checks shared by the calendar modules.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
import re
from datetime import date, datetime

from titlerules.errors import UsageError

_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def add_months(start: date, months: int) -> date:
    """``start`` moved by ``months`` calendar months, keeping the day of month.

    When the target month has no such day the last day of that month is used
    (民法典 第二百零二条: 没有对应日的，月末日为期间的最后一日), so
    ``add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)``.
    """
    total = start.year * 12 + (start.month - 1) + months
    year, month_index = divmod(total, 12)
    month = month_index + 1
    last_day = _stdlib_calendar.monthrange(year, month)[1]
    return date(year, month, min(start.day, last_day))


def parse_iso_date(text: str) -> date | None:
    """The date written ``YYYY-MM-DD`` in ``text``, or None when it is not a valid date."""
    match = _ISO_DATE.match(text.strip())
    if match is None:
        return None
    year, month, day = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


def check_date(value: object, argument: str) -> date:
    """``value`` as a :class:`datetime.date` (a ``datetime`` is cut to its date).

    Raises :class:`UsageError` for anything else, so callers never see a TypeError.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise UsageError(
        f"{argument} must be a datetime.date, not {type(value).__name__} {value!r}",
        hint="pass datetime.date(YYYY, M, D); parse text with date.fromisoformat first",
    )


def check_int(value: object, argument: str) -> int:
    """``value`` as an int (bools are refused); raises :class:`UsageError` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise UsageError(
            f"{argument} must be an integer, not {type(value).__name__} {value!r}",
        )
    return value
