"""One verdict, one decision: titlerules.engine.verdict, and every path that decides held to it
(the per-record loop's inline copy, the columnar path's codes, the procedure audit)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from titlerules import calendar as cal
from titlerules.engine.decision import Decision, RuleResult
from titlerules.engine.policy import Policy, as_record, bundled_policies, load_policy
from titlerules.engine.runtime import Env, Unknown
from titlerules.engine.verdict import (
    CODES,
    DECISION_BY_CODE,
    OUTCOME_BY_FLAGS,
    RULE_OUTCOMES_BY_CODE,
    RULE_WORDS,
    Outcome,
    RuleOutcome,
    aggregate,
    decide,
    run_rule,
    worst,
)
from titlerules.facts import Procedure
from titlerules.facts.loading import load_record

from .conftest import EXAMPLES

# ---------------------------------------------------------------- the definitions


def test_codes_run_from_least_to_most_severe() -> None:
    assert [CODES[o] for o in RULE_OUTCOMES_BY_CODE] == [0, 1, 2, 3]
    assert RULE_OUTCOMES_BY_CODE == (
        RuleOutcome.PASSED,
        RuleOutcome.NOT_APPLICABLE,
        RuleOutcome.UNKNOWN,
        RuleOutcome.FAILED,
    )
    assert {o.code for o in RuleOutcome} == {0, 1, 2, 3}
    assert worst([RuleOutcome.UNKNOWN, RuleOutcome.FAILED, RuleOutcome.PASSED]) is (
        RuleOutcome.FAILED
    )
    assert worst([]) is RuleOutcome.PASSED


def test_the_decision_by_flags_and_by_largest_code_are_decide() -> None:
    assert decide(True, True) is Outcome.INELIGIBLE
    assert decide(True, False) is Outcome.INELIGIBLE
    assert decide(False, True) is Outcome.UNDETERMINED
    assert decide(False, False) is Outcome.ELIGIBLE
    for failed, unknown in itertools.product((False, True), repeat=2):
        assert OUTCOME_BY_FLAGS[failed][unknown] is decide(failed, unknown)
    assert DECISION_BY_CODE == (
        Outcome.ELIGIBLE,  # passed
        Outcome.ELIGIBLE,  # not applicable
        Outcome.UNDETERMINED,  # unknown
        Outcome.INELIGIBLE,  # failed
    )


def test_the_words_name_every_outcome_in_both_languages() -> None:
    for lang in ("zh", "en"):
        assert set(RULE_WORDS[lang]) == set(RuleOutcome)
        assert RuleOutcome.FAILED.word(lang) == RULE_WORDS[lang][RuleOutcome.FAILED]
    assert RuleOutcome.UNKNOWN.word("zh") == "待查明"
    assert RuleOutcome.UNKNOWN.word("fr") == "待查明"  # anything else: Chinese


# ---------------------------------------------------------------- run_rule: the default logic


@dataclass(frozen=True)
class _Exception:
    label: str | None
    text: str
    condition: Callable[[Any], Any]


@dataclass(frozen=True)
class _Rule:
    applies: Callable[[Any], Any] | None
    violation: Callable[[Any], Any]
    exceptions: tuple[_Exception, ...]


_T, _F = True, False
_U = "unknown"  # stands for an Unknown over a path of its own


def _value(v: Any, path: str) -> Any:
    return Unknown(frozenset({path})) if v == _U else v


def _reference(applies: Any, violation: Any, exceptions: tuple[Any, ...]) -> RuleOutcome:
    """The default logic, written from docs/architecture.md's table."""
    if applies is _F:
        return RuleOutcome.NOT_APPLICABLE
    if violation is _F or _T in exceptions:
        return RuleOutcome.PASSED
    if violation is _T and applies in (None, _T) and all(e is _F for e in exceptions):
        return RuleOutcome.FAILED
    return RuleOutcome.UNKNOWN


@pytest.mark.parametrize("applies", [None, _T, _F, _U])
@pytest.mark.parametrize("violation", [_T, _F, _U])
@pytest.mark.parametrize("exceptions", [(), (_T,), (_F,), (_U,), (_F, _U), (_U, _T), (_F, _F)])
def test_run_rule_is_the_default_logic_table(
    applies: Any, violation: Any, exceptions: tuple[Any, ...]
) -> None:
    rule = _Rule(
        None if applies is None else (lambda env: _value(applies, "a")),
        lambda env: _value(violation, "v"),
        tuple(
            _Exception(None if k else "excused", f"e{k}", lambda env, e=e, k=k: _value(e, f"e{k}"))
            for k, e in enumerate(exceptions)
        ),
    )
    verdict = run_rule(rule, env=None)  # type: ignore[arg-type]
    expected = _reference(applies, violation, exceptions)
    assert verdict.outcome is expected
    if expected is RuleOutcome.UNKNOWN:
        paths = {"v"} if violation == _U else set()
        paths |= {f"e{k}" for k, e in enumerate(exceptions) if e == _U}
        paths |= {"a"} if applies == _U else set()
        assert verdict.missing == paths and paths
    else:
        assert verdict.missing == frozenset()
    if expected is RuleOutcome.PASSED and violation is not _F:
        first = exceptions.index(_T)
        assert verdict.exceptions == ("excused" if first == 0 else f"e{first}",)
    else:
        assert verdict.exceptions == ()


# ---------------------------------------------------------------- every path held to it


def _records() -> list[tuple[str, dict[str, Any] | Any]]:
    """Every example record (applicants and procedures) of the bundled policies."""
    found = []
    for folder in sorted(p for p in EXAMPLES.iterdir() if (p / "applicants").is_dir()):
        for path in sorted((folder / "applicants").glob("*.yaml")):
            found.append((folder.name, load_record(path)))
        for path in sorted(folder.glob("procedure*.yaml")):
            found.append((folder.name, load_record(path)))
    return found


RECORDS = _records()


def _one_by_one(policy: Policy, decision: Decision, model: Any) -> list[RuleResult]:
    """The decision's rules, each run on its own with run_rule."""
    subject = decision.subject
    kinds = ("procedure",) if subject == "procedure" else ("exclusion", "requirement")
    results = []
    for compiled in policy.compiled_rules(kinds):
        env = Env({subject: model}, decision.receipt.as_of, policy.calendar)
        results.append(policy.rule_result(compiled, run_rule(compiled, env), None))
    return results


def _without_facts(result: RuleResult) -> RuleResult:
    return result.model_copy(
        update={"facts": [], "comparisons": [], "derived": [], "message_values": []}
    )


@pytest.mark.parametrize("explain", [False, True])
def test_the_per_record_path_decides_as_run_rule_and_aggregate(explain: bool) -> None:
    assert len(RECORDS) >= 20
    checked = 0
    policies = {policy_id: load_policy(policy_id) for policy_id, _ in bundled_policies()}
    for policy_id, record in RECORDS:
        policy = policies[policy_id]
        model = as_record(record) if isinstance(record, dict) else record
        decision = policy.evaluate(model, explain=explain)
        rules = _one_by_one(policy, decision, model)
        assert [_without_facts(r) for r in decision.rules] == rules, policy_id
        decided = aggregate(decision.rules)
        assert decision.outcome is decided.outcome
        assert decision.missing_facts == list(decided.missing_facts)
        checked += 1
    outcomes = {
        policies[p].evaluate(r).outcome
        for p, r in RECORDS  # the examples reach every decision
    }
    assert outcomes == set(Outcome) and checked == len(RECORDS)


def test_the_per_record_path_decides_synthetic_records_as_aggregate() -> None:
    synthetic = pytest.importorskip("titlerules.synthetic")
    policy = load_policy("eryuan-2024")
    records = synthetic.applicants(300, seed=11, missing=0.05)
    seen = set()
    for decision in policy.evaluate_many(records):
        assert isinstance(decision, Decision)
        decided = aggregate(decision.rules)
        assert (decision.outcome, decision.missing_facts) == (
            decided.outcome,
            list(decided.missing_facts),
        )
        seen.add(decision.outcome)
    assert {Outcome.INELIGIBLE, Outcome.UNDETERMINED} <= seen  # (eligible: the examples)


def test_the_procedure_audit_decides_as_the_engine() -> None:
    import titlerules

    compliant = {Outcome.ELIGIBLE: True, Outcome.INELIGIBLE: False, Outcome.UNDETERMINED: None}
    seen = set()
    for policy_id, record in RECORDS:
        if not isinstance(record, Procedure):
            continue
        policy = load_policy(policy_id)
        report = titlerules.audit(policy, record)
        decision = policy.evaluate(record)
        assert report.verdict.compliant is compliant[decision.outcome]
        assert report.verdict.failed == len(
            [r for r in decision.rules if r.severity == "blocking" and r.outcome == "failed"]
        )
        seen.add(decision.outcome)
    assert len(seen) >= 2


def test_the_columnar_codes_are_the_verdict_codes() -> None:
    pytest.importorskip("polars")
    from titlerules.batch import explain, runner

    assert runner.OUTCOMES == tuple(o.value for o in RULE_OUTCOMES_BY_CODE)
    assert runner._ROW_OUTCOMES == tuple(o.value for o in DECISION_BY_CODE)
    assert (explain.UNKNOWN, explain.FAILED) == (
        CODES[RuleOutcome.UNKNOWN],
        RuleOutcome.FAILED.code,
    )
    assert list(runner.OUTCOME_DTYPE().categories) == list(runner.OUTCOMES)


def test_the_columnar_path_decides_as_aggregate() -> None:
    pytest.importorskip("polars")
    synthetic = pytest.importorskip("titlerules.synthetic")
    from titlerules.batch import ColumnarPolicy

    policy = load_policy("eryuan-2024")
    columnar = ColumnarPolicy(policy)
    records = synthetic.applicants(300, seed=12, missing=0.05)
    table = columnar.evaluate(synthetic.typed_table(records))
    blocking = {r.id for r in policy.rules if r.severity == "blocking"}
    seen = set()
    for row in table.iter_rows(named=True):
        results = [
            _Judged(
                RuleOutcome(row[f"rule.{rule_id}"]),
                "blocking" if rule_id in blocking else "advisory",
            )
            for rule_id in columnar.rule_ids
        ]
        assert row["outcome"] == aggregate(results).outcome.value
        seen.add(row["outcome"])
    assert {"ineligible", "undetermined"} <= seen


@dataclass(frozen=True)
class _Judged:
    outcome: RuleOutcome
    severity: str
    missing: list[str] = ()  # type: ignore[assignment]


def test_loaded_policies_are_kept_by_the_loader_cache_object(tmp_path: Path) -> None:
    from titlerules.engine import policy as policy_module

    fresh = policy_module.LoadedPolicies()
    first = load_policy("eryuan-2024")
    key = (first.sha256, policy_module.__version__)
    assert policy_module.LOADED.policy(key) is first
    assert fresh.keep(key, first) is first
    other = load_policy("eryuan-2024", calendar=cal.default_calendar())
    assert fresh.keep(key, other) is first  # the first kept stays
    fresh.clear()
    assert fresh.policy(key) is None


def test_a_policy_owns_its_shared_facts() -> None:
    one = load_policy("eryuan-2024")
    two = Policy(one.resolved, one.diagnostics)
    record = load_record(EXAMPLES / "eryuan-2024" / "applicants" / "li-hua.yaml")
    one.evaluate(record, explain=True)
    assert one._facts and not two._facts
    submitted = record.application.submitted_on
    assert isinstance(submitted, dt.date) and one.default_as_of(record) == submitted
