"""The explained per-record path held to a straightforward reference.

The per-record loop explains a record by running each rule with a tracer that keeps only
the reads, sharing the results of rules that passed by what they read, and running a rule
that failed or is unknown again with a recording trace, in an environment of its own.  The
reference here is the plain way: every rule run in one environment with a recording
:class:`~titlerules.core.trace.Trace` of its own, its result built from that trace, the
decision aggregated and its receipt written out field by field.  Every decision must be the
reference's (``==`` and ``model_dump``), for county-like populations of every bundled policy
and the example records (procedures included), from models and from dicts, with and without
a given as-of date, in a first run and in a second (when the shared results are looked up).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import BaseModel

from titlerules._version import __version__
from titlerules.core.trace import Reads, Segment, Trace
from titlerules.engine.decision import Decision, Receipt
from titlerules.engine.policy import Policy, as_record, bundled_policies, load_policy
from titlerules.engine.runtime import Env
from titlerules.engine.verdict import aggregate, run_rule
from titlerules.facts import Applicant, Procedure
from titlerules.facts.loading import load_record

from .conftest import EXAMPLES

POLICIES = [policy_id for policy_id, _ in bundled_policies()]


def _reference(policy: Policy, model: BaseModel, as_of: dt.date | None) -> Decision:
    """The explained decision, the plain way (see the module docstring)."""
    subject = "procedure" if isinstance(model, Procedure) else "applicant"
    kinds = ("procedure",) if subject == "procedure" else ("exclusion", "requirement")
    own_date = policy.default_as_of(model)
    env = Env({subject: model}, own_date if as_of is None else as_of, policy.calendar)
    results = []
    for compiled in policy.compiled_rules(kinds):
        env.trace = trace = Trace()
        verdict = run_rule(compiled, env)
        results.append(policy.rule_result(compiled, verdict, trace, env))
    decided = aggregate(results)
    if subject == "procedure":
        label = model.committee.name if model.committee is not None else None  # type: ignore[attr-defined]
        date_path = "procedure.meeting.start"
    else:
        label = model.person.name if model.person is not None else None  # type: ignore[attr-defined]
        date_path = "applicant.application.submitted_on"
    receipt = Receipt(
        policy_id=policy.id,
        policy_sha256=policy.sha256,
        engine_version=__version__,
        calendar_version=policy.calendar.data_version,
        as_of=env.as_of,
        as_of_from=date_path if as_of is None and env.as_of is not None else None,
        provisional_calendar_years=sorted(env.provisional_years),
    )
    return Decision(
        outcome=decided.outcome,
        subject=subject,
        record=label,
        rules=results,
        missing_facts=list(decided.missing_facts),
        receipt=receipt,
    )


def _population(policy_id: str, count: int) -> list[Applicant]:
    from titlerules.synthetic import population

    return [Applicant.model_validate(r) for r in population(policy_id, count, seed=20)]


def _examples(policy_id: str) -> list[BaseModel]:
    folder = EXAMPLES / policy_id
    paths = [*sorted((folder / "applicants").glob("*.yaml")), *sorted(folder.glob("procedure*"))]
    return [as_record(load_record(path)) for path in paths]


def _assert_same(decisions: list[Any], expected: list[Decision]) -> None:
    assert len(decisions) == len(expected)
    for index, (decision, reference) in enumerate(zip(decisions, expected, strict=True)):
        assert isinstance(decision, Decision), (index, decision)
        for got, want in zip(decision.rules, reference.rules, strict=True):
            assert got == want, (index, want.id)
            assert got.model_dump() == want.model_dump(), (index, want.id)
        assert decision == reference, index
        assert decision.model_dump() == reference.model_dump(), index
        assert decision.model_dump_json() == reference.model_dump_json(), index


@pytest.mark.parametrize("policy_id", POLICIES)
def test_explained_decisions_are_the_reference(policy_id: str) -> None:
    policy = load_policy(policy_id)
    models: list[BaseModel] = [*_population(policy_id, 160), *_examples(policy_id)]
    expected = [_reference(policy, model, None) for model in models]
    outcomes = {d.outcome.value for d in expected}
    failed = sum(r.outcome == "failed" for d in expected for r in d.rules)
    # A county's mix: the reference exercises every outcome and the rules' words.
    assert outcomes == {"eligible", "ineligible", "undetermined"}, outcomes
    assert failed > 0
    for _ in range(2):  # the second run finds the results the first one shared
        _assert_same(list(policy.evaluate_many(models, explain=True)), expected)
    dicts = [m.model_dump(mode="json", exclude_none=True) for m in models]
    wrapped = [
        {"procedure": d} if isinstance(m, Procedure) else d
        for m, d in zip(models, dicts, strict=True)
    ]
    _assert_same(list(policy.evaluate_many(wrapped, explain=True)), expected)
    assert [policy.evaluate(m) for m in models[:20]] == expected[:20]


@pytest.mark.parametrize("policy_id", POLICIES)
def test_explained_decisions_as_of_a_given_date_are_the_reference(policy_id: str) -> None:
    policy = load_policy(policy_id)
    models = _population(policy_id, 60)
    for as_of in (dt.date(2023, 6, 30), dt.date(2026, 1, 5)):
        expected = [_reference(policy, model, as_of) for model in models]
        _assert_same(list(policy.evaluate_many(models, explain=True, as_of=as_of)), expected)


def test_explained_and_plain_decisions_agree_on_all_but_the_words() -> None:
    policy = load_policy("eryuan-2024")
    models = _population("eryuan-2024", 120)
    explained = list(policy.evaluate_many(models, explain=True))
    plain = list(policy.evaluate_many(models))
    for a, b in zip(explained, plain, strict=True):
        assert isinstance(a, Decision) and isinstance(b, Decision)
        assert (a.outcome, a.missing_facts, a.record) == (b.outcome, b.missing_facts, b.record)
        assert [(r.id, r.outcome, r.missing) for r in a.rules] == [
            (r.id, r.outcome, r.missing) for r in b.rules
        ]


def test_a_reads_tracer_keeps_the_reads_alone() -> None:
    reads = Reads()
    reads.append(("applicant.person.name", "王强"))
    mark = reads.mark()
    reads.append(("applicant.person.gender", "男"))
    reads.compared(object(), 1, 2, False)
    reads.derived("age", 40)
    reads.chose(object(), object())
    reads.bind("x", object())
    reads.unbind("x")
    node = object()
    assert reads.source(node) is node
    assert list(reads) == [("applicant.person.name", "王强"), ("applicant.person.gender", "男")]
    assert (reads.comparisons, reads.derived_values) == ((), ())
    assert (dict(reads.choices), dict(reads.bindings)) == ({}, {})
    segment = reads.since(mark)
    assert segment == Segment((("applicant.person.gender", "男"),))
    other = Reads()
    other.replay(segment)
    assert list(other) == [("applicant.person.gender", "男")]
    assert isinstance(reads, Trace) and type(Reads()) is Reads and Reads() == []
