"""The shared modules policies import: common/retirement, common/sanctions, common/credit.

Each case is written from the law's words, on both sides of its edge, and decided twice: per
record (:meth:`Policy.evaluate`) and column-wise (:class:`ColumnarPolicy`); the two must agree.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

pl = pytest.importorskip("polars")

from titlerules.batch.runner import ColumnarPolicy  # noqa: E402
from titlerules.engine.policy import Policy  # noqa: E402
from titlerules.synthetic import flat_rows  # noqa: E402

RETIREMENT = """
import "common/retirement"
exclusion retired "离退休人员不得参加职称评审" {
  cite 一 "离退休人员不得参加职称评审"
  when retired_for_evaluation(applicant, as_of)
}
exclusion retired_labelled "离退休人员不得参加职称评审（例外写法）" {
  cite 一 "离退休人员不得参加职称评审"
  when retired_or_of_age(applicant, as_of)
  unless "按规定批准延迟退休且在延迟退休期内": delayed_retirement_in_force(applicant, as_of)
}
"""

SANCTIONS = """
import "common/sanctions"
exclusion in_period "在受处分期间" {
  cite 一 "在受处分期间不得申报"
  when applicant.sanctions.any(s -> sanction_in_force(s, as_of))
}
exclusion in_effect "处分期(含影响期)未了" {
  cite 二 "处分期(含影响期)未了不得申报"
  when applicant.sanctions.any(s -> sanction_or_effect_in_force(s, as_of))
}
"""

CREDIT = """
import "common/credit"
exclusion recorded "记录期内不得申报" {
  cite 一 "记录期限为3年"
  when applicant.credit_records.any(c -> credit_record_in_force(c, as_of))
}
"""


def _woman(**employment: Any) -> dict[str, Any]:
    """A woman at a 事业单位 holding 副高级, formalities not done, no delayed retirement."""
    record: dict[str, Any] = {
        "person": {"gender": "女", "birth_date": "1966-10-15"},
        "employment": {
            "employer_kind": "事业单位",
            "identity": "干部",
            "retired": False,
            "delayed_retirement": {"approved": False},
        },
        "titles": [{"level": "副高级", "series": "卫生技术"}],
        "application": {"submitted_on": "2024-10-15"},
    }
    record["employment"].update(employment)
    return record


def _with(record: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A copy of ``record`` with dotted paths set (``None`` removes the fact)."""
    out = copy.deepcopy(record)
    for dotted, value in changes.items():
        *parents, leaf = dotted.split("__")
        node = out
        for key in parents:
            node = node.setdefault(key, {})
        if value is None:
            node.pop(leaf, None)
        else:
            node[leaf] = value
    return out


@pytest.fixture
def decide(
    make_policy: Callable[[str], Policy],
) -> Callable[[str, dict[str, Any]], dict[str, Any]]:
    """Outcome and rule outcomes of one record, asserting both evaluation paths agree."""
    compiled: dict[str, tuple[Policy, ColumnarPolicy]] = {}

    def run(text: str, record: dict[str, Any]) -> dict[str, Any]:
        if text not in compiled:
            policy = make_policy(text)
            compiled[text] = (policy, ColumnarPolicy(policy))
        policy, columnar = compiled[text]
        decision = policy.evaluate(record)
        rules = {r.id: r.outcome.value for r in decision.rules}
        columns = flat_rows([record])
        table = pl.DataFrame(columns, schema={name: pl.String for name in columns})
        row = next(columnar.evaluate(table).iter_rows(named=True))
        assert row["outcome"] == decision.outcome.value, (row, decision)
        assert {k[5:]: v for k, v in row.items() if k.startswith("rule.")} == rules
        return {
            "outcome": decision.outcome.value,
            "rules": rules,
            "missing": decision.missing_facts,
            "exceptions": {r.id: r.exceptions_applied for r in decision.rules},
        }

    return run


# ------------------------------------------------------------------ calendar: 组通字〔2015〕14号


def test_senior_professional_women_retire_at_60_before_the_reform() -> None:
    from titlerules.calendar import retirement

    result = retirement(dt.date(1964, 10, 15), "female", senior_professional=True)
    assert result.date == dt.date(2024, 10, 15)
    assert (result.age_years, result.age_months) == (60, 0)
    assert "组通字〔2015〕14号" in result.citation
    assert result.senior_professional and result.reading is None
    # The same woman without the senior title: a cadre at 55.
    assert retirement(dt.date(1964, 10, 15), "female", "cadre").date == dt.date(2019, 10, 15)


def test_senior_professional_women_under_the_reform_are_a_flagged_reading() -> None:
    from titlerules.calendar import retirement

    first = retirement(dt.date(1965, 1, 5), "female", senior_professional=True)
    assert (first.age_years, first.age_months) == (60, 1)
    assert first.date == dt.date(2025, 2, 5)
    assert first.reading is not None and "国家另有规定的，从其规定" in first.reading
    assert "组通字〔2015〕14号" in first.citation
    # One month later every four months of birth, capped at 63.
    assert retirement(dt.date(1965, 5, 1), "female", senior_professional=True).age_months == 2
    capped = retirement(dt.date(1976, 9, 1), "female", senior_professional=True)
    assert (capped.age_years, capped.age_months) == (63, 0)
    # Men are not affected by the flag; women without it keep their own schedules.
    assert retirement(dt.date(1965, 1, 5), "male", senior_professional=True).reading is None
    assert retirement(dt.date(1970, 1, 5), "female", "cadre").reading is None


# ------------------------------------------------------------------ common/retirement


def test_senior_titled_woman_in_a_public_institution_is_not_of_age_at_58(decide: Any) -> None:
    # Born 1966-10-15: 58 on 2024-10-15. 组通字〔2015〕14号: 60 (under the reform 60 years
    # 6 months).
    assert decide(RETIREMENT, _woman())["outcome"] == "eligible"
    # Without a senior title she retires as a cadre at 55.
    intermediate = _with(_woman(), titles=[{"level": "中级"}])
    assert decide(RETIREMENT, intermediate)["outcome"] == "ineligible"
    # The notice covers 党政机关, 人民团体 and 事业单位, not enterprises.
    for kind, outcome in (
        ("机关", "eligible"),
        ("人民团体", "eligible"),
        ("民营企业", "ineligible"),
    ):
        assert decide(RETIREMENT, _woman(employer_kind=kind))["outcome"] == outcome, kind


def test_senior_titled_woman_at_sixty_day_before_and_day_of(decide: Any) -> None:
    # Born 1964-10-15 (before the reform's first cohort): 60 on 2024-10-15, the evaluation day.
    assert (
        decide(RETIREMENT, _woman() | {"person": {"gender": "女", "birth_date": "1964-10-15"}})[
            "outcome"
        ]
        == "ineligible"
    )
    # Born a day later: 60 only on 2024-10-16.
    assert (
        decide(RETIREMENT, _woman() | {"person": {"gender": "女", "birth_date": "1964-10-16"}})[
            "outcome"
        ]
        == "eligible"
    )


def test_reform_schedule_of_senior_titled_women(decide: Any) -> None:
    # Born 1965-01-05: 60 years 1 month, on 2025-02-05.
    record = _with(_woman(), person__birth_date="1965-01-05")
    on_eve = _with(record, application__submitted_on="2025-02-04")
    on_day = _with(record, application__submitted_on="2025-02-05")
    assert decide(RETIREMENT, on_eve)["outcome"] == "eligible"
    assert decide(RETIREMENT, on_day)["outcome"] == "ineligible"


def test_stationed_unit_asks_for_the_employers_nature(decide: Any) -> None:
    record = _woman(employer_kind="省属驻地单位")
    result = decide(RETIREMENT, record)
    assert result["outcome"] == "undetermined"
    assert result["missing"] == ["applicant.employment.public_sector_employer"]
    assert (
        decide(RETIREMENT, _woman(employer_kind="省属驻地单位", public_sector_employer=True))[
            "outcome"
        ]
        == "eligible"
    )
    assert (
        decide(RETIREMENT, _woman(employer_kind="省属驻地单位", public_sector_employer=False))[
            "outcome"
        ]
        == "ineligible"
    )


def test_unknown_identity_does_not_matter_under_the_2015_notice(decide: Any) -> None:
    record = _with(_woman(), employment__identity=None)
    assert decide(RETIREMENT, record)["outcome"] == "eligible"
    # Without the senior title the identity decides between 50 (工人) and 55 (干部); at 58
    # both are reached.
    plain = _with(record, titles=[{"level": "中级"}])
    assert decide(RETIREMENT, plain)["outcome"] == "ineligible"
    # At 52 it matters: undetermined, asking for it.
    young = _with(plain, person__birth_date="1972-10-15")
    result = decide(RETIREMENT, young)
    assert result["outcome"] == "undetermined"
    assert "applicant.employment.identity" in result["missing"]


def test_a_mans_age_is_unaffected(decide: Any) -> None:
    man = _with(_woman(), person__gender="男", person__birth_date="1964-10-16")
    assert decide(RETIREMENT, man)["outcome"] == "eligible"
    assert decide(RETIREMENT, _with(man, person__birth_date="1964-10-15"))["outcome"] == (
        "ineligible"
    )


def test_retiree_is_ineligible_without_any_delayed_retirement_fact(decide: Any) -> None:
    # "离退休人员": formalities done. Not undetermined for want of delayed-retirement facts.
    record = _with(_woman(), employment__retired=True, employment__delayed_retirement=None)
    result = decide(RETIREMENT, record)
    assert result["outcome"] == "ineligible"
    assert result["rules"] == {"retired": "failed", "retired_labelled": "failed"}


def test_retiree_is_never_saved_by_delayed_retirement(decide: Any) -> None:
    record = _with(
        _woman(),
        employment__retired=True,
        employment__delayed_retirement={
            "approved": True,
            "start": "2024-01-01",
            "end": "2025-12-31",
        },
    )
    result = decide(RETIREMENT, record)
    assert result["rules"] == {"retired": "failed", "retired_labelled": "failed"}


def test_retired_on_decides_the_day(decide: Any) -> None:
    retired = _with(_woman(), employment__retired=True)
    # Retirement formalities dated after the evaluation day: not yet retired on that day.
    later = _with(retired, employment__retired_on="2024-10-16")
    assert decide(RETIREMENT, later)["outcome"] == "eligible"
    same_day = _with(retired, employment__retired_on="2024-10-15")
    assert decide(RETIREMENT, same_day)["outcome"] == "ineligible"
    # No date: retired on every day the record speaks of.
    assert decide(RETIREMENT, retired)["outcome"] == "ineligible"


def test_delay_saves_the_age_limb_on_the_same_day(decide: Any) -> None:
    of_age = _with(_woman(), titles=[{"level": "中级"}])  # a cadre of 58: of age
    delay = {"approved": True, "start": "2021-10-15", "end": "2024-10-15"}
    covered = _with(of_age, employment__delayed_retirement=delay)
    result = decide(RETIREMENT, covered)
    assert result["outcome"] == "eligible"
    assert result["exceptions"]["retired_labelled"] == ["按规定批准延迟退休且在延迟退休期内"]
    # The delay ends the day before the evaluation day: no longer saved.
    ended = _with(of_age, employment__delayed_retirement=delay | {"end": "2024-10-14"})
    assert decide(RETIREMENT, ended)["rules"] == {
        "retired": "failed",
        "retired_labelled": "failed",
    }
    # Of age and nothing said of a delayed retirement: that fact is asked for.
    silent = _with(of_age, employment__delayed_retirement=None)
    result = decide(RETIREMENT, silent)
    assert result["outcome"] == "undetermined"
    assert result["missing"] == ["applicant.employment.delayed_retirement"]


# ------------------------------------------------------------------ common/sanctions


def _sanctioned(day: str, **sanction: Any) -> dict[str, Any]:
    return {"application": {"submitted_on": day}, "sanctions": [sanction]}


@pytest.mark.parametrize(
    ("sanction", "last_day"),
    [
        # 事业单位工作人员处分规定: 警告六个月; the corresponding day is inside
        # (民法典 第二百零二条).
        ({"system": "事业单位处分", "severity": "警告", "start": "2024-03-15"}, "2024-09-15"),
        ({"system": "事业单位处分", "severity": "记过", "start": "2023-07-15"}, "2024-07-15"),
        (
            {"system": "事业单位处分", "severity": "降低岗位等级", "start": "2023-01-31"},
            "2025-01-31",
        ),
        # 政务处分法 第八条: 记大过十八个月; month ends clamp (08-31 + 6 months = 02-28).
        ({"system": "政务处分", "severity": "记大过", "start": "2023-08-31"}, "2025-02-28"),
        # 行政处分 has the 政务处分 periods.
        ({"system": "行政处分", "severity": "降级", "start": "2023-05-10"}, "2025-05-10"),
        # 党纪处分: a party warning is a year (条例 第十条), not six months.
        ({"system": "党纪处分", "party_severity": "党内警告", "start": "2024-03-15"}, "2025-03-15"),
        ({"system": "党纪处分", "severity": "警告", "start": "2024-03-15"}, "2025-03-15"),
        ({"system": "党纪处分", "party_severity": "严重警告", "start": "2023-03-15"}, "2024-09-15"),
        (
            {"system": "党纪处分", "party_severity": "撤销党内职务", "start": "2023-03-15"},
            "2025-03-15",
        ),
        (
            {"system": "党纪处分", "party_severity": "留党察看一年", "start": "2022-03-15"},
            "2025-03-15",
        ),
        # A criminal penalty: the sentence end the record states.
        ({"system": "刑事处罚", "start": "2022-01-10", "end": "2024-01-09"}, "2024-01-09"),
    ],
)
def test_sanction_period_ends_on_its_last_day(
    decide: Any, sanction: dict[str, Any], last_day: str
) -> None:
    last = dt.date.fromisoformat(last_day)
    inside = decide(SANCTIONS, _sanctioned(last_day, **sanction))
    assert inside["rules"] == {"in_period": "failed", "in_effect": "failed"}, sanction
    after = (last + dt.timedelta(days=1)).isoformat()
    outside = decide(SANCTIONS, _sanctioned(after, **sanction))
    assert outside["rules"] == {"in_period": "passed", "in_effect": "passed"}, sanction


def test_criminal_penalty_asks_for_the_sentence_end(decide: Any) -> None:
    record = _sanctioned("2024-06-01", system="刑事处罚", kind="有期徒刑", start="2023-01-10")
    result = decide(SANCTIONS, record)
    assert result["outcome"] == "undetermined"
    assert result["missing"] == ["applicant.sanctions[0].end"]


def test_party_sanction_asks_for_its_party_severity(decide: Any) -> None:
    record = _sanctioned("2024-06-01", system="党纪处分", severity="记过", start="2024-01-10")
    result = decide(SANCTIONS, record)
    assert result["outcome"] == "undetermined"
    assert result["missing"] == ["applicant.sanctions[0].party_severity"]


def test_the_system_selects_the_table(decide: Any) -> None:
    # A warning of 2024-03-15: six months as 事业单位处分, twelve as 党纪处分.
    day = "2024-12-01"
    institution = decide(
        SANCTIONS, _sanctioned(day, system="事业单位处分", severity="警告", start="2024-03-15")
    )
    party = decide(
        SANCTIONS,
        _sanctioned(day, system="党纪处分", party_severity="党内警告", start="2024-03-15"),
    )
    assert institution["outcome"] == "eligible"
    assert party["outcome"] == "ineligible"
    # Without the system the default period cannot be chosen.
    result = decide(SANCTIONS, _sanctioned(day, severity="警告", start="2024-03-15"))
    assert result["missing"] == ["applicant.sanctions[0].system"]


def test_dismissal_never_ends(decide: Any) -> None:
    record = _sanctioned("2034-01-01", system="事业单位处分", severity="开除", start="2020-01-01")
    assert decide(SANCTIONS, record)["rules"] == {"in_period": "failed", "in_effect": "failed"}


def test_the_later_of_period_and_effect_period_governs(decide: Any) -> None:
    base = {"system": "政务处分", "severity": "记过", "start": "2023-01-01", "end": "2024-01-01"}
    # 影响期 later than the 处分期: "处分期(含影响期)" runs to it, "受处分期间" does not.
    longer = decide(SANCTIONS, _sanctioned("2024-06-30", **base, effect_end="2024-06-30"))
    assert longer["rules"] == {"in_period": "passed", "in_effect": "failed"}
    after = decide(SANCTIONS, _sanctioned("2024-07-01", **base, effect_end="2024-06-30"))
    assert after["rules"] == {"in_period": "passed", "in_effect": "passed"}
    # An effect_end earlier than the end does not shorten the period.
    earlier = decide(SANCTIONS, _sanctioned("2023-12-31", **base, effect_end="2023-06-30"))
    assert earlier["rules"] == {"in_period": "failed", "in_effect": "failed"}


def test_lifted_sanction_is_over_from_that_day(decide: Any) -> None:
    base = {"system": "事业单位处分", "severity": "记过", "start": "2023-09-01"}
    lifted = base | {"lifted_on": "2024-06-01"}
    assert decide(SANCTIONS, _sanctioned("2024-05-31", **lifted))["outcome"] == "ineligible"
    assert decide(SANCTIONS, _sanctioned("2024-06-01", **lifted))["outcome"] == "eligible"


# ------------------------------------------------------------------ common/credit


def test_credit_record_period_includes_the_anniversary_day(decide: Any) -> None:
    def record(day: str) -> dict[str, Any]:
        return {
            "application": {"submitted_on": day},
            "credit_records": [{"kind": "诚信档案", "recorded_on": "2023-03-20"}],
        }

    # "记录期限为3年": recorded 2023-03-20, in force through 2026-03-20.
    assert decide(CREDIT, record("2023-03-19"))["outcome"] == "eligible"
    assert decide(CREDIT, record("2023-03-20"))["outcome"] == "ineligible"
    assert decide(CREDIT, record("2026-03-20"))["outcome"] == "ineligible"
    assert decide(CREDIT, record("2026-03-21"))["outcome"] == "eligible"


# ------------------------------------------------------------------ record checks, both paths


def test_duplicate_assessment_year_is_an_error_on_both_paths(
    make_policy: Callable[[str], Policy],
) -> None:
    policy = make_policy(CREDIT)
    record = {
        "application": {"submitted_on": "2024-06-01"},
        "credit_records": [],
        "assessments": [{"year": "2022", "grade": "合格"}, {"year": "2022", "grade": "优秀"}],
    }
    columns = flat_rows([record])
    table = pl.DataFrame(columns, schema={name: pl.String for name in columns})
    row = next(ColumnarPolicy(policy).evaluate(table).iter_rows(named=True))
    assert row["outcome"] == "error"
    assert "assessments[1].year" in row["error"] and "2022" in row["error"]
    with pytest.raises(Exception, match=r"assessments\[1\]\.year"):
        policy.evaluate(record)
    # Distinct years decide normally on both paths.
    record["assessments"][1]["year"] = "2023"
    columns = flat_rows([record])
    table = pl.DataFrame(columns, schema={name: pl.String for name in columns})
    row = next(ColumnarPolicy(policy).evaluate(table).iter_rows(named=True))
    assert row["outcome"] == policy.evaluate(record).outcome.value == "eligible"
