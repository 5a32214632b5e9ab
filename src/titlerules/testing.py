"""Policy tests (a use of the engine): YAML cases with expected outcomes, and rule coverage.

A case file (``policies/tests/<policy-id>/*.yaml``)::

    policy: eryuan-2024             # a bundled id, or a policy file relative to this file
    cases:
      - name: 公务员不得申报
        base: ../../../examples/eryuan-2024/applicants/li-hua.yaml   # relative to this file
        applicant: {...}            # or procedure: {...}; merged over base
        set: {applicant.employment.is_civil_servant: true}          # dotted paths, [i] for lists
        unset: [applicant.unit_debrief.yes_votes]                   # make facts missing
        as_of: 2024-06-01
        expect:
          outcome: ineligible
          failed: [civil_servant]   # exact set (default [])
          unknown: []               # exact set (default [])
          passed: [...]             # optional, must have passed
          exceptions: [...]         # optional, an `unless` applied
          missing: [...]            # optional, facts the decision must report missing

``policy:`` and ``base:`` resolve the same way: a path is relative to the case file's folder
(``policy:`` without a file of that name there is a bundled policy id).

A rule is *covered* when some case makes it fail and some case makes it pass.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from titlerules.engine.decision import Decision, RuleOutcome
from titlerules.engine.policy import Policy, load_policy
from titlerules.errors import InputFileError, Location, TitleRulesError, UsageError
from titlerules.facts.loading import MAX_FILE_BYTES
from titlerules.readers import parse_yaml, read_text


@dataclass
class CaseResult:
    file: str
    name: str
    policy_id: str
    ok: bool
    problems: list[str] = field(default_factory=list)
    decision: Decision | None = None

    @property
    def outcome(self) -> str | None:
        return self.decision.outcome.value if self.decision is not None else None

    @property
    def deciding_rules(self) -> dict[str, list[str]]:
        """The rules that made the outcome: those that failed or could not be decided, and
        those an exception let pass."""
        if self.decision is None:
            return {"failed": [], "unknown": [], "exceptions": []}
        rules = self.decision.rules
        return {
            "failed": [r.id for r in rules if r.outcome is RuleOutcome.FAILED],
            "unknown": [r.id for r in rules if r.outcome is RuleOutcome.UNKNOWN],
            "exceptions": [r.id for r in rules if r.exceptions_applied],
        }


@dataclass
class Coverage:
    policy_id: str
    rules: list[str]
    failed_seen: set[str] = field(default_factory=set)
    passed_seen: set[str] = field(default_factory=set)

    @property
    def missing_fail(self) -> list[str]:
        return [r for r in self.rules if r not in self.failed_seen]

    @property
    def missing_pass(self) -> list[str]:
        return [r for r in self.rules if r not in self.passed_seen]

    @property
    def percent(self) -> float:
        if not self.rules:
            return 100.0
        covered = sum(1 for r in self.rules if r in self.failed_seen and r in self.passed_seen)
        return 100.0 * covered / len(self.rules)


@dataclass
class TestReport:
    results: list[CaseResult]
    coverage: dict[str, Coverage]

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)


_INDEX = re.compile(r"^(?P<name>[^\[\]]+)(?:\[(?P<index>\d+)\])?$")


def _steps(path: str) -> list[str | int]:
    steps: list[str | int] = []
    for part in path.split("."):
        match = _INDEX.match(part)
        if match is None:
            raise ValueError(f"bad path segment '{part}'")
        steps.append(match["name"])
        if match["index"] is not None:
            steps.append(int(match["index"]))
    return steps


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set ``a.b[0].c`` in nested dicts/lists, creating mappings on the way."""
    steps = _steps(path)
    node: Any = data
    for step, following in itertools.pairwise(steps):
        if isinstance(step, int):
            node = node[step]
            continue
        if node.get(step) is None:
            node[step] = [] if isinstance(following, int) else {}
        node = node[step]
    last = steps[-1]
    if isinstance(last, int):
        node[last] = value
    else:
        node[last] = value


def _merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        merged = dict(base)
        for key, value in over.items():
            merged[key] = _merge(base.get(key), value) if key in base else value
        return merged
    return over


def _load_yaml(path: Path) -> Any:
    # Counted while reading: /dev/zero or a pipe reports no size to check beforehand.
    text = read_text(path, MAX_FILE_BYTES, what="test case file")
    # `expect:` twice would test the second only: refused, as every key given twice.
    return parse_yaml(
        text, file=str(path), hint="write real dates as YYYY-MM-DD and check the indentation"
    )


def build_record(
    case: dict[str, Any], folder: Path, bases: dict[Path, Any] | None = None
) -> dict[str, Any]:
    """The record a case describes: base file, inline record, set and unset applied.
    ``bases`` keeps the base files read so far (a case file's cases share a few), each
    parsed once; every case gets a copy."""
    data: dict[str, Any] = {}
    if "base" in case:
        where = folder / str(case["base"])
        loaded = bases.get(where) if bases is not None else None
        if loaded is None:
            loaded = _load_yaml(where)
            if bases is not None:
                bases[where] = loaded
        if not isinstance(loaded, dict):
            raise InputFileError(f"base {case['base']} is not a record mapping")
        data = copy.deepcopy(loaded)
    for kind in ("applicant", "procedure"):
        if kind in case:
            # A copy: `set` below must not change data a YAML anchor shares with other cases.
            data = _merge(data, {kind: copy.deepcopy(case[kind])})
    for path, value in (case.get("set") or {}).items():
        set_path(data, str(path), value)
    for path in case.get("unset") or []:
        set_path(data, str(path), None)
    return data


def _case_policy(path: Path, name: str, policies: dict[str, Policy]) -> Policy:
    """The policy a case file names: a file relative to the case file (as ``base:`` is),
    else a bundled policy id."""
    relative = path.parent / name
    key = str(relative.resolve()) if relative.is_file() else name
    if key not in policies:
        policies[key] = load_policy(relative if relative.is_file() else name)
    return policies[key]


def run_case_file(
    path: Path, policies: dict[str, Policy] | None = None, run: str | None = None
) -> tuple[list[CaseResult], dict[str, Coverage]]:
    policies = policies if policies is not None else {}
    document = _load_yaml(path)
    if not isinstance(document, dict) or not isinstance(document.get("cases"), list):
        raise InputFileError(
            "a policy test file has a 'cases' list",
            location=Location(file=str(path)),
            hint="see docs/authoring.md for the format",
        )
    policy = _case_policy(path, str(document.get("policy") or path.parent.name), policies)
    coverage = Coverage(policy.id, [r.id for r in policy.rules])
    results = []
    bases: dict[Path, Any] = {}
    for index, case in enumerate(document["cases"]):
        if not isinstance(case, dict):
            raise InputFileError(
                f"cases[{index}] is not a mapping", location=Location(file=str(path))
            )
        name = str(case.get("name") or f"cases[{index}]")
        if run is not None and re.search(run, name) is None:
            continue
        results.append(_run_case(policy, case, path, name, coverage, bases))
    return results, {policy.id: coverage}


def _run_case(
    policy: Policy,
    case: dict[str, Any],
    path: Path,
    name: str,
    coverage: Coverage,
    bases: dict[Path, Any] | None = None,
) -> CaseResult:
    result = CaseResult(str(path), name, policy.id, ok=True)
    expect = _expectation(case, path, name)
    try:
        record = build_record(case, path.parent, bases)
        as_of = case.get("as_of")
        if isinstance(as_of, str):
            as_of = dt.date.fromisoformat(as_of)
        decision = policy.evaluate(record, as_of=as_of)
    except (TitleRulesError, ValueError, KeyError, IndexError, TypeError) as exc:
        result.ok = False
        result.problems.append(f"could not evaluate: {exc}")
        return result
    result.decision = decision
    by_outcome: dict[RuleOutcome, set[str]] = {o: set() for o in RuleOutcome}
    for rule in decision.rules:
        by_outcome[rule.outcome].add(rule.id)
    coverage.failed_seen |= by_outcome[RuleOutcome.FAILED]
    coverage.passed_seen |= by_outcome[RuleOutcome.PASSED]
    if "outcome" not in expect:
        result.problems.append("expect.outcome is missing")
    elif decision.outcome.value != expect["outcome"]:
        result.problems.append(
            f"outcome: expected {expect['outcome']}, got {decision.outcome.value}"
        )
    for key, outcome in (("failed", RuleOutcome.FAILED), ("unknown", RuleOutcome.UNKNOWN)):
        wanted = set(expect[key])
        actual = by_outcome[outcome]
        if wanted != actual:
            extra, lacking = sorted(actual - wanted), sorted(wanted - actual)
            diff = []
            if lacking:
                diff.append("- expected but not " + key + ": " + ", ".join(lacking))
            if extra:
                diff.append("+ " + key + " but not expected: " + ", ".join(extra))
            result.problems.append(f"{key} rules differ:\n    " + "\n    ".join(diff))
    for rule_id in expect["passed"]:
        if rule_id not in by_outcome[RuleOutcome.PASSED]:
            got = next((r.outcome.value for r in decision.rules if r.id == rule_id), "absent")
            result.problems.append(f"rule {rule_id}: expected passed, got {got}")
    applied = {r.id for r in decision.rules if r.exceptions_applied}
    for rule_id in expect["exceptions"]:
        if rule_id not in applied:
            result.problems.append(f"rule {rule_id}: expected an exception to apply")
    missing = set(decision.missing_facts)
    for fact in expect["missing"]:
        if fact not in missing:
            shown = ", ".join(sorted(missing)) or "none"
            result.problems.append(f"fact {fact}: expected missing (missing: {shown})")
    result.ok = not result.problems
    return result


_RULE_LISTS = ("failed", "unknown", "passed", "exceptions", "missing")
_ITEMS = {key: "rule id" for key in _RULE_LISTS} | {"missing": "fact path"}


def _expectation(case: dict[str, Any], path: Path, name: str) -> dict[str, Any]:
    """The case's ``expect`` mapping with every rule list checked to be a list of rule ids.

    Checked here, before any comparison: a nested list cannot go into a set, and a bare
    string would be compared letter by letter.
    """
    expect = case.get("expect") or {}
    if not isinstance(expect, dict):
        raise InputFileError(
            f"case '{name}': expect is a {type(expect).__name__}, not a mapping",
            location=Location(file=str(path)),
            hint="write expect: {outcome: ..., failed: [rule_id, ...]}",
        )
    checked = dict(expect)
    for key in _RULE_LISTS:
        value = expect.get(key)
        if value is None:
            checked[key] = []
            continue
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise InputFileError(
                f"case '{name}': expect.{key} must be a list of {_ITEMS[key]}s, not {value!r}",
                location=Location(file=str(path)),
                hint=f"write {key}: [{_ITEMS[key]}, ...] with each a plain name",
            )
        checked[key] = value
    return checked


def case_files(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(path.rglob("*.yaml")))
        elif path.is_file():
            files.append(path)
        else:
            raise InputFileError(f"{path}: no such file or folder")
    return files


def run_tests(paths: Iterable[Path], run: str | None = None) -> TestReport:
    """Run every case file under the given paths (only the cases whose name matches the
    regular expression ``run``, when given); coverage per policy."""
    if run is not None:
        try:
            re.compile(run)
        except re.error as exc:
            raise UsageError(
                f"--run {run!r} is not a regular expression: {exc}",
                hint="escape ( ) [ ] . * + ? with a backslash to match them as written",
            ) from None
    policies: dict[str, Policy] = {}
    results: list[CaseResult] = []
    coverage: dict[str, Coverage] = {}
    for file in case_files(paths):
        file_results, file_coverage = run_case_file(file, policies, run)
        results.extend(file_results)
        for policy_id, cov in file_coverage.items():
            if policy_id in coverage:
                coverage[policy_id].failed_seen |= cov.failed_seen
                coverage[policy_id].passed_seen |= cov.passed_seen
            else:
                coverage[policy_id] = cov
    return TestReport(results, coverage)
