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
        # Rule titles are the policy author's English ("False application materials"); the
        # rest, exception labels included, is checked.
        words = en
        for rule in decision.rules:
            words = words.replace(rule.title_en or rule.title, "")
        for rule in decision.rules:
            for label in rule.exceptions_applied:  # in English: the Chinese label never shows
                assert label not in en, (name, label, en)
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
    assert "于 2020-08 达到" in zh and "2020-10-31" in zh and "不晚于" in zh, zh
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
    assert "不晚于处分期满日 2025-03-15" in zh, zh
    assert "2024-03-15 is not later than 2024-07-10" in en, en
    assert "is not later than the end of the sanction period 2025-03-15" in en, en


def test_a_message_template_words_the_retirement_case_in_both_languages() -> None:
    policy = load_policy("kunming-2020")
    _, record = next(r for r in _examples("kunming-2020") if "chen-gang" in r[0])
    zh = _because(policy, record, "of_retirement_age", "zh")
    en = _because(policy, record, "of_retirement_age", "en")
    assert "男，1960-08-15 出生，60 周岁于 2020-08 达到法定退休年龄" in zh, zh
    assert "不晚于评审会议 2020-10-27 当月（截至 2020-10-31）" in zh, zh
    assert "male, born 1960-08-15, reaches the statutory retirement age of 60 in 2020-08" in en, en
    assert "retirement_date" not in zh + en and "{" not in zh + en
    # A woman born later: the values follow the record, not the text.
    body = yaml.safe_load(yaml.safe_dump(record, allow_unicode=True))
    body["applicant"]["person"]["birth_date"] = "1960-09-03"
    body["applicant"]["person"].pop("id_number", None)  # it states the birth date too
    zh = _because(policy, body, "of_retirement_age", "zh")
    assert "1960-09-03 出生，60 周岁于 2020-09 达到" in zh, zh


def _tenure_record(grade_2020: str, required: int) -> dict[str, Any]:
    _, record = next(r for r in _examples("yuncheng-2024") if "zhang-wei" in r[0])
    record = yaml.safe_load(yaml.safe_dump(record, allow_unicode=True))
    for assessment in record["applicant"]["assessments"]:
        if assessment["year"] == 2020:
            assessment["grade"] = grade_2020
    record["applicant"]["application"]["required_tenure_years"] = required
    return record


def test_tenure_shows_the_count_the_years_counted_and_the_years_excluded() -> None:
    policy = load_policy("yuncheng-2024")
    # 2017-2023 graded, 2020 only 基本合格, the application year 2024 counting: 7 years, one
    # short of the 8 required.
    record = _tenure_record("基本合格", 8)
    zh = _because(policy, record, "tenure_counted", "zh")
    en = _because(policy, record, "tenure_counted", "en")
    assert zh.startswith("不符合："), zh
    assert "任职年限 7 年（计入 2017–2019、2021–2023；2020 基本合格 不计；申报当年计入：是）" in zh
    assert "少于规定的 8 年" in zh, zh
    assert "tenure of 7 years (counted: 2017–2019, 2021–2023;" in en, en
    assert "not counted: 2020 basically competent" in en, en
    assert "is less than the required 8 years" in en, en
    # One year fewer required: the same record passes, and says nothing of it.
    decision = policy.evaluate(_tenure_record("基本合格", 7))
    (result,) = [r for r in decision.rules if r.id == "tenure_counted"]
    assert result.outcome.value == "passed"


def test_an_empty_list_is_a_missing_fact_named_by_the_list(
    make_policy: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from titlerules.engine import codegen
    from titlerules.report.explanation import missing_text

    text = """
let first_title "最早取得职称的日期" en "the date of the first title" =
    applicant.titles.where(t -> t.level >= 助理级).min(t -> t.obtained_on)
requirement r "最早职称在2020年前" en "First title before 2020" {
  cite 一 "任职"
  require first_title < 2020-01-01
}
"""
    record = {"applicant": {"titles": [], "application": {"submitted_on": "2024-07-01"}}}
    for generate in ("on", "off"):
        monkeypatch.setenv("TITLERULES_CODEGEN", generate)
        assert codegen.enabled() is (generate == "on")
        decision = make_policy(text).evaluate(record)
        assert decision.missing_facts == ["applicant.titles: empty, no min"], generate
        zh, en = explain(decision, "zh"), explain(decision, "en")
        assert "已取得职称 (titles)：没有符合条件的项（须补充）" in zh, zh
        assert "titles held (titles): no item that qualifies (to be supplied)" in en, en
        assert "empty" not in zh and "min" not in zh
    assert missing_text("applicant.titles: empty, no max", "zh").startswith("已取得职称 (titles)")


def test_an_empty_list_reads_the_same_on_the_columnar_path(make_policy: Any) -> None:
    pl = pytest.importorskip("polars")  # as tests/test_batch.py: the batch extra
    from titlerules.batch.runner import ColumnarPolicy
    from titlerules.synthetic import flat_rows

    policy = make_policy(
        """
requirement r "最早职称在2020年前" {
  cite 一 "任职"
  require applicant.titles.min(t -> t.obtained_on) < 2020-01-01
}
"""
    )
    applicant = {"titles": [], "application": {"submitted_on": "2024-07-01"}}
    columns = flat_rows([applicant])
    table = pl.DataFrame(columns, schema={name: pl.String for name in columns})
    (row,) = ColumnarPolicy(policy).evaluate(table, explain=True, lang="zh").to_dicts()
    expected = policy.evaluate({"applicant": applicant}).missing_facts
    assert expected == ["applicant.titles: empty, no min"]
    assert row["missing"] == expected, row
