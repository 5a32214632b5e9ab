"""Historical title records (Xianning attachment 4): every row checked, no row lost."""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from pathlib import Path

import pytest

from titlerules.audit import validate_records
from titlerules.cli import main
from titlerules.errors import InputFileError
from titlerules.facts import HISTORICAL_FIELDS, HistoricalTitleRecord, id_check_character
from titlerules.facts.loading import parse_record

from .conftest import EXAMPLES

HEADER = [zh for _, zh in HISTORICAL_FIELDS]
SERIES = [
    ("卫生技术", "护理学", "主管护师"),
    ("工程技术", "水利工程", "工程师"),
    ("中小学教师", "小学语文", "二级教师"),
    ("会计", "会计", "会计师"),
    ("农业技术", "农学", "农艺师"),
]


def _id_number(rng: random.Random, birth: dt.date, male: bool) -> str:
    sequence = rng.randrange(0, 500) * 2 + (1 if male else 0)
    first17 = f"421202{birth:%Y%m%d}{sequence:03d}"
    return first17 + id_check_character(first17)


def _good_row(rng: random.Random, index: int) -> list[str]:
    male = rng.random() < 0.5
    birth = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 35))
    approval = dt.date(2012, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 10 - 3))
    series, specialty, title = rng.choice(SERIES)
    return [
        f"姓名{index}",
        "男" if male else "女",
        "居民身份证",
        _id_number(rng, birth, male),
        birth.isoformat(),
        series,
        specialty,
        title,
        "咸宁市职称评审委员会",
        "咸宁市职称改革工作领导小组办公室",
        f"咸职改办〔{approval.year}〕{rng.randrange(1, 99)}号",
        approval.isoformat(),
    ]


def _break(rng: random.Random, row: list[str], kind: int) -> list[str]:
    """One defect of one of eight kinds."""
    row = list(row)
    if kind == 0:  # wrong check character
        check = row[3][17]
        row[3] = row[3][:17] + ("0" if check != "0" else "1")
    elif kind == 1:  # birth date disagrees with the ID number
        birth = dt.date.fromisoformat(row[4]) + dt.timedelta(days=1)
        row[4] = birth.isoformat()
    elif kind == 2:  # gender disagrees with the ID number
        row[1] = "女" if row[1] == "男" else "男"
    elif kind == 3:  # a mandatory field left empty
        row[rng.choice([0, 5, 6, 7, 8, 9, 10])] = ""
    elif kind == 4:  # not a date
        row[11] = "2015-02-30"
    elif kind == 5:  # approved after the collection range
        row[11] = "2022-03-01"
    elif kind == 6:  # not a gender
        row[1] = "未知"
    else:  # not an ID type
        row[2] = "工作证"
    return row


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, set[int]]:
    """10,000 rows, 50 of them broken (seeded): the file and the broken rows' numbers."""
    rng = random.Random(20240422)
    bad = set(rng.sample(range(1, 10_001), 50))
    path = tmp_path_factory.mktemp("historical") / "historical-10000.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for index in range(1, 10_001):
            row = _good_row(rng, index)
            if index in bad:
                row = _break(rng, row, index % 8)
            writer.writerow(row)
    return path, bad


def test_ten_thousand_rows_exactly_the_fifty_bad_ones(big_csv: tuple[Path, set[int]]) -> None:
    path, bad = big_csv
    report = validate_records(path)
    assert len(report.rows) == 10_000
    assert [r.row for r in report.rows] == list(range(1, 10_001))
    assert {r.row for r in report.invalid} == bad
    assert report.summary.rows == 10_000
    assert report.summary.invalid == 50
    assert report.summary.valid == 9_950
    assert report.exit_code == 1
    for result in report.invalid:
        assert result.errors and all(p.field for p in result.errors)
        assert result.line == result.row + 1


def test_every_valid_row_is_a_valid_record(big_csv: tuple[Path, set[int]]) -> None:
    path, _ = big_csv
    report = validate_records(path)
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))[1:]
    fields = [name for name, _ in HISTORICAL_FIELDS]
    for result in report.rows[:2000]:
        data = dict(zip(fields, rows[result.row - 1], strict=True))
        if result.ok:
            parse_record(HistoricalTitleRecord, data)


def test_each_kind_of_defect_names_its_field(tmp_path: Path) -> None:
    rng = random.Random(1)
    rows = [_good_row(rng, 1)] + [_break(rng, _good_row(rng, k + 2), k) for k in range(8)]
    path = tmp_path / "kinds.csv"
    _write_csv(path, rows)
    report = validate_records(path)
    fields = [{p.field for p in r.errors} for r in report.rows]
    assert fields[0] == set()
    assert fields[1] == {"id_number"}  # check character
    assert fields[2] == {"id_number"}  # birth date disagrees
    assert fields[3] == {"id_number"}  # gender disagrees
    assert len(fields[4]) == 1  # one empty field
    assert fields[5] == {"approval_date"}  # not a date
    assert fields[6] == {"approval_date"}  # after the range
    assert fields[7] == {"gender"}
    assert fields[8] == {"id_type"}
    assert "check digit should be" in report.rows[1].errors[0].message
    assert "批准日期晚于采集范围（2012年至2021年）" in report.rows[6].errors[0].message_zh


def _write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def test_the_bundled_example(capsys: pytest.CaptureFixture[str]) -> None:
    path = EXAMPLES / "xianning-2024" / "historical-titles.csv"
    report = validate_records(path)
    assert report.summary.rows == 6
    assert report.summary.invalid == 0
    assert report.summary.with_warnings == 1  # approved in 2011: before the range, allowed
    (warned,) = [r for r in report.rows if r.warnings]
    assert warned.warnings[0].field == "approval_date"
    assert main(["validate-records", str(path)]) == 0
    assert "共 6 行，合格 6 行，不合格 0 行" in capsys.readouterr().out


def test_no_row_lost_blank_rows_and_short_rows(tmp_path: Path) -> None:
    rng = random.Random(2)
    good = _good_row(rng, 1)
    path = tmp_path / "blank.csv"
    _write_csv(path, [good, [""] * 12, good[:6], [*good, "多余"], good, [], [""] * 12])
    report = validate_records(path)
    assert [r.row for r in report.rows] == [1, 2, 3, 4, 5]  # trailing blank rows are no rows
    assert [r.ok for r in report.rows] == [True, False, False, False, True]
    assert {p.field for p in report.rows[1].errors} >= {"(row)", "name"}
    assert {p.field for p in report.rows[2].errors} == {f for f, _ in HISTORICAL_FIELDS[6:]}
    assert [p.field for p in report.rows[3].errors] == ["(row)"]


def test_english_header_any_order_and_missing_column(tmp_path: Path) -> None:
    rng = random.Random(3)
    names = [name for name, _ in HISTORICAL_FIELDS]
    order = list(reversed(range(12)))
    row = _good_row(rng, 1)
    path = tmp_path / "english.csv"
    _write_csv(path, [[row[i] for i in order]], header=[names[i] for i in order])
    assert validate_records(path).summary.invalid == 0
    missing = tmp_path / "missing.csv"
    _write_csv(missing, [row[:11]], header=HEADER[:11])
    report = validate_records(missing)
    assert report.missing_columns == ["approval_date"]
    assert [p.field for p in report.rows[0].errors] == ["approval_date"]


def test_no_header_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "noheader.csv"
    path.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    with pytest.raises(InputFileError):
        validate_records(path)
    assert main(["validate-records", str(path)]) == 2
    assert main(["validate-records", str(tmp_path / "absent.csv")]) == 2


def test_gb18030_csv(tmp_path: Path) -> None:
    rng = random.Random(4)
    path = tmp_path / "gbk.csv"
    lines = [",".join(HEADER), ",".join(_good_row(rng, 1))]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gb18030"))
    report = validate_records(path)
    assert report.summary.valid == 1


def test_xlsx_with_a_title_row(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    rng = random.Random(5)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["湖北省职称历史数据采集表"])
    sheet.append(HEADER)
    good = _good_row(rng, 1)
    typed: list[object] = list(good)
    typed[4] = dt.datetime.fromisoformat(good[4])  # a date cell
    typed[11] = dt.datetime.fromisoformat(good[11])
    sheet.append(typed)
    numeric = list(_good_row(rng, 2))
    numeric_typed: list[object] = list(numeric)
    numeric_typed[3] = 421202198001010010  # an ID number typed in as a number
    sheet.append(numeric_typed)
    path = tmp_path / "records.xlsx"
    workbook.save(path)
    report = validate_records(path)
    assert report.format == "xlsx"
    assert [r.line for r in report.rows] == [3, 4]
    assert report.rows[0].ok
    assert not report.rows[1].ok
    assert any("stored as a number" in p.message for p in report.rows[1].errors)


def test_cli_json_keeps_every_row(
    big_csv: tuple[Path, set[int]], capsys: pytest.CaptureFixture[str]
) -> None:
    path, bad = big_csv
    assert main(["validate-records", str(path), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert len(data["rows"]) == 10_000
    assert {r["row"] for r in data["rows"] if not r["ok"]} == bad
    assert main(["validate-records", str(path), "--lang", "en", "--limit", "3"]) == 1
    out = capsys.readouterr().out
    assert "10000 rows, 9950 valid, 50 invalid" in out
    assert "47 more invalid rows" in out


@pytest.mark.parametrize(
    ("title_name", "senior"),
    [
        ("高级工程师", True),
        ("正高级教师", True),
        ("副主任医师", True),
        ("主任护师", True),
        ("副教授", True),
        ("研究员", True),
        ("副研究馆员", True),
        ("工程师", False),
        ("主管护师", False),
        ("助理研究员", False),
        ("讲师", False),
        ("一级教师", False),
        ("高级工", False),
        ("高级技师", False),
    ],
)
def test_attachment_4_collects_intermediate_and_junior_titles_only(
    tmp_path: Path, title_name: str, senior: bool
) -> None:
    """附件4 备注1: "本次采集范围为 2012 年至 2021 年的中、初级职称数据"."""
    from titlerules.audit.historical import is_senior_title_name

    assert is_senior_title_name(title_name) is senior
    row = _good_row(random.Random(2), 1)
    row[HEADER.index("职称名称")] = title_name
    path = tmp_path / "one.csv"
    _write_csv(path, [row])
    [result] = validate_records(path).rows
    flagged = [p for p in result.errors if p.field == "title_name"]
    assert bool(flagged) is senior
    if senior:
        assert flagged[0].message_zh == "高级职称不在采集范围内（本次采集中、初级职称数据）"
