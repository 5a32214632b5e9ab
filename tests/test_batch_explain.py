"""Batch layer: tables validated once and decided many times, explanations on the columnar
path (missing facts exactly as ``Decision.missing_facts``), folded calendar comparisons."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pl = pytest.importorskip("polars")

from titlerules.batch import ColumnarPolicy, ValidatedTable, validate_table  # noqa: E402
from titlerules.batch.explain import decision_explanation  # noqa: E402
from titlerules.batch.io import run_file  # noqa: E402
from titlerules.batch.runner import OUTCOMES  # noqa: E402
from titlerules.batch.schema import applicant_schema, row_record  # noqa: E402
from titlerules.engine.policy import Policy, load_policy  # noqa: E402
from titlerules.engine.runtime import between  # noqa: E402
from titlerules.errors import TitleRulesError  # noqa: E402
from titlerules.resources import policies_dir  # noqa: E402
from titlerules.synthetic import applicants, flat_rows, spelled, typed_table  # noqa: E402

BUNDLED = [
    n
    for n in ("eryuan-2024", "kunming-2020", "yuncheng-2024", "xianning-2024")
    if (policies_dir() / f"{n}.policy").is_file()
]

_CACHE: dict[str, tuple[Policy, ColumnarPolicy]] = {}


def _compiled(name: str) -> tuple[Policy, ColumnarPolicy]:
    if name not in _CACHE:
        policy = load_policy(name)
        _CACHE[name] = (policy, ColumnarPolicy(policy))
    return _CACHE[name]


def _table(records: list[dict[str, Any]]) -> Any:
    columns = flat_rows(records)
    return pl.DataFrame(columns, schema={name: pl.String for name in columns})


def _reference(policy: Policy, raw_row: dict[str, Any], explain: bool = False) -> Any:
    """The per-record decision of the record a table row spells (None: an error row)."""
    try:
        return policy.evaluate(row_record(raw_row, applicant_schema()), explain=explain)
    except TitleRulesError:
        return None


def _assert_explained_as_per_record(
    policy: Policy, table: Any, result: Any, lang: str = "zh"
) -> int:
    """Every row's outcome, failed/unknown rules, rule outcomes, missing facts and
    explanation are the per-record decision's (the explanation: its failed and unknown
    blocking rules, each as ``RuleResult.line`` words it); returns how many rows had missing
    facts."""
    assert result.height == table.height
    with_missing = 0
    for row, raw in zip(result.iter_rows(named=True), table.iter_rows(named=True), strict=True):
        decision = _reference(policy, raw, explain=True)
        if decision is None:
            assert row["outcome"] == "error"
            continue
        assert row["outcome"] == decision.outcome.value, (row, decision)
        assert row["missing"] == decision.missing_facts, (row["missing"], decision.missing_facts)
        assert sorted(row["failed"]) == sorted(r.id for r in decision.failed)
        assert sorted(row["unknown"]) == sorted(r.id for r in decision.unknown)
        rules = {k[5:]: v for k, v in row.items() if k.startswith("rule.")}
        assert rules == {r.id: r.outcome.value for r in decision.rules}
        assert row["explanation"] == decision_explanation(decision, lang), row["row"]
        with_missing += bool(decision.missing_facts)
    return with_missing


# ---------------------------------------------------------------- explanations


@settings(
    max_examples=16,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 2**31),
    missing=st.sampled_from([0.0, 0.05, 0.2, 0.5]),
    messy=st.booleans(),
    name=st.sampled_from(BUNDLED),
    lang=st.sampled_from(["zh", "en"]),
)
def test_missing_facts_and_explanations_equal_the_per_record_decision(
    seed: int, missing: float, messy: bool, name: str, lang: str
) -> None:
    policy, columnar = _compiled(name)
    records = spelled(applicants(40, seed=seed, missing=missing, messy=messy), messy=messy)
    table = _table(records)
    result = columnar.evaluate(table, explain=True, lang=lang)
    _assert_explained_as_per_record(policy, table, result, lang)


@pytest.mark.parametrize("name", BUNDLED)
def test_every_bundled_policy_explains_column_wise(name: str) -> None:
    """Many missing facts, list elements among them; (nearly) no row needs the per-record
    path to explain itself."""
    policy, columnar = _compiled(name)
    assert not columnar.fallback_rules
    table = _table(spelled(applicants(300, seed=11, missing=0.15)))
    result = columnar.evaluate(table, explain=True)
    assert _assert_explained_as_per_record(policy, table, result) > 100
    assert columnar.last_per_record_rows <= 3
    assert any("[" in path for paths in result["missing"].to_list() for path in paths)


def test_an_empty_sub_record_in_jsonl_is_explained_per_record(tmp_path: Path) -> None:
    """``delegation_letter: {}`` is a record stating nothing; a table cannot tell it from a
    missing one, so the row is read by the models (its missing facts differ)."""
    policy, columnar = _compiled("kunming-2020")
    records = spelled(applicants(6, seed=3))
    for record in records:
        record["employment"]["delegation_letter"] = {}
    path = tmp_path / "a.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), "utf-8")
    _summary, result = run_file(columnar, path)
    assert columnar.last_per_record_rows == 6
    for row, record in zip(result.iter_rows(named=True), records, strict=True):
        assert row["outcome"] == policy.evaluate(record, explain=False).outcome.value


SMALL = """
param min_service: int = 5
param accepted: set[EducationLevel] = {本科, 硕士, 博士}
requirement civil "非公务员" en "Not a civil servant" {
  cite 一(1) "公务员不得申报"
  require not applicant.employment.is_civil_servant
}
requirement service "任现职满5年" {
  cite 一(2) "任现职满5年"
  require years_between(applicant.employment.current_post_start, 2024-12-31, floor)
      >= min_service
}
requirement degree "本科以上学历" {
  cite 一(3) "本科以上学历"
  require applicant.education.any(e -> e.level in accepted)
}
requirement vote "三分之二" {
  cite 二 "同意票达三分之二"
  require applicant.unit_debrief.yes_votes * 3 >= applicant.unit_debrief.attendees * 2
  severity advisory
}
"""


def _person(**employment: Any) -> dict[str, Any]:
    return {
        "employment": {
            "is_civil_servant": "false",
            "current_post_start": "2010-05-01",
            **employment,
        },
        "education": [{"level": "本科"}],
        "unit_debrief": {"attendees": "30", "yes_votes": "10"},
    }


def test_the_explanation_names_each_failed_rule_its_clause_and_the_facts(
    make_policy: Callable[[str], Policy],
) -> None:
    policy = make_policy(SMALL)
    columnar = ColumnarPolicy(policy)
    failing = _person(is_civil_servant="true", current_post_start="2022-03-01")
    failing["education"] = [{"level": "大专"}, {"level": "中专"}]
    unknown = _person()
    del unknown["employment"]["is_civil_servant"]
    unknown["education"] = [{"level": "大专"}, {}]
    eligible = _person()
    table = _table([failing, unknown, eligible])
    result = columnar.evaluate(table, explain=True)
    first, second, third = result.to_dicts()

    lines = first["explanation"].splitlines()
    assert first["outcome"] == "ineligible" and len(lines) == 3  # the advisory rule: no line
    civil, service, degree = lines
    assert civil == "不符合：非公务员（测〔2024〕1号 一(1)）　依据：是否公务员 是"
    assert service.startswith("不符合：任现职满5年（测〔2024〕1号 一(2)）　因为：")
    assert "2" in service and "5" in service and "2022-03-01" in service, service
    assert degree.startswith("不符合：本科以上学历（测〔2024〕1号 一(3)）"), degree
    assert "大专" in degree and "中专" in degree, degree
    assert "vote" not in first["explanation"] and "三分之二" not in first["explanation"]

    assert second["outcome"] == "undetermined"
    assert second["missing"] == [
        "applicant.education[1].level",
        "applicant.employment.is_civil_servant",
    ]
    civil, degree = second["explanation"].splitlines()
    # A missing fact has no value: it is listed as missing, by its label and path.
    assert civil.startswith("待查明：非公务员（测〔2024〕1号 一(1)）　")
    assert "缺少：是否公务员 (employment.is_civil_servant)" in civil, civil
    assert "缺少：最高学历（第2项）·学历层次 (education[1].level)" in degree or (
        "(education[1].level)" in degree
    ), degree

    assert third["outcome"] == "eligible" and third["explanation"] == "符合申报条件"
    assert third["missing"] == []

    english = columnar.evaluate(table, explain=True, lang="en")
    assert english["explanation"][0].startswith("not met: Not a civil servant (")
    assert english["explanation"][2] == "eligible"
    for row, raw in zip(result.iter_rows(named=True), table.iter_rows(named=True), strict=True):
        decision = _reference(policy, raw, explain=True)
        assert row["missing"] == decision.missing_facts
        assert row["explanation"] == decision_explanation(decision, "zh")


def test_rows_decided_per_record_are_explained_per_record(
    make_policy: Callable[[str], Policy],
) -> None:
    policy = make_policy(SMALL)
    columnar = ColumnarPolicy(policy)
    odd = _person(is_civil_servant="是 ")  # a spelling only the models read
    broken = _person(current_post_start="2019-02-30")
    table = _table([odd, broken, _person()])
    result = columnar.evaluate(table, explain=True)
    assert columnar.last_per_record_rows == 2
    rows = result.to_dicts()
    assert rows[1]["outcome"] == "error"
    assert rows[1]["missing"] is None and rows[1]["explanation"] is None
    decision = policy.evaluate(row_record(table.row(0, named=True), applicant_schema()))
    assert rows[0]["outcome"] == decision.outcome.value
    assert rows[0]["missing"] == decision.missing_facts
    # Worded as the columnar path words the same person spelled as it reads them.
    canonical = columnar.evaluate(_table([_person(is_civil_servant="true")]), explain=True)
    assert columnar.last_per_record_rows == 0
    assert rows[0]["explanation"] == canonical["explanation"][0]
    assert rows[0]["explanation"].startswith("不符合：非公务员（")
    assert rows[0]["explanation"] == decision_explanation(
        policy.evaluate(row_record(table.row(0, named=True), applicant_schema())), "zh"
    )


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", BUNDLED)
def test_a_row_explained_per_record_reads_as_the_columnar_row(name: str, lang: str) -> None:
    """The lines the per-record path writes for a row of a table (a row the columnar path
    defers) are the columnar path's, word for word."""
    _policy, columnar = _compiled(name)
    table = _table(spelled(applicants(80, seed=5, missing=0.15)))
    result = columnar.evaluate(table, explain=True, lang=lang)
    assert columnar.last_per_record_rows <= 3
    compared = 0
    for row, raw in zip(result.iter_rows(named=True), table.iter_rows(named=True), strict=True):
        if row["outcome"] == "error":
            continue
        record = row_record(raw, applicant_schema())
        per_record = columnar.decide_record(record, explain=True, lang=lang)
        assert per_record.outcome == row["outcome"]
        assert per_record.explanation == row["explanation"]
        assert per_record.missing == row["missing"]
        compared += 1
    assert compared > 60


# ---------------------------------------------------------------- validate once


def test_a_validated_table_decides_as_the_raw_frame() -> None:
    _policy, columnar = _compiled("eryuan-2024")
    records = spelled(applicants(120, seed=5, missing=0.05))
    records += spelled(applicants(60, seed=6, missing=0.02, messy=True), messy=True)
    raw = _table(records)
    validated = validate_table(raw)
    assert isinstance(validated, ValidatedTable) and validated.height == raw.height
    assert validated.errors and set(validated.errors) <= set(validated.slow_rows)
    once = columnar.evaluate(validated)
    assert once.equals(columnar.evaluate(raw))
    for index, reason in validated.errors.items():
        assert once["outcome"][index] == "error" and once["error"][index] == reason
    again = ColumnarPolicy(load_policy("kunming-2020")).evaluate(validated)
    assert again.height == raw.height


def test_validating_does_not_happen_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    from titlerules.batch import runner, table

    _policy, columnar = _compiled("eryuan-2024")
    validated = validate_table(typed_table(applicants(50, seed=9)))

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("validated again")

    monkeypatch.setattr(table, "normalize", refuse)
    monkeypatch.setattr(runner, "validate_table", refuse)
    assert columnar.evaluate(validated).height == 50
    assert columnar.evaluate(validated, explain=True).height == 50


def test_a_table_validated_against_another_schema_is_refused() -> None:
    from titlerules.batch.schema import table_schema
    from titlerules.facts import Person

    _policy, columnar = _compiled("eryuan-2024")
    other = validate_table(pl.DataFrame({"name": ["x"]}), table_schema(Person))
    with pytest.raises(TitleRulesError, match="another record schema"):
        columnar.evaluate(other)


def test_row_numbers_and_rule_columns() -> None:
    _policy, columnar = _compiled("eryuan-2024")
    validated = validate_table(_table(spelled(applicants(10, seed=1))), rows=range(101, 111))
    result = columnar.evaluate(validated)
    assert result["row"].to_list() == list(range(101, 111))
    numbered = columnar.evaluate(validated, rows=[5, 3, 9, 1, 2, 4, 6, 7, 8, 10])
    assert numbered["row"].to_list() == [5, 3, 9, 1, 2, 4, 6, 7, 8, 10]
    rule_columns = [c for c in result.columns if c.startswith("rule.")]
    assert rule_columns and all(result.schema[c] == pl.Enum(list(OUTCOMES)) for c in rule_columns)
    assert set(result[rule_columns[0]].cast(pl.String).to_list()) <= set(OUTCOMES)


def test_result_files_keep_the_outcomes_as_text(tmp_path: Path) -> None:
    _policy, columnar = _compiled("eryuan-2024")
    source = tmp_path / "in.csv"
    _table(spelled(applicants(12, seed=6))).write_csv(source)
    out = tmp_path / "out.parquet"
    run_file(columnar, source, out, chunk_rows=5)
    written = pl.read_parquet(out)
    assert written.schema["rule.civil_servant"] == pl.String
    assert written["rule.civil_servant"].to_list()[0] in OUTCOMES
    lines = tmp_path / "out.jsonl"
    run_file(columnar, source, lines)
    first = json.loads(lines.read_text("utf-8").splitlines()[0])
    assert first["rule.civil_servant"] in OUTCOMES


# ---------------------------------------------------------------- calendar arithmetic

DATES = st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31))
NEAR = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2035, 12, 31))


@settings(max_examples=200, deadline=None)
@given(
    fixed=DATES,
    day=DATES,
    k=st.integers(-30, 30),
    op=st.sampled_from([">=", ">", "<", "<=", "==", "!="]),
    unit=st.sampled_from(["years", "months"]),
    rounding=st.just("floor"),
    fixed_is_end=st.booleans(),
)
def test_a_folded_comparison_is_the_engine_comparison(
    fixed: dt.date,
    day: dt.date,
    k: int,
    op: str,
    unit: str,
    rounding: str,
    fixed_is_end: bool,
) -> None:
    from titlerules.batch.compiler.functions import _Between
    from titlerules.batch.compiler.steps import _counts, fold_step
    from titlerules.batch.compiler.values import Const, DateStep, Number

    fn = _Between(unit, rounding, fixed, fixed_is_end)
    step = DateStep(pl.col("d"), fn, increasing=not fixed_is_end)
    folded = fold_step(op, Number(pl.lit(0), step=step), Const(k))
    if folded is None:
        # Not folded only where the engine cannot count some date within a year or two of
        # the calendar's ends (a date it computes would fall before year 1 or after 9999):
        # the comparison is then computed row by row.
        last = dt.date.max.toordinal()
        near_ends = [*range(1, 800), *range(last - 800, last + 1)]
        assert not all(_counts(fn, ordinal) for ordinal in near_ends)
        return
    test, outside = folded
    start, end = (day, fixed) if fixed_is_end else (fixed, day)
    frame = pl.DataFrame({"d": pl.Series([day, None], dtype=pl.Date)})
    flagged = frame.select(outside.alias("x"))["x"][0] if outside is not None else False
    try:
        value = between(start, end, unit, rounding)
    except ValueError:  # the per-record path raises: the row must go there
        assert flagged
        return
    assert not flagged
    expected = {
        ">=": value >= k,
        ">": value > k,
        "<": value < k,
        "<=": value <= k,
        "==": value == k,
        "!=": value != k,
    }[op]
    assert frame.select(test.alias("x"))["x"].to_list() == [expected, None]


CALENDAR = """
param cutoff: date = 2024-12-31
requirement spans "年限" {
  cite 一 "年限"
  require years_between(applicant.employment.current_post_start,
                        applicant.application.submitted_on, exact) >= 3/2
  require years_between(applicant.person.birth_date,
                        applicant.application.submitted_on, ceil) <= 60
  require months_between(applicant.employment.current_post_start, cutoff, floor) != 7
  require months_between(applicant.application.submitted_on,
                         applicant.person.birth_date, floor) < -100
  require applicant.employment.current_post_start + 18 months <= applicant.application.submitted_on
  require applicant.person.birth_date + 1 years - 3 days >= 1960-02-28
}
"""


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    dates=st.lists(st.tuples(NEAR, NEAR, NEAR), min_size=20, max_size=20),
)
def test_calendar_arithmetic_in_closed_form_is_the_engines(
    dates: list[tuple[dt.date, dt.date, dt.date]], make_policy: Callable[[str], Policy]
) -> None:
    key = "calendar"
    if key not in _CACHE:
        policy = make_policy(CALENDAR)
        _CACHE[key] = (policy, ColumnarPolicy(policy))
    policy, columnar = _CACHE[key]
    assert not columnar.fallback_rules
    records = [
        {
            "person": {"birth_date": birth.isoformat()},
            "employment": {"current_post_start": post.isoformat()},
            "application": {"submitted_on": submitted.isoformat()},
        }
        for birth, post, submitted in dates
    ]
    records.append({"person": {"birth_date": "2000-02-29"}, "employment": {}})
    table = _table(records)
    result = columnar.evaluate(table, explain=True)
    for row, raw in zip(result.iter_rows(named=True), table.iter_rows(named=True), strict=True):
        decision = _reference(policy, raw)
        assert row["outcome"] == decision.outcome.value
        assert row["missing"] == decision.missing_facts


def test_a_rule_without_columnar_form_is_explained_per_record(
    make_policy: Callable[[str], Policy],
) -> None:
    """Rows where a blocking rule decided per record failed or is unknown are explained
    there; the others column-wise."""
    policy = make_policy(
        SMALL
        + """
requirement same_series "同系列" {
  cite 三 "现岗位系列与申报系列一致"
  require {applicant.application.series}.contains_all({applicant.employment.post_series})
}
"""
    )
    columnar = ColumnarPolicy(policy)
    assert set(columnar.fallback_rules) == {"same_series"}
    table = _table(spelled(applicants(60, seed=8, missing=0.2)))
    result = columnar.evaluate(table, explain=True)
    assert 0 < columnar.last_per_record_rows < 60
    _assert_explained_as_per_record(policy, table, result)


# ---------------------------------------------------------------- chunks and spellings


@pytest.mark.parametrize("explain", [False, True])
def test_a_table_decided_in_chunks_on_threads_is_the_table_decided_whole(explain: bool) -> None:
    """Chunks of 37 rows on three threads: the same result, row for row, as one chunk;
    rows read by the models (odd spellings, errors) land in several chunks."""
    _policy, columnar = _compiled("eryuan-2024")
    records = spelled(applicants(150, seed=21, missing=0.05))
    records += spelled(applicants(80, seed=22, missing=0.02, messy=True), messy=True)
    validated = validate_table(_table(records))
    assert len(validated.slow_rows) > 3 and validated.errors
    whole = columnar.evaluate(validated, explain=explain, chunk_rows=10_000)
    per_record_whole = columnar.last_per_record_rows
    chunked = columnar.evaluate(validated, explain=explain, chunk_rows=37, threads=3)
    assert chunked.equals(whole)
    assert columnar.last_per_record_rows == per_record_whole > 3
    numbers = list(range(1000, 1000 + validated.height))[::-1]
    renumbered = columnar.evaluate(validated, rows=numbers, explain=explain, chunk_rows=50)
    assert renumbered["row"].to_list() == numbers
    assert renumbered.drop("row").equals(whole.drop("row"))


def test_chunk_rows_must_be_positive() -> None:
    _policy, columnar = _compiled("eryuan-2024")
    with pytest.raises(TitleRulesError, match="chunk_rows"):
        columnar.evaluate(_table(spelled(applicants(3, seed=1))), chunk_rows=0)


def test_the_plain_and_explaining_compilations_share_what_they_remember() -> None:
    """Deciding with explanations between two plain runs changes nothing (they share the
    Python built-ins' call sites and the rule-list spellers)."""
    policy = load_policy("eryuan-2024")
    columnar = ColumnarPolicy(policy)
    validated = validate_table(typed_table(applicants(400, seed=31, missing=0.05)))
    before = columnar.evaluate(validated)
    explained = columnar.evaluate(validated, explain=True)
    after = columnar.evaluate(validated)
    assert after.equals(before)
    assert explained.select(before.columns).equals(before)
    assert ColumnarPolicy(policy).evaluate(validated, explain=True).equals(explained)


SPELLINGS = """
requirement hours "学时" {
  cite 一 "学时"
  require applicant.continuing_education.all(c -> c.hours >= 1/10)
}
requirement votes "票数" {
  cite 二 "票数"
  require applicant.unit_debrief.yes_votes >= 10
}
requirement dated "日期" {
  cite 三 "日期"
  require applicant.employment.current_post_start <= 2000-01-01
}
requirement identity "身份" {
  cite 四 "身份"
  require applicant.employment.identity == 工人
}
requirement flag "标记" {
  cite 五 "标记"
  require applicant.employment.retired
}
"""


def test_facts_are_worded_as_the_per_record_path_words_them(
    make_policy: Callable[[str], Policy],
) -> None:
    """Decimals without trailing zeros, dates ISO, enum members by their Chinese term,
    booleans 是/否, whole numbers as digits, a list element's missing value named as
    missing: the table's lines are the per-record decision's, word for word."""
    policy = make_policy(SPELLINGS)
    columnar = ColumnarPolicy(policy)
    record = {
        "employment": {
            "current_post_start": "2010-05-01",
            "identity": "干部",
            "retired": "false",
        },
        "continuing_education": [
            {"year": "2022", "hours": "12.5"},
            {"year": "2023", "hours": "40"},
            {"year": "2024", "hours": "0.25"},
            {"year": "2021"},
        ],
        "unit_debrief": {"attendees": "30", "yes_votes": "7"},
    }
    table = _table([record])
    result = columnar.evaluate(table, explain=True)
    lines = result["explanation"][0].splitlines()
    assert len(lines) == 5
    hours, votes, dated, identity, flag = lines
    assert hours.startswith("待查明：学时（测〔2024〕1号 一）"), hours
    assert "(continuing_education[3].hours)" in hours, hours
    assert votes.startswith("不符合：票数（测〔2024〕1号 二）　因为："), votes
    assert "7" in votes and "10" in votes, votes
    assert "2010-05-01" in dated, dated
    assert "干部" in identity, identity
    assert "否" in flag, flag
    _assert_explained_as_per_record(policy, table, result)


OUTLYING = """
requirement dated "日期" {
  cite 一 "日期"
  require applicant.employment.current_post_start <= 1800-01-01
}
requirement votes "票数" {
  cite 二 "票数"
  require applicant.unit_debrief.yes_votes < 3
}
"""


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_rows_with_the_same_facts_share_a_line_and_others_do_not(
    make_policy: Callable[[str], Policy], lang: str
) -> None:
    """A rule is explained once per distinct combination of the facts it reads: rows
    stating the same facts get the same line, a row differing in one fact gets its own,
    with its own values (dates and numbers far outside the usual ranges included)."""
    policy = make_policy(OUTLYING)
    columnar = ColumnarPolicy(policy)
    dates = ["2010-05-01", "2010-05-01", "2150-05-01", "1850-03-02"]
    votes = ["7", "7", "5000", "12"]
    records = [
        {
            "employment": {"current_post_start": date},
            "unit_debrief": {"attendees": "9000", "yes_votes": vote},
        }
        for date, vote in zip(dates, votes, strict=True)
    ]
    table = _table(records)
    result = columnar.evaluate(table, explain=True, lang=lang)
    texts = result["explanation"].to_list()
    assert texts[0] == texts[1] and len(set(texts)) == 3
    for text, date, vote in zip(texts, dates, votes, strict=True):
        dated, counted = text.splitlines()
        assert date in dated and vote in counted
    _assert_explained_as_per_record(policy, table, result, lang)


WORDED = """
requirement civil "非公务员" en "Not a civil servant" {
  cite 一(1) "公务员不得申报"
  require not applicant.employment.is_civil_servant
  message "公务员（出生日期 {applicant.person.birth_date}）"
      en "a civil servant (born {applicant.person.birth_date})"
}
"""


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_message_naming_facts_the_rule_does_not_read_is_worded_per_row(
    make_policy: Callable[[str], Policy], lang: str
) -> None:
    """A message template may name a value the rule's condition does not read: rows that
    state the same facts for the condition but differ in that value get their own words."""
    policy = make_policy(WORDED)
    columnar = ColumnarPolicy(policy)
    records = [
        {"employment": {"is_civil_servant": "true"}, "person": {"birth_date": born}}
        for born in ("1980-01-02", "1975-06-30")
    ]
    table = _table(records)
    result = columnar.evaluate(table, explain=True, lang=lang)
    first, second = result["explanation"].to_list()
    assert "1980-01-02" in first and "1975-06-30" in second
    _assert_explained_as_per_record(policy, table, result, lang)


def test_jsonl_of_exported_records_is_read_in_one_step_as_line_by_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chunk of JSON Lines spelled as a system exports records is parsed by pyarrow's JSON
    reader (blank lines skipped, rows numbered by line); its result rows, explanations
    included, are those of the same lines read one by one; a chunk with an odd line is
    halved until the part holding it is small enough to be read line by line."""
    from titlerules.batch import io as batch_io
    from titlerules.batch.records import ExportReader
    from titlerules.facts import Applicant

    _policy, columnar = _compiled("eryuan-2024")
    records = [
        Applicant.model_validate(r).model_dump(mode="json", exclude_none=True)
        for r in applicants(60, seed=14, missing=0.1)
    ]
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    lines.insert(10, "")
    lines.insert(30, "   ")
    path = tmp_path / "a.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    read: list[bool] = []
    original = ExportReader.frame_json

    def spy(self: ExportReader, texts: Any) -> Any:
        found = original(self, texts)
        read.append(found is not None)
        return found

    monkeypatch.setattr(ExportReader, "frame_json", spy)
    _summary, one_step = run_file(columnar, path, chunk_rows=30, explain=True)
    assert read == [True, True]
    assert one_step.height == 60
    assert one_step["row"].to_list()[9:12] == [10, 12, 13]  # (line 11 is blank)
    monkeypatch.setattr(ExportReader, "frame_json", lambda self, texts: None)
    _summary, by_line = run_file(columnar, path, chunk_rows=30, explain=True)
    assert one_step.equals(by_line)
    lines[40] = lines[40].replace('"id": ', '"id": 1, "nonsense": ', 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(ExportReader, "frame_json", spy)
    monkeypatch.setattr(batch_io, "JSONL_PART_ROWS", 8)
    monkeypatch.setattr(batch_io, "JSONL_SAMPLE_ROWS", 4)
    read.clear()
    _summary, mixed = run_file(columnar, path, chunk_rows=30)
    # rows 31-60 refused, their first 4 read: halved; rows 31-45 refused (31-34 read),
    # 31-37 read, 38-45 (line 41's part, 8 rows) refused and read line by line; 46-60 read
    assert read == [True, False, True, False, True, True, False, True]
    assert mixed["outcome"].to_list()[38] == "error"  # line 41
    others = by_line.select(mixed.columns).filter(pl.col("row") != 41)
    assert mixed.filter(pl.col("row") != 41).equals(others)
    # every line spelled otherwise (a number as text): each chunk and its first lines are
    # refused, and the chunk is read line by line at once
    quoted = []
    for record in records:
        record = json.loads(json.dumps(record))
        record["application"]["year"] = str(record["application"]["year"])
        quoted.append(json.dumps(record, ensure_ascii=False))
    path.write_text("\n".join(quoted) + "\n", encoding="utf-8")
    read.clear()
    _summary, by_text = run_file(columnar, path, chunk_rows=30)
    assert read == [False, False, False, False]
    assert by_text.drop("row").equals(by_line.select(by_text.columns).drop("row"))


@pytest.mark.parametrize("by_line", [False, True])
def test_an_empty_text_in_jsonl_is_the_models_to_read(
    by_line: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A line's ``""`` is a value the record models refuse (a CSV cell left empty is a missing
    fact): its row is the models' error, whether the chunk is read by the JSON reader or line
    by line."""
    from titlerules.batch.records import ExportReader
    from titlerules.facts import Applicant

    policy, columnar = _compiled("eryuan-2024")
    records = [
        Applicant.model_validate(r).model_dump(mode="json", exclude_none=True)
        for r in applicants(12, seed=15)
    ]
    records[3]["person"]["name"] = ""
    records[5].setdefault("assessments", []).append({"year": 2020, "grade": ""})
    path = tmp_path / "a.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), "utf-8")
    if by_line:
        monkeypatch.setattr(ExportReader, "frame_json", lambda self, texts: None)
    summary, result = run_file(columnar, path)
    for row, record in zip(result.iter_rows(named=True), records, strict=True):
        try:
            expected = policy.evaluate(record, explain=False).outcome.value
        except TitleRulesError as exc:
            assert row["outcome"] == "error" and row["error"] == str(exc)
        else:
            assert row["outcome"] == expected
    assert result["outcome"].to_list()[3] == result["outcome"].to_list()[5] == "error"
    assert any("an empty text" in line for line in summary.per_record_reasons.lines())
