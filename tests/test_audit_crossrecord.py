"""Cross-record checks (audit layer): duplicate applications matched by ID number, vacancies
against post tables, pass rates against the plan."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from titlerules.audit import audit_set
from titlerules.cli import main
from titlerules.engine.decision import RuleOutcome

from .conftest import EXAMPLES

LI_HUA = EXAMPLES / "eryuan-2024" / "applicants" / "li-hua.yaml"
OTHER_COMMITTEE = "大理州中小学教师中级职称评审委员会"


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def _write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _copy_to_committee(tmp_path: Path, committee: str, name: str = "li-hua-dali.yaml") -> Path:
    data = _load(LI_HUA)
    data["applicant"]["application"]["committee"] = committee
    return _write(tmp_path / name, data)


def test_same_id_number_in_two_committees_is_found_with_the_rule(tmp_path: Path) -> None:
    other = _copy_to_committee(tmp_path, OTHER_COMMITTEE)
    report = audit_set("eryuan-2024", [LI_HUA, other])
    (finding,) = report.of("duplicate_application")
    assert finding.outcome is RuleOutcome.FAILED
    assert finding.subject == "532930198503120426"
    assert {r.where for r in finding.records} == {f"{LI_HUA}: applicant", f"{other}: applicant"}
    assert {r.committee for r in finding.records} == {
        OTHER_COMMITTEE,
        "洱源县中小学教师中级职称评审委员会",
    }
    assert finding.counts["undeclared"] == 2
    rules = {r.rule_id: r for r in finding.rules}
    assert "applied_to_two_committees" in rules
    cited = rules["applied_to_two_committees"]
    assert cited.clause == "二(一)"
    assert cited.quote is not None and "两个及以上评委会" in cited.quote
    assert cited.document == "洱人社〔2024〕27号"
    assert report.exit_code == 1
    assert "applied_to_two_committees" in report.text("zh")


def test_a_declared_other_application_is_marked_declared(tmp_path: Path) -> None:
    other = _copy_to_committee(tmp_path, OTHER_COMMITTEE)
    data = _load(LI_HUA)
    application = data["applicant"]["application"]
    data["applicant"]["other_applications"] = [
        {
            key: application[key]
            for key in ("year", "series", "specialty", "level")
            if key in application
        }
        | {"committee": OTHER_COMMITTEE}
    ]
    declared = _write(tmp_path / "li-hua-declared.yaml", data)
    report = audit_set("eryuan-2024", [declared, other])
    (finding,) = report.of("duplicate_application")
    by_file = {r.file: r.declared for r in finding.records}
    assert by_file == {str(declared): True, str(other): False}
    assert finding.outcome is RuleOutcome.FAILED


def test_no_group_across_years_and_unmatched_without_an_id_number(tmp_path: Path) -> None:
    data = _load(LI_HUA)
    data["applicant"]["application"]["year"] = 2023
    earlier = _write(tmp_path / "li-hua-2023.yaml", data)
    anonymous = _load(LI_HUA)
    del anonymous["applicant"]["person"]["id_number"]
    nameless = _write(tmp_path / "no-id.yaml", anonymous)
    report = audit_set("eryuan-2024", [LI_HUA, earlier, nameless])
    assert report.of("duplicate_application") == []
    assert [r.file for r in report.unmatched] == [str(nameless)]
    assert "无证件号码" in report.text("zh")


def test_a_group_the_policy_does_not_forbid_is_listed_and_passes(tmp_path: Path) -> None:
    # Kunming forbids parallel applications to committees of the *same* level only.
    source = next((EXAMPLES / "kunming-2020" / "applicants").glob("*.yaml"))
    data = _load(source)
    application = data["applicant"]["application"]
    first = dict(data)
    application["committee"] = "甲评委会"
    application["committee_level"] = "高评委"
    one = _write(tmp_path / "one.yaml", first)
    application["committee"] = "乙评委会"
    application["committee_level"] = "中评委"
    two = _write(tmp_path / "two.yaml", data)
    report = audit_set("kunming-2020", [one, two])
    (finding,) = report.of("duplicate_application")
    assert finding.outcome is RuleOutcome.PASSED
    assert "no rule of the policy forbids them" in finding.message


def test_two_series_in_a_year_breaks_xianning(tmp_path: Path) -> None:
    source = EXAMPLES / "xianning-2024" / "applicants" / "chen-jing.yaml"
    data = _load(source)
    data["applicant"]["application"]["specialty"] = "另一专业"
    other = _write(tmp_path / "chen-jing-2.yaml", data)
    report = audit_set("xianning-2024", [source, other])
    (finding,) = report.of("duplicate_application")
    assert finding.outcome is RuleOutcome.FAILED
    assert "multiple_series_same_year" in {r.rule_id for r in finding.rules}


# ---------------------------------------------------------------- vacancies


def _post_table(tmp_path: Path, senior_posts: int, senior_appointed: int, declared: int) -> Path:
    data = _load(EXAMPLES / "xianning-2024" / "post-table.yaml")
    table = data["post_table"]
    table["senior"].update(
        posts=senior_posts,
        appointed=senior_appointed,
        vacancies=senior_posts - senior_appointed,
        vacant_post_applications=declared,
    )
    for key in ("posts", "appointed", "vacancies", "vacant_post_applications"):
        levels = ("intermediate", "associate_senior", "senior")
        table["total"][key] = sum(table[level][key] for level in levels)
    return _write(tmp_path / "post-table.yaml", data)


def _senior_applicant(tmp_path: Path, name: str, route: str) -> Path:
    data = _load(EXAMPLES / "xianning-2024" / "applicants" / "chen-jing.yaml")
    applicant = data["applicant"]
    applicant["person"].pop("id_number", None)
    applicant["person"]["name"] = name
    applicant["employment"]["recommending_unit"] = "咸宁市中心医院"
    applicant["application"]["level"] = "正高级"
    applicant["application"]["route"] = route
    return _write(tmp_path / f"{name}.yaml", data)


def test_vacant_post_applications_beyond_the_vacancies_fail(tmp_path: Path) -> None:
    table = _post_table(tmp_path, senior_posts=48, senior_appointed=47, declared=1)
    applicants = [
        _senior_applicant(tmp_path, "甲", "空岗申报"),
        _senior_applicant(tmp_path, "乙", "空岗申报"),
        _senior_applicant(tmp_path, "丙", "不占岗位申报"),
    ]
    report = audit_set("xianning-2024", [table, *applicants])
    findings = {f.subject: f for f in report.of("vacancies")}
    senior = findings["咸宁市中心医院 正高级"]
    assert senior.outcome is RuleOutcome.FAILED
    assert senior.counts["vacancies"] == 1
    assert senior.counts["set_vacant_post_applicants"] == 2
    assert senior.counts["set_outside_quota_applicants"] == 1
    assert "超过空岗 1 个" in senior.message_zh
    assert {r.clause for r in senior.rules} == {"三(一)1"}
    assert findings["咸宁市中心医院 中级"].outcome is RuleOutcome.PASSED


def test_the_tables_own_count_beyond_the_vacancies_fails(tmp_path: Path) -> None:
    table = _post_table(tmp_path, senior_posts=48, senior_appointed=47, declared=3)
    report = audit_set("xianning-2024", [table])
    senior = {f.subject: f for f in report.of("vacancies")}["咸宁市中心医院 正高级"]
    assert senior.outcome is RuleOutcome.FAILED
    assert "exceed 1 vacancies" in senior.message


def test_the_example_post_table_is_within_its_vacancies() -> None:
    report = audit_set("xianning-2024", [EXAMPLES / "xianning-2024"])
    vacancies = report.of("vacancies")
    assert len(vacancies) == 3
    assert all(f.outcome is RuleOutcome.PASSED for f in vacancies)


# ---------------------------------------------------------------- pass rate


@pytest.mark.parametrize(
    ("change", "outcome"),
    [
        ({}, RuleOutcome.PASSED),
        ({"department_approved_on": "2024-06-05"}, RuleOutcome.PASSED),
        ({"department_approved_on": "2024-06-04"}, RuleOutcome.FAILED),
        ({"personnel_department_approved_on": None}, RuleOutcome.UNKNOWN),
    ],
)
def test_the_post_table_carries_both_sign_offs(
    tmp_path: Path, change: dict[str, str | None], outcome: RuleOutcome
) -> None:
    """附件1 "主管部门审核意见（盖章）年月日" and "事业单位人事管理部门审核意见（盖章）年月日":
    both approvals, on or after the day the table was filled in (2024-06-05)."""
    data = yaml.safe_load((EXAMPLES / "xianning-2024" / "post-table.yaml").read_text("utf-8"))
    for key, value in change.items():
        if value is None:
            del data["post_table"][key]
        else:
            data["post_table"][key] = value
    path = tmp_path / "table.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    [finding] = audit_set("xianning-2024", [path]).of("table_approvals")
    assert finding.outcome is outcome
    assert [r.rule_id for r in finding.rules] == ["post_table_submitted"]


def test_pass_rate_above_the_plan_fails(tmp_path: Path) -> None:
    data = _load(EXAMPLES / "xianning-2024" / "procedure.yaml")
    data["procedure"]["passed_count"] = 160  # 160 / 215 > 7/10
    path = _write(tmp_path / "procedure.yaml", data)
    report = audit_set("xianning-2024", [path])
    (finding,) = report.of("pass_rate")
    assert finding.outcome is RuleOutcome.FAILED
    assert finding.counts["pass_rate"] == "32/43"
    assert finding.counts["planned_pass_rate"] == "7/10"
    assert "74.4%" in finding.message and "70%" in finding.message


def test_pass_rate_within_the_plan_passes() -> None:
    report = audit_set("xianning-2024", [EXAMPLES / "xianning-2024" / "procedure.yaml"])
    (finding,) = report.of("pass_rate")
    assert finding.outcome is RuleOutcome.PASSED
    assert finding.counts["pass_rate"] == "30/43"


# ---------------------------------------------------------------- CLI and inputs


def test_cli_audit_set(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    other = _copy_to_committee(tmp_path, OTHER_COMMITTEE)
    folder = str(EXAMPLES / "eryuan-2024" / "applicants")
    assert main(["audit-set", "eryuan-2024", folder]) == 0
    capsys.readouterr()
    assert main(["audit-set", "eryuan-2024", folder, str(other), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [f["check"] for f in data["findings"] if f["outcome"] == "failed"] == [
        "duplicate_application"
    ]
    assert main(["audit-set", "eryuan-2024", folder, str(other), "--lang", "en"]) == 1
    assert "FAILED duplicate applications: ID 532930198503120426" in capsys.readouterr().out


def test_an_unreadable_record_is_listed_and_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("applicant: {person: {birth_date: 2024-02-30}}\n", encoding="utf-8")
    report = audit_set("eryuan-2024", [LI_HUA, bad])
    assert [e.file for e in report.errors] == [str(bad)]
    assert report.exit_code == 2
    assert main(["audit-set", "eryuan-2024", str(LI_HUA), str(bad)]) == 2
    assert "无法读取" in capsys.readouterr().out
