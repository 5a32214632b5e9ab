"""Generated code and closures give the same decisions, traces and receipts.

Every function boundary of a policy (a rule's condition, a let, a def, a lambda body) is
compiled to one generated Python function (titlerules.engine.codegen); with
``TITLERULES_CODEGEN=off`` the closure tree runs instead.  The two must agree on everything
a decision holds, explanations included, for the bundled policies over generated and
mutated records, and for random policies built from every construct of the language.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from titlerules.engine.compiler import CompiledRule
from titlerules.engine.decision import Decision
from titlerules.engine.policy import Policy, lint_policy
from titlerules.errors import TitleRulesError
from titlerules.lang.loader import find_policy
from titlerules.synthetic import applicants

from .conftest import HEADER
from .test_properties import (
    _ATOMS,
    BUNDLED,
    POOL,
    _mutated_records,
    conditions,
    law_settings,
    rule_blocks,
)


@pytest.fixture(autouse=True)
def _no_disk_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TITLERULES_CACHE", "off")


def _pair(path: Path) -> tuple[Policy, Policy]:
    """The policy at ``path`` compiled twice: generated code, and closures only."""
    import os

    resolved, diagnostics = lint_policy(path)
    assert not [d for d in diagnostics if d.level == "error"], diagnostics
    saved = os.environ.get("TITLERULES_CODEGEN")
    try:
        os.environ["TITLERULES_CODEGEN"] = "on"
        generated = Policy(resolved, diagnostics)
        os.environ["TITLERULES_CODEGEN"] = "off"
        closures = Policy(resolved, diagnostics)
    finally:
        if saved is None:
            os.environ.pop("TITLERULES_CODEGEN", None)
        else:
            os.environ["TITLERULES_CODEGEN"] = saved
    return generated, closures


def _generated(policy: Policy) -> list[CompiledRule]:
    return [c for c in policy._compiled if hasattr(c.violation, "__titlerules_source__")]


def _outcome(policy: Policy, record: Any, explain: bool) -> str:
    try:
        decision = policy.evaluate(record, explain=explain)
    except TitleRulesError as error:
        return json.dumps({"error": error.code, "message": str(error)}, ensure_ascii=False)
    assert isinstance(decision, Decision)
    return json.dumps(decision.model_dump(mode="json"), ensure_ascii=False, sort_keys=True)


def _assert_agree(generated: Policy, closures: Policy, records: list[Any]) -> None:
    for index, record in enumerate(records):
        for explain in (True, False):
            assert _outcome(generated, record, explain) == _outcome(closures, record, explain), (
                index,
                explain,
            )


@pytest.mark.parametrize("policy_id", BUNDLED)
def test_bundled_policies_generated_and_closures_agree(policy_id: str) -> None:
    generated, closures = _pair(find_policy(policy_id))
    # Every rule of the bundled policies is generated code (none fell back whole).
    assert len(_generated(generated)) == len(generated._compiled)
    assert not _generated(closures)
    records: list[Any] = [*POOL, *_mutated_records(7, 150)]
    records += applicants(300, seed=11, missing=0.05)
    _assert_agree(generated, closures, records)


# Conditions over an applicant's record using the constructs the generated code has its own
# forms for, and those it calls the closures for (list methods, defs, lets, set methods).
_MORE_ATOMS = [
    "known(applicant.employment.retired)",
    "coalesce(applicant.employment.retired, false)",
    "applicant.assessments.sum(a -> a.year) > 4000",
    "applicant.assessments.max(a -> a.year) >= 2023",
    "applicant.assessments.min(a -> a.year) <= 2021",
    "applicant.titles.any(t -> t.level == 中级 and t.obtained_on <= 2019-12-31)",
    "applicant.education.all(e -> e.level >= 本科)",
    "applicant.education.any(e -> applicant.assessments.any(a -> a.year >= year(e.obtained_on)))",
    "recent_pass",
    "old(applicant.person.birth_date)",
    "-(applicant.unit_debrief.attendees) < -3",
    "applicant.unit_debrief.yes_votes % 2 == 0",
    "as_of >= 2024-01-01",
    "is_working_day(applicant.application.submitted_on)",
    "months_between(applicant.employment.current_post_start, as_of, exact) > 30",
    "years_between(applicant.person.birth_date, 2024-12-31, ceil) >= 45",
    "add_working_days(applicant.application.submitted_on, 3) <= 2024-07-31",
    "applicant.education.count() >= min(2, applicant.assessments.count())",
]


@st.composite
def policies(draw: st.DrawFn) -> str:
    rules = [
        "let recent_pass = applicant.assessments.any(a -> a.year >= 2023)",
        "def old(d) = years_between(d, 2024-12-31, floor) >= 50",
    ]
    condition = conditions(atoms=(*_ATOMS, *_MORE_ATOMS))
    rules += rule_blocks(draw, condition, draw(st.integers(1, 3)), advisory=False)
    return "\n".join(rules) + "\n"


_PAIRS: dict[str, tuple[Policy, Policy]] = {}
_APPLICANTS = [r for r in POOL if "procedure" not in r]


@law_settings(150)
@given(body=policies(), seed=st.integers(0, 10_000))
def test_random_policies_generated_and_closures_agree(
    body: str, seed: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    if body not in _PAIRS:
        path = tmp_path_factory.mktemp("codegen") / "p.policy"
        path.write_text(HEADER + body, encoding="utf-8")
        _PAIRS[body] = _pair(path)
    generated, closures = _PAIRS[body]
    rnd = random.Random(seed)
    records = [rnd.choice(_APPLICANTS) for _ in range(3)]
    records += [r for r in _mutated_records(seed, 6) if "procedure" not in r]
    _assert_agree(generated, closures, records)


def test_policy_text_never_enters_generated_source(tmp_path: Path) -> None:
    hostile = '"); import os; os.system("echo owned"); ("'
    path = tmp_path / "p.policy"
    path.write_text(
        HEADER
        + f"param marker: text = {json.dumps(hostile)}\n"
        + 'requirement r "规则" {\n  cite 一 "条文"\n'
        + "  require applicant.person.name != marker\n}\n",
        encoding="utf-8",
    )
    generated, closures = _pair(path)
    (rule,) = _generated(generated)
    source = rule.violation.__titlerules_source__  # type: ignore[attr-defined]
    assert "import" not in source and "os.system" not in source and "marker" not in source
    for record in _APPLICANTS[:3]:
        assert _outcome(generated, record, True) == _outcome(closures, record, True)


def test_deeply_nested_condition_falls_back_to_closures(tmp_path: Path) -> None:
    # Alternating and/or, 30 deep: more nested loops than Python compiles in one function.
    condition = "applicant.employment.retired"
    for depth in range(30):
        op = "and" if depth % 2 else "or"
        condition = f"(applicant.employment.in_post {op} {condition})"
    path = tmp_path / "p.policy"
    path.write_text(
        HEADER + f'requirement r "规则" {{\n  cite 一 "条文"\n  require {condition}\n}}\n',
        encoding="utf-8",
    )
    generated, closures = _pair(path)
    assert not _generated(generated)  # the generated source did not compile: closures run
    _assert_agree(generated, closures, _APPLICANTS)
