"""``titlerules test``: --run, -v, --format json|junit, --coverage --threshold, expect.missing,
and ``policy:`` resolved like ``base:`` (relative to the case file)."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

import pytest

from titlerules.cli import main

from .conftest import HEADER

POLICY = (
    HEADER
    + """exclusion civil "公务员不得参加职称评审" {
  cite 二(一) "公务员不得参加职称评审"
  when applicant.employment.is_civil_servant
}
"""
)

CASES = """policy: {policy}
cases:
  - name: 公务员 excluded
    base: records/base.yaml
    set: {{applicant.employment.is_civil_servant: true}}
    expect: {{outcome: ineligible, failed: [civil]}}
  - name: not a civil servant
    base: records/base.yaml
    expect: {{outcome: eligible, passed: [civil]}}
  - name: unknown status
    base: records/base.yaml
    unset: [applicant.employment.is_civil_servant]
    expect:
      outcome: undetermined
      unknown: [civil]
      missing: [{missing}]
"""


@pytest.fixture
def cases(tmp_path: Path) -> Path:
    """A case file in a folder of its own; the policy one folder up, the record below."""
    (tmp_path / "policy").mkdir()
    (tmp_path / "policy" / "civil.policy").write_text(POLICY, encoding="utf-8")
    folder = tmp_path / "policy" / "tests"
    (folder / "records").mkdir(parents=True)
    (folder / "records" / "base.yaml").write_text(
        "applicant:\n  employment: {is_civil_servant: false}\n", encoding="utf-8"
    )
    path = folder / "civil.yaml"
    path.write_text(
        CASES.format(policy="../civil.policy", missing="applicant.employment.is_civil_servant"),
        encoding="utf-8",
    )
    return path


def test_policy_resolves_relative_to_the_case_file_as_base_does(
    cases: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(cases.parent.parent.parent)  # neither the case file's folder nor the policy's
    assert main(["test", str(cases)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "3 passed, 0 failed"


def test_expect_missing_fails_when_the_fact_is_not_missing(
    cases: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = cases.read_text(encoding="utf-8")
    cases.write_text(
        text.replace("missing: [applicant.employment.is_civil_servant]", "missing: [applicant.x]"),
        encoding="utf-8",
    )
    assert main(["test", str(cases)]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "unknown status" in out
    assert (
        "fact applicant.x: expected missing (missing: applicant.employment.is_civil_servant)" in out
    )


def test_run_and_verbose(cases: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test", str(cases), "--run", "^not|unknown", "-v"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == [
        f"ok   {cases}: not a civil servant: eligible",
        f"ok   {cases}: unknown status: undetermined; unknown: civil",
    ]
    assert lines[-1] == "2 passed, 0 failed"
    assert main(["test", str(cases), "--run", "nothing-like-this"]) == 2
    assert "no test case ran" in capsys.readouterr().err
    assert main(["test", str(cases), "--run", "("]) == 2
    assert "not a regular expression" in capsys.readouterr().err


def test_format_json_one_entry_per_case(cases: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test", str(cases), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [(c["name"], c["outcome"], c["failed"]) for c in report["cases"]] == [
        ("公务员 excluded", "ineligible", ["civil"]),
        ("not a civil servant", "eligible", []),
        ("unknown status", "undetermined", []),
    ]
    assert (report["passed"], report["failed"]) == (3, 0)
    assert report["coverage"]["test-policy"]["percent"] == 100.0


def test_format_junit_is_valid_junit_xml(cases: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = cases.read_text(encoding="utf-8")
    cases.write_text(text.replace("outcome: eligible,", "outcome: ineligible,"), encoding="utf-8")
    assert main(["test", str(cases), "--format", "junit"]) == 1
    root = ElementTree.fromstring(capsys.readouterr().out.encode("utf-8"))
    assert root.tag == "testsuites" and (root.get("tests"), root.get("failures")) == ("3", "1")
    (suite,) = root.findall("testsuite")
    testcases = suite.findall("testcase")
    assert [c.get("name") for c in testcases] == [
        "公务员 excluded",
        "not a civil servant",
        "unknown status",
    ]
    failures = [c for c in testcases if c.find("failure") is not None]
    assert [c.get("name") for c in failures] == ["not a civil servant"]
    failure = failures[0].find("failure")
    assert failure is not None
    assert failure.get("message") == "outcome: expected ineligible, got eligible"


def test_coverage_threshold(cases: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test", str(cases), "--run", "excluded", "--threshold", "50", "--coverage"]) == 1
    out = capsys.readouterr().out
    assert "  civil: failed, never passed" in out
    assert "coverage short: test-policy: coverage 0.0% is below 50%" in out
    assert main(["test", str(cases), "--threshold", "100"]) == 0
    capsys.readouterr()
    assert main(["test", str(cases), "--threshold", "101"]) == 2


def test_the_case_file_in_authoring_md_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import re

    from .conftest import EXAMPLES, REPO

    text = (REPO / "docs" / "authoring.md").read_text(encoding="utf-8")
    (block,) = [
        b
        for b in re.findall(r"```yaml\n(.*?)```", text, re.S)
        if "expect.missing" in b or "missing:" in b
    ]
    folder = tmp_path / "policies" / "tests" / "yuncheng-2024"  # where ../../../examples leads
    folder.mkdir(parents=True)
    (tmp_path / "examples").symlink_to(EXAMPLES)
    (folder / "case.yaml").write_text(block, encoding="utf-8")
    assert main(["test", str(folder / "case.yaml")]) == 0, capsys.readouterr().out
    assert capsys.readouterr().out.splitlines()[-1] == "2 passed, 0 failed"
