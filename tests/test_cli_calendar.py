"""Tests for ``titlerules calendar`` (called through ``titlerules.cli.main``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from titlerules.cli import main

EXAMPLE_2026 = Path(__file__).resolve().parents[1] / "examples" / "calendar" / "overrides-2026.yaml"

OVERRIDE_2027 = """\
year: 2027
source: "国务院办公厅关于2027年部分节假日安排的通知 (test data)"
holidays:
  - {date: 2027-01-01, name: New Year's Day}
workdays: []
"""


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict[str, object]:
    assert main(argv) == 0
    out = capsys.readouterr().out
    data = json.loads(out)
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2024-09-30", "2024-10-14", 7),
        ("2024-01-01", "2024-12-31", 251),
        ("2020-01-01", "2020-12-31", 249),
    ],
)
def test_working_days_json(
    capsys: pytest.CaptureFixture[str], start: str, end: str, expected: int
) -> None:
    data = _json(capsys, ["calendar", "working-days", start, end, "--json"])
    assert data["working_days"] == expected
    assert data["provisional"] is False
    assert str(data["data_version"]).startswith("holidays-")


def test_working_days_json_lists_what_explains_the_count(
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = _json(capsys, ["calendar", "working-days", "2024-09-30", "2024-10-14", "--json"])
    assert data["makeup_workdays"] == ["2024-10-12"]
    holidays = data["holidays"]
    assert isinstance(holidays, list)
    assert [h["date"] for h in holidays] == [
        "2024-10-01",
        "2024-10-02",
        "2024-10-03",
        "2024-10-04",
        "2024-10-07",
    ]


def test_working_days_plain(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["calendar", "working-days", "2024-09-30", "2024-10-14"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "7\n"
    assert captured.err == ""


def test_add(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["calendar", "add", "2024-09-27", "5"]) == 0
    assert capsys.readouterr().out == "2024-10-10\n"
    data = _json(capsys, ["calendar", "add", "2024-10-10", "-5", "--json"])
    assert data["date"] == "2024-09-27" and data["provisional"] is False
    data = _json(capsys, ["calendar", "add", "2024-10-01", "0", "--json"])
    assert data["date"] == "2024-10-08"


def test_2027_is_provisional(capsys: pytest.CaptureFixture[str]) -> None:
    data = _json(capsys, ["calendar", "working-days", "2027-03-01", "2027-03-05", "--json"])
    assert data["provisional"] is True and data["provisional_years"] == [2027]
    assert main(["calendar", "add", "2027-03-01", "1"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "2027-03-02\n"
    assert "provisional" in captured.err and "2027" in captured.err


def test_override_file_covers_2027(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "2027.yaml"
    path.write_text(OVERRIDE_2027, encoding="utf-8")
    argv = ["calendar", "--overrides", str(path), "add", "2027-03-01", "1", "--json"]
    data = _json(capsys, argv)
    assert data["provisional"] is False
    assert "overrides=2027@" in str(data["data_version"])
    # the options may also follow the sub-command
    argv = ["calendar", "add", "2027-03-01", "1", "--strict", "--overrides", str(path)]
    assert main(argv) == 0
    assert capsys.readouterr().out == "2027-03-02\n"


def test_strict_refuses_provisional_years(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["calendar", "--strict", "working-days", "2027-01-04", "2027-01-08"]) == 2
    err = capsys.readouterr().err
    assert "2027" in err and "strict" in err and "hint:" in err
    assert main(["calendar", "--strict", "working-days", "2024-01-01", "2024-12-31"]) == 0
    assert capsys.readouterr().out == "251\n"


def test_bad_dates_exit_2_with_a_hint(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["calendar", "working-days", "2024-02-30", "2024-03-01"]) == 2
    err = capsys.readouterr().err
    assert "START '2024-02-30' is not a valid date" in err and "YYYY-MM-DD" in err
    assert main(["calendar", "add", "tomorrow", "3"]) == 2
    assert "not a valid date" in capsys.readouterr().err
    assert main(["calendar", "working-days", "1990-01-01", "1990-02-01"]) == 2
    assert "outside the working-day calendar" in capsys.readouterr().err


def test_bad_override_file_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "overrides.yaml"
    path.write_text(OVERRIDE_2027.replace("2027-01-01", "2027-01-32"), encoding="utf-8")
    assert main(["calendar", "--overrides", str(path), "add", "2027-03-01", "1"]) == 2
    assert "holidays[0].date: invalid date '2027-01-32'" in capsys.readouterr().err
    assert (
        main(["calendar", "--overrides", str(tmp_path / "no.yaml"), "add", "2027-03-01", "1"]) == 2
    )
    assert "no.yaml: no such file" in capsys.readouterr().err


def test_example_override_file_loads(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "calendar",
        "--overrides",
        str(EXAMPLE_2026),
        "working-days",
        "2026-01-01",
        "2026-12-24",
        "--json",
    ]
    data = _json(capsys, argv)
    assert data["provisional"] is False
    assert "overrides=2026@" in str(data["data_version"])


def test_day(capsys: pytest.CaptureFixture[str]) -> None:
    data = _json(capsys, ["calendar", "day", "2024-10-12", "--json"])
    assert data["kind"] == "makeup_workday" and data["working_day"] is True
    assert main(["calendar", "day", "2024-10-01"]) == 0
    assert "public holiday" in capsys.readouterr().out


def test_retirement(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["calendar", "retirement", "1965-05-10", "--gender", "male", "--json"]
    data = _json(capsys, argv)
    assert data["date"] == "2025-07-10"
    assert data["age"] == {"years": 60, "months": 2}
    assert data["delay_months"] == 2
    argv = ["calendar", "retirement", "1975-03-01", "--gender", "female", "--category", "worker"]
    assert main(argv) == 0
    assert capsys.readouterr().out == "2025-05-01 (age 50 years 2 months)\n"


def test_retirement_of_a_woman_holding_a_senior_title(capsys: pytest.CaptureFixture[str]) -> None:
    """组通字〔2015〕14号: 60, not 55; under the 2025 reform the delay is a flagged reading."""
    base = ["calendar", "retirement", "1962-03-10", "--gender", "female", "--category", "cadre"]
    data = _json(capsys, [*base, "--senior-professional", "--json"])
    assert data["date"] == "2022-03-10"
    assert (data["senior_professional"], data["reading"]) == (True, None)
    assert _json(capsys, [*base, "--json"])["date"] == "2017-03-10"
    reformed = ["calendar", "retirement", "1966-03-10", "--gender", "female", "--category", "cadre"]
    data = _json(capsys, [*reformed, "--senior-professional", "--json"])
    assert data["date"] == "2026-07-10"
    assert "documented reading" in data["reading"]


def test_retirement_woman_needs_category(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["calendar", "retirement", "1975-03-01", "--gender", "female"]) == 2
    assert "category" in capsys.readouterr().err


def test_calendar_without_sub_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["calendar"]) == 2
    assert "working-days" in capsys.readouterr().out


def test_day_in_last_week_before_an_unpublished_year(capsys: pytest.CaptureFixture[str]) -> None:
    data = _json(capsys, ["calendar", "day", "2026-12-28", "--json"])
    assert data["provisional"] is True
    assert main(["calendar", "day", "2026-12-28"]) == 0
    assert "depends on 2027" in capsys.readouterr().err
