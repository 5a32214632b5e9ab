"""Tests for the calendar layer: working days, overrides, retirement, sanction periods."""

from __future__ import annotations

import pickle
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import titlerules.calendar as cal
from titlerules.calendar import (
    Calendar,
    Gender,
    StaffCategory,
    add_working_days,
    count_working_days,
    deadline_within_working_days,
    holiday_name,
    is_working_day,
    latest_start_n_working_days_before,
    load_overrides,
    retirement,
    retirement_age,
    retirement_date,
    sanction_effect_months,
    sanction_end,
    shift_working_days,
    window_working_days,
    working_day_index,
    working_days_between,
)
from titlerules.calendar.overrides import FIRST_YEAR as FIRST_OVERRIDE_YEAR
from titlerules.calendar.overrides import LAST_YEAR as LAST_OVERRIDE_YEAR
from titlerules.errors import CalendarError, InputFileError, UsageError

EXAMPLE_2026 = Path(__file__).resolve().parents[1] / "examples" / "calendar" / "overrides-2026.yaml"


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _block(year: int, m1: int, d1: int, m2: int, d2: int) -> list[date]:
    return _days(date(year, m1, d1), date(year, m2, d2))


# The State Council's schedules (国务院办公厅关于2020年/2024年部分节假日安排的通知), written
# out by hand: holiday blocks (weekend days inside a block included) and make-up days.
OFFICIAL_SCHEDULES: dict[int, tuple[list[date], list[date]]] = {
    2020: (
        [
            date(2020, 1, 1),  # 元旦
            # 春节 1/24-1/30, extended to 2/2 by 国办发明电〔2020〕1号
            *_block(2020, 1, 24, 2, 2),
            *_block(2020, 4, 4, 4, 6),  # 清明节
            *_block(2020, 5, 1, 5, 5),  # 劳动节
            *_block(2020, 6, 25, 6, 27),  # 端午节
            *_block(2020, 10, 1, 10, 8),  # 国庆节、中秋节
        ],
        # 2/1 was a make-up day until the extension cancelled it
        [
            date(2020, 1, 19),
            date(2020, 4, 26),
            date(2020, 5, 9),
            date(2020, 6, 28),
            date(2020, 9, 27),
            date(2020, 10, 10),
        ],
    ),
    2024: (
        [
            date(2024, 1, 1),  # 元旦
            *_block(2024, 2, 10, 2, 17),  # 春节
            *_block(2024, 4, 4, 4, 6),  # 清明节
            *_block(2024, 5, 1, 5, 5),  # 劳动节
            date(2024, 6, 10),  # 端午节
            *_block(2024, 9, 15, 9, 17),  # 中秋节
            *_block(2024, 10, 1, 10, 7),  # 国庆节
        ],
        [
            date(2024, 2, 4),
            date(2024, 2, 18),
            date(2024, 4, 7),
            date(2024, 4, 28),
            date(2024, 5, 11),
            date(2024, 9, 14),
            date(2024, 9, 29),
            date(2024, 10, 12),
        ],
    ),
}


# -- official data ----------------------------------------------------------------------


@pytest.mark.parametrize("year", sorted(OFFICIAL_SCHEDULES))
def test_every_day_of_year_matches_state_council_schedule(year: int) -> None:
    holidays, makeup = OFFICIAL_SCHEDULES[year]
    off, on = set(holidays), set(makeup)
    assert not off & on
    assert all(d.weekday() >= 5 for d in on)
    wrong = [
        d
        for d in _days(date(year, 1, 1), date(year, 12, 31))
        if is_working_day(d) != (d in on or (d.weekday() < 5 and d not in off))
    ]
    assert wrong == []
    assert cal.default_calendar().year_makeup_workdays(year) == tuple(sorted(on))


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2024, 1, 1), date(2024, 12, 31), 251),
        (date(2020, 1, 1), date(2020, 12, 31), 249),
        (date(2024, 9, 30), date(2024, 10, 14), 7),
        (date(2020, 1, 20), date(2020, 2, 7), 9),  # 1/20-1/23 (4) and 2/3-2/7 (5)
    ],
)
def test_official_counts(start: date, end: date, expected: int) -> None:
    assert working_days_between(start, end) == expected
    count = count_working_days(start, end)
    assert count.value == expected and int(count) == expected
    assert not count.provisional and count.provisional_years == ()


def test_2020_spring_festival_extension() -> None:
    for day in _days(date(2020, 1, 24), date(2020, 2, 2)):
        assert not is_working_day(day), day
    assert not is_working_day(date(2020, 2, 1))  # the cancelled make-up Saturday
    assert is_working_day(date(2020, 2, 3))
    name = holiday_name(date(2020, 2, 2))
    assert name is not None and "xtended" in name
    assert "国办发明电〔2020〕1号" in cal.default_calendar().year_source(2020)


def test_add_working_days_across_national_day() -> None:
    assert add_working_days(date(2024, 9, 27), 5) == date(2024, 10, 10)
    # 9/29 (Sunday) is a make-up working day, 10/1-10/7 are off
    assert add_working_days(date(2024, 9, 27), 1) == date(2024, 9, 29)
    assert add_working_days(date(2024, 9, 27), 2) == date(2024, 9, 30)
    assert add_working_days(date(2024, 9, 27), 3) == date(2024, 10, 8)
    assert add_working_days(date(2024, 10, 8), -1) == date(2024, 9, 30)
    assert add_working_days(date(2024, 10, 8), -3) == date(2024, 9, 27)


def test_n_zero_is_the_day_or_the_next_working_day() -> None:
    assert add_working_days(date(2024, 10, 8), 0) == date(2024, 10, 8)
    assert add_working_days(date(2024, 10, 1), 0) == date(2024, 10, 8)
    assert add_working_days(date(2024, 10, 12), 0) == date(2024, 10, 12)  # make-up Saturday
    assert add_working_days(date(2024, 10, 13), 0) == date(2024, 10, 14)


def test_reversed_window_is_empty() -> None:
    assert working_days_between(date(2024, 10, 14), date(2024, 9, 30)) == 0
    window = window_working_days(date(2024, 10, 14), date(2024, 9, 30))
    assert window.working_days == 0 and window.calendar_days == 0


def test_latest_start_example_from_docstring() -> None:
    evaluation = date(2024, 10, 14)
    assert latest_start_n_working_days_before(evaluation, 5) == date(2024, 10, 7)
    assert latest_start_n_working_days_before(evaluation, 5, on_working_day=True) == date(
        2024, 9, 30
    )
    # strictly between 10-07 and 10-14: 10-08, 10-09, 10-10, 10-11, 10-12 (make-up Saturday)
    assert working_days_between(date(2024, 10, 8), date(2024, 10, 13)) == 5


def test_deadline_within_working_days() -> None:
    # due within 3 working days of Friday 2024-09-27: Sunday 9/29 (make-up), 9/30, 10/8
    assert deadline_within_working_days(date(2024, 9, 27), 3) == date(2024, 10, 8)
    with pytest.raises(UsageError):
        deadline_within_working_days(date(2024, 9, 27), 0)


def test_window_explains_the_count() -> None:
    window = window_working_days(date(2024, 9, 28), date(2024, 10, 8))
    assert window.working_days == 3  # 9/29 (make-up), 9/30, 10/8
    assert [h.date for h in window.holidays] == [
        date(2024, 10, 1),
        date(2024, 10, 2),
        date(2024, 10, 3),
        date(2024, 10, 4),
        date(2024, 10, 7),
    ]
    assert window.holidays[0].name == "National Day"
    assert window.makeup_workdays == (date(2024, 9, 29),)
    assert window.weekend_days == 3  # 9/28, 10/5, 10/6
    data = window.to_dict()
    assert data["working_days"] == 3 and data["makeup_workdays"] == ["2024-09-29"]


def test_holiday_names_in_a_fixed_language() -> None:
    assert holiday_name(date(2024, 10, 1)) == "National Day"
    assert holiday_name(date(2024, 10, 12)) is None  # make-up working day
    assert holiday_name(date(2024, 10, 9)) is None
    chinese = Calendar(language="zh_CN")
    assert chinese.holiday_name(date(2024, 10, 1)) == "国庆节"
    with pytest.raises(UsageError):
        Calendar(language="fr_FR")  # type: ignore[arg-type]


def test_day_info_kinds() -> None:
    kinds = {
        d: cal.default_calendar().day_info(d).kind
        for d in (date(2024, 10, 1), date(2024, 10, 12), date(2024, 10, 13), date(2024, 10, 14))
    }
    assert kinds == {
        date(2024, 10, 1): "holiday",
        date(2024, 10, 12): "makeup_workday",
        date(2024, 10, 13): "weekend",
        date(2024, 10, 14): "workday",
    }


def test_working_day_index_and_table() -> None:
    calendar = cal.default_calendar()
    assert working_day_index(date(2000, 1, 1)) == 0  # a Saturday
    # Monday 2000-01-03 is the New Year holiday moved off Saturday 2000-01-01
    assert working_day_index(date(2000, 1, 3)) == 0
    assert working_day_index(date(2000, 1, 4)) == 1
    table = calendar.working_day_index_table(2024)
    assert len(table) == 366
    assert table[-1] - calendar.working_day_index(date(2023, 12, 31)) == 251
    assert table[31] == calendar.working_day_index(date(2024, 2, 1))


def test_bad_arguments_raise_titlerules_errors() -> None:
    with pytest.raises(UsageError, match=r"argument 'day': must be date, not str"):
        is_working_day("2024-01-01")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="argument 'n': must be int, not bool"):
        add_working_days(date(2024, 1, 1), True)
    with pytest.raises(UsageError, match=r"datetime\.date"):  # the calendar's own check
        cal.default_calendar().is_working_day("2024-01-01")  # type: ignore[arg-type]
    with pytest.raises(CalendarError, match="outside"):
        is_working_day(date(1999, 12, 31))
    with pytest.raises(CalendarError, match="outside"):
        working_days_between(date(2024, 1, 1), date(2100, 1, 1))
    with pytest.raises(CalendarError, match="before 2000-01-01"):
        add_working_days(date(2000, 1, 5), -10)
    with pytest.raises(CalendarError, match="after 2099-12-31"):
        add_working_days(date(2099, 12, 20), 30)
    with pytest.raises(UsageError):
        latest_start_n_working_days_before(date(2024, 1, 1), 0)


# -- provisional years and strict mode ------------------------------------------------


def test_provisional_years() -> None:
    calendar = cal.default_calendar()
    assert calendar.official_years == tuple(range(2001, 2027))
    assert [calendar.is_provisional_year(y) for y in (2000, 2001, 2026, 2027)] == [
        True,
        False,
        False,
        True,
    ]
    assert not count_working_days(date(2026, 1, 1), date(2026, 12, 24)).provisional
    count = count_working_days(date(2027, 3, 1), date(2027, 3, 31))
    assert count.provisional and count.provisional_years == (2027,)
    assert shift_working_days(date(2027, 6, 1), 3).provisional
    # the last week of 2026 waits for the 2027 notice (cf. 2018-12-29 and 2018-12-31)
    assert calendar.is_provisional_date(date(2026, 12, 28))
    assert not calendar.is_provisional_date(date(2026, 12, 24))
    assert window_working_days(date(2026, 12, 1), date(2026, 12, 31)).provisional_years == (2027,)


def test_provisional_year_uses_statutory_holidays() -> None:
    # 2027-10-01 is National Day whatever the schedule; a weekday holiday
    assert not is_working_day(date(2027, 10, 1))
    assert is_working_day(date(2027, 3, 10))


def test_strict_mode_refuses_provisional_answers() -> None:
    strict = Calendar(strict=True)
    assert strict.working_days_between(date(2024, 1, 1), date(2024, 12, 31)) == 251
    with pytest.raises(CalendarError, match="2027") as info:
        strict.working_days_between(date(2027, 1, 4), date(2027, 1, 8))
    assert info.value.hint is not None and "override" in info.value.hint
    with pytest.raises(CalendarError):
        strict.is_working_day(date(2027, 5, 6))
    with pytest.raises(CalendarError):
        strict.add_working_days(date(2026, 12, 20), 5)  # reaches the last week of 2026
    relaxed = strict.with_strict(False)
    assert not relaxed.strict
    assert relaxed.working_days_between(date(2027, 1, 4), date(2027, 1, 8)) == 5


def test_data_version_format() -> None:
    version = cal.data_version()
    assert re.fullmatch(r"holidays-[\w.]+;official=2001-2026;overrides=none", version)
    with_file = Calendar.from_overrides([EXAMPLE_2026])
    assert re.fullmatch(
        r"holidays-[\w.]+;official=2001-2026;overrides=2026@[0-9a-f]{12}",
        with_file.data_version,
    )


# -- override files ---------------------------------------------------------------------


def test_example_override_file_matches_the_built_in_2026() -> None:
    override = load_overrides(EXAMPLE_2026)
    assert override.year == 2026 and "2026" in override.source
    with_file = Calendar.from_overrides(EXAMPLE_2026)
    builtin = cal.default_calendar()
    for day in _days(date(2026, 1, 1), date(2026, 12, 31)):
        assert with_file.is_working_day(day) == builtin.is_working_day(day), day
    assert with_file.holiday_name(date(2026, 2, 17)) == "Spring Festival (春节)"
    assert with_file.working_days_between(date(2026, 1, 1), date(2026, 12, 31)) == 248


def _write(tmp_path: Path, text: str, name: str = "overrides.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


OVERRIDE_2027 = """\
year: 2027
source: "国务院办公厅关于2027年部分节假日安排的通知 (test data)"
holidays:
  - {date: 2027-01-01, name: New Year's Day}
  - {from: 2027-02-05, to: 2027-02-11, name: Spring Festival}
workdays: [2027-02-13]
"""


def test_override_makes_a_year_official(tmp_path: Path) -> None:
    path = _write(tmp_path, OVERRIDE_2027)
    calendar = Calendar.from_overrides([path], strict=True)
    assert not calendar.is_provisional_year(2027)
    assert 2027 in calendar.official_years
    # 2/5-2/11 off (Fri-Thu), 2/12 Fri on, 2/13 Sat make-up
    assert calendar.working_days_between(date(2027, 2, 1), date(2027, 2, 14)) == 6
    assert calendar.is_working_day(date(2027, 2, 13))
    assert calendar.holiday_name(date(2027, 2, 8)) == "Spring Festival"
    # the override replaces the whole year: National Day is not in this test file
    assert calendar.is_working_day(date(2027, 10, 1))
    count = calendar.count_working_days(date(2026, 12, 28), date(2027, 1, 8))
    assert not count.provisional
    assert "2027" in calendar.year_source(2027)


def test_override_reaching_into_previous_year(tmp_path: Path) -> None:
    text = OVERRIDE_2027.replace("workdays: [2027-02-13]", "workdays: [2027-02-13, 2026-12-26]")
    path = _write(tmp_path, text)
    calendar = Calendar.from_overrides([path])
    assert calendar.is_working_day(date(2026, 12, 26))  # a Saturday made a working day
    assert not cal.default_calendar().is_working_day(date(2026, 12, 26))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            OVERRIDE_2027.replace("{from: 2027-02-05", "{from: 2027-02-30"),
            "overrides.yaml: holidays[1].from: invalid date '2027-02-30'",
        ),
        (OVERRIDE_2027.replace("year: 2027", "yaer: 2027"), "did you mean 'year'"),
        (
            OVERRIDE_2027.replace("[2027-02-13]", "[2027-02-15]"),
            "workdays[0]: 2027-02-15 is a Monday",
        ),
        (OVERRIDE_2027.replace('source: "', 'sauce: "'), "missing 'source'"),
        (
            OVERRIDE_2027.replace("to: 2027-02-11", "to: 2027-02-01"),
            "holidays[1].to: 2027-02-01 is before 'from'",
        ),
        (
            OVERRIDE_2027.replace("{date: 2027-01-01", "{date: 2028-06-01"),
            "holidays[0].date: 2028-06-01 is not in 2027",
        ),
        (
            OVERRIDE_2027.replace("[2027-02-13]", "[2027-02-06]"),
            "listed both as a holiday and as a make-up working day",
        ),
        (OVERRIDE_2027.replace(", name: New Year's Day", ""), "holidays[0].name: missing"),
        (OVERRIDE_2027.replace("year: 2027", "year: 1990"), "outside the supported years"),
        ("- 2027-01-01\n", "must be a mapping"),
    ],
)
def test_override_errors_name_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(CalendarError) as info:
        load_overrides(path)
    assert message in str(info.value)
    assert "overrides.yaml" in str(info.value)


def test_override_reports_every_problem(tmp_path: Path) -> None:
    text = OVERRIDE_2027.replace("2027-02-05", "2027-02-30").replace("[2027-02-13]", "[oops]")
    with pytest.raises(CalendarError) as info:
        load_overrides(_write(tmp_path, text))
    message = str(info.value)
    assert "2 problems" in message
    assert "holidays[1].from: invalid date '2027-02-30'" in message
    assert "workdays[0]: invalid date 'oops'" in message


def test_override_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="no such file"):
        load_overrides(tmp_path / "missing.yaml")
    with pytest.raises(InputFileError, match="not valid YAML") as info:
        load_overrides(_write(tmp_path, "year: 2027\nholidays: [\n"))
    assert info.value.location is not None and info.value.location.line is not None
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("source: caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputFileError, match="UTF-8"):
        load_overrides(bad)


def test_two_overrides_for_one_year(tmp_path: Path) -> None:
    first = _write(tmp_path, OVERRIDE_2027, "a.yaml")
    second = _write(tmp_path, OVERRIDE_2027, "b.yaml")
    with pytest.raises(CalendarError, match="two override files for 2027"):
        Calendar.from_overrides([first, second])


def test_calendar_errors_are_picklable(tmp_path: Path) -> None:
    path = _write(tmp_path, OVERRIDE_2027.replace("2027-02-05", "2027-02-30"))
    with pytest.raises(CalendarError) as info:
        load_overrides(path)
    copy = pickle.loads(pickle.dumps(info.value))
    assert str(copy) == str(info.value)


# -- laws (hypothesis) --------------------------------------------------------------------

LAWS = settings(max_examples=200, derandomize=True, deadline=None)
official_dates = st.dates(min_value=date(2001, 1, 1), max_value=date(2026, 11, 30))
steps = st.integers(min_value=-300, max_value=300)


@LAWS
@given(official_dates, st.integers(min_value=0, max_value=300))
def test_add_then_count_gives_n_plus_one(day: date, n: int) -> None:
    start = add_working_days(day, 0)  # a working day
    assert is_working_day(start)
    assert working_days_between(start, add_working_days(start, n)) == n + 1


@LAWS
@given(official_dates, steps.filter(lambda n: n != 0))
def test_add_lands_on_a_working_day_and_round_trips(day: date, n: int) -> None:
    result = add_working_days(day, n)
    assert is_working_day(result)
    assert (result > day) == (n > 0)
    if is_working_day(day):
        assert add_working_days(result, -n) == day


@LAWS
@given(official_dates, steps, steps)
def test_add_is_monotone_in_n(day: date, n1: int, n2: int) -> None:
    low, high = sorted((n1, n2))
    assert add_working_days(day, low) <= add_working_days(day, high)


@LAWS
@given(official_dates, official_dates, steps)
def test_add_is_monotone_in_the_date(d1: date, d2: date, n: int) -> None:
    early, late = sorted((d1, d2))
    assert add_working_days(early, n) <= add_working_days(late, n)


@LAWS
@given(official_dates, st.integers(min_value=0, max_value=120))
def test_count_agrees_with_a_naive_count(start: date, length: int) -> None:
    end = start + timedelta(days=length)
    naive = sum(is_working_day(d) for d in _days(start, end))
    assert working_days_between(start, end) == naive
    window = window_working_days(start, end)
    assert window.working_days == naive
    assert window.calendar_days == naive + len(window.holidays) + window.weekend_days
    assert all(is_working_day(d) for d in window.makeup_workdays)
    assert all(not is_working_day(h.date) for h in window.holidays)
    assert working_day_index(end) - working_day_index(start) == naive - is_working_day(start)


@LAWS
@given(official_dates, official_dates, official_dates)
def test_count_is_monotone_and_additive(a: date, b: date, c: date) -> None:
    first, middle, last = sorted((a, b, c))
    whole = working_days_between(first, last)
    assert working_days_between(first, middle) <= whole
    assert working_days_between(middle, last) <= whole
    split = working_days_between(first, middle) + working_days_between(
        middle + timedelta(days=1), last
    )
    assert split == whole


@LAWS
@given(
    st.dates(min_value=date(2002, 1, 1), max_value=date(2026, 11, 30)),
    st.integers(min_value=1, max_value=60),
    st.booleans(),
)
def test_latest_start_is_the_latest(day: date, n: int, on_working_day: bool) -> None:
    x = latest_start_n_working_days_before(day, n, on_working_day=on_working_day)
    assert working_days_between(x + timedelta(days=1), day - timedelta(days=1)) >= n
    if on_working_day:
        assert is_working_day(x)
        later = add_working_days(x, 1)
    else:
        later = x + timedelta(days=1)
    assert working_days_between(later + timedelta(days=1), day - timedelta(days=1)) < n


@LAWS
@given(official_dates, st.integers(min_value=1, max_value=60))
def test_deadline_is_the_nth_working_day_after(start: date, n: int) -> None:
    deadline = deadline_within_working_days(start, n)
    assert is_working_day(deadline)
    assert working_days_between(start + timedelta(days=1), deadline) == n


# -- retirement -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "gender", "category", "age", "retires"),
    [
        # men: +1 month per 4 birth months from 1965-01, up to 63
        (date(1964, 12, 15), "male", None, (60, 0), date(2024, 12, 15)),
        (date(1965, 1, 10), "male", None, (60, 1), date(2025, 2, 10)),
        (date(1965, 4, 10), "male", None, (60, 1), date(2025, 5, 10)),
        (date(1965, 5, 10), "male", None, (60, 2), date(2025, 7, 10)),
        (date(1976, 8, 1), "male", None, (62, 11), date(2039, 7, 1)),
        (date(1976, 9, 1), "male", None, (63, 0), date(2039, 9, 1)),
        (date(1990, 6, 1), "male", "worker", (63, 0), date(2053, 6, 1)),
        # women cadres: +1 month per 4 birth months from 1970-01, up to 58
        (date(1969, 12, 1), "female", "cadre", (55, 0), date(2024, 12, 1)),
        (date(1970, 1, 1), "female", "cadre", (55, 1), date(2025, 2, 1)),
        (date(1970, 5, 1), "female", "cadre", (55, 2), date(2025, 7, 1)),
        (date(1981, 8, 1), "female", "cadre", (57, 11), date(2039, 7, 1)),
        (date(1981, 9, 1), "female", "cadre", (58, 0), date(2039, 9, 1)),
        # women workers: +1 month per 2 birth months from 1975-01, up to 55
        (date(1974, 12, 1), "female", "worker", (50, 0), date(2024, 12, 1)),
        (date(1975, 1, 1), "female", "worker", (50, 1), date(2025, 2, 1)),
        (date(1975, 2, 1), "female", "worker", (50, 1), date(2025, 3, 1)),
        (date(1975, 3, 1), "female", "worker", (50, 2), date(2025, 5, 1)),
        (date(1984, 10, 1), "female", "worker", (54, 11), date(2039, 9, 1)),
        (date(1984, 11, 1), "female", "worker", (55, 0), date(2039, 11, 1)),
        (date(1995, 1, 1), "female", "worker", (55, 0), date(2050, 1, 1)),
    ],
)
def test_retirement_table(
    birth: date, gender: str, category: str | None, age: tuple[int, int], retires: date
) -> None:
    assert retirement_age(birth, gender, category) == age
    assert retirement_date(birth, gender, category) == retires


def test_retirement_day_is_clamped_and_cited() -> None:
    assert retirement_date(date(1965, 1, 31), "male") == date(2025, 2, 28)
    # 1972-02: 25 months after 1970-01 -> 7 months delay -> 55 years 7 months
    assert retirement_date(date(1972, 2, 29), "female", "cadre") == date(2027, 9, 29)
    info = retirement(date(1965, 1, 31), Gender.MALE)
    assert info.delay_months == 1 and info.original_age_years == 60
    assert "渐进式延迟法定退休年龄" in info.citation
    assert "国发〔1978〕104号" in retirement(date(1960, 1, 1), "male").citation


def test_retirement_accepts_aliases_and_rejects_nonsense() -> None:
    expected = retirement_date(date(1975, 3, 1), "female", "worker")
    assert retirement_date(date(1975, 3, 1), "女", "工人") == expected
    assert retirement_date(date(1975, 3, 1), Gender.FEMALE, StaffCategory.WORKER) == expected
    assert retirement_date(date(1975, 3, 1), "Female", "WORKER") == expected
    with pytest.raises(UsageError, match="category"):
        retirement_date(date(1975, 3, 1), "female")
    with pytest.raises(UsageError, match="gender"):
        retirement_date(date(1975, 3, 1), "other", "worker")
    with pytest.raises(UsageError, match="category"):
        retirement_date(date(1975, 3, 1), "female", "farmer")


@LAWS
@given(
    st.dates(min_value=date(1950, 1, 1), max_value=date(2010, 12, 31)),
    st.dates(min_value=date(1950, 1, 1), max_value=date(2010, 12, 31)),
    st.sampled_from([("male", None), ("female", "cadre"), ("female", "worker")]),
)
def test_retirement_is_monotone_and_bounded(
    b1: date, b2: date, who: tuple[str, str | None]
) -> None:
    gender, category = who
    early, late = sorted((b1, b2))
    first, second = retirement(early, gender, category), retirement(late, gender, category)
    assert (first.age_years, first.age_months) <= (second.age_years, second.age_months)
    assert first.date <= second.date
    base = {"male": 60, "cadre": 55, "worker": 50}[category or gender]
    cap = {"male": 36, "cadre": 36, "worker": 60}[category or gender]
    assert 0 <= first.delay_months <= cap
    assert first.age_years * 12 + first.age_months == base * 12 + first.delay_months


# -- sanctions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "system", "months"),
    [
        ("警告", "institution", 6),
        ("记过", "institution", 12),
        ("降低岗位等级", "institution", 24),
        ("开除", "institution", None),
        ("警告", "administrative", 6),
        ("记过", "administrative", 12),
        ("记大过", "administrative", 18),
        ("降级", "administrative", 24),
        ("撤职", "administrative", 24),
        ("开除", "administrative", None),
        ("警告", "party", 12),
        ("严重警告", "party", 18),
        ("撤销党内职务", "party", 24),
        ("留党察看一年", "party", 36),
        ("留党察看二年", "party", 48),
        ("开除党籍", "party", None),
        ("warning", "事业单位", 6),
        ("demerit", "institution", 12),
        ("demotion", "institution", 24),
        ("major_demerit", "政务处分", 18),
        ("demotion", "administrative", 24),
        ("serious_warning", "party", 18),
        ("Serious Warning", "党纪", 18),
    ],
)
def test_sanction_periods(kind: str, system: str, months: int | None) -> None:
    assert sanction_effect_months(kind, system) == months


def test_sanction_rules_cite_their_source() -> None:
    for rule in cal.SANCTION_RULES:
        assert rule.source, rule
    assert "第八条" in cal.sanction_rule("记大过", "administrative").source
    assert cal.sanction_rule("开除党籍", "party").permanent


def test_sanction_end_and_overrides() -> None:
    assert sanction_end(date(2024, 3, 15), "警告") == date(2024, 9, 15)
    assert sanction_end(date(2024, 8, 31), "warning") == date(2025, 2, 28)
    assert sanction_end(date(2024, 3, 15), "开除") is None
    assert sanction_effect_months("警告", overrides={"warning": 12}) == 12
    assert sanction_effect_months("记过", overrides={"warning": 3}) == 12
    assert sanction_end(date(2024, 1, 1), "记过", overrides={"记过": None}) is None
    with pytest.raises(UsageError, match="months"):
        sanction_effect_months("警告", overrides={"警告": -1})


def test_sanction_errors() -> None:
    with pytest.raises(CalendarError, match="one or two years") as info:
        sanction_effect_months("留党察看", "party")
    assert info.value.hint is not None and "留党察看一年" in info.value.hint
    with pytest.raises(UsageError, match="unknown sanction kind") as unknown:
        sanction_effect_months("降低岗位等级", "administrative")
    assert unknown.value.hint is not None and "institution" in unknown.value.hint
    with pytest.raises(UsageError, match="unknown sanction system"):
        sanction_effect_months("警告", "army")


# -- random input in -> only titlerules errors out ---------------------------------------

yaml_like = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 3000)
    | st.sampled_from(["2027-01-01", "2027-02-30", "2026-12-26", "x", "name", "from", "to"]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["year", "source", "holidays", "workdays", "date", "from", "to", "name"]
            ),
            inner,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@LAWS
@given(yaml_like)
def test_parse_overrides_raises_only_calendar_errors(data: object) -> None:
    try:
        result = cal.parse_overrides(data, file="fuzz.yaml")
    except CalendarError as exc:
        assert "fuzz.yaml" in str(exc)
    else:
        assert FIRST_OVERRIDE_YEAR <= result.year <= LAST_OVERRIDE_YEAR


@LAWS
@given(st.text(max_size=200))
def test_load_overrides_raises_only_titlerules_errors(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    path = tmp_path_factory.getbasetemp() / "fuzz-overrides.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        result = load_overrides(path)
    except (CalendarError, InputFileError) as exc:
        assert "fuzz-overrides.yaml" in str(exc)
    else:
        assert FIRST_OVERRIDE_YEAR <= result.year <= LAST_OVERRIDE_YEAR


def test_sanction_systems_of_the_record_vocabulary_select_the_table() -> None:
    start = date(2024, 3, 15)
    # 事业单位工作人员处分规定: 警告六个月; 党纪处分条例 第十条: a party warning is a year.
    assert sanction_end(start, "警告", "事业单位处分") == date(2024, 9, 15)
    assert sanction_end(start, "警告", "public_institution") == date(2024, 9, 15)
    assert sanction_end(start, "党内警告", "党纪处分") == date(2025, 3, 15)
    assert sanction_end(start, "留党察看二年", "party") == date(2028, 3, 15)
    # 行政处分 (行政机关公务员处分条例 第七条) has the periods of 政务处分.
    assert sanction_end(start, "记大过", "行政处分") == sanction_end(start, "记大过", "政务处分")
    assert sanction_end(start, "记大过", "government") == date(2025, 9, 15)
    # 降低岗位等级 is a 事业单位 sanction, not a 政务处分.
    with pytest.raises(UsageError):
        sanction_end(start, "降低岗位等级", "政务处分")


def test_criminal_penalty_has_no_default_period() -> None:
    with pytest.raises(CalendarError, match="sentence") as info:
        sanction_end(date(2024, 3, 15), "有期徒刑", "刑事处罚")
    assert info.value.hint is not None and "刑期截止日" in info.value.hint


def test_a_calendar_pickles_as_what_it_was_made_of() -> None:
    """Shipped to Spark's executors with a policy: the overrides, strictness and language
    travel; the year tables are rebuilt there and answer the same."""
    calendar = Calendar.from_overrides([EXAMPLE_2026], strict=True, language="zh_CN")
    copy = pickle.loads(pickle.dumps(calendar))
    assert copy.data_version == calendar.data_version
    days = [date(2026, 1, 1) + timedelta(days=n) for n in range(0, 330, 3)]
    assert [copy.is_working_day(d) for d in days] == [calendar.is_working_day(d) for d in days]
    with pytest.raises(CalendarError):
        pickle.loads(pickle.dumps(Calendar(strict=True))).is_working_day(date(2031, 1, 2))
