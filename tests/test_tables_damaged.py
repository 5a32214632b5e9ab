"""Damaged tables: Parquet with duplicate columns, damaged pages or cut short, and CSV
cells longer than the csv module's own limit.  Each is a titlerules error naming the file
(or an error row naming the row), never a foreign exception; every row is accounted for."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from titlerules.boundedread import MAX_CELL_CHARS
from titlerules.cli import main
from titlerules.csvlines import csv_lines

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

CIVIL = "applicant.employment.is_civil_servant"


def _check(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["check", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_parquet_with_a_column_twice_is_refused_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "dup.parquet"
    pq.write_table(pa.table([pa.array(["false"]), pa.array(["true"])], names=[CIVIL, CIVIL]), path)
    code, out, err = _check(["eryuan-2024", str(path)], capsys)
    assert code == 2
    assert f"dup.parquet: duplicate column(s) {CIVIL}" in err
    assert "[TR002]" in err and "internal error" not in err
    assert out == ""


def _rows_parquet(path: Path, rows: int, group: int) -> None:
    table = pa.table({CIVIL: ["false"] * rows, "applicant.id": [f"id-{i}" for i in range(rows)]})
    pq.write_table(table, path, row_group_size=group, compression="NONE")


def test_parquet_with_damaged_pages_gives_an_error_row_for_each_unread_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "pages.parquet"
    _rows_parquet(path, 5000, 1000)
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    for i in range(middle, middle + 300):  # inside the third row group's pages
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    out_path = tmp_path / "out.jsonl"
    code, _out, err = _check(["eryuan-2024", str(path), "--out", str(out_path)], capsys)
    assert "internal error" not in err
    rows = [json.loads(line) for line in out_path.read_text(encoding="utf-8").splitlines()]
    assert [row["row"] for row in rows] == list(range(1, 5001))  # every row, in order
    broken = [row for row in rows if row["outcome"] == "error"]
    assert broken, "the damaged pages were read as if whole"
    assert all("cannot be read" in row["error"] and "row group" in row["error"] for row in broken)
    assert len(broken) < 5000  # the other row groups are decided
    assert code == 2


@pytest.mark.parametrize("damage", ["cut", "footer"])
def test_parquet_cut_short_or_with_a_damaged_footer_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], damage: str
) -> None:
    path = tmp_path / "bad.parquet"
    _rows_parquet(path, 100, 50)
    data = bytearray(path.read_bytes())
    if damage == "cut":
        data = data[: len(data) // 2]
    else:
        for i in range(len(data) - 200, len(data) - 8):
            data[i] ^= 0x55
    path.write_bytes(bytes(data))
    out_path = tmp_path / "out.parquet"
    code, _out, err = _check(["eryuan-2024", str(path), "--out", str(out_path)], capsys)
    assert code == 2
    assert "bad.parquet: not a Parquet file" in err and "[TR002]" in err
    assert "hint: check the file" in err
    assert not out_path.exists()  # nothing half-written


def test_csv_cells_past_the_csv_module_limit_are_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv.field_size_limit(131_072)  # Python's default, whatever ran before
    long = "x" * 200_000
    path = tmp_path / "long.csv"
    path.write_text(f'applicant.id,{CIVIL}\n{long},false\n"{long}",false\nz,true\n', "utf-8")
    _code, out, err = _check(["eryuan-2024", str(path)], capsys)
    rows = [json.loads(line) for line in out.splitlines()]
    assert [row["row"] for row in rows] == [1, 2, 3]
    assert all(row["outcome"] != "error" for row in rows), rows[0]["error"]
    assert "internal error" not in err


def test_csv_cells_past_our_bound_are_that_rows_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    long = "x" * (MAX_CELL_CHARS + 1)
    path = tmp_path / "long.csv"
    path.write_text(f'applicant.id,{CIVIL}\n{long},false\n"{long}",false\nz,true\n', "utf-8")
    code, out, err = _check(["eryuan-2024", str(path)], capsys)
    rows = [json.loads(line) for line in out.splitlines()]
    assert [row["outcome"] == "error" for row in rows] == [True, True, False]
    for row, line in zip(rows[:2], (2, 3), strict=True):
        assert f"(line {line}): a cell is longer than {MAX_CELL_CHARS:,} characters" in row["error"]
    assert "internal error" not in err
    assert code == 2  # rows in error


def test_csv_lines_does_not_depend_on_the_csv_module_limit() -> None:
    csv.field_size_limit(1000)
    try:
        lines = list(csv_lines([f'"{"y" * 5000}",b\n', "c,d\n"]))
    finally:
        csv.field_size_limit(131_072)
    assert [line.cells for line in lines] == [["y" * 5000, "b"], ["c", "d"]]


def test_validate_records_reads_a_long_quoted_cell(tmp_path: Path) -> None:
    from titlerules import validate_records

    header = (
        "姓名,性别,证件类型,证件号码,出生日期,职称系列,"
        "专业名称,职称名称,评审组织,批准单位,批准文号,批准日期"
    )
    path = tmp_path / "h.csv"
    path.write_text(header + "\n" + f'"{"李" * 150_000}",男,,,,,,,,,,\n', encoding="utf-8")
    report = validate_records(path)
    (row,) = report.rows
    assert row.name == "李" * 150_000  # read whole, not refused by the csv module's limit
    assert row.line == 2
