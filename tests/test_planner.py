"""Timeline planner (audit layer): earliest and latest dates of every step, from the rules."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from titlerules.audit import audit, plan
from titlerules.audit.planner import Plan, parse_meeting
from titlerules.cli import main
from titlerules.engine.decision import RuleOutcome
from titlerules.engine.policy import Policy, bundled_policies, load_policy
from titlerules.errors import UsageError
from titlerules.facts import Procedure, load_procedure

from .conftest import EXAMPLES

EXAMPLE_IDS = [
    ident for ident, _ in bundled_policies() if (EXAMPLES / ident / "procedure.yaml").is_file()
]

SMALL = """
import "common/procedure"

param notice_lead: working_days = 30 working_days
param publicity_min: working_days = 5 working_days
param filing_within: working_days = 5 working_days

procedure notice_lead_time "通知在会议30个工作日前发布" en "Notice 30 wd ahead" {
  cite 一(一) "评审通知须在评审会议30个工作日前发布"
  require procedure.notice.published_on <= procedure.meeting.start - notice_lead
}

def after_meeting_and_long(w) = w.start > procedure.meeting.end
    and window_working_days(w) >= publicity_min

procedure results_publicity "结果公示不少于5个工作日" en "Results publicity of 5 wd" {
  cite 一(二) "评审结果公示不少于5个工作日"
  require windows_of(procedure, 评审结果公示).count() >= 1
  require windows_of(procedure, 评审结果公示).all(w -> after_meeting_and_long(w))
}

def reported_after(f, w) = f.filed_on > w.end
    and f.filed_on <= add_working_days(w.end, filing_within)

procedure report_after_publicity "公示结束后5个工作日内报送" en "Report after the publicity" {
  cite 一(三) "公示结束后5个工作日内报送评审情况综合报告"
  require filings_of(procedure, 评审情况综合报告)
    .all(f -> windows_of(procedure, 评审结果公示).all(w -> reported_after(f, w)))
}

procedure senior_plan "高评委方案备案" en "Senior committees file their plan" {
  cite 一(四) "高评委在评审会议前报送评审工作方案"
  applies procedure.committee.level == 高评委
  require filings_of(procedure, 评审工作方案备案).any(f -> f.filed_on < procedure.meeting.start)
}

procedure attendance "出席不少于2/3" en "Two thirds attend" {
  cite 一(五) "出席评委会的专家应当不少于评委会人数的2/3"
  require at_least_share(
    procedure.meeting.attendees, procedure.selection.selected, two_thirds)
}

procedure by_october "10月31日前完成评审" en "Evaluation done by 31 October" {
  cite 一(六) "10月31日前完成全部评审工作"
  require procedure.meeting.end <= 2024-10-31
}
"""

MEETING = (dt.date(2024, 9, 10), dt.date(2024, 9, 11))


HEADER = """policy test-policy {
  title "测试政策" document "测〔2024〕1号" year 2024 source "x.txt" sha256 "0"
}
"""


@pytest.fixture(scope="module")
def small_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("planner") / "test.policy"
    path.write_text(HEADER + SMALL, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def small(small_path: Path) -> Policy:
    return load_policy(small_path)


@pytest.fixture(scope="module")
def small_plan(small: Policy) -> Plan:
    return plan(small, MEETING)


def _record(**dates: Any) -> dict[str, Any]:
    return {
        "meeting": {"start": MEETING[0], "end": MEETING[1]},
        "notice": {"published_on": dates.get("notice")},
        "publicity": [
            {"kind": "评审结果公示", "start": dates.get("start"), "end": dates.get("end")}
        ],
        "filings": [{"kind": "评审情况综合报告", "filed_on": dates.get("report")}],
    }


def _outcome(policy: Policy, rule: str, **dates: Any) -> RuleOutcome:
    report = audit(policy, _record(**dates))
    return report.finding(rule).outcome


def test_latest_notice_date_is_exact(small: Policy, small_plan: Plan) -> None:
    result = small_plan
    step = result.step("notice.published_on")
    assert step.earliest is None
    assert step.latest == dt.date(2024, 7, 30)
    assert step.latest_to_meeting is not None
    assert (step.latest_to_meeting.relation, step.latest_to_meeting.working_days) == (
        "before",
        30,
    )
    assert [r.rule_id for r in step.rules] == ["notice_lead_time"]
    assert _outcome(small, "notice_lead_time", notice=step.latest) is RuleOutcome.PASSED
    later = step.latest + dt.timedelta(days=1)
    assert _outcome(small, "notice_lead_time", notice=later) is RuleOutcome.FAILED


def test_window_and_the_filing_after_it(small: Policy, small_plan: Plan) -> None:
    result = small_plan
    start = result.step("publicity[results].start")
    end = result.step("publicity[results].end")
    report = result.step("filings[report].filed_on")
    assert start.earliest == dt.date(2024, 9, 12)
    assert end.earliest == dt.date(2024, 9, 19)  # 12, 13, 14 (make-up), 18, 19
    assert report.earliest == dt.date(2024, 9, 20)
    (window,) = result.windows
    assert window.window == "publicity[results]"
    assert window.shortest_end_for_earliest_start == dt.date(2024, 9, 19)
    # The window the plan allows, and the filing, pass the rules; a day less fails.
    ok = {"start": start.earliest, "end": end.earliest, "report": report.earliest}
    assert _outcome(small, "results_publicity", **ok) is RuleOutcome.PASSED
    assert _outcome(small, "report_after_publicity", **ok) is RuleOutcome.PASSED
    short = ok | {"end": dt.date(2024, 9, 18)}
    assert _outcome(small, "results_publicity", **short) is RuleOutcome.FAILED


def test_every_procedure_rule_is_accounted_for(small: Policy, small_plan: Plan) -> None:
    result = small_plan
    _assert_accounted(small, result)
    assert result.not_about_dates == ["attendance"]
    assert [c.rule.rule_id for c in result.meeting_checks] == ["by_october"]
    assert result.meeting_checks[0].passed


def _assert_accounted(policy: Policy, result: Plan) -> None:
    seen = {r.rule_id for s in result.steps for r in s.rules}
    seen |= {c.rule.rule_id for c in result.meeting_checks}
    seen |= {u.rule.rule_id for u in result.unplanned}
    seen |= set(result.not_about_dates)
    assert seen == {r.id for r in policy.rules if r.kind == "procedure"}


def test_a_rule_applying_to_some_committees_is_conditional(small_plan: Plan) -> None:
    result = small_plan
    step = result.step("filings[plan].filed_on")
    assert step.latest == dt.date(2024, 9, 9)
    (rule,) = step.rules
    assert rule.conditional == "procedure.committee.level == 高评委"
    assert "applies only under a condition" in result.text("en")


def test_a_base_record_decides_whether_a_rule_applies(small: Policy) -> None:
    senior = plan(small, MEETING, base={"committee": {"level": "高评委"}})
    (rule,) = senior.step("filings[plan].filed_on").rules
    assert rule.conditional is None
    intermediate = plan(small, MEETING, base={"committee": {"level": "中评委"}})
    with pytest.raises(KeyError):
        intermediate.step("filings[plan].filed_on")
    (skipped,) = [u for u in intermediate.unplanned if u.rule.rule_id == "senior_plan"]
    assert skipped.reason.startswith("does not apply")


def test_a_meeting_that_breaks_a_rule_is_a_warning(small: Policy) -> None:
    result = plan(small, "2024-11-04")
    assert [c.passed for c in result.meeting_checks] == [False]
    assert [w.kind for w in result.warnings] == ["meeting"]
    assert "评审会议日期不符合 by_october" in result.text("zh")


def test_windows_crossing_a_provisional_year_warn(small: Policy) -> None:
    result = plan(small, "2026-12-28")
    end = result.step("publicity[results].end")
    assert end.earliest is not None and end.earliest.year == 2027
    assert 2027 in end.provisional_years
    warned = {w.step for w in result.warnings if w.kind == "provisional_calendar"}
    assert "publicity[results].end" in warned
    assert 2027 in result.receipt.provisional_calendar_years


def test_parse_meeting() -> None:
    assert parse_meeting("2024-09-10") == (dt.date(2024, 9, 10), dt.date(2024, 9, 10))
    assert parse_meeting("2024-09-10..2024-09-11") == MEETING
    for bad in ("2024-09-11..2024-09-10", "tomorrow", "2024-09-10..x", "a..b..c"):
        with pytest.raises(UsageError):
            parse_meeting(bad)


# ---------------------------------------------------------------- bundled policies


def _values(record: Procedure, step: str) -> Iterator[dt.date]:
    """The dates a record gives a plan step (every element of that kind)."""
    head, _, name = step.rpartition(".")
    if "[" in head:
        field, _, kind = head.partition("[")
        kind = kind.rstrip("]")
        for item in getattr(record, field) or []:
            discriminator = getattr(item, "kind", None) or getattr(item, "during", None)
            if discriminator is not None and discriminator.value == kind:
                value = getattr(item, name)
                if value is not None:
                    yield value
        return
    node: Any = record
    for part in step.split("."):
        node = getattr(node, part, None) if node is not None else None
    if isinstance(node, dt.date):
        yield node


@pytest.mark.parametrize("policy_id", EXAMPLE_IDS)
def test_a_compliant_round_lies_within_its_plan(policy_id: str) -> None:
    record = load_procedure(EXAMPLES / policy_id / "procedure.yaml")
    assert record.meeting is not None and record.meeting.start and record.meeting.end
    policy = load_policy(policy_id)
    result = plan(policy, (record.meeting.start, record.meeting.end), base=record)
    _assert_accounted(policy, result)
    assert all(c.passed for c in result.meeting_checks)
    assert not [w for w in result.warnings if w.kind == "conflict"]
    checked = 0
    for step in result.steps:
        for value in _values(record, step.step):
            checked += 1
            if step.earliest is not None:
                assert value >= step.earliest, (step.step, value)
            if step.latest is not None:
                assert value <= step.latest, (step.step, value)
    assert checked


def test_eryuan_plan() -> None:
    result = plan("eryuan-2024", "2024-09-10..2024-09-11")
    assert result.step("notice.published_on").latest == dt.date(2024, 5, 31)
    assert result.step("filings[pre_meeting].filed_on").latest == dt.date(2024, 8, 27)
    post = result.step("filings[post_meeting].filed_on")
    # 一(八): the post-meeting filing reports the results publicity (公示情况), so it follows a
    # publicity of at least 5 working days from 09-11 (09-14 a make-up day, 09-16/17 holidays).
    assert (post.earliest, post.latest) == (dt.date(2024, 9, 18), dt.date(2024, 10, 15))
    assert post.latest_to_meeting is not None and post.latest_to_meeting.working_days == 20


def test_xianning_plan_window() -> None:
    result = plan("xianning-2024", "2024-09-09..2024-09-10")
    start = result.step("publicity[results].start")
    # "评审工作结束3个工作日内公示": the last meeting day is day 0 (docs/calendar.md 日期用语).
    assert (start.earliest, start.latest) == (dt.date(2024, 9, 10), dt.date(2024, 9, 13))
    (window,) = [w for w in result.windows if w.window == "publicity[results]"]
    assert window.shortest_end_for_latest_start == dt.date(2024, 9, 20)
    assert result.step("filings[report].filed_on").latest == dt.date(2024, 9, 18)


# ---------------------------------------------------------------- outputs


def test_ics(small_plan: Plan) -> None:
    icalendar = pytest.importorskip("icalendar")
    result = small_plan
    stamp = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    data = result.to_ics(stamp=stamp)
    assert data == result.to_ics(stamp=stamp)
    calendar = icalendar.Calendar.from_ical(data)
    events = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    uid = "test-policy-notice.published_on-2024-09-10@titlerules"
    notice = events[uid]
    assert notice.decoded("dtstart") == dt.date(2024, 7, 30)
    assert str(notice["summary"]) == "截止：评审通知·发布日期"
    assert "notice_lead_time" in str(notice["description"])
    assert "test-policy-meeting-2024-09-10@titlerules" in events


def test_cli_plan(capsys: pytest.CaptureFixture[str], tmp_path: Path, small_path: Path) -> None:
    pytest.importorskip("matplotlib")
    path = str(small_path)
    ics, png, svg = tmp_path / "p.ics", tmp_path / "p.png", tmp_path / "p.svg"
    args = ["plan", path, "--meeting", "2024-09-10..2024-09-11"]
    assert main([*args, "--ics", str(ics), "--chart", str(png)]) == 0
    out = capsys.readouterr().out
    assert "评审通知·发布日期" in out and "2024-07-30（会前 30 个工作日）" in out
    assert ics.read_bytes().startswith(b"BEGIN:VCALENDAR")
    assert png.read_bytes().startswith(b"\x89PNG")
    assert main([*args, "--json", "--chart", str(svg), "--lang", "en"]) == 0
    assert b"<svg" in svg.read_bytes()
    data = json.loads(capsys.readouterr().out)
    assert {s["step"] for s in data["steps"]} >= {"notice.published_on"}
    assert main(["plan", path, "--meeting", "2024-11-04"]) == 1
    assert main(["plan", path, "--meeting", "someday"]) == 2
    assert main([*args, "--chart", str(tmp_path / "p.gif")]) == 2
    assert "use a .png or .svg file" in capsys.readouterr().err


def test_plan_round_trips_through_json(small_plan: Plan) -> None:
    result = small_plan
    assert Plan.model_validate(json.loads(result.model_dump_json())) == result
