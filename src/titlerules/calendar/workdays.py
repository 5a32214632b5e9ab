"""Official PRC working-day calendar (calendar layer: pure, knows nothing of policies).

A working day (工作日) is a Monday to Friday that is not a public holiday, or a Saturday or
Sunday the State Council made a working day (调休上班日, "make-up working day"). Holidays
and make-up days come from the ``holidays`` package's CN calendar (official schedules for
2001-2026 in holidays 0.109), plus user override files (:mod:`titlerules.calendar.overrides`).

Years without a published schedule are *provisional*: they get the statutory holidays
(全国年节及纪念日放假办法, with a holiday falling on a weekend moved to the next weekday,
第六条) and no make-up days. Every rich answer says whether it depends on such a year, and a
strict :class:`Calendar` refuses to answer instead.

Windows are counted inclusively at both ends. Each year is turned into a cumulative table
once, so counting any window is O(1): :meth:`Calendar.working_day_index` is the number of
working days from 2000-01-01 up to a date, inclusive.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from itertools import accumulate
from pathlib import Path
from types import ModuleType
from typing import Literal

from titlerules.argcheck import checked
from titlerules.calendar._dates import check_date, check_int
from titlerules.calendar.overrides import (
    FIRST_YEAR,
    LAST_YEAR,
    Holiday,
    OverrideYear,
    load_overrides,
    overrides_digest,
)
from titlerules.errors import CalendarError, UsageError

Language = Literal["en_US", "zh_CN"]
LANGUAGES: tuple[Language, ...] = ("en_US", "zh_CN")
DayKind = Literal["workday", "weekend", "holiday", "makeup_workday"]

#: The first and last dates the calendar answers for.
EPOCH = date(FIRST_YEAR, 1, 1)
LAST_DATE = date(LAST_YEAR, 12, 31)

#: How far before New Year a notice has reached: the 2019 arrangement made 2018-12-29 a
#: working day and 2018-12-31 a holiday. Days this close to the end of a year are only
#: final once the next year's schedule is published.
NEW_YEAR_REACH = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class _Correction:
    """A fix applied on top of the ``holidays`` data for one year."""

    holidays: Mapping[date, Mapping[str, str]]
    cancelled_workdays: tuple[date, ...]
    source: str


_EXTENDED_SPRING_FESTIVAL = {"en_US": "Spring Festival (extended)", "zh_CN": "春节延长假期"}

# The 2020 Spring Festival break was extended to 2020-02-02 and the 2020-02-01 make-up day
# cancelled: 国务院办公厅关于延长2020年春节假期的通知（国办发明电〔2020〕1号）.
# holidays 0.109 already has it; the correction keeps it true whatever the package version.
_CORRECTIONS: dict[int, _Correction] = {
    2020: _Correction(
        holidays={
            date(2020, 1, 30): {"en_US": "Spring Festival", "zh_CN": "春节"},
            date(2020, 1, 31): _EXTENDED_SPRING_FESTIVAL,
            date(2020, 2, 1): _EXTENDED_SPRING_FESTIVAL,
            date(2020, 2, 2): _EXTENDED_SPRING_FESTIVAL,
        },
        cancelled_workdays=(date(2020, 2, 1),),
        source="国务院办公厅关于延长2020年春节假期的通知（国办发明电〔2020〕1号）",
    ),
}


def __getattr__(name: str) -> str:
    if name == "HOLIDAYS_VERSION":  # the installed holidays package's version (read lazily)
        return holidays_version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@lru_cache(maxsize=1)
def holidays_version() -> str:
    """The installed ``holidays`` package's version, without importing the package (which
    loads every country's calendar) when its distribution metadata can be read directly."""
    version = _installed_holidays_version()
    if version is None:
        from holidays.version import __version__

        version = str(__version__)
    return version


def _installed_holidays_version() -> str | None:
    """The version in the ``holidays-VERSION.dist-info`` directory beside the ``holidays``
    package that would be imported (None when there is not exactly one, or it cannot be
    read: then the package itself says)."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("holidays")
        if spec is None or spec.origin is None:
            return None
        site = Path(spec.origin).parent.parent
        found = [entry for entry in site.glob("holidays-*.dist-info") if entry.is_dir()]
        if len(found) != 1:
            return None
        with (found[0] / "METADATA").open(encoding="utf-8") as metadata:
            for line in metadata:
                if line.startswith("Version:"):
                    version = line.removeprefix("Version:").strip()
                    return version if found[0].name == f"holidays-{version}.dist-info" else None
                if not line.strip():  # the end of the headers
                    break
    except (OSError, ValueError, ImportError):
        return None
    return None


def _snapshot() -> ModuleType | None:
    """The bundled copy of the package's CN calendar (titlerules.calendar._cn_data), when it
    was made from the installed version of ``holidays`` (None otherwise)."""
    from titlerules.calendar import _cn_data

    return _cn_data if _cn_data.HOLIDAYS_VERSION == holidays_version() else None


def official_years_of_package() -> tuple[int, int]:
    """First and last year for which the ``holidays`` package itself has the State Council's
    published schedule (its table of 调休 substitutions)."""
    from holidays.countries.china import ChinaStaticHolidays

    years = sorted(ChinaStaticHolidays.special_public_holidays)
    return years[0], years[-1]


@lru_cache(maxsize=1)
def package_official_years() -> tuple[int, int]:
    """First and last year for which the installed ``holidays`` package has the State
    Council's published schedule (its table of 调休 substitutions)."""
    snapshot = _snapshot()
    if snapshot is not None:
        first, last = snapshot.OFFICIAL_YEARS
        return int(first), int(last)
    return official_years_of_package()


def _package_year_from_package(year: int, language: str) -> tuple[dict[date, str], frozenset[date]]:
    """Holidays (date -> name) and make-up working days the package itself dates in ``year``."""
    import holidays

    table = holidays.country_holidays("CN", years=year, language=language)
    named = {day: str(name) for day, name in table.items() if day.year == year}
    makeup = frozenset(day for day in table.weekend_workdays if day.year == year)
    return named, makeup


@lru_cache(maxsize=512)
def _package_year(year: int, language: str) -> tuple[dict[date, str], frozenset[date]]:
    """Holidays (date -> name) and make-up working days the package dates in ``year`` (from
    the bundled copy of its calendar when that is the installed version's)."""
    snapshot = _snapshot()
    row = snapshot.YEARS.get(year) if snapshot is not None else None
    if snapshot is None or row is None or language not in LANGUAGES:
        return _package_year_from_package(year, language)
    names = snapshot.NAMES[language]
    named = {
        date(year, int(cell[:2]), int(cell[2:4])): names[int(cell[4:])]
        for cell in row[LANGUAGES.index(language)].split()
    }
    makeup = frozenset(date(year, int(cell[:2]), int(cell[2:])) for cell in row[2].split())
    return named, makeup


@dataclass(frozen=True, slots=True)
class _YearTable:
    year: int
    holidays: Mapping[date, str]
    makeup: frozenset[date]
    cumulative: tuple[int, ...]  # cumulative[i]: working days from Jan 1 to Jan 1 + i
    source: str

    @property
    def total(self) -> int:
        return self.cumulative[-1]

    def is_working(self, day: date) -> bool:
        if day.weekday() >= 5:
            return day in self.makeup
        return day not in self.holidays


@dataclass(frozen=True, slots=True)
class DayInfo:
    """What one date is, and why."""

    date: date
    kind: DayKind
    name: str | None
    provisional: bool

    @property
    def working_day(self) -> bool:
        return self.kind in ("workday", "makeup_workday")


@dataclass(frozen=True, slots=True)
class WorkingDayCount:
    """A working-day count over ``start..end`` (both included) and where it came from."""

    start: date
    end: date
    value: int
    provisional: bool
    provisional_years: tuple[int, ...]
    data_version: str

    def __int__(self) -> int:
        return self.value


@dataclass(frozen=True, slots=True)
class WorkingDayDate:
    """A date reached by moving ``n`` working days from ``start``."""

    start: date
    n: int
    value: date
    provisional: bool
    provisional_years: tuple[int, ...]
    data_version: str


@dataclass(frozen=True, slots=True)
class WorkingDayWindow:
    """Everything an auditor asks about a window ``start..end`` (both included).

    ``calendar_days == working_days + len(holidays) + weekend_days`` always holds:
    ``holidays`` are the Monday-Friday public holidays, ``weekend_days`` the Saturdays and
    Sundays that are not make-up working days, and ``makeup_workdays`` the Saturdays and
    Sundays that are.
    """

    start: date
    end: date
    calendar_days: int
    working_days: int
    holidays: tuple[Holiday, ...]
    weekend_days: int
    makeup_workdays: tuple[date, ...]
    provisional: bool
    provisional_years: tuple[int, ...]
    data_version: str

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready form with stable keys."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "calendar_days": self.calendar_days,
            "working_days": self.working_days,
            "holidays": [{"date": h.date.isoformat(), "name": h.name} for h in self.holidays],
            "weekend_days": self.weekend_days,
            "makeup_workdays": [d.isoformat() for d in self.makeup_workdays],
            "provisional": self.provisional,
            "provisional_years": list(self.provisional_years),
            "data_version": self.data_version,
        }


class Calendar:
    """The official working-day calendar, with optional overrides and strictness.

    ``Calendar()`` uses the ``holidays`` package data. ``Calendar.from_overrides(paths)``
    adds override files. With ``strict=True`` every question whose answer depends on a
    provisional year raises :class:`CalendarError` instead of answering. ``language``
    chooses the holiday names (``"en_US"`` or ``"zh_CN"``), never the machine locale.
    Instances are immutable in behaviour and safe to share between threads.
    """

    @checked
    def __init__(
        self,
        overrides: Iterable[OverrideYear] = (),
        *,
        strict: bool = False,
        language: Language = "en_US",
    ) -> None:
        if language not in LANGUAGES:
            raise UsageError(
                f"unsupported holiday-name language {language!r}",
                hint=f"use one of {', '.join(LANGUAGES)}",
            )
        by_year: dict[int, OverrideYear] = {}
        for override in overrides:
            if not isinstance(override, OverrideYear):
                raise UsageError(
                    f"overrides must be OverrideYear objects, not {type(override).__name__}",
                    hint="use Calendar.from_overrides(paths) to read override files",
                )
            earlier = by_year.get(override.year)
            if earlier is not None:
                raise CalendarError(
                    f"two override files for {override.year}: "
                    f"{earlier.file or '<data>'} and {override.file or '<data>'}",
                    hint="keep one file per year",
                )
            by_year[override.year] = override
        self._overrides = dict(sorted(by_year.items()))
        self._strict = strict
        self._language: Language = language
        self._first_official, self._last_official = package_official_years()
        self._lock = threading.RLock()
        self._tables: dict[int, _YearTable] = {}
        self._bases: list[int] = [0]  # _bases[i]: working days in years before FIRST_YEAR+i
        if self._overrides:
            years = ",".join(str(year) for year in self._overrides)
            overridden = f"{years}@{overrides_digest(self._overrides.values())}"
        else:
            overridden = "none"
        self._data_version = (
            f"holidays-{holidays_version()};"
            f"official={self._first_official}-{self._last_official};overrides={overridden}"
        )

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        """Pickled as what it was made of (overrides, strictness, language): the year
        tables are rebuilt on use where it is unpickled (a Spark executor, a worker)."""
        return (_rebuilt_calendar, (tuple(self._overrides.values()), self._strict, self._language))

    # -- construction -----------------------------------------------------------------

    @classmethod
    @checked
    def from_overrides(
        cls,
        paths: str | Path | Iterable[str | Path],
        *,
        strict: bool = False,
        language: Language = "en_US",
    ) -> Calendar:
        """A calendar with the override files at ``paths`` (one year per file)."""
        if isinstance(paths, (str, Path)):
            paths = [paths]
        return cls([load_overrides(path) for path in paths], strict=strict, language=language)

    def with_strict(self, strict: bool = True) -> Calendar:
        """The same calendar data with strictness switched; shares the cached tables."""
        other = Calendar(self._overrides.values(), strict=strict, language=self._language)
        other._lock = self._lock
        other._tables = self._tables
        other._bases = self._bases
        return other

    # -- description ------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"Calendar(strict={self._strict}, data_version={self._data_version!r})"

    @property
    def strict(self) -> bool:
        return self._strict

    @property
    def language(self) -> Language:
        return self._language

    @property
    def overrides(self) -> tuple[OverrideYear, ...]:
        return tuple(self._overrides.values())

    @property
    def data_version(self) -> str:
        """Identifies the calendar data, for decision receipts:
        ``holidays-<version>;official=<first>-<last>;overrides=<none|years@sha256-prefix>``."""
        return self._data_version

    @property
    def official_years(self) -> tuple[int, ...]:
        """Years whose schedule is published in the data (package years and override years)."""
        years = set(range(self._first_official, self._last_official + 1)) | set(self._overrides)
        return tuple(sorted(years))

    def is_provisional_year(self, year: int) -> bool:
        """True when ``year``'s official schedule is not in the data."""
        year = check_int(year, "year")
        return not (self._first_official <= year <= self._last_official or year in self._overrides)

    def is_provisional_date(self, day: date) -> bool:
        """True when the status of ``day`` is not final: its year is provisional, or it lies
        in the last week of a year whose next year is provisional (a notice can move such
        days, as the 2019 New Year arrangement did for 2018-12-29 and 2018-12-31)."""
        day = self._check(day, "day")
        return bool(self._provisional_years(day, day))

    def year_source(self, year: int) -> str:
        """Where ``year``'s holidays and make-up days come from, in words."""
        return self._table(self._check_year(year)).source

    # -- plain answers ----------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        """True when ``day`` is an official working day."""
        day = self._check(day, "day")
        self._require_final(day, day)
        return self._table(day.year).is_working(day)

    def holiday_name(self, day: date) -> str | None:
        """The public holiday's name on ``day`` in this calendar's language, else None.

        Weekend days inside a holiday block carry the holiday's name too; a make-up
        working day has none.
        """
        day = self._check(day, "day")
        self._require_final(day, day)
        return self._table(day.year).holidays.get(day)

    def day_info(self, day: date) -> DayInfo:
        """The kind of ``day`` (workday, weekend, holiday, makeup_workday) and its name."""
        day = self._check(day, "day")
        provisional = self._require_final(day, day)
        table = self._table(day.year)
        name = table.holidays.get(day)
        kind: DayKind
        if day.weekday() >= 5:
            kind = (
                "makeup_workday"
                if day in table.makeup
                else ("holiday" if name is not None else "weekend")
            )
        else:
            kind = "holiday" if name is not None else "workday"
        return DayInfo(day, kind, name, bool(provisional))

    def working_days_between(self, start: date, end: date) -> int:
        """Working days from ``start`` to ``end``, counting both ends.

        An empty window (``start > end``) has 0 working days; the count is never negative.
        ``working_days_between(date(2024, 9, 30), date(2024, 10, 14)) == 7``.
        """
        return self.count_working_days(start, end).value

    def add_working_days(self, day: date, n: int) -> date:
        """The date ``n`` working days from ``day``.

        * ``n > 0``: the n-th working day after ``day`` (``day`` itself is not counted);
        * ``n < 0``: the |n|-th working day before ``day``;
        * ``n == 0``: ``day`` if it is a working day, else the next working day.

        ``add_working_days(date(2024, 9, 27), 5) == date(2024, 10, 10)`` (the National Day
        break and the 2024-09-29 make-up Sunday are in between).
        """
        return self.shift_working_days(day, n).value

    def latest_start_n_working_days_before(
        self, day: date, n: int, *, on_working_day: bool = False
    ) -> date:
        """The latest date ``x`` with at least ``n`` working days strictly between ``x`` and
        ``day`` (neither end counted, as periods start the day after the event, 民法典
        第二百零一条). ``n`` must be at least 1.

        Typical use: "the notice must be published at least 30 working days before the
        evaluation on ``day``". With ``on_working_day=True`` the answer is the latest
        *working day* meeting the condition.

        Example: before 2024-10-14 the five nearest working days are 10-08, 10-09, 10-10,
        10-11 and the make-up Saturday 10-12, so for ``n=5`` the answer is 2024-10-07 (a
        National Day holiday) or, with ``on_working_day=True``, 2024-09-30.
        """
        day = self._check(day, "day")
        n = self._check_positive(n)
        nth_before = self._date_at_index(self._index_before(day) - n + 1, day.year)
        if on_working_day:
            result = self._date_at_index(self._index_before(day) - n, day.year)
        else:
            result = nth_before - timedelta(days=1)
            self._check(result, "result")
        self._require_final(result, day)
        return result

    def deadline_within_working_days(self, start: date, n: int) -> date:
        """The last allowed date when something must happen within ``n`` working days after
        ``start`` (``start`` itself not counted, 民法典 第二百零一条): the n-th working day
        after ``start``. ``n`` must be at least 1."""
        return self.add_working_days(start, self._check_positive(n))

    def working_day_index(self, day: date) -> int:
        """Working days from 2000-01-01 to ``day``, both included.

        ``working_days_between(a, b) == working_day_index(b) - working_day_index(a - 1 day)``.
        Only differences are meaningful, and only within one ``data_version``. Provisional
        years are not refused here: the index is a building block, not an answer.
        """
        day = self._check(day, "day")
        return self._index(day)

    def working_day_index_table(self, year: int) -> tuple[int, ...]:
        """:meth:`working_day_index` of every day of ``year``, January 1 first (for
        vectorised callers)."""
        year = self._check_year(year)
        base = self._base(year)
        return tuple(base + value for value in self._table(year).cumulative)

    def year_holidays(self, year: int) -> tuple[Holiday, ...]:
        """Every public holiday dated in ``year`` (weekdays and weekends), in date order."""
        year = self._check_year(year)
        self._require_final(date(year, 1, 1), date(year, 12, 31))
        table = self._table(year)
        return tuple(Holiday(day, name) for day, name in sorted(table.holidays.items()))

    def year_makeup_workdays(self, year: int) -> tuple[date, ...]:
        """Every weekend make-up working day (调休上班日) dated in ``year``, in date order."""
        year = self._check_year(year)
        self._require_final(date(year, 1, 1), date(year, 12, 31))
        return tuple(sorted(self._table(year).makeup))

    # -- rich answers -----------------------------------------------------------------

    def count_working_days(self, start: date, end: date) -> WorkingDayCount:
        """:meth:`working_days_between` with its provenance (provisional years, data version)."""
        start = self._check(start, "start")
        end = self._check(end, "end")
        if start > end:
            return WorkingDayCount(start, end, 0, False, (), self._data_version)
        years = self._require_final(start, end)
        value = self._index(end) - self._index_before(start)
        return WorkingDayCount(start, end, value, bool(years), years, self._data_version)

    def shift_working_days(self, day: date, n: int) -> WorkingDayDate:
        """:meth:`add_working_days` with its provenance."""
        day = self._check(day, "day")
        n = check_int(n, "n")
        if n > 0:
            target = self._index(day) + n
        else:
            target = self._index_before(day) + n + 1
        result = self._date_at_index(target, day.year)
        years = self._require_final(min(day, result), max(day, result))
        return WorkingDayDate(day, n, result, bool(years), years, self._data_version)

    def window_working_days(self, start: date, end: date) -> WorkingDayWindow:
        """The working days of ``start..end`` (both included) with the holidays, weekend
        days and make-up working days that explain the count. Empty when ``start > end``."""
        start = self._check(start, "start")
        end = self._check(end, "end")
        if start > end:
            return WorkingDayWindow(start, end, 0, 0, (), 0, (), False, (), self._data_version)
        years = self._require_final(start, end)
        holidays: list[Holiday] = []
        makeup: list[date] = []
        weekend_days = 0
        for year in range(start.year, end.year + 1):
            table = self._table(year)
            first = max(start, date(year, 1, 1))
            last = min(end, date(year, 12, 31))
            for offset in range((last - first).days + 1):
                day = first + timedelta(days=offset)
                if day.weekday() >= 5:
                    if day in table.makeup:
                        makeup.append(day)
                    else:
                        weekend_days += 1
                elif day in table.holidays:
                    holidays.append(Holiday(day, table.holidays[day]))
        calendar_days = (end - start).days + 1
        working = self._index(end) - self._index_before(start)
        return WorkingDayWindow(
            start=start,
            end=end,
            calendar_days=calendar_days,
            working_days=working,
            holidays=tuple(holidays),
            weekend_days=weekend_days,
            makeup_workdays=tuple(makeup),
            provisional=bool(years),
            provisional_years=years,
            data_version=self._data_version,
        )

    # -- internals --------------------------------------------------------------------

    def _check(self, value: object, argument: str) -> date:
        day = check_date(value, argument)
        if not EPOCH <= day <= LAST_DATE:
            raise CalendarError(
                f"{argument} {day.isoformat()} is outside the working-day calendar "
                f"({EPOCH.isoformat()}..{LAST_DATE.isoformat()})",
                hint=f"the calendar covers the years {FIRST_YEAR}-{LAST_YEAR}",
            )
        return day

    @staticmethod
    def _check_year(value: object) -> int:
        year = check_int(value, "year")
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise CalendarError(
                f"year {year} is outside the working-day calendar",
                hint=f"the calendar covers the years {FIRST_YEAR}-{LAST_YEAR}",
            )
        return year

    @staticmethod
    def _check_positive(n: object) -> int:
        value = check_int(n, "n")
        if value < 1:
            raise UsageError(f"n must be at least 1, not {value}")
        return value

    def _provisional_years(self, start: date, end: date) -> tuple[int, ...]:
        years: set[int] = set()
        for year in range(start.year, end.year + 1):
            if self.is_provisional_year(year):
                years.add(year)
            elif self.is_provisional_year(year + 1):
                last_week = date(year, 12, 31) - NEW_YEAR_REACH + timedelta(days=1)
                if end >= last_week:
                    years.add(year + 1)
        return tuple(sorted(years))

    def _require_final(self, start: date, end: date) -> tuple[int, ...]:
        """The provisional years ``start..end`` depends on; raises in strict mode."""
        years = self._provisional_years(start, end)
        if years and self._strict:
            listed = ", ".join(str(year) for year in years)
            raise CalendarError(
                f"the official schedule for {listed} is not in the calendar data "
                f"({self._data_version}); {start.isoformat()}..{end.isoformat()} "
                "cannot be answered in strict mode",
                hint="add an override file for that year (see docs/calendar.md) "
                "or turn strict mode off to get a provisional answer",
            )
        return years

    def _table(self, year: int) -> _YearTable:
        table = self._tables.get(year)
        if table is None:
            with self._lock:
                table = self._tables.get(year)
                if table is None:
                    table = self._build_table(year)
                    self._tables[year] = table
        return table

    def _build_table(self, year: int) -> _YearTable:
        override = self._overrides.get(year)
        if override is not None:
            named = {h.date: h.name for h in override.holidays if h.date.year == year}
            makeup = {d for d in override.workdays if d.year == year}
            source = f"override {override.file or '<data>'}: {override.source}"
        else:
            package_named, package_makeup = _package_year(year, self._language)
            named = dict(package_named)
            makeup = set(package_makeup)
            source = f"holidays {holidays_version()}"
            if self.is_provisional_year(year):
                source += " (statutory holidays only: the year's schedule is not published)"
            correction = _CORRECTIONS.get(year)
            if correction is not None:
                for day, names in correction.holidays.items():
                    named.setdefault(day, names[self._language])
                makeup.difference_update(correction.cancelled_workdays)
                source += f", corrected per {correction.source}"
        for neighbour in (year - 1, year + 1):
            spill = self._overrides.get(neighbour)
            if spill is None:
                continue
            for holiday in spill.holidays:
                if holiday.date.year == year:
                    named[holiday.date] = holiday.name
            makeup.update(d for d in spill.workdays if d.year == year)
        first = date(year, 1, 1)
        start, weekday = first.toordinal(), first.weekday()
        days = (date(year, 12, 31) - first).days + 1
        # Day by day of the year (by offset from January 1): Monday-Friday work unless a
        # holiday, Saturday and Sunday only as make-up days.
        working = [(weekday + offset) % 7 < 5 for offset in range(days)]
        for day in named:
            if day.year == year and day.weekday() < 5:
                working[day.toordinal() - start] = False
        for day in makeup:
            if day.year == year and day.weekday() >= 5:
                working[day.toordinal() - start] = True
        cumulative = tuple(accumulate(working, initial=0))[1:]
        return _YearTable(year, named, frozenset(makeup), cumulative, source)

    def _base(self, year: int) -> int:
        index = year - FIRST_YEAR
        bases = self._bases
        if index >= len(bases):
            with self._lock:
                while index >= len(bases):
                    previous = FIRST_YEAR + len(bases) - 1
                    bases.append(bases[-1] + self._table(previous).total)
        return bases[index]

    def _index(self, day: date) -> int:
        table = self._table(day.year)
        return self._base(day.year) + table.cumulative[day.timetuple().tm_yday - 1]

    def _index_before(self, day: date) -> int:
        """Working days from the epoch up to the day before ``day``."""
        return self._index(day) - self._table(day.year).is_working(day)

    def _date_at_index(self, target: int, near_year: int) -> date:
        """The first date whose index reaches ``target``: the working day numbered
        ``target``. Searches outward from ``near_year``."""
        if target < 1:
            raise CalendarError(
                f"the answer would be before {EPOCH.isoformat()}, the start of the "
                "working-day calendar",
                hint=f"the calendar covers the years {FIRST_YEAR}-{LAST_YEAR}",
            )
        year = near_year
        while year > FIRST_YEAR and self._base(year) >= target:
            year -= 1
        while self._base(year) + self._table(year).total < target:
            year += 1
            if year > LAST_YEAR:
                raise CalendarError(
                    f"the answer would be after {LAST_DATE.isoformat()}, the end of the "
                    "working-day calendar",
                    hint=f"the calendar covers the years {FIRST_YEAR}-{LAST_YEAR}",
                )
        offset = bisect.bisect_left(self._table(year).cumulative, target - self._base(year))
        return date(year, 1, 1) + timedelta(days=offset)


def _rebuilt_calendar(
    overrides: tuple[OverrideYear, ...], strict: bool, language: Language
) -> Calendar:
    return Calendar(overrides, strict=strict, language=language)
