"""Explanations a clerk can read: all Chinese or all English, the deciding values shown.

Every example record of the four policies is explained in Chinese and in English and
compared with the snapshot in tests/snapshots/explanations-<policy>.txt (regenerate with
``TITLERULES_UPDATE_SNAPSHOTS=1`` after reading the difference).  The texts hold no record
path outside parentheses, no True/False, no "item(s)"; the English ones no Chinese term of a
vocabulary.  The engine records the comparisons that decided (with their values) as data;
the report layer words them.
"""

from __future__ import annotations

import datetime as dt
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
    assert "法定退休日期 2020-08-15" in zh and "不晚于 2020-10-31" in zh, zh
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
    assert "起始日 2024-03-15，不晚于评估日期 2024-07-10" in zh, zh
    assert "不晚于处分期（刑期）截止日 2025-03-15" in zh, zh
    assert "2024-03-15 is not later than the evaluation date 2024-07-10" in en, en
    assert "is not later than the end of the sanction period (sentence) 2025-03-15" in en, en


def test_a_message_template_words_the_retirement_case_in_both_languages() -> None:
    policy = load_policy("kunming-2020")
    _, record = next(r for r in _examples("kunming-2020") if "chen-gang" in r[0])
    zh = _because(policy, record, "of_retirement_age", "zh")
    en = _because(policy, record, "of_retirement_age", "en")
    assert "男，1960-08-15 出生，法定退休日期 2020-08-15，不晚于 2020-10-31（评审会议当月末" in zh
    assert (
        "male, born 1960-08-15, statutory retirement date 2020-08-15, not later than 2020-10-31"
        in en
    )
    assert "retirement_date" not in zh + en and "{" not in zh + en
    # A woman born later, below a senior title: her own date, never a comparison the rule made
    # on the way (the title level).
    body = yaml.safe_load(yaml.safe_dump(record, allow_unicode=True))
    body["applicant"]["person"].update(gender="女", birth_date="1965-09-01")
    body["applicant"]["person"].pop("id_number", None)  # it states the birth date too
    zh = _because(policy, body, "of_retirement_age", "zh")
    assert "女，1965-09-01 出生，法定退休日期 2020-09-01，不晚于 2020-10-31" in zh, zh


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
    assert (
        "任职年限 7 年：自 2016-12-20 起，计入考核合格及以上的年度（2017–2019、2021–2023）"
        "和申报当年 2024；考核为基本合格、不合格或不确定的年度（2020 基本合格）"
        "和申报当年以前无考核结果的年度不计；少于规定的 8 年"
    ) in zh, zh
    assert "tenure counted: 7 year(s) from 2016-12-20: the years graded competent or above" in en
    assert "(2017–2019, 2021–2023) and the application year 2024;" in en, en
    assert "incompetent or undetermined (2020 basically competent)" in en, en
    assert "fewer than the required 8 years" in en, en
    # One year fewer required: the same record passes, and says nothing of it.
    decision = policy.evaluate(_tenure_record("基本合格", 7))
    (result,) = [r for r in decision.rules if r.id == "tenure_counted"]
    assert result.outcome.value == "passed"


def _tenure_case(change: Any, required: int = 8) -> tuple[str, str]:
    policy = load_policy("yuncheng-2024")
    record = _tenure_record("合格", required)
    change(record["applicant"])
    return (
        _because(policy, record, "tenure_counted", "zh"),
        _because(policy, record, "tenure_counted", "en"),
    )


def test_tenure_is_worded_by_case() -> None:
    """Each case its own message (message when ...): the first whose condition holds."""

    def no_title_below(body: dict[str, Any]) -> None:
        level = body["application"]["level"]
        body["titles"] = [t for t in body["titles"] if t["level"] == level]

    zh, en = _tenure_case(no_title_below)
    assert "因为：未取得下一级（助理级）职称，无任职年限，少于规定的 8 年" in zh, zh
    assert "no title at the level below (assistant level): no tenure, fewer than" in en, en

    def title_in_another_series(body: dict[str, Any]) -> None:
        for title in body["titles"]:
            title["series"] = "经济"

    zh, en = _tenure_case(title_in_another_series)
    assert "所持助理级职称不属申报系列（工程技术），尚未转评：须先转评为本系列同级职称" in zh
    assert "is not in the series applied for (engineering) and has not been transferred" in en

    def exempt(body: dict[str, Any]) -> None:
        body["employment"]["employer_kind"] = "民营企业"
        body.pop("assessments", None)

    zh, en = _tenure_case(exempt, required=20)
    assert "单位性质 民营企业，可不提供年度考核材料（三(三)），任职年限按整年计" in zh, zh
    assert "自 2016-12-20" in zh, zh
    assert "起至申报当年12月31日共 8 年（所列考核等次不影响计算），少于规定的 20 年" in zh, zh
    assert "未知" not in zh, zh
    assert "so assessments may be omitted (三(三)) and tenure counts in whole years" in en, en

    def application_year_below_competent(body: dict[str, Any]) -> None:
        body["assessments"] = [a for a in body["assessments"] if a["year"] != 2020]
        body["assessments"].append({"year": 2024, "grade": "基本合格"})

    zh, en = _tenure_case(application_year_below_competent)
    assert "以及申报当年 2024（考核未达合格）不计；少于规定的 8 年" in zh, zh
    assert "and the application year 2024 (graded below competent)" in en, en

    def title_in_the_application_year(body: dict[str, Any]) -> None:
        level = body["application"]["level"]
        for title in body["titles"]:
            if title["level"] != level:
                title["obtained_on"] = "2024-03-01"

    zh, en = _tenure_case(title_in_the_application_year)
    assert "助理级职称于 2024-03-01 取得，计算至申报当年12月31日不满一年，任职年限 0 年" in zh, zh

    def employer_kind_unknown(body: dict[str, Any]) -> None:  # short both ways
        body["employment"].pop("employer_kind", None)

    zh, en = _tenure_case(employer_kind_unknown, required=20)
    assert "单位性质未填，是否可不提供年度考核材料不明，但两种算法均少于规定的 20 年" in zh, zh
    assert "未知" not in zh, zh


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


# ---------------------------------------------------------------- one language per view

_RECEIPT = re.compile(r'<p style="font-size:smaller[^"]*">.*?</p>', re.S)


def _words_of(html_or_text: str) -> str:
    """What a view says in words: tags, the receipt's identifiers (hashes, versions) and
    parenthesised parts (record paths, citations) taken out."""
    import html

    text = _RECEIPT.sub(" ", html_or_text)
    text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    return _outside_parentheses(text)


def _english_words(text: str, names: set[str]) -> set[str]:
    return {w for w in re.findall(r"[A-Za-z][A-Za-z_]+", text) if w not in names}


def _chinese_words(text: str, names: set[str]) -> set[str]:
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, " ")
    return set(re.findall(r"[\u4e00-\u9fff]+", text))


def _decision_views_case() -> Decision:
    policy = load_policy("eryuan-2024")
    _, record = next(r for r in _examples("eryuan-2024") if "duan-li" in r[0])
    return policy.evaluate(record)


def test_a_decision_view_speaks_one_language() -> None:
    pytest.importorskip("pandas")
    decision = _decision_views_case()
    ids = {r.id for r in decision.rules}
    ids |= set(re.findall(r"[A-Za-z_]+", decision.receipt.policy_id))
    # Names: the applicant, the committees and the notice's clause numbers (二(一) ...).
    names = {decision.record or "", "大理州中小学教师中级职称评审委员会"}
    names |= {"洱源县中小学教师中级职称评审委员会"}
    clauses = {r.citation.clause for r in decision.rules if r.citation}
    names |= clauses | {re.split(r"[(（]", c)[0] for c in clauses}
    zh_html, en_html = decision.html("zh"), decision.html("en")
    assert decision._repr_html_() == zh_html
    assert not _english_words(_words_of(zh_html), ids), _english_words(_words_of(zh_html), ids)
    assert not _chinese_words(_words_of(en_html), names), _chinese_words(_words_of(en_html), names)
    words = ["title", "explanation", "missing", "exceptions"]
    zh_frame, en_frame = decision.to_pandas("zh"), decision.to_pandas("en")
    assert list(zh_frame.columns) == list(en_frame.columns)
    zh_text = "\n".join(str(v) for column in words for v in zh_frame[column])
    en_text = "\n".join(str(v) for column in words for v in en_frame[column])
    assert "同年度其他申报的处理完毕日" in zh_text and "属于不得申报情形" in zh_text
    assert not _english_words(_outside_parentheses(zh_text), ids)
    assert "the date the other application was concluded" in en_text
    assert not _chinese_words(_outside_parentheses(en_text), names)
    # The explanation column is the report layer's rule line in the frame's language.
    from titlerules.report.explanation import rule_line

    failed = next(r for r in decision.rules if r.outcome.value == "failed")
    (row,) = en_frame[en_frame["rule"] == failed.id].to_dict("records")
    assert row["explanation"] == rule_line(failed, "en")


def test_a_missing_fact_and_an_exception_are_in_the_frame_language() -> None:
    pytest.importorskip("pandas")
    policy = load_policy("yuncheng-2024")
    _, record = next(r for r in _examples("yuncheng-2024") if "zhang-wei" in r[0])
    record = yaml.safe_load(yaml.safe_dump(record, allow_unicode=True))
    record["applicant"]["employment"]["employer_kind"] = "民营企业"  # exempt from assessments
    record["applicant"]["assessments"] = []
    decision = policy.evaluate(record)
    applied = [r for r in decision.rules if r.exceptions_applied]
    assert applied
    zh_frame, en_frame = decision.to_pandas("zh"), decision.to_pandas("en")
    zh_exceptions = set(zh_frame["exceptions"]) - {""}
    en_exceptions = set(en_frame["exceptions"]) - {""}
    assert (
        "非公经济组织、个体工商户、灵活就业人员、自由职业者等可不提供年度考核材料" in zh_exceptions
    )
    assert all(not re.search(r"[\u4e00-\u9fff]", e) for e in en_exceptions), en_exceptions


def test_a_historical_records_view_speaks_one_language(tmp_path: Path) -> None:
    pytest.importorskip("pandas")
    import titlerules

    source = ROOT / "examples" / "xianning-2024" / "historical-titles.csv"
    lines = source.read_text(encoding="utf-8").splitlines()
    broken = (
        lines[1]
        .replace("421202197508230240", "421202197508230241")
        .replace("2012-10-15", "2012-13-45")
    )
    path = tmp_path / "records.csv"
    path.write_text("\n".join([lines[0], broken, *lines[2:]]) + "\n", encoding="utf-8")
    report = titlerules.validate_records(path)
    assert report.summary.invalid == 1
    zh, en = report.html("zh"), report.html("en")
    assert report._repr_html_() == zh
    file_names = {"records", "csv"} | set(re.findall(r"[A-Za-z_]+", str(path)))
    assert not _english_words(_words_of(zh), file_names), _english_words(_words_of(zh), set())
    # Names and the rows' own values (names, numbers, dates) are the data, not our words.
    values = {p.value or "" for r in report.rows for p in [*r.errors, *r.warnings]}
    names = {r.name or "" for r in report.rows} | values
    assert not _chinese_words(_words_of(en), names), _chinese_words(_words_of(en), names)
    for lang, check in (("zh", _english_words), ("en", _chinese_words)):
        frame = report.to_pandas(lang)
        problems = report.problems_frame(lang)
        text = "\n".join([*frame["errors"], *frame["warnings"], *problems["message"]])
        text += "\n" + "\n".join(problems["column"])
        assert text.strip()
        assert not check(_outside_parentheses(text), names | {"field"}), (lang, text)
    assert "message_zh" not in report.problems_frame("zh").columns


def test_a_def_parameter_is_named_after_its_argument(
    make_policy: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``on`` inside a def is the labelled let it was called with; a lambda's variable of the
    same name inside the def is an element, never the argument."""
    text = """
let day "评审日" en "the evaluation day" = applicant.application.submitted_on
def after(t, on) = t.obtained_on > on
def shadowed(on) = applicant.titles.any(on -> on.level > 员级 and after(on, day))
exclusion late "评审日后取得职称" en "Title obtained after the evaluation day" {
  cite 一 "任职"
  when shadowed(day)
}
"""
    record = {
        "applicant": {
            "titles": [{"level": "助理级", "obtained_on": "2024-08-01"}],
            "application": {"submitted_on": "2024-07-01"},
        }
    }
    for generate in ("on", "off"):
        monkeypatch.setenv("TITLERULES_CODEGEN", generate)
        decision = make_policy(text).evaluate(record)
        (rule,) = decision.rules
        assert rule.outcome.value == "failed"
        dated = [c for c in rule.comparisons if c.op == ">" and c.right.text == "on"]
        assert dated, rule.comparisons
        assert (dated[0].right.label, dated[0].right.label_en) == ("评审日", "the evaluation day")
        assert dated[0].right.value == "2024-07-01"
        levels = [c for c in rule.comparisons if c.left.text == "on.level"]
        assert levels and levels[0].left.label is None, generate
        zh = explain(decision, "zh")
        assert "晚于评审日 2024-07-01" in zh, zh
        assert "the evaluation day 2024-07-01" in explain(decision, "en")


def test_an_audit_in_english_names_the_exception_in_english() -> None:
    import titlerules
    from titlerules.audit.render import finding_lines

    record = yaml.safe_load((ROOT / "examples/kunming-2020/procedure.yaml").read_text("utf-8"))
    committee = record["procedure"]["committee"]
    committee.update({"valid_until": "2020-06-30", "refiled": True, "refiled_on": "2020-07-01"})
    report = titlerules.audit("kunming-2020", record)
    finding = report.finding("committee_in_term")
    assert finding.exceptions_applied == ["期满后已重新组建并核准备案"]
    assert finding.exceptions_applied_en == [
        "re-formed and its filing approved after the term ended"
    ]
    en = "\n".join(finding_lines(finding, "en"))
    zh = "\n".join(finding_lines(finding, "zh"))
    assert "exception applied: re-formed and its filing approved after the term ended" in en
    assert "期满后已重新组建并核准备案" not in en
    assert "例外适用: 期满后已重新组建并核准备案" in zh


def test_the_as_of_date_says_where_it_came_from() -> None:
    """The evaluation date is the record's own (the application's submission date, a
    procedure's meeting) unless the caller gives one; the receipt and the words say which."""
    policy = load_policy("eryuan-2024")
    record = yaml.safe_load(Path("examples/eryuan-2024/applicants/duan-li.yaml").read_text("utf-8"))
    own = policy.evaluate(record)
    assert own.receipt.as_of_from == "applicant.application.submitted_on"
    assert explain(own, "zh").endswith("评估日期：2024-07-12（申报材料提交日期）")
    assert explain(own, "en").endswith(
        "evaluated as of 2024-07-12 (date the application materials were submitted)"
    )
    given = policy.evaluate(record, as_of=dt.date(2024, 8, 1))
    assert given.receipt.as_of_from is None
    assert explain(given, "zh").endswith("评估日期：2024-08-01（调用时指定）")
    assert explain(given, "en").endswith("evaluated as of 2024-08-01 (given)")
    procedure_file = Path("examples/eryuan-2024/procedure.yaml")
    procedure = policy.evaluate(yaml.safe_load(procedure_file.read_text("utf-8")))
    assert procedure.receipt.as_of_from == "procedure.meeting.start"


def test_a_set_written_in_the_policy_is_shown_by_its_terms_alone() -> None:
    """An operand written as its value (a set of terms) is not shown twice, nor as
    "computed" in English."""
    policy = load_policy("yuncheng-2024")
    record = _tenure_record("基本合格", 8)
    record["applicant"]["employment"].pop("employer_kind", None)  # short one way only
    zh = _because(policy, record, "tenure_counted", "zh")
    en = _because(policy, record, "tenure_counted", "en")
    assert "单位性质 与 个体工商户、民营企业、灵活就业、自由职业者 无法比较（缺少事实）" in zh, zh
    assert "{" not in zh and "computed" not in en, (zh, en)


def test_a_period_that_does_not_end_is_said_so() -> None:
    """A dismissal (开除) has no 处分期: its end is the last date there is, shown in words."""
    policy = load_policy("xianning-2024")
    _, record = next(r for r in _examples("xianning-2024") if "chen-jing" in r[0])
    record = yaml.safe_load(yaml.safe_dump(record, allow_unicode=True))
    record["applicant"]["sanctions"] = [
        {"system": "政务处分", "kind": "开除", "severity": "开除", "start": "2020-03-01"}
    ]
    zh = _because(policy, record, "sanction_in_force", "zh")
    en = _because(policy, record, "sanction_in_force", "en")
    assert "不晚于处分期（刑期）截止日 无期限（不届满）" in zh, zh
    assert "9999" not in zh and "9999" not in en, (zh, en)
    assert "the end of the sanction period (sentence) none (it does not end)" in en, en


def test_a_direct_recognition_above_the_graduates_levels_says_why_the_test_is_needed() -> None:
    policy = load_policy("xianning-2024")
    _, record = next(r for r in _examples("xianning-2024") if "ma-ke" in r[0])
    record = yaml.safe_load(yaml.safe_dump(record, allow_unicode=True))
    record["applicant"]["application"]["route"] = "直接认定申报"
    record["applicant"]["ability_tests"] = []
    zh = _because(policy, record, "ability_test", "zh")
    assert (
        "因为：申报层级 副高级：此层级的直接认定申报不属鄂职改办〔2013〕72号大中专毕业生初定" in zh
    )
    # A test at another level is said by the comparison that decided, not by the message.
    application = record["applicant"]["application"]
    record["applicant"]["ability_tests"] = [
        {
            "series": application["series"],
            "specialty": application["specialty"],
            "level": "中级",
            "passed": True,
        }
    ]
    zh = _because(policy, record, "ability_test", "zh")
    assert "测试级别 中级，不等于申报层级 副高级" in zh, zh
    assert "72号" not in zh.split("因为：", 1)[1], zh
