"""Engine layer: three-valued evaluation, exceptions, exact quorums, working-day rules,
missing facts, receipts, explanations."""

from __future__ import annotations

import copy
import datetime as dt
import pickle
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from titlerules.engine.decision import Outcome, RuleOutcome
from titlerules.engine.policy import Policy
from titlerules.errors import EvaluationError, PolicyCheckError, RecordError

from .conftest import EXAMPLES


def _applicant(name: str = "li-hua") -> dict[str, Any]:
    path = EXAMPLES / "eryuan-2024" / "applicants" / f"{name}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return copy.deepcopy(data)


def _rule(decision: Any, rule_id: str) -> Any:
    return next(r for r in decision.rules if r.id == rule_id)


CIVIL = """
exclusion civil "公务员不得参加职称评审" {
  cite 二(一) "公务员不得参加职称评审"
  when applicant.employment.is_civil_servant or applicant.employment.is_civil_servant_managed
}
"""

VOTE = """
param share: fraction = 2/3
requirement vote "述职推荐须达三分之二" {
  cite 二(三)2 "同意推荐票数达参会人数的三分之二及以上者方可推荐上报"
  require applicant.unit_debrief.yes_votes >= share * applicant.unit_debrief.attendees
}
"""

RETIRED = """
import "common/retirement"
param meeting: date = 2024-10-15
exclusion retired "已退休或达到退休年龄" {
  cite 一(一) "不得参加职称申报评审"
  when retired_or_of_age(applicant, meeting)
  unless "按规定批准延迟退休": delayed_retirement_in_force(applicant, meeting)
}
"""


def test_eligible_when_no_rule_fails(make_policy: Callable[[str], Policy]) -> None:
    decision = make_policy(CIVIL + VOTE).evaluate(_applicant())
    assert decision.outcome is Outcome.ELIGIBLE
    assert {r.outcome for r in decision.rules} == {RuleOutcome.PASSED}
    assert decision.missing_facts == []


def test_failed_exclusion_makes_ineligible(make_policy: Callable[[str], Policy]) -> None:
    record = _applicant()
    record["applicant"]["employment"]["is_civil_servant"] = True
    decision = make_policy(CIVIL).evaluate(record)
    assert decision.outcome is Outcome.INELIGIBLE
    assert _rule(decision, "civil").outcome is RuleOutcome.FAILED
    assert {"path": "applicant.employment.is_civil_servant", "value": True} in [
        f.model_dump() for f in _rule(decision, "civil").facts
    ]


def test_missing_fact_is_unknown_not_false(make_policy: Callable[[str], Policy]) -> None:
    record = _applicant()
    record["applicant"]["employment"]["is_civil_servant"] = None
    record["applicant"]["employment"]["is_civil_servant_managed"] = None
    decision = make_policy(CIVIL).evaluate(record)
    assert decision.outcome is Outcome.UNDETERMINED
    assert decision.missing_facts == [
        "applicant.employment.is_civil_servant",
        "applicant.employment.is_civil_servant_managed",
    ]


def test_kleene_or_true_wins_over_unknown(make_policy: Callable[[str], Policy]) -> None:
    record = _applicant()
    record["applicant"]["employment"]["is_civil_servant"] = None
    record["applicant"]["employment"]["is_civil_servant_managed"] = True
    decision = make_policy(CIVIL).evaluate(record)
    assert decision.outcome is Outcome.INELIGIBLE
    assert decision.missing_facts == []


def test_kleene_or_false_and_unknown_is_unknown_with_only_that_path(
    make_policy: Callable[[str], Policy],
) -> None:
    record = _applicant()
    record["applicant"]["employment"]["is_civil_servant"] = False
    record["applicant"]["employment"]["is_civil_servant_managed"] = None
    decision = make_policy(CIVIL).evaluate(record)
    assert decision.outcome is Outcome.UNDETERMINED
    assert decision.missing_facts == ["applicant.employment.is_civil_servant_managed"]


@pytest.mark.parametrize(
    ("attendees", "yes", "passes"),
    [(9, 6, True), (9, 5, False), (11, 7, False), (11, 8, True), (3, 2, True), (1, 1, True)],
)
def test_two_thirds_is_exact(
    make_policy: Callable[[str], Policy], attendees: int, yes: int, passes: bool
) -> None:
    record = _applicant()
    record["applicant"]["unit_debrief"]["attendees"] = attendees
    record["applicant"]["unit_debrief"]["yes_votes"] = yes
    decision = make_policy(VOTE).evaluate(record)
    expected = RuleOutcome.PASSED if passes else RuleOutcome.FAILED
    assert _rule(decision, "vote").outcome is expected


def test_two_thirds_matches_integer_arithmetic_for_every_size(
    make_policy: Callable[[str], Policy],
) -> None:
    policy = make_policy(VOTE)
    record = _applicant()
    for attendees in range(1, 501):
        threshold = -(-2 * attendees // 3)  # ceil(2n/3) in integers
        for yes in {threshold - 1, threshold}:
            if yes < 0:
                continue
            record["applicant"]["unit_debrief"]["attendees"] = attendees
            record["applicant"]["unit_debrief"]["yes_votes"] = yes
            outcome = _rule(policy.evaluate(record, explain=False), "vote").outcome
            assert (outcome is RuleOutcome.PASSED) == (yes >= threshold), (attendees, yes)


def test_exception_applies_and_is_reported(make_policy: Callable[[str], Policy]) -> None:
    record = _applicant()
    record["applicant"]["employment"]["retired"] = False
    record["applicant"]["person"].update(
        {"birth_date": "1963-05-02", "gender": "male", "id_number": None, "id_type": None}
    )
    policy = make_policy(RETIRED)
    # Of retirement age, and nothing said about delayed retirement: the exception might
    # apply, so the decision waits for that fact.
    decision = policy.evaluate(record)
    assert decision.outcome is Outcome.UNDETERMINED
    assert decision.missing_facts == ["applicant.employment.delayed_retirement"]
    record["applicant"]["employment"]["delayed_retirement"] = {"approved": False}
    assert policy.evaluate(record).outcome is Outcome.INELIGIBLE
    record["applicant"]["employment"]["delayed_retirement"] = {
        "approved": True,
        "start": "2023-05-02",
        "end": "2025-05-01",
    }
    decision = policy.evaluate(record)
    assert decision.outcome is Outcome.ELIGIBLE
    assert _rule(decision, "retired").exceptions_applied == ["按规定批准延迟退休"]
    record["applicant"]["employment"]["delayed_retirement"]["end"] = "2024-06-30"
    assert policy.evaluate(record).outcome is Outcome.INELIGIBLE


def test_unknown_exception_keeps_rule_unknown(make_policy: Callable[[str], Policy]) -> None:
    record = _applicant()
    # Of age, formalities not done: the delayed-retirement exception could save the age limb.
    record["applicant"]["employment"]["retired"] = False
    record["applicant"]["person"].update(
        {"birth_date": "1963-05-02", "gender": "male", "id_number": None, "id_type": None}
    )
    record["applicant"]["employment"]["delayed_retirement"] = {"approved": True}
    decision = make_policy(RETIRED).evaluate(record)
    assert decision.outcome is Outcome.UNDETERMINED
    assert "applicant.employment.delayed_retirement.start" in decision.missing_facts
    # Formalities done: retired, and no delayed retirement saves a retiree.
    record["applicant"]["employment"]["retired"] = True
    assert make_policy(RETIRED).evaluate(record).outcome is Outcome.INELIGIBLE


def test_applies_false_is_not_applicable(make_policy: Callable[[str], Policy]) -> None:
    policy = make_policy(
        """
requirement exceptional "破格须有优秀" {
  cite 三(三) "破格申报人员近三年内须有一次年度考核结果为优秀"
  applies applicant.application.exceptional
  require applicant.assessments.any(a -> a.grade == 优秀)
}
"""
    )
    record = _applicant()
    record["applicant"]["application"]["exceptional"] = False
    record["applicant"]["assessments"] = []
    assert _rule(policy.evaluate(record), "exceptional").outcome is RuleOutcome.NOT_APPLICABLE
    record["applicant"]["application"]["exceptional"] = True
    assert _rule(policy.evaluate(record), "exceptional").outcome is RuleOutcome.FAILED


def test_missing_list_is_unknown_but_empty_list_is_known(
    make_policy: Callable[[str], Policy],
) -> None:
    policy = make_policy(
        """
import "common/sanctions"
param cutoff: date = 2024-12-31
exclusion sanction "受处分期间不得申报" {
  cite 二(一) "在受处分期间不得申报参加职称评审"
  when applicant.sanctions.any(s -> s.severity >= 记过 and sanction_in_force(s, cutoff))
}
"""
    )
    record = _applicant()
    record["applicant"]["sanctions"] = []
    assert policy.evaluate(record).outcome is Outcome.ELIGIBLE
    record["applicant"]["sanctions"] = None
    decision = policy.evaluate(record)
    assert decision.outcome is Outcome.UNDETERMINED
    assert decision.missing_facts == ["applicant.sanctions"]
    record["applicant"]["sanctions"] = [{"system": "public_institution", "severity": "记过"}]
    decision = policy.evaluate(record)
    assert decision.missing_facts == ["applicant.sanctions[0].start"]
    # 记过 from 2024-03-01: 12 months by default, in force at 2024-12-31.
    record["applicant"]["sanctions"][0]["start"] = "2024-03-01"
    assert policy.evaluate(record).outcome is Outcome.INELIGIBLE
    # Ended on 2024-12-30: no longer in force at the cutoff.
    record["applicant"]["sanctions"][0]["end"] = "2024-12-30"
    assert policy.evaluate(record).outcome is Outcome.ELIGIBLE
    # A warning (警告) is below 记过.
    record["applicant"]["sanctions"][0].update({"severity": "警告", "end": None})
    assert policy.evaluate(record).outcome is Outcome.ELIGIBLE


PUBLICITY = """
import "common/procedure"
param publicity_min: working_days = 5 working_days
procedure results_publicity "评审结果公示不少于5个工作日" {
  cite 一(七) "公示时间不少于 5 个工作日"
  require windows_of(procedure, PublicityKind.results)
    .all(w -> window_working_days(w) >= publicity_min)
}
"""


def _procedure() -> dict[str, Any]:
    path = EXAMPLES / "eryuan-2024" / "procedure.yaml"
    return copy.deepcopy(yaml.safe_load(path.read_text(encoding="utf-8")))


@pytest.mark.parametrize(
    ("start", "end", "passes"),
    [
        ("2024-09-30", "2024-10-09", False),  # 9-30, 10-8, 10-9: 3 working days
        ("2024-09-27", "2024-10-08", False),  # 9-27, 9-29 (make-up), 9-30, 10-8: 4
        ("2024-09-26", "2024-10-08", True),  # 5
        ("2024-10-08", "2024-10-12", True),  # 10-12 is a make-up Saturday: 5
        ("2024-10-08", "2024-10-11", False),  # 4
    ],
)
def test_publicity_window_in_official_working_days(
    make_policy: Callable[[str], Policy], start: str, end: str, passes: bool
) -> None:
    record = _procedure()
    record["procedure"]["publicity"] = [
        {"kind": "results", "channel": "information_platform", "start": start, "end": end}
    ]
    decision = make_policy(PUBLICITY).evaluate(record)
    expected = RuleOutcome.PASSED if passes else RuleOutcome.FAILED
    assert _rule(decision, "results_publicity").outcome is expected
    assert decision.subject == "procedure"


def test_provisional_calendar_years_are_in_the_receipt(
    make_policy: Callable[[str], Policy],
) -> None:
    record = _procedure()
    record["procedure"]["publicity"] = [
        {
            "kind": "results",
            "channel": "information_platform",
            "start": "2027-03-01",
            "end": "2027-03-10",
        }
    ]
    decision = make_policy(PUBLICITY).evaluate(record)
    assert decision.receipt.provisional_calendar_years == [2027]
    assert "2027" in decision.explain("zh")
    record["procedure"]["publicity"][0].update({"start": "2024-03-01", "end": "2024-03-10"})
    assert make_policy(PUBLICITY).evaluate(record).receipt.provisional_calendar_years == []


def test_advisory_rule_never_decides(make_policy: Callable[[str], Policy]) -> None:
    policy = make_policy(CIVIL.replace("when applicant", "severity advisory\n  when applicant"))
    record = _applicant()
    record["applicant"]["employment"]["is_civil_servant"] = True
    decision = policy.evaluate(record)
    assert decision.outcome is Outcome.ELIGIBLE
    assert _rule(decision, "civil").outcome is RuleOutcome.FAILED


def test_receipt_and_json(make_policy: Callable[[str], Policy]) -> None:
    policy = make_policy(CIVIL)
    decision = policy.evaluate(_applicant(), as_of=dt.date(2024, 6, 1))
    data = decision.model_dump(mode="json")
    assert data["receipt"]["policy_id"] == "test-policy"
    assert data["receipt"]["policy_sha256"] == policy.sha256
    assert data["receipt"]["as_of"] == "2024-06-01"
    assert data["receipt"]["calendar_version"].startswith("holidays-")
    assert data["rules"][0]["citation"] == {
        "document": "测〔2024〕1号",
        "clause": "二(一)",
        "quote": "公务员不得参加职称评审",
    }


def test_explanations_in_both_languages(make_policy: Callable[[str], Policy]) -> None:
    record = _applicant()
    record["applicant"]["employment"]["is_civil_servant"] = True
    decision = make_policy(CIVIL).evaluate(record)
    zh = decision.explain("zh")
    assert "不符合申报条件" in zh
    assert "属于不得申报情形：公务员不得参加职称评审（测〔2024〕1号 二(一)）" in zh
    assert "是否公务员 是" in zh
    en = decision.explain("en")
    assert "ineligible" in en and "excluded:" in en


def test_evaluate_many_gives_one_result_per_record(make_policy: Callable[[str], Policy]) -> None:
    good = _applicant()
    bad = _applicant()
    bad["applicant"]["person"]["birth_date"] = "1985-13-01"
    results = list(make_policy(CIVIL).evaluate_many([good, bad, good]))
    assert len(results) == 3
    assert isinstance(results[1], RecordError)
    assert "applicant.person.birth_date" in str(results[1])


def test_same_record_same_decision(make_policy: Callable[[str], Policy]) -> None:
    policy = make_policy(CIVIL + VOTE + RETIRED)
    first = policy.evaluate(_applicant("he-ping")).model_dump(mode="json")
    second = policy.evaluate(_applicant("he-ping")).model_dump(mode="json")
    assert first == second


def test_policy_errors_are_raised_with_every_error(make_policy: Callable[[str], Policy]) -> None:
    with pytest.raises(PolicyCheckError) as info:
        make_policy(
            """
exclusion a "x" { cite 一 "q" when applicant.employment.is_civil_servent }
exclusion b "y" { cite 一 "q" when applicant.person.birth_date > 3 }
"""
        )
    assert len(info.value.diagnostics) == 2
    assert "did you mean 'applicant.employment.is_civil_servant'?" in str(info.value)


def test_decision_errors_pickle() -> None:
    error = EvaluationError("boom", hint="fix it")
    clone = pickle.loads(pickle.dumps(error))
    assert type(clone) is EvaluationError
    assert str(clone) == str(error)


# A random set of exclusions that a random record fails or passes: adding one more failing
# exclusion never makes the decision better.
_BETTER = {Outcome.INELIGIBLE: 0, Outcome.UNDETERMINED: 1, Outcome.ELIGIBLE: 2}


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    flags=st.lists(st.sampled_from([True, False, None]), min_size=3, max_size=3),
    extra=st.sampled_from([True, False, None]),
)
def test_adding_an_exclusion_never_improves_a_decision(
    tmp_path_factory: pytest.TempPathFactory, flags: list[bool | None], extra: bool | None
) -> None:
    from titlerules.engine.policy import load_policy

    folder = tmp_path_factory.mktemp("mono")
    fields = ["is_civil_servant", "is_civil_servant_managed", "retired"]
    rules = "".join(
        f'exclusion r{i} "r{i}" {{ cite 一 "q" when applicant.employment.{f} }}\n'
        for i, f in enumerate(fields)
    )
    base = folder / "base.policy"
    base.write_text(
        'policy base-policy { title "t" document "d" year 2024 source "s" sha256 "0" }\n' + rules,
        encoding="utf-8",
    )
    more = folder / "more.policy"
    more.write_text(
        'policy more-policy { title "t" document "d" year 2024 source "s" sha256 "0" }\n'
        'extends "base"\n'
        'exclusion extra "e" { cite 一 "q" when applicant.employment.in_post }\n',
        encoding="utf-8",
    )
    record = _applicant()
    for field, flag in zip(fields, flags, strict=True):
        record["applicant"]["employment"][field] = flag
    record["applicant"]["employment"]["in_post"] = extra
    before = load_policy(base).evaluate(record).outcome
    after = load_policy(more).evaluate(record).outcome
    assert _BETTER[after] <= _BETTER[before]


def test_remainder_sums_of_durations_and_set_methods(make_policy: Callable[[str], Policy]) -> None:
    policy = make_policy(
        """
procedure odd "评委会组成人员应为单数" {
  cite 一(五) "评委会组成人员应为单数"
  require procedure.members.count() % 2 == 1
}
procedure channels "两个渠道" {
  cite 一(三) "公示"
  require procedure.notice.channels.contains_all({信息平台, 政府门户网站})
  require procedure.notice.contents.count() >= 2
  require procedure.notice.contents.all(c -> c != NoticeContent.联系地址及电话) or true
}
procedure publicity_total "公示合计" {
  cite 一(七) "公示"
  require procedure.publicity.sum(w -> working_days_between(w.start, w.end)) >= 10 working_days
}
"""
    )
    record = _procedure()
    record["procedure"]["members"] = [{"name": f"专家{i}", "role": "expert"} for i in range(9)]
    record["procedure"]["notice"]["channels"] = ["信息平台", "政府门户网站"]
    record["procedure"]["publicity"] = [
        {"kind": "pre_meeting", "channel": "信息平台", "start": "2024-09-02", "end": "2024-09-06"},
        {"kind": "results", "channel": "信息平台", "start": "2024-10-08", "end": "2024-10-12"},
    ]
    decision = policy.evaluate(record)
    assert [r.outcome for r in decision.rules] == [RuleOutcome.PASSED] * 3
    record["procedure"]["members"] = record["procedure"]["members"][:8]
    record["procedure"]["notice"]["channels"] = ["信息平台"]
    record["procedure"]["publicity"][1]["end"] = "2024-10-11"
    decision = policy.evaluate(record)
    assert [r.outcome for r in decision.rules] == [RuleOutcome.FAILED] * 3
