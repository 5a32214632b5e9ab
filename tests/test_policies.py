"""The bundled policies: they check clean, are formatted, cite their notices verbatim, and
their YAML cases pass with every rule covered."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from titlerules.engine.policy import bundled_policies, lint_policy, load_policy
from titlerules.lang import ir
from titlerules.lang.loader import find_policy, parse_file
from titlerules.lang.notice import clauses
from titlerules.resources import policies_dir
from titlerules.testing import run_tests

POLICY_IDS = [ident for ident, _ in bundled_policies()]
SOURCES = policies_dir() / "sources"


def _normal(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module", params=POLICY_IDS)
def policy_path(request: pytest.FixtureRequest) -> Path:
    return find_policy(str(request.param))


def test_four_jurisdictions_are_bundled() -> None:
    assert set(POLICY_IDS) >= {"eryuan-2024"}


def test_policy_checks_clean(policy_path: Path) -> None:
    _, diagnostics = lint_policy(policy_path)
    assert [d.render() for d in diagnostics] == []


def test_policy_is_formatted(policy_path: Path) -> None:
    from titlerules.lang.printer import format_policy

    pf, text = parse_file(policy_path)
    assert format_policy(pf) == text


def test_policy_yaml_round_trip(policy_path: Path) -> None:
    from titlerules.lang import yaml_io

    pf, _ = parse_file(policy_path)
    assert yaml_io.load_yaml(yaml_io.dump_yaml(pf)) == pf
    assert yaml_io.load_json(yaml_io.dump_json(pf)) == pf


def test_header_names_its_source_with_its_hash(policy_path: Path) -> None:
    pf, _ = parse_file(policy_path)
    assert pf.header.source is not None
    data = (SOURCES / pf.header.source).read_bytes()
    assert pf.header.source_sha256 == hashlib.sha256(data).hexdigest()


def test_every_quote_is_verbatim_and_every_clause_exists(policy_path: Path) -> None:
    """Independently of lint: each quote stands in the notice and each cited path is one the
    notice numbers."""
    pf, _ = parse_file(policy_path)
    assert pf.header.source is not None
    text = (SOURCES / pf.header.source).read_text(encoding="utf-8")
    flat = _normal(text)
    paths = {c.path for c in clauses(text)}
    rules = [item for item in pf.items if isinstance(item, ir.Rule)]
    assert rules
    problems = []
    for rule in rules:
        assert rule.citation is not None, rule.id
        if _normal(rule.citation.quote) not in flat:
            problems.append(f"{rule.id}: quote not in notice: {rule.citation.quote}")
        if rule.citation.clause not in paths:
            problems.append(f"{rule.id}: no clause {rule.citation.clause}")
    assert problems == []


def test_every_clause_of_the_notice_is_accounted_for(
    policy_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`titlerules clauses ID --json`: every clause of the notice has rules or a reason."""
    from titlerules.cli import main

    pf, _ = parse_file(policy_path)
    status = main(["clauses", pf.header.id, "--json"])
    rows = json.loads(capsys.readouterr().out)
    assert [r["clause"] for r in rows] == [
        c.path for c in clauses((SOURCES / str(pf.header.source)).read_text(encoding="utf-8"))
    ]
    assert [r["clause"] for r in rows if not (r["rules"] or r["consequences"] or r["reason"])] == []
    assert status == 0


def test_policy_loads_and_evaluates_its_examples(policy_path: Path) -> None:
    from titlerules.facts import Applicant, Procedure, load_records

    policy = load_policy(policy_path)
    folder = Path(__file__).resolve().parent.parent / "examples" / policy.id
    records = [
        r
        for path in sorted(folder.rglob("*.yaml"))
        for r in load_records(path)
        if isinstance(r, (Applicant, Procedure))
    ]
    assert records
    for record in records:
        decision = policy.evaluate(record)
        assert decision.receipt.policy_id == policy.id


def test_policy_cases_pass_with_full_coverage(policy_path: Path) -> None:
    pf, _ = parse_file(policy_path)
    folder = policies_dir() / "tests" / pf.header.id
    assert folder.is_dir(), f"no cases under {folder}"
    report = run_tests([folder])
    failures = [f"{r.name}: {'; '.join(r.problems)}" for r in report.results if not r.ok]
    assert failures == []
    coverage = report.coverage[pf.header.id]
    assert coverage.missing_fail == []
    assert coverage.missing_pass == []


def test_generated_policy_page_is_current(policy_path: Path) -> None:
    from titlerules.lang.loader import resolve
    from titlerules.report.policy_doc import policy_markdown

    resolved = resolve(policy_path)
    page = Path(__file__).resolve().parent.parent / "docs" / "policies" / f"{resolved.header.id}.md"
    assert page.is_file(), f"run: titlerules doc {resolved.header.id} -o {page}"
    assert page.read_text(encoding="utf-8") == policy_markdown(resolved), (
        f"stale page: run titlerules doc {resolved.header.id} -o {page}"
    )
