"""The core IR and the one table of built-ins.

Every built-in of :data:`titlerules.core.builtins.BUILTINS` is run through every backend —
the closures, the generated code and (where the table gives it a columnar form) the Polars
compiler — from its table entry alone: the arguments are made from its signature's types,
and the rules compare its result with a value of its result type.  The backends must give
the same decisions; a built-in the table says has a columnar form must run columnar, one it
says has none must run per record.  The lowering resolves every name once; the tracer
protocol reports the comparisons an evaluation decided, the same from every per-record
backend.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
from pathlib import Path
from typing import Any

import pytest

from titlerules.core import nodes as n
from titlerules.core.builtins import BUILTINS, OPERATORS, Builtin
from titlerules.core.lower import lower_policy
from titlerules.core.trace import Trace
from titlerules.engine.policy import Policy, lint_policy
from titlerules.errors import TitleRulesError
from titlerules.lang import types as T

from .conftest import HEADER
from .test_properties import POOL

pl = pytest.importorskip("polars")

from titlerules.batch.runner import ColumnarPolicy, decision_result, error_result  # noqa: E402
from titlerules.synthetic import applicants, flat_rows, spelled  # noqa: E402


@pytest.fixture(autouse=True)
def _no_disk_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TITLERULES_CACHE", "off")


# Argument expressions by parameter type: record paths first (so the backends read the
# table), then constants.  Inside ``applicant.sanctions.any(s -> ...)`` for the sanction
# vocabularies, which only a sanction has.
_ARGUMENTS: dict[str, list[str]] = {
    "date": ["applicant.application.submitted_on", "applicant.person.birth_date", "2024-05-31"],
    "int": ["applicant.unit_debrief.yes_votes", "applicant.application.year", "3"],
    "bool": ["applicant.employment.retired", "true"],
    "rounding": ["floor", "ceil", "exact"],
    "Gender": ["applicant.person.gender"],
    "PersonnelIdentity": ["applicant.employment.identity"],
    "SanctionSystem": ["s.system"],
    "SanctionSeverity": ["s.severity"],
    "PartySeverity": ["s.party_severity"],
    "any": ["applicant.application.submitted_on", "applicant.employment.current_post_start"],
}
# A value of each result type that splits the records (the comparison's other side).
_THRESHOLDS: dict[str, tuple[str, ...]] = {
    "date": (">= 1975-06-01", ">= 2024-05-01", "< 2024-05-31"),
    "int": (">= 12", ">= 30", "== 2024"),
    "fraction": (">= 61/2", "< 400"),
    "bool": ("== true",),
    "working_days": (">= 200 working_days", "< 20 working_days"),
    "days": (">= 1000 days", "< 10000 days"),
}


def _key(t: T.Type) -> str:
    if t.kind == "enum":
        return t.arg if isinstance(t.arg, str) else t.arg.__name__
    return t.kind


def _calls(builtin: Builtin) -> list[tuple[str, bool]]:
    """Calls of ``builtin`` built from its signature: the first candidate of every argument,
    then each other candidate of one argument at a time (whether it reads a sanction)."""
    candidates = [_ARGUMENTS[_key(t)] for t in builtin.signature.params]
    first = [c[0] for c in candidates]
    calls = [first]
    for i, options in enumerate(candidates):
        for other in options[1:]:
            calls.append([*first[:i], other, *first[i + 1 :]])
    out = []
    for args in calls:
        text = f"{builtin.name}({', '.join(args)})"
        out.append((text, any(a.startswith("s.") for a in args)))
    return out


def _result_key(builtin: Builtin, call: str) -> str:
    signature = builtin.signature
    if builtin.name in ("years_between", "months_between"):
        return "fraction" if call.rstrip(")").endswith("exact") else "int"
    if signature.result.kind == "duration":
        return str(signature.result.arg)
    if builtin.name in ("min", "max", "coalesce"):
        return "date"
    return signature.result.kind


def _policy_text(builtin: Builtin) -> str:
    rules = []
    tests = [
        (call, in_sanction, threshold)
        for call, in_sanction in _calls(builtin)
        for threshold in _THRESHOLDS[_result_key(builtin, call)]
    ]
    for index, (call, in_sanction, threshold) in enumerate(tests):
        condition = f"{call} {threshold}"
        if in_sanction:
            condition = f"applicant.sanctions.any(s -> {condition})"
        rules.append(
            f'requirement r{index} "{builtin.name} {index}" {{\n  cite 一 "条文"\n'
            f"  require {condition}\n}}\n"
        )
    return HEADER + "\n".join(rules)


def _compiled(path: Path, generate: bool) -> Policy:
    saved = os.environ.get("TITLERULES_CODEGEN")
    os.environ["TITLERULES_CODEGEN"] = "on" if generate else "off"
    try:
        resolved, diagnostics = lint_policy(path)
        assert not [d for d in diagnostics if d.level == "error"], diagnostics
        return Policy(resolved, diagnostics)
    finally:
        if saved is None:
            os.environ.pop("TITLERULES_CODEGEN", None)
        else:
            os.environ["TITLERULES_CODEGEN"] = saved


def _decided(policy: Policy, record: Any, explain: bool) -> str:
    try:
        decision = policy.evaluate(record, explain=explain)
    except TitleRulesError as error:
        return json.dumps({"error": error.code})
    return json.dumps(decision.model_dump(mode="json"), ensure_ascii=False, sort_keys=True)


_RECORDS = [r for r in POOL if "procedure" not in r] + applicants(250, seed=5, missing=0.05)


@pytest.mark.parametrize("name", sorted(BUILTINS))
def test_every_builtin_through_every_backend(name: str, tmp_path: Path) -> None:
    builtin = BUILTINS[name]
    path = tmp_path / "p.policy"
    path.write_text(_policy_text(builtin), encoding="utf-8")
    generated, closures = _compiled(path, True), _compiled(path, False)
    outcomes: dict[str, set[str]] = {}
    for record in _RECORDS:
        for explain in (True, False):
            expected = _decided(closures, record, explain)
            assert _decided(generated, record, explain) == expected, (name, record)
        for rule in json.loads(_decided(closures, record, False)).get("rules", []):
            outcomes.setdefault(rule["id"], set()).add(rule["outcome"])
    # The built-in's value decides: a call passes for some records and fails for others.
    assert any({"passed", "failed"} <= o for o in outcomes.values()), (name, outcomes)

    columnar = ColumnarPolicy(generated)
    if builtin.columnar is None:
        assert set(columnar.fallback_rules) == set(columnar.rule_ids)
    else:
        assert not columnar.fallback_rules, columnar.fallback_rules
    records = spelled(_RECORDS[len(POOL) :])
    columns = flat_rows(records)
    table = pl.DataFrame(columns, schema={c: pl.String for c in columns})
    result = columnar.evaluate(table)
    assert result.height == len(records)
    for row, record in zip(result.iter_rows(named=True), records, strict=True):
        try:
            expected = decision_result(generated.evaluate(record, explain=False))
        except TitleRulesError as exc:
            expected = error_result(str(exc))
        assert row["outcome"] == expected.outcome, (name, row, expected)
        if expected.outcome != "error":
            rules = {k[5:]: v for k, v in row.items() if k.startswith("rule.")}
            assert rules == expected.rules, (name, row, expected)


def test_the_table_is_whole() -> None:
    """Every entry has a signature and, unless a special form, an implementation; every
    columnar lowering it names exists in the Polars compiler (attached by name)."""
    from titlerules.batch.compiler.columnar import ColumnarCompiler

    for name, builtin in BUILTINS.items():
        assert builtin.name == name
        assert builtin.signature.doc
        assert builtin.special == (name in ("known", "coalesce"))
        if builtin.columnar == "native":
            assert callable(getattr(ColumnarCompiler, "_fn_" + name, None)), name
        if builtin.columnar == "per_distinct":
            assert builtin.impl is not None
    assert {o.kind for o in OPERATORS.values()} == {"compare", "arithmetic"}


def test_the_checker_reads_signatures_from_the_table(write_policy: Any) -> None:
    from titlerules.engine.policy import lint_policy as lint

    path = write_policy(
        'requirement r "x" {\n  cite 一 "条文"\n  require year(applicant.person.gender) > 1\n}\n'
    )
    _, diagnostics = lint(path)
    messages = [d.message for d in diagnostics if d.level == "error"]
    assert any("year() expects date here" in m for m in messages), messages


def test_lowering_resolves_every_name(write_policy: Any) -> None:
    path = write_policy(
        "param cutoff: date = 2024-05-31\n"
        "let senior = applicant.application.level >= 副高级\n"
        "def aged(d) = years_between(d, cutoff, floor) >= 35\n"
        'requirement r "x" {\n  cite 一 "条文"\n'
        "  require senior and aged(applicant.person.birth_date)"
        " and applicant.titles.any(t -> t.level == TitleLevel.中级 and t.obtained_on <= as_of)"
        " and date(2024, 1, 1) < cutoff\n"
        "}\n"
    )
    resolved, _ = lint_policy(path)
    core = lower_policy(resolved)
    (rule,) = core.rules
    (condition,) = rule.require
    assert isinstance(condition, n.BoolOp)
    senior, aged, titles, folded = condition.operands
    assert isinstance(senior, n.LetRef) and senior.name == "senior"
    assert isinstance(aged, n.DefCall) and aged.definition is core.defs["aged"]
    body = core.defs["aged"].body
    assert isinstance(body, n.Compare) and isinstance(body.left, n.Call)
    d, cutoff, floor = body.left.args
    assert isinstance(d, n.Var) and d.name == "d"
    assert isinstance(cutoff, n.Const) and str(cutoff.value) == "2024-05-31"
    assert isinstance(floor, n.Const) and floor.value == "floor"
    assert isinstance(titles, n.ListMethod) and titles.var == "t"
    assert isinstance(titles.obj, n.Path) and titles.obj.text == "applicant.titles"
    level_test = titles.body
    assert isinstance(level_test, n.BoolOp)
    level, obtained = level_test.operands
    assert isinstance(level, n.Compare) and isinstance(level.right, n.Const)
    assert isinstance(level.left, n.Path) and level.left.var == "t"
    assert isinstance(obtained, n.Compare) and isinstance(obtained.right, n.AsOf)
    # date(2024, 1, 1) < cutoff reads no record: folded to a constant.
    assert isinstance(folded, n.Const) and folded.value is True
    lets = core.lets["senior"]
    assert isinstance(lets, n.Compare) and isinstance(lets.left, n.Path)
    assert lets.left.root == "applicant" and lets.left.names == ("application", "level")


def test_a_parameter_on_a_provisional_year_keeps_its_years(write_policy: Any) -> None:
    from titlerules import calendar as cal

    last = max(y for y in range(2000, 2100) if not cal.default_calendar().is_provisional_year(y))
    provisional = last + 1
    path = write_policy(
        f"param deadline: date = add_working_days({provisional}-03-02, 5)\n"
        'requirement r "x" {\n  cite 一 "条文"\n'
        "  require applicant.application.submitted_on <= deadline\n}\n"
    )
    resolved, _ = lint_policy(path)
    core = lower_policy(resolved)
    assert core.param_years == {"deadline": frozenset({provisional})}
    (condition,) = core.rules[0].require
    assert isinstance(condition, n.Compare) and isinstance(condition.right, n.Param)


def _comparisons(policy: Policy, record: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Each rule's comparisons, as a recording tracer saw them."""
    return [
        (rule_id, c.op, repr(c.left), repr(c.right), repr(c.result), c.node.span.line)
        for rule_id, trace in policy.trace_rules(record).items()
        for c in trace.comparisons
    ]


@pytest.mark.parametrize("policy_id", ["eryuan-2024", "xianning-2024"])
def test_tracer_reports_the_same_comparisons_from_closures_and_generated_code(
    policy_id: str,
) -> None:
    from titlerules.lang.loader import find_policy

    path = find_policy(policy_id)
    generated, closures = _compiled(path, True), _compiled(path, False)
    seen = 0
    for record in itertools.islice(_RECORDS, 60):
        expected = _comparisons(closures, record)
        assert _comparisons(generated, record) == expected
        seen += len(expected)
    assert seen > 100


def test_tracer_reports_the_decisive_comparison_with_its_values(write_policy: Any) -> None:
    path = write_policy(
        "param votes_needed: int = 30\n"
        'requirement votes "票数" {\n  cite 一 "条文"\n'
        "  require applicant.unit_debrief.yes_votes >= votes_needed\n}\n"
    )
    policy = Policy(*lint_policy(path))
    record = {"unit_debrief": {"attendees": 44, "yes_votes": 29}}
    traces = policy.trace_rules(record)
    trace = traces["votes"]
    assert isinstance(trace, Trace)
    (comparison,) = trace.comparisons
    assert (comparison.op, comparison.left, comparison.right, comparison.result) == (
        ">=",
        29,
        30,
        False,
    )
    assert ("applicant.unit_debrief.yes_votes", 29) in list(trace)


def test_adding_a_builtin_is_one_table_entry(
    write_policy: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/architecture.md's worked example: ``quarter(d)``, one entry (no columnar form),
    is checked, lowered and run by both per-record backends; its rule runs per record on
    the columnar path."""
    import datetime as dt

    from titlerules.core import builtins

    def builtin_quarter(env: Any, d: dt.date) -> int:
        return (d.month - 1) // 3 + 1

    entry = Builtin(
        "quarter",
        T.Signature((T.DATE,), T.INT, "the quarter (1-4) of a date"),
        builtin_quarter,
        None,
    )
    monkeypatch.setitem(builtins._BY_NAME, "quarter", entry)
    path = write_policy(
        'requirement q "第二季度" {\n  cite 一 "条文"\n'
        "  require quarter(applicant.application.submitted_on) == 2\n}\n"
    )
    generated, closures = _compiled(path, True), _compiled(path, False)
    for submitted, expected in (("2024-06-30", "passed"), ("2024-07-01", "failed")):
        record = {"application": {"submitted_on": submitted}}
        for policy in (generated, closures):
            (rule,) = policy.evaluate(record).rules
            assert rule.outcome.value == expected
    assert ColumnarPolicy(generated).fallback_rules == {"q": "quarter()"}

    # With a columnar form (the example's step 3), the rule runs columnar, deciding alike.
    from titlerules.batch.compiler.functions import Functions
    from titlerules.batch.compiler.values import Number

    def _fn_quarter(self: Any, d: Any) -> Any:
        month = self._date_expr(d).dt.month().cast(pl.Int64)
        return self._strict(Number((month - 1) // 3 + 1), d)

    monkeypatch.setattr(Functions, "_fn_quarter", _fn_quarter, raising=False)
    monkeypatch.setitem(builtins._BY_NAME, "quarter", dataclasses.replace(entry, columnar="native"))
    native = _compiled(path, True)
    columnar = ColumnarPolicy(native)
    assert not columnar.fallback_rules
    days = ["2024-03-31", "2024-04-01", "2024-06-30", "2024-07-01", None]
    records = [{"application": {"submitted_on": d}} for d in days]
    table = pl.DataFrame(
        {"application.submitted_on": days}, schema={"application.submitted_on": pl.String}
    )
    rows = columnar.evaluate(table).get_column("rule.q").to_list()
    assert rows == [decision_result(native.evaluate(r, explain=False)).rules["q"] for r in records]
    assert rows == ["failed", "passed", "passed", "failed", "unknown"]
    bad = write_policy(
        'requirement q "x" {\n  cite 一 "条文"\n  require quarter(3) == 2\n}\n', "bad.policy"
    )
    _, diagnostics = lint_policy(bad)
    assert [d.code for d in diagnostics if d.level == "error"] == ["TR312"]
