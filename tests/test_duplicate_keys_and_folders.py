"""Regression tests: a key given twice is refused wherever YAML or JSON is read, naming both
places; one record that cannot be evaluated does not stop the others of a folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from titlerules.cli import main
from titlerules.decision_log import read_log
from titlerules.engine.policy import load_policy
from titlerules.errors import DecisionLogError, InputFileError
from titlerules.facts import load_records
from titlerules.lang.convert import dump, load_policy_file
from titlerules.testing import run_case_file

from .conftest import HEADER, REPO

CIVIL_SERVANT = HEADER + (
    'exclusion civil_servant "公务员不得参加职称评审" {\n'
    '  cite 二(一) "公务员不得参加职称评审。"\n'
    "  when applicant.employment.is_civil_servant\n"
    "}\n"
)
WHEN = "when: applicant.employment.is_civil_servant"


def _spelled(tmp_path: Path, to: str) -> str:
    source = tmp_path / "civil.policy"
    source.write_text(CIVIL_SERVANT, encoding="utf-8")
    return dump(load_policy_file(source), to)


def _line_col(text: str, needle: str, nth: int = 0) -> tuple[int, int]:
    """1-based line and column of the ``nth`` occurrence of ``needle`` in ``text``."""
    index = -1
    for _ in range(nth + 1):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _assert_names_both(error: InputFileError, file: Path, text: str, key: str) -> None:
    first = _line_col(text, key)
    second = _line_col(text, key, 1)
    assert error.code == "TR002"
    assert error.location is not None
    assert (error.location.file, error.location.line, error.location.column) == (
        str(file),
        *second,
    )
    assert f"first at {file}:{first[0]}:{first[1]}" in error.message


# ------------------------------------------------------------------ duplicate keys


def test_yaml_policy_with_when_twice_is_refused_naming_both_places(tmp_path: Path) -> None:
    text = _spelled(tmp_path, "yaml")
    assert WHEN in text
    doubled = text.replace(WHEN, f'{WHEN}\n    when: "false"')
    path = tmp_path / "doubled.yaml"
    path.write_text(doubled, encoding="utf-8")
    with pytest.raises(InputFileError) as caught:
        load_policy(path)
    _assert_names_both(caught.value, path, doubled, "when:")


def test_json_policy_with_when_twice_is_refused_naming_both_places(tmp_path: Path) -> None:
    text = _spelled(tmp_path, "json")
    quoted = '"when": "applicant.employment.is_civil_servant"'
    assert quoted in text
    doubled = text.replace(quoted, f'{quoted},\n\t"when": "false"')  # a tab: JSON whitespace
    path = tmp_path / "doubled.json"
    path.write_text(doubled, encoding="utf-8")
    with pytest.raises(InputFileError) as caught:
        load_policy(path)
    first = _line_col(doubled, '"when"')
    second = _line_col(doubled, '"when"', 1)
    error = caught.value
    assert error.location is not None
    assert (error.location.line, error.location.column) == second
    assert f"first at {path}:{first[0]}:{first[1]}" in error.message


def test_lint_and_check_refuse_the_doubled_policy_instead_of_deciding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doubled = _spelled(tmp_path, "yaml").replace(WHEN, f'{WHEN}\n    when: "false"')
    policy = tmp_path / "doubled.yaml"
    policy.write_text(doubled, encoding="utf-8")
    record = tmp_path / "civil.yaml"
    record.write_text("applicant:\n  employment: {is_civil_servant: true}\n", encoding="utf-8")
    assert main(["lint", str(policy)]) == 1  # a finding, as a syntax error in the DSL
    assert main(["check", str(policy), str(record)]) == 2
    out, err = capsys.readouterr()
    assert "符合" not in out
    assert "duplicate key 'when'" in err and "[TR002]" in err


def test_the_same_policy_with_when_once_still_decides(tmp_path: Path) -> None:
    path = tmp_path / "once.yaml"
    path.write_text(_spelled(tmp_path, "yaml"), encoding="utf-8")
    decision = load_policy(path).evaluate({"applicant": {"employment": {"is_civil_servant": True}}})
    assert decision.outcome.value == "ineligible"


def test_record_files_name_both_places_yaml_and_json(tmp_path: Path) -> None:
    yaml_text = "applicant:\n  person: {name: 李华}\n  person: {name: 王五}\n"
    json_text = '{"applicant": {"person": {"name": "a"},\n  "person": {"name": "b"}}}\n'
    for name, text, key in (("r.yaml", yaml_text, "person:"), ("r.json", json_text, '"person"')):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        with pytest.raises(InputFileError) as caught:
            load_records(path)
        _assert_names_both(caught.value, path, text, key)


def test_yaml_merge_keys_are_not_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "merged.yaml"
    path.write_text(
        "applicant:\n  person: &p {name: 李华}\n  employment:\n    <<: {is_civil_servant: true}\n"
        "    is_civil_servant: false\n",
        encoding="utf-8",
    )
    (record,) = load_records(path)
    assert record.employment is not None
    assert record.employment.is_civil_servant is False  # the key next to the merge wins


def test_jsonl_row_with_a_key_twice_is_an_error_row_naming_both_places(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("polars")
    policy = tmp_path / "civil.policy"
    policy.write_text(CIVIL_SERVANT, encoding="utf-8")
    good = '{"id": "a", "employment": {"is_civil_servant": true}}'
    bad = '  {"id": "b", "employment": {"is_civil_servant": true, "is_civil_servant": false}}'
    rows = tmp_path / "rows.jsonl"
    rows.write_text(f"{good}\n{bad}\n{good}\n", encoding="utf-8")
    assert main(["check", str(policy), str(rows)]) == 2
    results = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["outcome"] for r in results] == ["ineligible", "error", "ineligible"]
    first = _line_col(bad, '"is_civil_servant"')[1]
    second = _line_col(bad, '"is_civil_servant"', 1)[1]
    error = results[1]["error"]
    assert "duplicate key 'is_civil_servant'" in error
    assert f"{rows}:2:{second}" in error and f"first at {rows}:2:{first}" in error


def test_policy_test_case_with_expect_twice_is_refused(tmp_path: Path) -> None:
    base = REPO / "policies/tests/eryuan-2024/records/applicant-eligible.yml"
    text = (
        "policy: eryuan-2024\ncases:\n  - name: civil servant\n"
        f"    base: {base}\n    set:\n      applicant.employment.is_civil_servant: true\n"
        "    expect: {outcome: ineligible, failed: [civil_servant]}\n"
        "    expect: {outcome: eligible}\n"
    )
    path = tmp_path / "cases.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputFileError) as caught:
        run_case_file(path)
    _assert_names_both(caught.value, path, text, "expect:")


def test_calendar_override_file_with_a_key_twice_is_refused(tmp_path: Path) -> None:
    from titlerules.calendar.overrides import load_overrides

    text = "year: 2030\nyear: 2031\nholidays: []\nworkdays: []\n"
    path = tmp_path / "overrides.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputFileError) as caught:
        load_overrides(path)
    _assert_names_both(caught.value, path, text, "year:")


def test_decision_log_line_with_a_key_twice_is_refused(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    text = '{"format": "x", "format": "y"}\n'
    log.write_text(text, encoding="utf-8")
    with pytest.raises(DecisionLogError) as caught:
        list(read_log(log))
    assert caught.value.location is not None
    location = caught.value.location
    assert (location.line, location.column) == _line_col(text, '"format"', 1)
    assert f"first at {log}:1:2" in caught.value.message


# ------------------------------------------------------------------ one bad record, a folder

FAR = HEADER + (
    'requirement far "远期" {\n'
    '  cite 一 "远期"\n'
    "  require applicant.application.submitted_on + 7000 years > 2024-01-01\n"
    "}\n"
)


def _folder(tmp_path: Path) -> tuple[Path, Path]:
    """A policy and five records; the third's date leaves the calendar's range (TR400)."""
    policy = tmp_path / "far.policy"
    policy.write_text(FAR, encoding="utf-8")
    folder = tmp_path / "records"
    folder.mkdir()
    for i in range(1, 6):
        day = "3000-07-12" if i == 3 else f"2024-07-1{i}"
        (folder / f"r{i}.yaml").write_text(
            f"applicant:\n  application: {{submitted_on: {day}}}\n", encoding="utf-8"
        )
    return policy, folder


def test_one_unevaluable_record_stops_no_other_record_of_the_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy, folder = _folder(tmp_path)
    log = tmp_path / "log.jsonl"
    assert main(["check", str(policy), str(folder), "--json", "--log", str(log)]) == 2
    payloads = json.loads(capsys.readouterr().out)
    assert len(payloads) == 5
    assert [p.get("outcome") for p in payloads] == [
        "eligible",
        "eligible",
        None,
        "eligible",
        "eligible",
    ]
    error = payloads[2]
    assert (error["file"], error["record_path"]) == (str(folder / "r3.yaml"), "applicant")
    assert "rule 'far' could not be evaluated" in error["error"]["message"]
    assert error["error"]["code"] == "TR400"
    logged = [entry.source for _, entry in read_log(log)]
    assert logged == [f"{folder / f'r{i}.yaml'}: applicant" for i in (1, 2, 4, 5)]


def test_the_text_output_names_the_record_in_its_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy, folder = _folder(tmp_path)
    assert main(["check", str(policy), str(folder)]) == 2
    out, err = capsys.readouterr()
    blocks = out.strip().split("\n\n")
    assert len(blocks) == 4 and all(b.startswith("符合申报条件") for b in blocks)
    # On stderr in the one error format: the record first, then the rule's own place.
    first = err.splitlines()[0]
    assert first.startswith(f"titlerules: error: {folder / 'r3.yaml'}: applicant: ")
    assert f"{policy.name}:4:1: rule 'far' could not be evaluated" in first
    assert first.endswith("[TR400]")


def test_a_folder_without_errors_still_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy, folder = _folder(tmp_path)
    (folder / "r3.yaml").unlink()
    assert main(["check", str(policy), str(folder)]) == 0
    assert capsys.readouterr().out.count("符合申报条件") == 4
