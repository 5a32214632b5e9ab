"""Command-line inputs that once ended in an internal error (exit 3): each is now a
titlerules error with exit 2, a code and a hint."""

from __future__ import annotations

from pathlib import Path

import pytest

from titlerules.cli import main

ROOT = Path(__file__).resolve().parent.parent
HISTORICAL = ROOT / "examples" / "xianning-2024" / "historical-titles.csv"
RECORDS = ROOT / "policies" / "tests" / "eryuan-2024" / "records"


def _error(capsys: pytest.CaptureFixture[str], code: str) -> str:
    err = capsys.readouterr().err
    assert err.startswith("titlerules: error: "), err
    assert f"[{code}]" in err and "hint:" in err
    assert "internal error" not in err and "Traceback" not in err
    return err


def test_validate_records_years_outside_the_date_type(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["validate-records", str(HISTORICAL), "--from-year", "0", "--to-year", "99999"]
    assert main(argv) == 2
    assert "--from-year 0" in _error(capsys, "TR001")
    assert main(["validate-records", str(HISTORICAL), "--to-year", "99999"]) == 2
    assert "--to-year 99999" in _error(capsys, "TR001")


def test_plan_meeting_at_the_end_of_the_calendar(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "xianning-2024", "--meeting", "9999-12-31"]) == 2
    assert "meeting 9999-12-31" in _error(capsys, "TR200")


def test_retirement_after_the_last_date(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["calendar", "retirement", "9999-12-31", "--gender", "male"]) == 2
    assert "9999-12-31" in _error(capsys, "TR200")


def test_list_in_expect_failed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        "policy: eryuan-2024\n"
        "cases:\n"
        "  - name: nested\n"
        f"    base: {RECORDS / 'applicant-eligible.yml'}\n"
        "    expect: {outcome: ineligible, failed: [[vacant_post]]}\n",
        encoding="utf-8",
    )
    assert main(["test", str(cases)]) == 2
    assert "expect.failed" in _error(capsys, "TR002")


def test_path_with_nul(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate-records", "records\x00.csv"]) == 2
    assert "NUL" in _error(capsys, "TR001")
