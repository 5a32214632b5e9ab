"""Batch layer: the columnar path decides exactly as the per-record path, row for row;
tables stream in chunks with one result row per input row, malformed rows included."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pl = pytest.importorskip("polars")

from titlerules.batch import schema as batch_schema  # noqa: E402
from titlerules.batch.io import run_file  # noqa: E402
from titlerules.batch.runner import ColumnarPolicy, decision_result, error_result  # noqa: E402
from titlerules.cli import main  # noqa: E402
from titlerules.engine.policy import Policy, load_policy  # noqa: E402
from titlerules.errors import TitleRulesError  # noqa: E402
from titlerules.resources import policies_dir  # noqa: E402
from titlerules.synthetic import (  # noqa: E402
    applicants,
    flat_rows,
    population,
    spelled,
    typed_table,
)

SIMPLE = """
param service_cutoff: date = 2024-12-31
param min_service: int = 5
param accepted_education: set[EducationLevel] = {本科, 双学士, 硕士, 博士}
requirement basic "基本条件" {
  cite 一 "非公务员、未退休、任现职满5年、本科以上学历"
  require not applicant.employment.is_civil_servant
  require not applicant.employment.retired
  require years_between(applicant.employment.current_post_start, service_cutoff, floor)
      >= min_service
  require applicant.education.any(e -> e.level in accepted_education)
}
"""

# Exact fractions, working-day windows, exceptions, advisory rules, if/then/else, sums of
# exact years, counts, lets and defs: the parts of the language the columns must get right.
RICH = """
import "common/retirement"
param share: fraction = 2/3
param publicity_min: working_days = 5 working_days
param meeting: date = 2024-10-15
let day = applicant.application.submitted_on
def years_in(p) = years_between(p.start, coalesce(p.end, meeting), exact)
requirement vote "三分之二" {
  cite 二 "同意推荐票数达参会人数的三分之二"
  require applicant.unit_debrief.yes_votes >= share * applicant.unit_debrief.attendees
}
requirement publicity "公示" {
  cite 二 "公示期不少于5个工作日"
  applies applicant.employment.employer_kind != 自由职业者
  require working_days_between(applicant.unit_publicity.start, applicant.unit_publicity.end)
      >= publicity_min
  require applicant.unit_publicity.end < day
}
exclusion retired "退休" {
  cite 一 "不得参加"
  when retired_or_of_age(applicant, meeting)
  unless "延迟退休": delayed_retirement_in_force(applicant, meeting)
}
requirement service "基层" {
  cite 三 "基层服务满2年"
  require applicant.service.where(s -> s.grassroots).sum(s -> years_in(s)) >= 2
  severity advisory
}
requirement assessed "考核" {
  cite 四 "近三年考核合格"
  require applicant.assessments.where(a -> a.year >= 2021).all(a -> a.grade >= 合格)
  require applicant.assessments.count(a -> a.grade == 不合格) == 0
}
requirement ratio "比例" {
  cite 五 "投票比例"
  require (if applicant.unit_debrief.secret_ballot
           then applicant.unit_debrief.yes_votes / applicant.unit_debrief.attendees
           else 0) > 1/2
  require add_working_days(applicant.unit_publicity.end, 3)
      <= applicant.application.material_deadline + 10 days
}
exclusion sanction "处分" {
  cite 六 "处分期内"
  when applicant.sanctions.any(s -> s.severity >= 记过 and s.start + 2 years >= day)
}
"""


def _bundled(name: str) -> bool:
    return (policies_dir() / f"{name}.policy").is_file()


BUNDLED = [
    n for n in ("eryuan-2024", "kunming-2020", "yuncheng-2024", "xianning-2024") if _bundled(n)
]


@pytest.fixture(scope="module")
def columnar_cache() -> dict[str, tuple[Policy, ColumnarPolicy]]:
    return {}


@pytest.fixture
def compiled(
    make_policy: Callable[[str], Policy], columnar_cache: dict[str, tuple[Policy, ColumnarPolicy]]
) -> Callable[[str], tuple[Policy, ColumnarPolicy]]:
    def get(name: str) -> tuple[Policy, ColumnarPolicy]:
        if name not in columnar_cache:
            policy = (
                load_policy(name)
                if name in BUNDLED
                else make_policy({"simple": SIMPLE, "rich": RICH}[name])
            )
            columnar_cache[name] = (policy, ColumnarPolicy(policy))
        return columnar_cache[name]

    return get


def _table(records: list[dict[str, Any]]) -> Any:
    columns = flat_rows(records)
    return pl.DataFrame(columns, schema={name: pl.String for name in columns})


def _expected(policy: Policy, record: dict[str, Any]) -> Any:
    try:
        return decision_result(policy.evaluate(record, explain=False))
    except TitleRulesError as exc:
        return error_result(str(exc))


def _assert_same(policy: Policy, columnar: ColumnarPolicy, records: list[dict[str, Any]]) -> None:
    result = columnar.evaluate(_table(records))
    assert result.height == len(records)
    for row, record in zip(result.iter_rows(named=True), records, strict=True):
        expected = _expected(policy, record)
        assert row["outcome"] == expected.outcome, (row, expected)
        if expected.outcome == "error":
            assert row["error"] == expected.error
            continue
        rules = {k[5:]: v for k, v in row.items() if k.startswith("rule.")}
        assert rules == expected.rules
        assert row["failed"] == expected.failed
        assert row["unknown"] == expected.unknown


# ---------------------------------------------------------------- equivalence


@pytest.mark.parametrize("name", ["simple", "rich", *BUNDLED])
def test_columnar_decides_as_per_record_on_random_records(
    name: str, compiled: Callable[[str], tuple[Policy, ColumnarPolicy]]
) -> None:
    policy, columnar = compiled(name)
    assert not columnar.fallback_rules, columnar.fallback_rules
    records = spelled(applicants(400, seed=len(name), missing=0.05))
    records += spelled(applicants(200, seed=99, missing=0.02, messy=True), messy=True)
    _assert_same(policy, columnar, records)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 2**31),
    missing=st.sampled_from([0.0, 0.05, 0.3]),
    messy=st.booleans(),
    name=st.sampled_from(["simple", "rich", *BUNDLED[:1]]),
)
def test_columnar_equals_per_record_hypothesis(
    seed: int,
    missing: float,
    messy: bool,
    name: str,
    compiled: Callable[[str], tuple[Policy, ColumnarPolicy]],
) -> None:
    policy, columnar = compiled(name)
    records = spelled(applicants(40, seed=seed, missing=missing, messy=messy), messy=messy)
    _assert_same(policy, columnar, records)


def test_rows_outside_the_calendar_are_decided_per_record(
    compiled: Callable[[str], tuple[Policy, ColumnarPolicy]],
) -> None:
    policy, columnar = compiled("rich")
    records = spelled(applicants(30, seed=3))
    for record in records[:10]:  # a publicity window before the calendar's first year
        record["unit_publicity"] = {"start": "1999-12-20", "end": "1999-12-31", "objections": "0"}
    _assert_same(policy, columnar, records)
    assert columnar.last_per_record_rows >= 10
    # Counted by the policy's own reason, first at row 1.
    reasons = columnar.last_per_record_reasons
    assert reasons.counts["a date outside the working-day calendar"] >= 10, reasons.counts
    assert reasons.first["a date outside the working-day calendar"] == (1, None)


def test_a_rule_without_columnar_form_runs_per_record(
    make_policy: Callable[[str], Policy],
) -> None:
    policy = make_policy(
        SIMPLE
        + """
requirement same_series "同系列" {
  cite 二 "现岗位系列与申报系列一致"
  require {applicant.application.series}.contains_all({applicant.employment.post_series})
}
"""
    )
    columnar = ColumnarPolicy(policy)
    assert set(columnar.fallback_rules) == {"same_series"}
    assert columnar.columnar_rules == ("basic",)
    _assert_same(policy, columnar, spelled(applicants(60, seed=8, missing=0.1)))


# ---------------------------------------------------------------- natural JSON, English terms


def _assert_same_table(
    policy: Policy, columnar: ColumnarPolicy, table: Any, records: list[dict[str, Any]]
) -> None:
    """Every row of ``table`` (the spelling of ``records``) decided as the per-record path
    decides the record the row spells (what the CSV reader hands it)."""
    result = columnar.evaluate(table)
    assert result.height == len(records)
    for raw, row in zip(table.iter_rows(named=True), result.iter_rows(named=True), strict=True):
        expected = _expected(policy, batch_schema.row_record(raw, columnar.schema))
        assert row["outcome"] == expected.outcome, (row, expected)
        if expected.outcome == "error":
            assert row["error"] == expected.error
            continue
        assert {k[5:]: v for k, v in row.items() if k.startswith("rule.")} == expected.rules
        assert row["failed"] == expected.failed


@pytest.mark.parametrize("terms", ["zh", "en"])
@pytest.mark.parametrize("quoted", [False, True])
def test_natural_json_and_english_terms_run_columnar(
    terms: str, quoted: bool, compiled: Callable[[str], tuple[Policy, ColumnarPolicy]]
) -> None:
    """List cells in natural JSON (numbers and booleans unquoted) or quoted, terms in
    Chinese or English: every row decided column-wise, exactly as per record."""
    policy, columnar = compiled(BUNDLED[0])
    records = applicants(300, seed=31, missing=0.05)
    columns = flat_rows(records, terms=terms, quoted=quoted)
    sample = next(v for v in columns["assessments"] if v and v != "[]")
    assert ('"year": "' in sample) == quoted, sample
    table = pl.DataFrame(columns, schema={name: pl.String for name in columns})
    _assert_same_table(policy, columnar, table, records)
    assert columnar.last_per_record_rows == 0, columnar.last_per_record_reasons.lines()


def test_english_terms_in_any_case_read_as_the_models_read_them(
    compiled: Callable[[str], tuple[Policy, ColumnarPolicy]],
) -> None:
    policy, columnar = compiled(BUNDLED[0])
    records = applicants(40, seed=5)
    columns = flat_rows(records, terms="en")
    kinds = columns["employment.employer_kind"]
    spellings = [str.upper, str.title, str.lower, lambda t: f" {t}", lambda t: t.replace("_", " ")]
    columns["employment.employer_kind"] = [
        None if kind is None else spellings[i % len(spellings)](kind)
        for i, kind in enumerate(kinds)
    ]
    table = pl.DataFrame(columns, schema={name: pl.String for name in columns})
    _assert_same_table(policy, columnar, table, records)
    # Upper, title and lower case are read column-wise; a blank or a space for "_" is not.
    reasons = columnar.last_per_record_reasons
    assert set(reasons.counts) == {"employment.employer_kind: a term the fast reader does not read"}
    assert reasons.total == sum(1 for i, k in enumerate(kinds) if k and i % 5 in (3, 4))


# Odd values in natural-JSON list cells: each row is decided as the per-record path decides
# it (an error row included), and counted by its reason.
ODD_CELLS = {
    "assessments": [
        '[{"year": 2021.0, "grade": "合格"}]',  # a whole float: the models read 2021
        '[{"year": 2021.5, "grade": "合格"}]',  # refused by the models
        '[{"year": 2021, "grade": 1}]',  # a number for a term
        '[{"year": 2021, "grade": true}]',
        '[{"year": "2021", "year": 2022, "grade": "合格"}]',  # a key twice: the last counts
        "[null]",
        '[{"year": 2021, "grade": "合格", "note": 1}]',
        '[{"year": 1e3, "grade": "合格"}]',
        '[{"year": -0, "grade": "合格"}, {"year": 2022, "grade": null}]',
    ],
    "education": [
        '[{"level": "本科", "full_time": 1}]',  # 1 is true to the models
        '[{"level": "本科", "full_time": 2}]',
        '[{"level": "本科", "full_time": 1.0}]',
        '[{"level": "bachelor", "obtained_on": 20060701}]',  # a number for a date
        '[{"level": "BACHELOR", "obtained_on": "2006-07-01"}]',
    ],
    "titles": [
        '[{"level": "中级", "specialty": 12}]',  # a whole number as text: "12"
        '[{"level": "中级", "specialty": 1.5}]',  # a fraction as text: "1.5" (not Polars\')
        '[{"level": "中级", "specialty": false}]',
        '[{"level": "中级", "specialty": 123456789012345678901234567890}]',
    ],
    "continuing_education": [
        '[{"year": 2021, "hours": 12.5, "compliant": true}]',
        '[{"year": 2021, "hours": 0.1, "compliant": false}]',
        '[{"year": 2021, "hours": 1e-7}]',
        '[{"year": 2021, "hours": true}]',
    ],
}


def test_odd_natural_json_values_decide_as_per_record_and_are_counted(
    tmp_path: Path, compiled: Callable[[str], tuple[Policy, ColumnarPolicy]]
) -> None:
    policy, columnar = compiled(BUNDLED[0])
    records = applicants(sum(len(v) for v in ODD_CELLS.values()) + 20, seed=17)
    columns = flat_rows(records)
    row = 0
    for column, cells in ODD_CELLS.items():
        for cell in cells:
            columns[column][row] = cell
            row += 1
    table = pl.DataFrame(columns, schema={name: pl.String for name in columns})
    _assert_same_table(policy, columnar, table, records)
    assert 5 <= columnar.last_per_record_rows < row  # the rest read column-wise
    path = tmp_path / "odd.csv"
    table.write_csv(path)
    summary, result = run_file(columnar, path)
    assert result.height == len(records)
    reasons = summary.per_record_reasons
    assert summary.per_record_rows == reasons.total == columnar.last_per_record_rows
    assert len(reasons.counts) >= 5, reasons.counts
    text = summary.render()
    assert "assessments: a key the records do not have, or one stated twice" in text, text
    assert "row(s) per-record: titles: a number or true/false where text" in text, text


# ---------------------------------------------------------------- the fast reader is exact


def test_fast_flag_spellings_read_as_the_models_read_them() -> None:
    from pydantic import TypeAdapter

    from titlerules.facts.base import Flag

    adapter = TypeAdapter(Flag)
    for text, value in batch_schema._BOOL_SPELLINGS.items():
        if not text.startswith("\x01"):
            assert adapter.validate_python(text) is value, text


def test_fast_enum_spellings_read_as_the_models_read_them() -> None:
    from titlerules.facts import ENUMS

    for cls in ENUMS.values():
        for text, value in batch_schema._enum_table(cls).items():
            assert cls.parse(text).value == value  # type: ignore[attr-defined]


def test_enum_fields_are_read_into_polars_enums_of_their_members() -> None:
    from titlerules.batch import validate_table
    from titlerules.facts.enums import EmployerKind

    schema = batch_schema.applicant_schema()
    table = pl.DataFrame(
        {
            "employment.employer_kind": ["事业单位", "民营企业", None],
            "titles": [None, '[{"level": "中级", "series": "会计"}]', "[]"],
        }
    )
    frame = validate_table(table, schema).frame
    kinds = frame.get_column("employment.employer_kind")
    assert kinds.dtype == pl.Enum([member.value for member in EmployerKind])
    assert kinds.to_list() == ["public_institution", "private_enterprise", None]
    element = frame.schema["titles"].inner  # type: ignore[union-attr]
    assert isinstance(element.to_schema()["level"], pl.Enum)
    assert frame.get_column("titles").to_list()[1][0]["level"] == "intermediate"


def test_every_model_validator_is_known_to_the_fast_reader() -> None:
    schema = batch_schema.applicant_schema()
    models = [m for _, m in schema.submodels] + [f.model for f in schema.lists]
    found = set()
    for model in models:
        decorators = model.__pydantic_decorators__
        for name in (*decorators.field_validators, *decorators.model_validators):
            found.add((model.__name__, name))
    # An unknown validator is safe (its rows go to the per-record path) but slow: list it.
    assert found <= batch_schema.KNOWN_VALIDATORS


def test_identity_numbers_are_checked_column_wise(
    compiled: Callable[[str], tuple[Policy, ColumnarPolicy]],
) -> None:
    policy, columnar = compiled("simple")
    records = spelled(applicants(6, seed=4))
    records[0]["person"]["id_number"] = records[0]["person"]["id_number"][:-1] + "0"
    records[1]["person"]["birth_date"] = "1970-01-01"  # disagrees with the number
    records[2]["person"]["id_number"] = records[2]["person"]["id_number"].lower()
    result = columnar.evaluate(_table(records))
    assert result["outcome"].to_list()[:2] == ["error", "error"]
    _assert_same(policy, columnar, records)


# ---------------------------------------------------------------- files in, one row per row


def test_csv_with_malformed_rows_gives_one_result_row_per_input_row(
    tmp_path: Path, compiled: Callable[[str], tuple[Policy, ColumnarPolicy]]
) -> None:
    _policy, columnar = compiled("simple")
    records = spelled(applicants(25, seed=12))
    records[7].setdefault("employment", {})["current_post_start"] = "2019-13-45"
    path = tmp_path / "applicants.csv"
    _table(records).write_csv(path)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(3, "only,three,cells\n")  # data row 3: wrong number of cells
    lines.insert(8, "\n")  # a blank line is not a row
    path.write_text("".join(lines), encoding="utf-8")  # records[7] is now data row 9
    summary, result = run_file(columnar, path, chunk_rows=7)
    assert result.height == 26 == summary.rows
    assert result["row"].to_list() == list(range(1, 27))
    short = result.row(2, named=True)
    assert short["outcome"] == "error" and "3 cells" in short["error"]
    dated = result.row(8, named=True)
    assert dated["outcome"] == "error"
    assert "employment.current_post_start" in dated["error"]
    assert summary.errors == 2


def test_jsonl_lines_that_are_not_records_are_error_rows(
    tmp_path: Path, compiled: Callable[[str], tuple[Policy, ColumnarPolicy]]
) -> None:
    policy, columnar = compiled("simple")
    records = spelled(applicants(5, seed=2))
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    lines.insert(1, "{not json")
    lines.insert(2, "[1, 2]")
    lines.append(json.dumps({"applicant": records[0]}, ensure_ascii=False))
    path = tmp_path / "applicants.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _summary, result = run_file(columnar, path)
    assert result["row"].to_list() == list(range(1, 9))
    assert result["outcome"].to_list()[1:3] == ["error", "error"]
    first, last = result.row(0, named=True), result.row(7, named=True)
    assert first["outcome"] == last["outcome"] == _expected(policy, records[0]).outcome


def test_parquet_with_typed_columns_and_lists_of_structs(
    tmp_path: Path, compiled: Callable[[str], tuple[Policy, ColumnarPolicy]]
) -> None:
    policy, columnar = compiled("rich")
    records = spelled(applicants(50, seed=21, missing=0.05))
    table = _table(records)
    typed = table.with_columns(
        pl.col("application.submitted_on").str.to_date(),
        pl.col("employment.retired").replace_strict({"true": True, "false": False}),
        pl.col("unit_debrief.attendees").cast(pl.Int64),
        pl.col("assessments").str.json_decode(
            pl.List(pl.Struct({"year": pl.String, "grade": pl.String}))
        ),
    )
    path = tmp_path / "applicants.parquet"
    typed.write_parquet(path)
    out = tmp_path / "result.parquet"
    summary, _ = run_file(columnar, path, out, chunk_rows=16)
    result = pl.read_parquet(out)
    assert result.height == 50 == summary.rows
    for row, record in zip(result.iter_rows(named=True), records, strict=True):
        assert row["outcome"] == _expected(policy, record).outcome


def test_unknown_columns_make_error_rows_that_name_them(
    compiled: Callable[[str], tuple[Policy, ColumnarPolicy]],
) -> None:
    _policy, columnar = compiled("simple")
    table = _table(spelled(applicants(3, seed=1))).with_columns(
        pl.Series("employment.salary", ["100", None, "300"])
    )
    result = columnar.evaluate(table)
    assert result["outcome"].to_list()[0] == "error"
    assert "salary" in result["error"][0]
    assert result["outcome"].to_list()[1] != "error"


def test_check_command_streams_a_table_to_a_result_file(
    tmp_path: Path, write_policy: Callable[[str, str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    policy_path = write_policy(SIMPLE, "simple.policy")
    source = tmp_path / "in.csv"
    _table(spelled(applicants(12, seed=6))).write_csv(source)
    out = tmp_path / "out.jsonl"
    assert main(["check", str(policy_path), str(source), "--out", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["rows"] == 12
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["row"] for r in rows] == list(range(1, 13))
    assert {"outcome", "failed", "unknown", "error", "rule.basic"} <= set(rows[0])


@pytest.mark.parametrize("name", BUNDLED)
def test_check_command_decides_a_natural_json_csv_columnar_counting_the_rest_by_reason(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A county's population as a CSV export writes it (list cells in natural JSON) goes
    through ``check --out`` column-wise, with the same decisions as per record; the few
    rows spelled otherwise are decided per record and counted by reason."""
    policy = load_policy(name)
    records = population(name, 400, seed=2)
    columns = flat_rows(records)
    odd = {7: "2021.5", 40: "二〇二一", 41: "2022.0"}  # years only the models read
    for row, year in odd.items():
        columns["assessments"][row] = f'[{{"year": "{year}", "grade": "合格"}}]'
    source = tmp_path / "applicants.csv"
    pl.DataFrame(columns, schema={k: pl.String for k in columns}).write_csv(source)
    out = tmp_path / "out.jsonl"
    assert main(["check", name, str(source), "--out", str(out)]) == 2  # two error rows
    text = capsys.readouterr().out
    assert "3 row(s) decided on the per-record path" in text, text
    assert (
        "3 row(s) per-record: assessments[].year: not a plain whole number in range "
        "(or missing: it is required) (first: row 8, '2021.5')"
    ) in text, text
    assert main(["check", name, str(source), "--out", str(out), "--json"]) == 2
    summary = json.loads(capsys.readouterr().out)
    assert summary["per_record_rows"] == 3
    assert [r["rows"] for r in summary["per_record_reasons"].values()] == [3]
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == len(records)
    expected = [policy.evaluate(r).outcome.value for r in records]
    decided = [r["outcome"] for r in rows]
    assert [d for i, d in enumerate(decided) if i not in odd] == [
        e for i, e in enumerate(expected) if i not in odd
    ]
    assert [decided[i] for i in odd] == ["error", "error", expected[41]]
    assert decided.count("eligible") > len(records) // 2


def test_check_command_prints_result_rows_without_out(
    tmp_path: Path, write_policy: Callable[[str, str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    policy_path = write_policy(SIMPLE, "simple.policy")
    source = tmp_path / "in.csv"
    source.write_text("employment.is_civil_servant\ntrue\nmaybe\n", encoding="utf-8")
    assert main(["check", str(policy_path), str(source)]) == 2
    captured = capsys.readouterr()
    rows = [json.loads(line) for line in captured.out.splitlines()]
    assert [r["outcome"] for r in rows] == ["ineligible", "error"]
    assert "2 rows" in captured.err


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_check_command_explains_a_table_with_missing_facts(
    tmp_path: Path,
    suffix: str,
    write_policy: Callable[[str, str], Path],
    compiled: Callable[[str], tuple[Policy, ColumnarPolicy]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``--explain``: each result row also lists its missing facts and an explanation (in
    ``--lang``), exactly as ``ColumnarPolicy.evaluate(explain=True)`` gives them; rows that
    cannot be read are error rows with neither, in every chunk."""
    policy_path = write_policy(SIMPLE, "simple.policy")
    _policy, columnar = compiled("simple")
    records = spelled(applicants(12, seed=6, missing=0.3))
    source = tmp_path / "in.csv"
    _table(records).write_csv(source)
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(2, "only,three,cells\n")  # data row 2 cannot be read
    source.write_text("".join(lines), encoding="utf-8")
    out = tmp_path / f"out{suffix}"
    arguments = ["check", str(policy_path), str(source), "--out", str(out)]
    assert main([*arguments, "--explain", "--lang", "en", "--chunk-rows", "5"]) == 2
    capsys.readouterr()
    if suffix == ".parquet":
        rows = pl.read_parquet(out).to_dicts()
    else:
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["row"] for r in rows] == list(range(1, 14))
    unreadable = rows.pop(1)
    assert unreadable["outcome"] == "error"
    assert unreadable["missing"] is None and unreadable["explanation"] is None
    expected = columnar.evaluate(_table(records), explain=True, lang="en").to_dicts()
    assert [(r["missing"], r["explanation"]) for r in rows] == [
        (r["missing"], r["explanation"]) for r in expected
    ]
    assert any(r["missing"] for r in rows) and any(r["outcome"] == "eligible" for r in rows)
    assert all(r["explanation"] for r in rows)
    plain = tmp_path / f"plain{suffix}"
    assert main(["check", str(policy_path), str(source), "--out", str(plain)]) == 2
    capsys.readouterr()
    columns = set(
        pl.read_parquet(plain).columns
        if suffix == ".parquet"
        else json.loads(plain.read_text(encoding="utf-8").splitlines()[0])
    )
    assert "explanation" not in columns and "missing" not in columns


def test_missing_polars_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from titlerules.batch._polars import polars

    monkeypatch.setitem(sys.modules, "polars", None)
    with pytest.raises(TitleRulesError, match="titlerules\\[fast\\]"):
        polars()


def test_as_of_given_once_for_the_whole_table(
    make_policy: Callable[[str], Policy],
) -> None:
    policy = make_policy(
        """
exclusion credit "失信" {
  cite 八 "记录期内不得申报"
  when applicant.credit_records.any(c -> c.recorded_on + 3 years >= as_of)
}
"""
    )
    records = spelled(applicants(80, seed=31))
    for i, record in enumerate(records[:40]):
        record["credit_records"] = [{"recorded_on": f"{2019 + i % 6}-06-01"}]
    on = dt.date(2024, 1, 1)
    columnar = ColumnarPolicy(policy, as_of=on)
    result = columnar.evaluate(_table(records))
    for row, record in zip(result.iter_rows(named=True), records, strict=True):
        expected = policy.evaluate(record, as_of=on, explain=False)
        assert row["outcome"] == expected.outcome.value


# ---------------------------------------------------------------- list methods in rounds


def test_list_methods_run_in_rounds_of_those_that_wait_for_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Stages run in rounds: the list methods that wait for no other list method's result
    share one collect of the frame and one collect_all of their queries; a list method
    that reads another's result (through a computed column) waits for the next round."""
    from titlerules.batch.compiler import values

    def list_stage(reads: str, makes: str) -> values.Stage:
        def query(frame: Any) -> Any:
            return frame.lazy().select(pl.col("r"), (pl.col(reads) * 10).alias(makes))

        def join(frame: Any, result: Any) -> Any:
            return frame.hstack([result.sort("r").get_column(makes)])

        return values.Stage({"r", reads}, {makes}, query=query, join=join)

    stages = [
        list_stage("v", "a"),
        values.Stage({"a"}, {"e"}, exprs=[(pl.col("a") + 1).alias("e")]),
        list_stage("e", "b"),  # waits for a, through e
        list_stage("v", "c"),  # waits for nothing: runs with a
        values.Stage({"b", "c"}, {"s"}, exprs=[(pl.col("b") + pl.col("c")).alias("s")]),
    ]
    batches: list[int] = []
    collect_all = values.collect_all

    def counted(frames: list[Any]) -> list[Any]:
        batches.append(len(frames))
        return collect_all(frames)

    monkeypatch.setattr(values, "collect_all", counted)
    frame = pl.LazyFrame({"r": [0, 1, 2], "v": [1, 2, 3]})
    got = values.run_stages(frame, stages).collect()
    assert batches == [2, 1]
    assert got.get_column("a").to_list() == [10, 20, 30]
    assert got.get_column("b").to_list() == [110, 210, 310]
    assert got.get_column("c").to_list() == [10, 20, 30]
    assert got.get_column("s").to_list() == [120, 230, 340]


# ---------------------------------------------------------------- plans small enough to plan


def test_a_date_months_after_another_is_computed_in_small_expressions(
    make_policy: Callable[[str], Policy],
) -> None:
    """A date some months after a column's (clamped to the month's end, through the
    day-number formula) reads its year, month and day several times: each is computed once,
    into a column, so that no expression repeats the others' trees (inline, one shift was a
    tree of about 10 KB, and the plans of a policy with several were slow to plan: tens of
    milliseconds a batch).  The shifted dates stay the engine's (the calendar tests of
    tests/test_batch_explain.py compare them)."""
    from titlerules.batch.compiler.columnar import compile_rules
    from titlerules.batch.schema import applicant_schema
    from titlerules.engine.policy import APPLICANT_KINDS

    policy = make_policy(
        """
requirement shifted "年限" {
  cite 一 "年限"
  require applicant.employment.current_post_start + 18 months + 7 months
          <= applicant.application.submitted_on
}
"""
    )
    rules = policy.compiled_rules(APPLICANT_KINDS)
    compiler, columns, fallback = compile_rules(
        policy.core,
        policy.params,
        [c.core for c in rules],
        applicant_schema(),
        policy.calendar,
        None,
    )
    assert not fallback
    exprs = [e for stage in compiler.root.stages for e in stage.exprs]
    exprs += [c.violation for c in columns.values()]
    sizes = [len(e.meta.serialize(format="json")) for e in exprs]
    assert len(sizes) > 6  # (the shifts' parts are columns of their own)
    assert max(sizes) < 4_000


# ---------------------------------------------------------------- rows back to records


def test_rows_taken_out_through_arrow_are_the_rows_polars_gives() -> None:
    """The records a raw frame's rows spell (for the rows decided per record, and the
    rows explained by the engine) are the same taken out through Arrow as by Polars' own
    row dicts: typed tables, text tables, a time with a zone, a categorical column, and a
    column of Python objects (Arrow would hold their addresses: such a frame is read by
    Polars)."""
    from titlerules.batch.schema import applicant_schema, row_record
    from titlerules.batch.table import raw_records

    schema = applicant_schema()
    records = population("eryuan-2024", 60, seed=31)
    typed = typed_table(records)
    text = pl.DataFrame(flat_rows(records, quoted=False)).cast(pl.String)
    zoned = typed.with_columns(
        pl.lit(dt.datetime(2024, 5, 1, 9, 30), dtype=pl.Datetime("us", "Asia/Shanghai")).alias(
            "application.submitted_on"
        )
    )
    categorical = typed.with_columns(pl.col("person.gender").cast(pl.Categorical))
    objects = typed.with_columns(
        pl.Series("person.name", [f"名{n}" for n in range(typed.height)], dtype=pl.Object)
    )
    for frame in (typed, text, zoned, categorical, objects, typed.head(0)):
        by_polars = [row_record(row, schema) for row in frame.to_dicts()]
        assert raw_records(frame, schema) == by_polars
    assert raw_records(objects, schema)[3]["person"]["name"] == "名3"
