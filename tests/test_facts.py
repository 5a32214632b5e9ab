"""The facts layer: record models, vocabularies, loading and error reporting."""

from __future__ import annotations

import itertools
import pickle
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from titlerules.errors import InputFileError, RecordError
from titlerules.facts import (
    ENUMS,
    HISTORICAL_FIELDS,
    Applicant,
    AssessmentGrade,
    CommitteeLevel,
    EmployerKind,
    FilingContent,
    HistoricalTitleRecord,
    NoticeContent,
    PartySeverity,
    Procedure,
    RecordValidationError,
    SanctionSeverity,
    TitleLevel,
    ZhEnum,
    dump_record,
    load_applicant,
    load_batch,
    load_historical_csv,
    load_post_table,
    load_procedure,
    load_record,
    load_records,
    lookup_enum_member,
    parse_record,
)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
JURISDICTIONS = ("eryuan-2024", "kunming-2020", "yuncheng-2024", "xianning-2024")
APPLICANT_FILES = sorted(
    path for j in JURISDICTIONS for path in (EXAMPLES / j / "applicants").glob("*.yaml")
)

# A valid record to vary: 李华, born 1985-03-12, female.
LI_HUA_ID = "532930198503120426"


def base_applicant(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "t-1",
        "person": {
            "name": "李华",
            "gender": "女",
            "birth_date": "1985-03-12",
            "id_type": "居民身份证",
            "id_number": LI_HUA_ID,
        },
        "employment": {"employer_kind": "事业单位", "is_civil_servant": False},
        "application": {"year": 2024, "level": "中级"},
    }
    data.update(changes)
    return data


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- examples -------------------------------------------------------------------------------


@pytest.mark.parametrize("jurisdiction", JURISDICTIONS)
def test_every_example_of_a_jurisdiction_loads(jurisdiction: str) -> None:
    results = load_batch(EXAMPLES / jurisdiction)
    assert results, jurisdiction
    assert [str(r.error) for r in results if not r.ok] == []
    applicants = [r.record for r in results if isinstance(r.record, Applicant)]
    procedures = [r.record for r in results if isinstance(r.record, Procedure)]
    assert 4 <= len(applicants) <= 6
    # the compliant round (procedure.yaml) and the one with injected violations
    assert len(procedures) == 2


@pytest.mark.parametrize("path", APPLICANT_FILES, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_each_applicant_example_loads_and_round_trips(path: Path) -> None:
    applicant = load_applicant(path)
    assert applicant.person is not None and applicant.person.name
    assert applicant.application is not None
    assert path.read_text(encoding="utf-8").startswith("# "), "top-of-file comment"
    assert parse_record(Applicant, dump_record(applicant)["applicant"]) == applicant


@pytest.mark.parametrize("jurisdiction", JURISDICTIONS)
def test_procedure_examples_load(jurisdiction: str) -> None:
    procedure = load_procedure(EXAMPLES / jurisdiction / "procedure.yaml")
    assert procedure.committee is not None and procedure.committee.name
    assert procedure.meeting is not None and procedure.meeting.start is not None
    assert load_record(EXAMPLES / jurisdiction / "procedure.yaml") == procedure
    assert parse_record(Procedure, dump_record(procedure)["procedure"]) == procedure


def test_eryuan_procedure_facts() -> None:
    procedure = load_procedure(EXAMPLES / "eryuan-2024" / "procedure.yaml")
    assert procedure.notice is not None
    assert procedure.notice.contents == frozenset(NoticeContent)
    assert procedure.meeting is not None and procedure.meeting.attendees == 7
    assert procedure.members is not None and len(procedure.members) == 11
    assert procedure.planned_pass_rate == Fraction(3, 4)
    assert procedure.publicity is not None
    assert procedure.publicity[1].end == date(2024, 9, 19)


def test_xianning_attachments_load() -> None:
    table = load_post_table(EXAMPLES / "xianning-2024" / "post-table.yaml")
    assert table.intermediate is not None and table.intermediate.computed_vacancies == 22
    assert table.computed_total("posts") == 628
    rows = load_historical_csv(EXAMPLES / "xianning-2024" / "historical-titles.csv")
    assert len(rows) >= 5 and all(row.ok for row in rows)
    first = rows[0].record
    assert isinstance(first, HistoricalTitleRecord)
    assert first.approval_date == date(2012, 10, 15)


# --- identity numbers -----------------------------------------------------------------------


def test_wrong_check_digit_is_rejected_naming_the_field() -> None:
    data = base_applicant()
    data["person"]["id_number"] = LI_HUA_ID[:-1] + "3"
    with pytest.raises(RecordValidationError) as caught:
        load_applicant(data)
    assert str(caught.value).startswith(
        "证件号码 (applicant.person.id_number): check digit should be '6', got '3'"
    )


def test_birth_date_mismatch_is_rejected() -> None:
    data = base_applicant()
    data["person"]["birth_date"] = "1985-03-13"
    with pytest.raises(RecordValidationError) as caught:
        load_applicant(data)
    (problem,) = caught.value.problems
    assert problem.record_path == "applicant.person.id_number"
    assert "birth date 1985-03-12" in problem.message and "1985-03-13" in problem.message


def test_gender_mismatch_is_rejected() -> None:
    data = base_applicant()
    data["person"]["gender"] = "男"
    with pytest.raises(RecordValidationError) as caught:
        load_applicant(data)
    (problem,) = caught.value.problems
    assert problem.record_path == "applicant.person.id_number"
    assert "17th digit even" in problem.message and "gender is male" in problem.message


def test_other_id_types_are_not_checksum_validated() -> None:
    data = base_applicant()
    data["person"].update(id_type="护照", id_number="E12345678")
    assert load_applicant(data).person is not None


def test_unquoted_id_number_read_as_a_number_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", "applicant:\n  person:\n    id_number: 532930198211051318\n")
    person = load_applicant(path).person
    assert person is not None and person.id_number == "532930198211051318"


def test_historical_record_checks_its_id_number() -> None:
    row = dict(
        zip(
            [f for f, _ in HISTORICAL_FIELDS],
            [
                "刘国平",
                "男",
                "居民身份证",
                "421202196801141139",
                "1968-01-14",
                "工程技术",
                "水利工程",
                "工程师",
                "评委会",
                "职改办",
                "咸职改办〔2013〕52号",
                "2013-12-20",
            ],
            strict=True,
        )
    )
    with pytest.raises(RecordValidationError) as caught:
        parse_record(HistoricalTitleRecord, row)
    assert caught.value.problems[0].record_path == "id_number"
    assert "check digit should be '8', got '9'" in caught.value.problems[0].message


# --- optional facts and vocabularies --------------------------------------------------------


def test_missing_optional_fact_is_none_and_empty_list_stays_empty() -> None:
    applicant = load_applicant(base_applicant(sanctions=[]))
    assert applicant.assessments is None
    assert applicant.sanctions == []
    assert applicant.employment is not None and applicant.employment.retired is None
    assert applicant.unit_debrief is None


def test_chinese_and_english_enum_input_are_the_same() -> None:
    chinese = load_applicant(
        base_applicant(
            assessments=[{"year": 2023, "grade": "优秀"}],
            sanctions=[{"system": "事业单位处分", "severity": "记过"}],
        )
    )
    english = load_applicant(
        base_applicant(
            employment={"employer_kind": "PUBLIC_INSTITUTION", "is_civil_servant": "否"},
            application={"year": 2024, "level": "Intermediate"},
            assessments=[{"year": 2023, "grade": "excellent"}],
            sanctions=[{"system": "public_institution", "severity": "DEMERIT"}],
        )
    )
    assert chinese == english
    assert dump_record(chinese) == dump_record(english)
    dumped = dump_record(english)["applicant"]
    assert dumped["application"]["level"] == "intermediate"
    assert dumped["sanctions"][0]["severity"] == "demerit"
    assert chinese.model_dump_json() == english.model_dump_json()


def test_invalid_enum_lists_the_choices() -> None:
    with pytest.raises(RecordValidationError) as caught:
        load_applicant(base_applicant(application={"level": "特级"}))
    (problem,) = caught.value.problems
    assert problem.record_path == "applicant.application.level"
    assert problem.message.startswith("'特级' is not a valid TitleLevel; expected one of: 员级")


def test_ranked_vocabularies_compare_by_rank() -> None:
    assert TitleLevel.CLERK < TitleLevel.ASSISTANT < TitleLevel.INTERMEDIATE
    assert TitleLevel.INTERMEDIATE < TitleLevel.ASSOCIATE_SENIOR < TitleLevel.SENIOR
    assert AssessmentGrade.EXCELLENT > AssessmentGrade.COMPETENT > AssessmentGrade.INCOMPETENT
    undetermined = AssessmentGrade.UNDETERMINED
    assert not undetermined >= AssessmentGrade.COMPETENT
    assert not undetermined < AssessmentGrade.COMPETENT
    s = SanctionSeverity
    public_institution = [s.WARNING, s.DEMERIT, s.POST_GRADE_REDUCTION, s.REMOVAL_FROM_POST]
    government = [s.WARNING, s.DEMERIT, s.MAJOR_DEMERIT, s.DEMOTION, s.REMOVAL_FROM_POST]
    for scale in ([*public_institution, s.DISMISSAL], [*government, s.DISMISSAL]):
        assert all(a < b for a, b in itertools.pairwise(scale))
    assert PartySeverity.PROBATION > PartySeverity.SERIOUS_WARNING
    with pytest.raises(TypeError):
        assert TitleLevel.SENIOR > CommitteeLevel.JUNIOR


def test_lookup_enum_member() -> None:
    assert lookup_enum_member("记过") == [SanctionSeverity.DEMERIT]
    assert lookup_enum_member("副高级") == [TitleLevel.ASSOCIATE_SENIOR]
    assert lookup_enum_member("副高") == [TitleLevel.ASSOCIATE_SENIOR]
    assert set(lookup_enum_member("评审时间")) == {NoticeContent.SCHEDULE, FilingContent.SCHEDULE}
    assert lookup_enum_member("demerit") == [SanctionSeverity.DEMERIT]
    assert lookup_enum_member("不存在的词") == []


def test_registry_holds_every_vocabulary_and_terms_are_unique_within_one() -> None:
    assert ENUMS["TitleLevel"] is TitleLevel and ENUMS["EmployerKind"] is EmployerKind
    for name, cls in ENUMS.items():
        assert issubclass(cls, ZhEnum) and cls.__name__ == name
        terms = [term for member in cls for term in member.terms]
        assert len(terms) == len(set(terms)), name
        for member in cls:
            assert member.zh and cls.parse(member.zh) is member
            assert cls.parse(member.name.lower()) is member


def test_records_are_immutable() -> None:
    applicant = load_applicant(base_applicant())
    with pytest.raises(ValidationError):
        applicant.id = "other"


def test_value_types() -> None:
    applicant = load_applicant(
        base_applicant(
            unit_debrief={"held_on": "2024年6月26日", "attendees": 62, "yes_votes": 51},
            continuing_education=[{"year": 2023, "hours": "90.5"}],
        )
    )
    assert applicant.unit_debrief is not None
    assert applicant.unit_debrief.held_on == date(2024, 6, 26)
    assert applicant.continuing_education is not None
    assert str(applicant.continuing_education[0].hours) == "90.5"
    procedure = load_procedure({"planned_pass_rate": "30%"})
    assert procedure.planned_pass_rate == Fraction(3, 10)
    assert load_procedure({"planned_pass_rate": 0.3}).planned_pass_rate == Fraction(3, 10)


# --- errors ---------------------------------------------------------------------------------


def test_invalid_date_names_file_line_and_record_path(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "li.yaml",
        "applicant:\n  sanctions:\n    - severity: 记过\n      start: 2024-13-01\n",
    )
    with pytest.raises(RecordValidationError) as caught:
        load_applicant(path)
    (problem,) = caught.value.problems
    assert problem.file == str(path)
    assert problem.record_path == "applicant.sanctions[0].start"
    assert problem.message == "invalid date '2024-13-01'"
    assert (problem.line, problem.column) == (4, 7)
    assert str(caught.value).startswith(
        f"{path}:4:7: 处分与刑事处罚（第1项）·处分（刑期）起始日 (applicant.sanctions[0].start): "
        "invalid date '2024-13-01'"
    )
    assert "hint: write dates as YYYY-MM-DD" in str(caught.value)
    assert isinstance(caught.value, RecordError)


def test_all_problems_of_one_record_are_reported(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "many.yaml",
        "applicant:\n"
        "  person:\n"
        "    birth_date: 1985-02-30\n"
        "    id_number: '532930198503120423'\n"
        "  employment:\n"
        "    retired: perhaps\n"
        "  assessments:\n"
        "    - grade: 优秀\n"
        "  unit_debrief:\n"
        "    attendees: -1\n",
    )
    with pytest.raises(RecordValidationError) as caught:
        load_applicant(path)
    found = {p.record_path: p.message for p in caught.value.problems}
    assert found == {
        "applicant.person.birth_date": "invalid date '1985-02-30'",
        "applicant.person.id_number": "check digit should be '6', got '3'",
        "applicant.employment.retired": "expected true or false, got 'perhaps'",
        "applicant.assessments[0].year": "required field is missing",
        "applicant.unit_debrief.attendees": "must be at least 0, got '-1'",
    }
    assert len(str(caught.value).splitlines()) >= 5


def test_unknown_key_is_rejected_with_its_path_and_a_suggestion() -> None:
    with pytest.raises(RecordValidationError) as caught:
        load_applicant(base_applicant(santions=[]))
    (problem,) = caught.value.problems
    assert problem.record_path == "applicant.santions"
    assert problem.message == "unknown field 'santions'"
    assert problem.hint == "did you mean 'sanctions'?"

    with pytest.raises(RecordValidationError) as caught:
        load_procedure({"meeting": {"attendes": 7}})
    assert caught.value.problems[0].record_path == "procedure.meeting.attendes"
    assert caught.value.problems[0].hint == "did you mean 'attendees'?"


def test_cross_field_errors_name_the_field() -> None:
    with pytest.raises(RecordValidationError) as caught:
        load_applicant(base_applicant(unit_debrief={"attendees": 10, "yes_votes": 12}))
    (problem,) = caught.value.problems
    assert problem.record_path == "applicant.unit_debrief.yes_votes"
    assert problem.message == "12 yes votes exceed the 10 attendees"


def test_post_table_vacancies_must_be_posts_minus_appointed() -> None:
    with pytest.raises(RecordValidationError) as caught:
        load_post_table({"senior": {"posts": 48, "appointed": 45, "vacancies": 4}})
    (problem,) = caught.value.problems
    assert problem.record_path == "post_table.senior.vacancies"
    assert problem.message == "should be posts - appointed = 48 - 45 = 3, got 4"
    table = load_post_table(
        {
            "intermediate": {"posts": 10, "appointed": 8},
            "associate_senior": {"posts": 4, "appointed": 4},
            "senior": {"posts": 1, "appointed": 0},
        }
    )
    assert table.total is None and table.computed_total("vacancies") is None
    assert table.computed_total("appointed") == 12
    with pytest.raises(RecordValidationError) as caught:
        load_post_table(
            {
                "intermediate": {"posts": 10},
                "associate_senior": {"posts": 4},
                "senior": {"posts": 1},
                "total": {"posts": 16},
            }
        )
    assert caught.value.problems[0].record_path == "post_table.total"


def test_historical_record_fields_are_all_mandatory() -> None:
    with pytest.raises(RecordValidationError) as caught:
        parse_record(HistoricalTitleRecord, {}, path="historical_title_record")
    paths = [p.record_path for p in caught.value.problems]
    assert paths == [f"historical_title_record.{field}" for field, _ in HISTORICAL_FIELDS]
    assert {p.message for p in caught.value.problems} == {"required field is missing"}


def test_historical_csv_reports_rows_in_place(tmp_path: Path) -> None:
    header = ",".join(zh for _, zh in HISTORICAL_FIELDS)
    tail = "卫生技术,护理学,主管护师,考试,职改办,文号,2012-10-15"
    good = f"张红梅,女,居民身份证,421202197508230240,1975-08-23,{tail}"
    missing = f"李四,男,居民身份证,,1975-08-23,{tail}"
    path = write(tmp_path, "h.csv", "\n".join([header, good, missing, good]) + "\n")
    rows = load_historical_csv(path)
    assert [row.ok for row in rows] == [True, False, True]
    error = rows[1].error
    assert isinstance(error, RecordValidationError)
    assert str(error.problems[0]).startswith(
        f"{path}:3: 证件号码 (historical_title_records[1].id_number): required field is missing"
    )


def test_yaml_syntax_error_gives_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", "applicant:\n  person:\n    name: [李华\n")
    with pytest.raises(InputFileError) as caught:
        load_applicant(path)
    assert caught.value.location is not None
    assert caught.value.location.file == str(path)
    assert caught.value.location.line is not None and caught.value.location.column is not None
    assert str(caught.value).startswith(f"{path}:")


def test_file_level_errors(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="no such file"):
        load_applicant(tmp_path / "absent.yaml")
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("applicant: {id: 李}".encode("gb18030"))
    with pytest.raises(InputFileError, match="not valid UTF-8"):
        load_applicant(latin)
    dup = write(tmp_path, "dup.yaml", "applicant:\n  id: a\n  id: b\n")
    with pytest.raises(InputFileError, match="duplicate key 'id'"):
        load_applicant(dup)
    bad_json = write(tmp_path, "a.json", '{"applicant": {"id": "a",}}')
    with pytest.raises(InputFileError) as caught:
        load_applicant(bad_json)
    assert caught.value.location is not None and caught.value.location.line == 1


def test_file_kind_is_checked(tmp_path: Path) -> None:
    with pytest.raises(RecordError, match="expected applicant record, found procedure"):
        load_applicant(EXAMPLES / "eryuan-2024" / "procedure.yaml")
    path = write(tmp_path, "x.yaml", "applicnt:\n  id: a\n")
    with pytest.raises(RecordValidationError) as caught:
        load_record(path)
    assert caught.value.problems[0].message == "unknown record kind 'applicnt'"
    assert caught.value.problems[0].hint == "did you mean 'applicant'?"


def test_json_records_load(tmp_path: Path) -> None:
    path = write(tmp_path, "a.json", '{"applicant": {"id": "a", "person": {"gender": "female"}}}')
    applicant = load_applicant(path)
    assert applicant.person is not None and applicant.person.gender is not None
    assert applicant.person.gender.zh == "女"


def test_error_is_picklable() -> None:
    with pytest.raises(RecordValidationError) as caught:
        load_applicant(base_applicant(santions=[], sanctions=[{"start": "x"}]))
    copy = pickle.loads(pickle.dumps(caught.value))
    assert isinstance(copy, RecordValidationError)
    assert copy.problems == caught.value.problems
    assert str(copy) == str(caught.value)


# --- batches --------------------------------------------------------------------------------


def test_batch_of_mappings_gives_one_result_per_record() -> None:
    items: list[dict[str, Any]] = [
        {"applicant": base_applicant()},
        {"applicant": base_applicant(assessments=[{"year": 2023, "grade": "很好"}])},
        {"procedure": {"year": 2024}},
        {"aplicant": {}},
        {"applicant": base_applicant()},
    ]
    results = load_batch(items)
    assert len(results) == len(items)
    assert [r.ok for r in results] == [True, False, True, False, True]
    assert isinstance(results[2].record, Procedure)
    error = results[1].error
    assert isinstance(error, RecordValidationError)
    assert error.problems[0].record_path == "[1].applicant.assessments[0].grade"


def test_batch_of_bare_mappings_with_a_kind() -> None:
    results = load_batch([base_applicant(), {"person": {"birth_date": "soon"}}], kind=Applicant)
    assert [r.ok for r in results] == [True, False]
    assert results[1].record_path == "[1]"


def test_batch_file_with_a_list_gives_one_result_per_record(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "many.yaml",
        "applicants:\n"
        "  - {id: a}\n"
        "  - {id: b, person: {birth_date: 2024-02-30}}\n"
        "  - {id: c}\n"
        "  - {id: d, unknown: 1}\n",
    )
    results = load_batch(path)
    assert [r.ok for r in results] == [True, False, True, False]
    assert [r.record_path for r in results] == [f"applicants[{i}]" for i in range(4)]
    with pytest.raises(RecordValidationError) as caught:
        load_records(path)
    assert [p.record_path for p in caught.value.problems] == [
        "applicants[1].person.birth_date",
        "applicants[3].unknown",
    ]
    assert [p.line for p in caught.value.problems] == [3, 5]


def test_batch_directory_keeps_going_past_an_unreadable_file(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "applicant: {id: a}\n")
    write(tmp_path, "b.yaml", "applicant: [\n")
    write(tmp_path, "c.yaml", "- applicant: {id: c}\n- procedure: {id: p}\n")
    results = load_batch(tmp_path)
    assert [(Path(r.file or "").name, r.ok) for r in results] == [
        ("a.yaml", True),
        ("b.yaml", False),
        ("c.yaml", True),
        ("c.yaml", True),
    ]
    assert isinstance(results[1].error, InputFileError)
    assert results[3].record_path == "[1].procedure"


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["person", "sanctions", "start", "grade", "year", "id", "x"]),
            inner,
            max_size=4,
        )
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.dictionaries(st.sampled_from(["applicant", "procedure", "y"]), _json_values), max_size=5
    )
)
def test_arbitrary_input_gives_only_results_never_raw_errors(items: list[dict[str, Any]]) -> None:
    results = load_batch(items)
    assert len(results) == len(items)
    for result in results:
        assert result.ok == (result.error is None)
        assert result.error is None or isinstance(result.error, RecordError)
        if result.error is not None:
            assert str(result.error)


def test_sets_serialise_in_declaration_order() -> None:
    procedure = load_procedure({"notice": {"contents": ["联系地址及电话", "评审依据", "评审时间"]}})
    dumped = dump_record(procedure)["procedure"]
    assert dumped["notice"]["contents"] == ["basis", "schedule", "contact"]


def test_absence_is_stated_with_a_presence_flag() -> None:
    record = Applicant.model_validate(
        {
            "employment": {
                "delegation_letter": {"issued": False},
                "delayed_retirement": {"approved": "否"},
            },
            "series_transfer": {"transferred": False},
            "unit_debrief": {"held": False},
            "unit_publicity": {"held": False},
        }
    )
    assert record.employment is not None
    assert record.employment.delegation_letter is not None
    assert record.employment.delegation_letter.issued is False
    assert record.employment.delayed_retirement is not None
    assert record.employment.delayed_retirement.approved is False
    assert record.series_transfer is not None and record.series_transfer.transferred is False
    assert record.unit_debrief is not None and record.unit_debrief.held is False
    assert record.unit_publicity is not None and record.unit_publicity.held is False
    # Left out: unknown, not absent.
    assert Applicant.model_validate({"employment": {}}).employment.delegation_letter is None


def test_delegation_letter_issuer_is_compared_by_role() -> None:
    from titlerules.facts import AuthorityRole

    spellings = ("县人社局", "县人力资源和社会保障局", "县级人力资源社会保障部门", "county_hr")
    for spelling in spellings:
        letter = Applicant.model_validate(
            {
                "employment": {
                    "delegation_letter": {"issued_by": "洱源县人社局", "issuer_role": spelling}
                }
            }
        ).employment.delegation_letter
        assert letter is not None
        assert letter.issuer_role is AuthorityRole.COUNTY_HR, spelling
        assert letter.issued_by == "洱源县人社局"
    assert AuthorityRole.parse("州人社局") is AuthorityRole.PREFECTURE_HR
    assert AuthorityRole.parse("驻地单位人事部门") is AuthorityRole.STATIONED_UNIT_HR
    with pytest.raises(ValidationError):
        Applicant.model_validate({"employment": {"delegation_letter": {"issuer_role": "人社"}}})


def test_duplicate_assessment_years_are_rejected_naming_the_path() -> None:
    years = [
        {"year": 2022, "grade": "合格"},
        {"year": 2023, "grade": "优秀"},
        {"year": 2022, "grade": "优秀"},
    ]
    with pytest.raises(RecordValidationError) as caught:
        load_applicant(base_applicant(assessments=years))
    (problem,) = caught.value.problems
    assert problem.record_path == "applicant.assessments[2].year"
    assert "2022" in problem.message and "assessments[0]" in problem.message
    # Distinct years load.
    years[2]["year"] = 2021
    assert len(load_applicant(base_applicant(assessments=years)).assessments or []) == 3


def test_looking_up_a_term_finds_what_a_scan_of_every_vocabulary_finds() -> None:
    """The index behind lookup_enum_member gives the members, in order, that reading every
    member of every vocabulary gives, for every spelling and for words that are none."""
    from titlerules.facts import ENUMS, lookup_enum_member

    members = [m for cls in ENUMS.values() for m in cls]

    def scan(term: str) -> list[object]:
        text = term.strip()
        return [m for m in members if text in m.terms or text.lower() in m.english_names]

    words = {"", "nothing", "评审时间", " 记过 "}
    for m in members:
        words.update({*m.terms, *m.english_names, m.name, m.name.upper(), str(m.value)})
    assert any(len(scan(word)) > 1 for word in words)  # ambiguous words are among them
    assert all(lookup_enum_member(word) == scan(word) for word in words)
