"""User override files for the working-day calendar (calendar layer: pure, knows nothing of
policies).

An override file states one year's official schedule (国务院办公厅关于某年部分节假日安排的通知):
its public holidays and its weekend make-up working days (调休上班日). It is how a newly
published year is added before the ``holidays`` package ships it, or how a year is corrected.
The file format is documented in ``docs/calendar.md``; an example ships at
``examples/calendar/overrides-2026.yaml``.

Every problem in a file is reported, each with the file and the key path
(``overrides.yaml: holidays[1].from: invalid date '2026-02-30'``).
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

from titlerules.argcheck import checked
from titlerules.calendar._dates import parse_iso_date
from titlerules.errors import CalendarError, Location
from titlerules.readers import parse_yaml, read_text
from titlerules.uniquekeys import UniqueKeyLoader

#: Years the calendar can answer for (inclusive); see ``docs/calendar.md``.
FIRST_YEAR = 2000
LAST_YEAR = 2099

MAX_OVERRIDE_BYTES = 1_000_000
#: A holiday block longer than this is almost certainly a typo (the longest official
#: block, the 2020 Spring Festival extension, ran ten days).
MAX_BLOCK_DAYS = 31
#: A notice may place a make-up day or a holiday this many days into a neighbouring year
#: (e.g. the 2002 notice made 2001-12-29 and 2001-12-30 working days).
NEIGHBOUR_DAYS = 31

_TOP_KEYS = ("year", "source", "holidays", "workdays")
_HOLIDAY_KEYS = ("date", "from", "to", "name")
_FORMAT_HINT = (
    "expected e.g. {year: 2026, source: '国务院办公厅关于2026年部分节假日安排的通知', "
    "holidays: [{date: 2026-01-01, name: New Year's Day}, "
    "{from: 2026-02-15, to: 2026-02-23, name: Spring Festival}], "
    "workdays: [2026-01-04, 2026-02-14]}; see docs/calendar.md"
)


@dataclass(frozen=True, slots=True, order=True)
class Holiday:
    """A public holiday (法定节假日 or a day off moved by 调休) and its name."""

    date: date
    name: str


@dataclass(frozen=True, slots=True)
class OverrideYear:
    """One year's official schedule, as given by an override file.

    ``holidays`` and ``workdays`` replace everything the built-in data has dated in
    ``year``; entries dated in a neighbouring year (a notice may reach a few days across
    New Year) are added to that year.
    """

    year: int
    source: str
    holidays: tuple[Holiday, ...]
    workdays: tuple[date, ...]
    file: str | None = None

    def canonical(self) -> dict[str, object]:
        """A JSON-ready form that does not depend on the file's layout (used for hashing)."""
        return {
            "year": self.year,
            "source": self.source,
            "holidays": [[h.date.isoformat(), h.name] for h in sorted(self.holidays)],
            "workdays": [d.isoformat() for d in sorted(self.workdays)],
        }


def overrides_digest(overrides: Iterable[OverrideYear]) -> str:
    """A short SHA-256 of the overrides' content, stable across file layout and order."""
    payload = sorted((o.canonical() for o in overrides), key=lambda c: str(c["year"]))
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


class _TextDatesLoader(UniqueKeyLoader):
    """The safe loader without implicit timestamps: dates stay text, so an impossible date
    such as ``2026-02-30`` is reported with its key path instead of failing inside YAML;
    a key given twice is refused (the second would silently replace the first)."""


_TextDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@checked
def load_overrides(path: str | Path) -> OverrideYear:
    """Read and check one override file.

    Raises :class:`InputFileError` when the file cannot be read or is not YAML, and
    :class:`CalendarError` listing every problem (file and key path each) when its content
    is wrong.
    """
    file = str(path)
    # Counted while reading: /dev/zero or a pipe reports no size to check beforehand.
    text = read_text(
        path,
        MAX_OVERRIDE_BYTES,
        what="override file",
        hint="an override file holds one year's schedule; split it or check the path",
    )
    data = parse_yaml(
        text,
        file=file,
        loader=_TextDatesLoader,
        label="override file is not valid YAML",
        hint=_FORMAT_HINT,
    )
    return parse_overrides(data, file=file)


@checked
def parse_overrides(data: object, *, file: str | None = None) -> OverrideYear:
    """Check an already-loaded override document (a mapping) and build an
    :class:`OverrideYear`; dates may be ``date`` objects or ``YYYY-MM-DD`` text."""
    problems = _Problems()
    if not isinstance(data, Mapping):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise CalendarError(
            f"override file must be a mapping with keys {', '.join(_TOP_KEYS)}; it is {kind}",
            location=Location(file=file),
            hint=_FORMAT_HINT,
        )
    for key in data:
        if key not in _TOP_KEYS:
            problems.add(str(key), f"unknown key {key!r}", _did_you_mean(key, _TOP_KEYS))

    year = _read_year(data, problems)
    source = data.get("source")
    if source is None:
        problems.add(
            "source",
            "missing 'source'",
            "name the official notice, e.g. 国务院办公厅关于2026年部分节假日安排的通知",
        )
    elif not isinstance(source, str) or not source.strip():
        problems.add("source", "must be a non-empty text naming the official notice")

    holidays = _read_holidays(data.get("holidays"), year, problems)
    workdays = _read_workdays(data.get("workdays"), year, problems)

    holiday_dates = {h.date for h in holidays}
    for index, day in workdays:
        if day in holiday_dates:
            problems.add(
                f"workdays[{index}]",
                f"{day.isoformat()} is listed both as a holiday and as a make-up working day",
            )
    problems.raise_if_any(file)
    assert year is not None and isinstance(source, str)  # guaranteed when no problems
    return OverrideYear(
        year=year,
        source=source.strip(),
        holidays=tuple(sorted(holidays)),
        workdays=tuple(sorted({d for _, d in workdays})),
        file=file,
    )


class _Problems:
    """Collects every problem in a file, then raises them as one CalendarError."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str, str | None]] = []

    def add(self, key_path: str, message: str, hint: str | None = None) -> None:
        self.items.append((key_path, message, hint))

    def raise_if_any(self, file: str | None) -> None:
        if not self.items:
            return
        if len(self.items) == 1:
            key_path, message, hint = self.items[0]
            raise CalendarError(
                message,
                location=Location(file=file, record_path=key_path),
                hint=hint or _FORMAT_HINT,
            )
        lines = [f"{len(self.items)} problems in override file:"]
        for key_path, message, hint in self.items:
            lines.append(f"  {key_path}: {message}" + (f" ({hint})" if hint else ""))
        raise CalendarError("\n".join(lines), location=Location(file=file), hint=_FORMAT_HINT)


def _did_you_mean(word: object, choices: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(str(word), list(choices), n=1)
    return f"did you mean {close[0]!r}?" if close else None


def _read_year(data: Mapping[Any, Any], problems: _Problems) -> int | None:
    year = data.get("year")
    if year is None:
        problems.add("year", "missing 'year'", "e.g. year: 2026")
        return None
    if isinstance(year, bool) or not isinstance(year, int):
        if isinstance(year, str) and year.strip().isdigit():
            year = int(year.strip())
        else:
            problems.add("year", f"must be a whole year such as 2026, not {year!r}")
            return None
    if not FIRST_YEAR <= year <= LAST_YEAR:
        problems.add("year", f"{year} is outside the supported years {FIRST_YEAR}..{LAST_YEAR}")
        return None
    return year


def _read_date(value: object, key_path: str, problems: _Problems) -> date | None:
    if isinstance(value, date):
        return value
    parsed = parse_iso_date(value) if isinstance(value, str) else None
    if parsed is None:
        problems.add(key_path, f"invalid date {str(value)!r}", "write dates as YYYY-MM-DD")
    return parsed


def _check_in_year(day: date, year: int | None, key_path: str, problems: _Problems) -> bool:
    if year is None:
        return True
    first = date(year, 1, 1) - timedelta(days=NEIGHBOUR_DAYS)
    last = date(year, 12, 31) + timedelta(days=NEIGHBOUR_DAYS)
    if first <= day <= last:
        return True
    problems.add(
        key_path,
        f"{day.isoformat()} is not in {year}",
        f"put it in the override file for {day.year}",
    )
    return False


def _read_holidays(value: object, year: int | None, problems: _Problems) -> list[Holiday]:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.add("holidays", "must be a list of {date, name} or {from, to, name} items")
        return []
    result: list[Holiday] = []
    seen: dict[date, str] = {}
    for index, item in enumerate(value):
        here = f"holidays[{index}]"
        if not isinstance(item, Mapping):
            problems.add(
                here, f"must be a mapping with 'name' and 'date' (or 'from'/'to'), not {item!r}"
            )
            continue
        for key in item:
            if key not in _HOLIDAY_KEYS:
                problems.add(
                    f"{here}.{key}", f"unknown key {key!r}", _did_you_mean(key, _HOLIDAY_KEYS)
                )
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            problems.add(f"{here}.name", "missing holiday name", "e.g. name: Spring Festival")
            name = None
        days = _read_holiday_days(item, here, year, problems)
        if name is None:
            continue
        for day in days:
            if day in seen:
                problems.add(here, f"{day.isoformat()} is listed twice")
                continue
            seen[day] = name
            result.append(Holiday(day, name.strip()))
    return result


def _read_holiday_days(
    item: Mapping[Any, Any], here: str, year: int | None, problems: _Problems
) -> list[date]:
    if "date" in item:
        if "from" in item or "to" in item:
            problems.add(here, "give either 'date' or 'from'/'to', not both")
            return []
        day = _read_date(item["date"], f"{here}.date", problems)
        if day is None or not _check_in_year(day, year, f"{here}.date", problems):
            return []
        return [day]
    if "from" not in item or "to" not in item:
        missing = "to" if "from" in item else "from" if "to" in item else "date"
        problems.add(f"{here}.{missing}", f"missing '{missing}'")
        return []
    first = _read_date(item["from"], f"{here}.from", problems)
    last = _read_date(item["to"], f"{here}.to", problems)
    if first is None or last is None:
        return []
    if last < first:
        problems.add(f"{here}.to", f"{last.isoformat()} is before 'from' {first.isoformat()}")
        return []
    length = (last - first).days + 1
    if length > MAX_BLOCK_DAYS:
        problems.add(here, f"a holiday block of {length} days is longer than {MAX_BLOCK_DAYS}")
        return []
    if not _check_in_year(first, year, f"{here}.from", problems):
        return []
    if not _check_in_year(last, year, f"{here}.to", problems):
        return []
    return [first + timedelta(days=offset) for offset in range(length)]


def _read_workdays(value: object, year: int | None, problems: _Problems) -> list[tuple[int, date]]:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.add("workdays", "must be a list of dates (the weekend make-up working days)")
        return []
    result: list[tuple[int, date]] = []
    for index, item in enumerate(value):
        here = f"workdays[{index}]"
        day = _read_date(item, here, problems)
        if day is None or not _check_in_year(day, year, here, problems):
            continue
        if day.weekday() < 5:
            problems.add(
                here,
                f"{day.isoformat()} is a {day.strftime('%A')}, already a working day",
                "a make-up working day (调休上班日) is a Saturday or a Sunday",
            )
            continue
        result.append((index, day))
    return result
