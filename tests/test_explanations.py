"""Explanations a clerk can read: all Chinese or all English, the deciding values shown.

Every example record of the four policies is explained in Chinese and in English and
compared with the snapshot in tests/snapshots/explanations-<policy>.txt (regenerate with
``TITLERULES_UPDATE_SNAPSHOTS=1`` after reading the difference).  The texts hold no record
path outside parentheses, no True/False, no "item(s)"; the English ones no Chinese term of a
vocabulary.  The engine records the comparisons that decided (with their values) as data;
the report layer words them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from titlerules.engine.decision import Decision
from titlerules.engine.policy import Policy, load_policy
from titlerules.facts.enums import ENUMS
from titlerules.report.explanation import explain

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
POLICIES = ["eryuan-2024", "kunming-2020", "yuncheng-2024", "xianning-2024"]


@pytest.fixture(autouse=True)
def _no_disk_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TITLERULES_CACHE", "off")


def _examples(policy_id: str) -> list[tuple[str, dict[str, Any]]]:
    folder = ROOT / "examples" / policy_id
    files = sorted(folder.glob("applicants/*.yaml")) + sorted(folder.glob("procedure*.yaml"))
    return [(f.relative_to(ROOT).as_posix(), yaml.safe_load(f.read_text("utf-8"))) for f in files]


def _texts(policy: Policy, record: dict[str, Any]) -> tuple[Decision, str, str]:
    decision = policy.evaluate(record)
    return decision, explain(decision, "zh", verbose=True), explain(decision, "en", verbose=True)


def _outside_parentheses(text: str) -> str:
    """``text`` with every parenthesised part (half- or full-width) removed."""
    previous = None
    while previous != text:
        previous = text
        text = re.sub(r"\([^()]*\)|（[^（）]*）", "", text)
    return text


_TERMS = {member.zh for cls in ENUMS.values() for member in cls}


@pytest.mark.parametrize("policy_id", POLICIES)
def test_explanations_of_the_examples_match_their_snapshot(policy_id: str) -> None:
    policy = load_policy(policy_id)
    parts = []
    for name, record in _examples(policy_id):
        _, zh, en = _texts(policy, record)
        parts.append(f"=== {name}\n{zh}\n--- en\n{en}\n")
    text = "\n".join(parts)
    snapshot = SNAPSHOTS / f"explanations-{policy_id}.txt"
    if os.environ.get("TITLERULES_UPDATE_SNAPSHOTS"):
        snapshot.write_text(text, encoding="utf-8")
    assert text == snapshot.read_text(encoding="utf-8")


@pytest.mark.parametrize("policy_id", POLICIES)
def test_explanations_read_in_one_language(policy_id: str) -> None:
    policy = load_policy(policy_id)
    checked = 0
    for name, record in _examples(policy_id):
        decision, zh, en = _texts(policy, record)
        bare = _outside_parentheses(zh)
        assert "applicant." not in bare and "procedure." not in bare, (name, zh)
        assert not re.search(r"\b(True|False)\b", zh), (name, zh)
        # Rule titles are the policy author's English ("False application materials"), and
        # exception labels have no English spelling yet: the rest is checked.
        words = en
        for rule in decision.rules:
            words = words.replace(rule.title_en or rule.title, "")
        words = "\n".join(
            line for line in words.splitlines() if not line.strip().startswith("exception")
        )
        assert not re.search(r"\b(True|False)\b", words), (name, en)
        assert "item(s)" not in zh + en, (name, zh, en)
        tokens = set(re.split(r"[\s;:,()（）；：，、]+", words))
        untranslated = tokens & _TERMS
        assert not untranslated, (name, untranslated, en)
        checked += 1
    assert checked >= 3


def _because(policy: Policy, record: dict[str, Any], rule_id: str, lang: str) -> str:
    decision = policy.evaluate(record)
    (result,) = [r for r in decision.rules if r.id == rule_id]
    from titlerules.report.explanation import rule_lines

    return "\n".join(rule_lines(result, lang))  # type: ignore[arg-type]


def test_debrief_vote_shows_the_votes_and_the_threshold() -> None:
    policy = load_policy("eryuan-2024")
    _, record = next(r for r in _examples("eryuan-2024") if r[0].endswith("li-hua.yaml"))
    record = yaml.safe_load(yaml.safe_dump(record, allow_unicode=True))
    body = record.get("applicant", record)
    body.setdefault("unit_debrief", {})
    body["unit_debrief"].update({"held": True, "attendees": 44, "yes_votes": 29})
    zh = _because(policy, record, "debrief_vote", "zh")
    en = _because(policy, record, "debrief_vote", "en")
    assert "同意推荐票数 29" in zh and "少于" in zh and "88/3" in zh, zh
    assert "44" in zh, zh
    assert "29 is less than" in en and "88/3" in en, en
    body["unit_debrief"]["yes_votes"] = 30
    decision = policy.evaluate(record)
    (result,) = [r for r in decision.rules if r.id == "debrief_vote"]
    assert result.outcome.value == "passed"


def test_a_missing_fact_is_named_by_its_label_and_path() -> None:
    policy = load_policy("kunming-2020")
    _, record = next(r for r in _examples("kunming-2020") if "ma-lin" in r[0])
    zh = explain(policy.evaluate(record), "zh")
    en = explain(policy.evaluate(record), "en")
    assert "身份（干部/工人） (employment.identity)" in zh, zh
    assert "personnel identity (cadre or worker) (employment.identity)" in en, en
    assert "as_of" not in zh and "as_of" not in en


def test_retirement_shows_the_retirement_date_and_the_cut_off() -> None:
    policy = load_policy("kunming-2020")
    _, record = next(r for r in _examples("kunming-2020") if "chen-gang" in r[0])
    zh = _because(policy, record, "of_retirement_age", "zh")
    assert "2020-08-15" in zh and "2020-10-31" in zh and "不晚于" in zh, zh
    assert "出生日期 1960-08-15" in zh and "性别 男" in zh, zh


def test_exclusions_and_requirements_read_right() -> None:
    policy = load_policy("eryuan-2024")
    _, record = next(r for r in _examples("eryuan-2024") if "yang-jun" in r[0])
    zh = explain(policy.evaluate(record), "zh")
    assert "属于不得申报情形：公务员不得参加职称评审" in zh, zh
    assert "不符合：在我县" in zh, zh
    assert "符合：" not in zh.replace("不符合：", ""), zh


def test_explanation_is_data_in_the_decision() -> None:
    policy = load_policy("eryuan-2024")
    _, record = next(r for r in _examples("eryuan-2024") if "yang-jun" in r[0])
    data = policy.evaluate(record).model_dump(mode="json")
    (rule,) = [r for r in data["rules"] if r["id"] == "in_scope_employer"]
    (comparison,) = rule["comparisons"]
    assert comparison["op"] == "in" and comparison["holds"] is False
    assert comparison["left"]["path"] == "applicant.employment.employer_kind"
    assert comparison["left"]["value"] == "机关"
    assert comparison["right"]["param"] == "in_scope_employers"
    quiet = policy.evaluate(record, explain=False).model_dump(mode="json")
    assert all(not r["comparisons"] for r in quiet["rules"])


def test_sanction_period_shows_the_sanction_its_start_and_its_end() -> None:
    policy = load_policy("eryuan-2024")
    _, record = next(r for r in _examples("eryuan-2024") if "zhao-min" in r[0])
    zh = _because(policy, record, "sanctioned_staff", "zh")
    en = _because(policy, record, "sanctioned_staff", "en")
    assert "处分种类 记过，不少于记过" in zh, zh
    assert "起始日 2024-03-15，不晚于2024-07-10" in zh, zh
    assert "2025-03-15（sanction_period_end(s)）" in zh, zh
    assert "2024-03-15 is not later than 2024-07-10" in en, en
    assert "2025-03-15 (sanction_period_end(s))" in en, en
