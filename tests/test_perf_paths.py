"""Engine speed paths: closed-form calendar arithmetic, shared decision parts, evaluate_many
over lists and iterators, and the compile cache (memory and disk)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from titlerules.engine import policy as policy_module
from titlerules.engine.policy import Policy, load_policy
from titlerules.engine.runtime import add_months, between
from titlerules.errors import TitleRulesError
from titlerules.facts import Applicant, parse_record

from .test_engine import CIVIL, VOTE, _applicant

dates = st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2090, 12, 31))


def _between_by_relativedelta(start: dt.date, end: dt.date, unit: str, rounding: str) -> Any:
    delta = relativedelta(end, start)
    months = delta.years * 12 + delta.months
    whole = months // 12 if unit == "years" else months
    anchor = start + relativedelta(months=whole * 12 if unit == "years" else whole)
    remainder = (end - anchor).days
    if rounding == "floor" or (rounding == "ceil" and remainder == 0):
        return whole
    if rounding == "ceil":
        return whole + 1
    step = relativedelta(years=1) if unit == "years" else relativedelta(months=1)
    exact = whole + Fraction(remainder, ((anchor + step) - anchor).days)
    return int(exact) if exact.denominator == 1 else exact


@given(
    dates, dates, st.sampled_from(["years", "months"]), st.sampled_from(["floor", "ceil", "exact"])
)
def test_closed_form_between_equals_relativedelta(
    start: dt.date, end: dt.date, unit: str, rounding: str
) -> None:
    assert between(start, end, unit, rounding) == _between_by_relativedelta(
        start, end, unit, rounding
    )


@given(dates, st.integers(-600, 600))
def test_add_months_equals_relativedelta(day: dt.date, months: int) -> None:
    assert add_months(day, months) == day + relativedelta(months=months)


def test_leap_day_anniversaries() -> None:
    assert between(dt.date(2020, 2, 29), dt.date(2021, 2, 28), "years", "floor") == 1
    assert between(dt.date(2020, 2, 29), dt.date(2024, 2, 28), "years", "floor") == 3
    assert between(dt.date(2019, 3, 1), dt.date(2024, 2, 29), "years", "floor") == 4


def test_evaluate_many_takes_dicts_models_and_iterators(
    make_policy: Callable[[str], Policy],
) -> None:
    policy = make_policy(CIVIL + VOTE)
    record = _applicant()
    model = parse_record(Applicant, record["applicant"])
    broken = {"applicant": {"person": {"birth_date": "not a date"}}}
    results = list(policy.evaluate_many(iter([record, model, broken]), explain=True))
    assert isinstance(results[2], TitleRulesError)
    first, second = results[0], results[1]
    assert not isinstance(first, TitleRulesError) and not isinstance(second, TitleRulesError)
    assert first.model_dump() == second.model_dump()
    assert any(rule.facts for rule in first.rules)
    quiet = next(iter(policy.evaluate_many([model], explain=False)))
    assert not isinstance(quiet, TitleRulesError)
    assert quiet.outcome == first.outcome
    assert all(rule.facts == [] for rule in quiet.rules)


def test_decisions_equal_validated_models(make_policy: Callable[[str], Policy]) -> None:
    from titlerules.engine.decision import Decision

    decision = make_policy(CIVIL + VOTE).evaluate(_applicant())
    assert Decision.model_validate(decision.model_dump()) == decision
    assert decision.model_dump_json()


def test_decisions_share_their_set_of_fields_safely(make_policy: Callable[[str], Policy]) -> None:
    """The loop's decisions share one set of field names: it is every field, as validation
    would set it, and copying a decision with an update changes the copy's set only."""
    from titlerules.engine.decision import Decision

    policy = make_policy(CIVIL + VOTE)
    first, second = policy.evaluate_many([_applicant(), _applicant()])
    assert isinstance(first, Decision) and isinstance(second, Decision)
    validated = Decision.model_validate(first.model_dump())
    assert first.model_fields_set == validated.model_fields_set == set(Decision.model_fields)
    copied = first.model_copy(update={"record": "copy"})
    copied.model_fields_set.add("extra name")
    assert "extra name" not in first.model_fields_set | second.model_fields_set
    assert first.model_dump(exclude_unset=True) == validated.model_dump(exclude_unset=True)


def test_a_second_load_is_the_cached_policy(write_policy: Callable[[str, str], Path]) -> None:
    path = write_policy(CIVIL, "cached.policy")
    first = load_policy(path)
    assert load_policy(path) is first
    path.write_text(path.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    assert load_policy(path) is not first


def test_the_disk_cache_skips_parsing_and_checking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TITLERULES_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("TITLERULES_CACHE", raising=False)
    monkeypatch.setattr(policy_module, "LOADED", policy_module.LoadedPolicies())
    first = load_policy("kunming-2020")
    assert list((tmp_path / "cache").glob("*.pickle"))
    monkeypatch.setattr(policy_module, "LOADED", policy_module.LoadedPolicies())

    def no_parsing(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("parsed again")

    monkeypatch.setattr(policy_module, "resolve", no_parsing)
    monkeypatch.setattr(policy_module, "_check", no_parsing)
    again = load_policy("kunming-2020")
    assert again is not first
    assert again.sha256 == first.sha256
    record = _applicant()
    assert again.evaluate(record).model_dump() == first.evaluate(record).model_dump()


def test_the_disk_cache_can_be_turned_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TITLERULES_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("TITLERULES_CACHE", "off")
    monkeypatch.setattr(policy_module, "LOADED", policy_module.LoadedPolicies())
    load_policy("kunming-2020")
    assert not (tmp_path / "cache").exists()
