"""The bundled policies: they check clean, are formatted, cite their notices verbatim, and
their YAML cases pass with every rule covered."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from titlerules.engine.policy import bundled_policies, lint_policy, load_policy
from titlerules.lang import ir
from titlerules.lang.loader import find_policy, parse_file
from titlerules.resources import policies_dir
from titlerules.testing import run_tests

POLICY_IDS = [ident for ident, _ in bundled_policies()]
SOURCES = policies_dir() / "sources"


def _normal(text: str) -> str:
    return re.sub(r"\s+", "", text)


_CLAUSE = re.compile(
    r"^(?P<top>[一二三四五六七八九十]+)"
    r"(?:\((?P<sub>[一二三四五六七八九十]+)\))?"
    r"(?P<num>\d+)?$"
)
_NUMERALS = "一二三四五六七八九十"


def clause_exists(text: str, clause: str) -> bool:
    """Whether a clause path such as 二(三)2 names a numbered part of the notice."""
    flat = _normal(text).replace("（", "(").replace("）", ")").replace("#", "")
    clause = clause.replace("（", "(").replace("）", ")")
    attachment = re.fullmatch(r"附件(\d+)", clause)
    if attachment:
        return f"附件{attachment[1]}" in flat
    match = _CLAUSE.match(clause)
    if match is None:
        return False
    top = match["top"]
    start = flat.find(f"{top}、")
    if start < 0:
        return False
    following = _NUMERALS[_NUMERALS.index(top) + 1] if top in _NUMERALS[:-1] else None
    end = flat.find(f"{following}、", start + 1) if following else -1
    section = flat[start : end if end > 0 else len(flat)]
    position = 0
    if match["sub"]:
        position = section.find(f"({match['sub']})")
        if position < 0:
            return False
    if match["num"]:
        rest = section[position:]
        return any(f"{match['num']}{mark}" in rest for mark in (".", "．", "、"))
    return True


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
    pf, _ = parse_file(policy_path)
    assert pf.header.source is not None
    text = (SOURCES / pf.header.source).read_text(encoding="utf-8")
    flat = _normal(text)
    rules = [item for item in pf.items if isinstance(item, ir.Rule)]
    assert rules
    problems = []
    for rule in rules:
        assert rule.citation is not None, rule.id
        if _normal(rule.citation.quote) not in flat:
            problems.append(f"{rule.id}: quote not in notice: {rule.citation.quote}")
        if not clause_exists(text, rule.citation.clause):
            problems.append(f"{rule.id}: no clause {rule.citation.clause}")
    assert problems == []


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


@pytest.mark.parametrize(
    ("clause", "exists"),
    [("二(一)", True), ("二(二)3", True), ("一(十)", True), ("五(一)", False), ("二(九)", False)],
)
def test_clause_paths_are_found_in_the_notice(clause: str, exists: bool) -> None:
    text = (SOURCES / "000_2a8c394c015eda13.txt").read_text(encoding="utf-8")
    assert clause_exists(text, clause) is exists


def test_generated_policy_page_is_current(policy_path: Path) -> None:
    from titlerules.lang.loader import resolve
    from titlerules.report.policy_doc import policy_markdown

    resolved = resolve(policy_path)
    page = Path(__file__).resolve().parent.parent / "docs" / "policies" / f"{resolved.header.id}.md"
    assert page.is_file(), f"run: titlerules doc {resolved.header.id} -o {page}"
    assert page.read_text(encoding="utf-8") == policy_markdown(resolved), (
        f"stale page: run titlerules doc {resolved.header.id} -o {page}"
    )
