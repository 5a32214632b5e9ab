"""Procedure audit (audit layer): a finding per procedure rule, with citations, dates, counts
and the working-day windows behind them; the verdict; the CLI's exit codes."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

import titlerules
from titlerules.audit import AuditReport, AuditStatus, audit, consequences_of
from titlerules.cli import main
from titlerules.engine.decision import RuleOutcome
from titlerules.engine.policy import Policy, bundled_policies, load_policy
from titlerules.facts import load_procedure
from titlerules.resources import policies_dir

from .conftest import EXAMPLES

POLICY_IDS = [ident for ident, _ in bundled_policies()]
EXAMPLE_IDS = [i for i in POLICY_IDS if (EXAMPLES / i / "procedure.yaml").is_file()]

# The violations injected into examples/<id>/procedure-violations.yaml, by the notice's rules.
# Each notice regulates some of: a publicity of 5 working days, a 2/3 attendance, 3 reviewers
# per applicant, filing deadlines; a violation of a rule the notice does not have is not one.
INJECTED = {
    "eryuan-2024": {
        "results_publicity_length",  # 4 working days across the Mid-Autumn holiday
        "meeting_attendance",  # 5 of 9
        "independent_reviewers",  # 2 reviewers
        "pre_meeting_filing_lead_time",  # filed 2024-08-30, due 2024-08-27
    },
    "kunming-2020": {
        "pre_meeting_publicity_length",  # 4 working days across National Day
        "senior_plan_filing",  # filed 2020-10-10, due 2020-09-27
    },
    "xianning-2024": {
        "results_publicity_min",  # 4 working days across the Mid-Autumn holiday
        "comprehensive_report",  # filed 2024-09-19, due 2024-09-18
    },
    "yuncheng-2024": {"work_plan_approved"},  # plan filed after the notice
}


def _normal(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _source_text(policy: Policy) -> str:
    source = policy.header.source
    assert source is not None
    return (policies_dir() / "sources" / source).read_text(encoding="utf-8")


# ---------------------------------------------------------------- bundled examples


@pytest.mark.parametrize("policy_id", EXAMPLE_IDS)
def test_compliant_example_passes_every_procedure_rule(policy_id: str) -> None:
    report = audit(policy_id, EXAMPLES / policy_id / "procedure.yaml")
    assert [f.rule_id for f in report.failed] == []
    assert [f.rule_id for f in report.unknown] == []
    assert report.status is AuditStatus.PASSED
    assert report.verdict.compliant is True
    assert report.exit_code == 0


@pytest.mark.parametrize("policy_id", [i for i in EXAMPLE_IDS if i in INJECTED])
def test_injected_violations_are_found_with_citations_and_nothing_else(policy_id: str) -> None:
    path = EXAMPLES / policy_id / "procedure-violations.yaml"
    report = audit(policy_id, path)
    assert {f.rule_id for f in report.failed} == INJECTED[policy_id]
    assert report.unknown == []
    source = _normal(_source_text(load_policy(policy_id)))
    for finding in report.failed:
        assert finding.citation is not None
        assert finding.citation.clause
        assert _normal(finding.citation.quote) in source
    assert report.verdict.compliant is False
    assert report.exit_code == 1


@pytest.mark.parametrize("policy_id", EXAMPLE_IDS)
@pytest.mark.parametrize("name", ["procedure.yaml", "procedure-violations.yaml"])
def test_findings_agree_with_the_engine(policy_id: str, name: str) -> None:
    path = EXAMPLES / policy_id / name
    if not path.is_file():
        pytest.skip(f"no {name}")
    policy = load_policy(policy_id)
    decision = policy.evaluate(load_procedure(path))
    report = audit(policy, path)
    assert [(f.rule_id, f.outcome) for f in report.findings] == [
        (r.id, r.outcome) for r in decision.rules
    ]
    assert report.receipt.policy_sha256 == decision.receipt.policy_sha256
    assert report.receipt.calendar_version == decision.receipt.calendar_version


def test_four_working_days_are_explained_by_the_holiday() -> None:
    report = audit("eryuan-2024", EXAMPLES / "eryuan-2024" / "procedure-violations.yaml")
    finding = report.finding("results_publicity_length")
    (window,) = {(w.start, w.end): w for w in finding.working_days}.values()
    assert (window.start, window.end) == (dt.date(2024, 9, 12), dt.date(2024, 9, 18))
    assert window.working_days == 4
    assert window.calendar_days == 7
    assert [h.date for h in window.holidays] == [dt.date(2024, 9, 16), dt.date(2024, 9, 17)]
    assert window.holidays[1].name_zh == "中秋节"
    assert window.makeup_workdays == [dt.date(2024, 9, 14)]
    assert {d.value for d in finding.dates} == {"2024-09-12", "2024-09-18"}
    text = report.text("zh")
    assert "2024-09-12 .. 2024-09-18：4 个工作日" in text
    assert "调休上班 2024-09-14" in text
    assert "中秋节" in text


def test_late_filing_shows_the_working_day_it_was_due() -> None:
    report = audit("eryuan-2024", EXAMPLES / "eryuan-2024" / "procedure-violations.yaml")
    finding = report.finding("pre_meeting_filing_lead_time")
    shifts = [w for w in finding.working_days if w.operation == "shift"]
    assert [(w.origin, w.n, w.result) for w in shifts] == [
        (dt.date(2024, 9, 10), -10, dt.date(2024, 8, 27))
    ]
    assert shifts[0].working_days == 10
    assert "the 10th working day before 2024-09-10 is 2024-08-27" in report.text("en")


def test_attendance_finding_shows_the_counts() -> None:
    report = audit("eryuan-2024", EXAMPLES / "eryuan-2024" / "procedure-violations.yaml")
    finding = report.finding("meeting_attendance")
    counts = {f.path: f.value for f in [*finding.counts, *finding.derived]}
    assert counts["procedure.meeting.attendees"] == 5
    assert counts["committee_size"] == 9
    reviewers = report.finding("independent_reviewers")
    # 李华's 2 reviewers; 段丽 was withdrawn before the evaluation, so her count is not read.
    assert {f.value for f in reviewers.counts} == {2}


def test_report_round_trips_through_json() -> None:
    report = audit("kunming-2020", EXAMPLES / "kunming-2020" / "procedure-violations.yaml")
    again = AuditReport.model_validate(json.loads(report.model_dump_json()))
    assert again == report


def test_the_package_is_callable_as_the_audit_function() -> None:
    report = titlerules.audit("yuncheng-2024", EXAMPLES / "yuncheng-2024" / "procedure.yaml")
    assert isinstance(report, AuditReport)
    import titlerules.audit.planner as planner

    assert planner.plan is titlerules.plan


def test_a_procedure_as_a_mapping_and_as_a_model() -> None:
    path = EXAMPLES / "xianning-2024" / "procedure.yaml"
    record = load_procedure(path)
    by_model = audit("xianning-2024", record)
    by_mapping = audit("xianning-2024", record.model_dump(mode="json", exclude_none=True))
    assert by_model.findings == by_mapping.findings


def test_a_missing_fact_is_unknown_and_undetermined() -> None:
    record = load_procedure(EXAMPLES / "xianning-2024" / "procedure.yaml")
    assert record.meeting is not None
    partial = record.model_copy(
        update={"meeting": record.meeting.model_copy(update={"study_session": None})}
    )
    report = audit("xianning-2024", partial)
    assert [f.rule_id for f in report.unknown] == ["expert_study_session"]
    assert report.unknown[0].missing == ["procedure.meeting.study_session"]
    assert report.status is AuditStatus.UNKNOWN
    assert report.verdict.compliant is None
    assert report.exit_code == 0


# ---------------------------------------------------------------- the verdict


CONSEQUENCE_POLICY = """
import "common/procedure"

consequence not_recognised 一 "未按规定权限和程序进行评审的，评审结果不予认定。" en "not recognised"
consequence committee_paused 三(二) "暂停评审工作" en "evaluations suspended"

procedure attendance "出席不少于三分之二" en "Two thirds attend" {
  cite 一(三) "出席评委会的专家应当不少于评委会人数的2/3"
  require at_least_share(procedure.meeting.attendees, procedure.selection.selected, two_thirds)
  consequence not_recognised
}

procedure within_authority "按权限评审" en "Within authority" {
  cite 一 "未按规定权限和程序进行评审的，评审结果不予认定。"
  require procedure.committee.valid_from <= procedure.meeting.start
  consequence not_recognised
}

procedure self_check "对照清单自查" en "Self-check" {
  cite 三(二) "对照清单自查"
  require procedure.self_check_done
  consequence committee_paused
}

procedure archived "材料归档" en "Records archived" {
  cite 一(十) "纸质材料进行归档"
  require procedure.archived
}
"""

PROCEDURE = {
    "committee": {"valid_from": "2024-01-01"},
    "selection": {"selected": 9},
    "meeting": {"start": "2024-09-10", "end": "2024-09-10", "attendees": 5},
    "self_check_done": True,
    "archived": True,
}


def test_verdict_cites_the_consequences_of_the_rules_that_failed(
    make_policy: Callable[[str], Policy],
) -> None:
    policy = make_policy(CONSEQUENCE_POLICY)
    declared = consequences_of(policy)
    assert sorted(declared) == ["committee_paused", "not_recognised"]
    assert declared["not_recognised"].quote == "未按规定权限和程序进行评审的，评审结果不予认定。"
    report = audit(policy, PROCEDURE)
    assert [f.rule_id for f in report.failed] == ["attendance"]
    assert report.finding("attendance").consequence == "not_recognised"
    assert report.verdict.consequence_applies
    [consequence] = report.verdict.consequences
    assert (consequence.name, consequence.clause, consequence.rule_ids) == (
        "not_recognised",
        "一",
        ["attendance"],
    )
    zh = report.verdict.text("zh")
    assert "程序不合规（1 项不符合）" in zh
    quoted = "测〔2024〕1号 一：“未按规定权限和程序进行评审的，评审结果不予认定。”（attendance）"
    assert quoted in zh
    assert "not recognised" in report.verdict.text("en")
    # The report words the rules by their titles.
    assert "不予认定。”（出席不少于三分之二）" in report.text("zh")
    assert "(Two thirds attend)" in report.text("en")


def test_each_failed_rule_brings_its_own_consequence_not_the_first_declared(
    make_policy: Callable[[str], Policy],
) -> None:
    policy = make_policy(CONSEQUENCE_POLICY)
    record = {**PROCEDURE, "meeting": {**PROCEDURE["meeting"], "attendees": 6}}
    report = audit(policy, {**record, "self_check_done": False})
    assert [f.rule_id for f in report.failed] == ["self_check"]
    assert [c.name for c in report.verdict.consequences] == ["committee_paused"]
    assert "三(二)" in report.verdict.text("zh")
    assert "不予认定" not in report.verdict.text("zh")


def test_a_failed_rule_without_a_consequence_is_named_in_the_verdict(
    make_policy: Callable[[str], Policy],
) -> None:
    policy = make_policy(CONSEQUENCE_POLICY)
    record = {**PROCEDURE, "meeting": {**PROCEDURE["meeting"], "attendees": 6}}
    report = audit(policy, {**record, "archived": False})
    assert report.verdict.compliant is False
    assert report.verdict.consequences == []
    assert not report.verdict.consequence_applies
    assert report.verdict.without_consequence == ["archived"]
    assert report.verdict.text("zh").endswith("本政策未为以下规则标注后果条款：archived")
    assert report.verdict.text("en").endswith("the policy names no consequence for: archived")


def test_an_advisory_failure_exits_1_but_keeps_the_procedure_compliant(
    make_policy: Callable[[str], Policy],
) -> None:
    attendance = CONSEQUENCE_POLICY.index("  cite 一(三)")
    policy = make_policy(
        CONSEQUENCE_POLICY[:attendance] + "  severity advisory\n" + CONSEQUENCE_POLICY[attendance:]
    )
    report = audit(policy, PROCEDURE)
    assert [f.rule_id for f in report.failed] == ["attendance"]
    assert report.verdict.compliant is True
    assert report.exit_code == 1


# ---------------------------------------------------------------- CLI


def test_cli_exit_codes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    folder = EXAMPLES / "eryuan-2024"
    assert main(["audit", "eryuan-2024", str(folder / "procedure.yaml")]) == 0
    assert main(["audit", "eryuan-2024", str(folder / "procedure-violations.yaml")]) == 1
    out = capsys.readouterr().out
    assert "结论: 程序不合规（4 项不符合）" in out
    assert main(["audit", "eryuan-2024", str(tmp_path / "missing.yaml")]) == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text("procedure:\n  meeting: {start: 2024-13-01}\n", encoding="utf-8")
    assert main(["audit", "eryuan-2024", str(bad)]) == 2
    assert "procedure.meeting.start" in capsys.readouterr().err
    assert main(["audit", "no-such-policy", str(folder / "procedure.yaml")]) == 2


def test_cli_json_and_english(capsys: pytest.CaptureFixture[str]) -> None:
    path = EXAMPLES / "xianning-2024" / "procedure-violations.yaml"
    assert main(["audit", "xianning-2024", str(path), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["policy_id"] == "xianning-2024"
    assert data["status"] == "failed"
    failed = {f["rule_id"]: f for f in data["findings"] if f["outcome"] == "failed"}
    assert set(failed) == INJECTED["xianning-2024"]
    assert failed["results_publicity_min"]["citation"]["clause"] == "五(三)"
    assert failed["results_publicity_min"]["working_days"][0]["working_days"] == 4
    assert main(["audit", "xianning-2024", str(path), "--lang", "en", "--verbose"]) == 1
    out = capsys.readouterr().out
    assert "FAILED 五(三)" in out
    assert "Mid-Autumn Festival" in out


def test_cli_chart(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    path = EXAMPLES / "kunming-2020" / "procedure-violations.yaml"
    chart = tmp_path / "findings.png"
    assert main(["audit", "kunming-2020", str(path), "--chart", str(chart)]) == 1
    assert chart.read_bytes().startswith(b"\x89PNG")


def test_demo_prints_the_audit_of_each_example_procedure(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo", "--examples", str(EXAMPLES), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    for policy_id in EXAMPLE_IDS:
        assert f"[{policy_id}" in out
    assert out.count("Procedure audit:") == 2 * len(EXAMPLE_IDS)


def test_findings_keep_the_outcome_vocabulary() -> None:
    report = audit("eryuan-2024", EXAMPLES / "eryuan-2024" / "procedure.yaml")
    assert {f.outcome for f in report.findings} <= set(RuleOutcome)
    assert len(report.findings) == len(
        [r for r in load_policy("eryuan-2024").rules if r.kind == "procedure"]
    )
