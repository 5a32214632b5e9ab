"""Every record field has a Chinese and an English label; titlerules.facts.labels reads them.

The labels are written once, in the models (``fact("中文", "English")``); these tests walk
every field of every record model, nested and list-element models included, and check the
API that labels a record path and puts a record value in words.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from pydantic.fields import FieldInfo

import titlerules.facts as facts
from titlerules.errors import UsageError
from titlerules.facts import (
    ENUMS,
    Applicant,
    EmployerKind,
    FactModel,
    RecordValidationError,
    TitleLevel,
    load_applicant,
    load_procedure,
)
from titlerules.facts.enums import En
from titlerules.facts.labels import (
    ROOTS,
    UnknownFieldError,
    field_label,
    field_labels,
    labelled,
    loc_label,
    value_text,
)

_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z]+")
# Latin letters a Chinese label may hold: none is needed today; an abbreviation such as
# "ID" or "GB" would be listed here.
_ABBREVIATIONS: frozenset[str] = frozenset({"ID", "GB"})


def _models() -> list[type[FactModel]]:
    """Every record model of titlerules.facts: FactModel subclasses, recursively."""
    found: list[type[FactModel]] = []
    pending = list(FactModel.__subclasses__())
    while pending:
        model = pending.pop()
        if model.__module__.startswith("titlerules.facts.") and model not in found:
            found.append(model)
        pending.extend(model.__subclasses__())
    return sorted(found, key=lambda model: model.__name__)


def _nested(annotation: object) -> tuple[type[FactModel] | None, bool]:
    origin = typing.get_origin(annotation)
    if origin in (list, frozenset):
        return _nested(typing.get_args(annotation)[0])[0], True
    for argument in typing.get_args(annotation):
        model, is_list = _nested(argument)
        if model is not None or is_list:
            return model, is_list
    if isinstance(annotation, type) and issubclass(annotation, FactModel):
        return annotation, False
    return None, False


def _paths(model: type[FactModel], prefix: str) -> Iterator[tuple[str, FieldInfo]]:
    """Every field path under ``prefix`` with its field, lists addressed by their first item."""
    for name, info in model.model_fields.items():
        path = f"{prefix}.{name}"
        yield path, info
        inner, is_list = _nested(info.annotation)
        if is_list:
            yield f"{path}[0]", info
        if inner is not None:
            yield from _paths(inner, f"{path}[0]" if is_list else path)


def test_the_walk_finds_every_record_model() -> None:
    names = {model.__name__ for model in _models()}
    reachable = {"Applicant", "Procedure", "PostTable", "HistoricalTitleRecord"}
    assert reachable <= names
    # nested and list-element models are walked too
    assert {"DelayedRetirement", "TitleHeld", "Minutes", "PostCounts", "Member"} <= names
    assert len(names) >= 35


@pytest.mark.parametrize("model", _models(), ids=lambda model: model.__name__)
def test_every_field_has_both_labels(model: type[FactModel]) -> None:
    problems: list[str] = []
    for name, info in model.model_fields.items():
        where = f"{model.__name__}.{name}"
        try:
            label = field_labels(info)
        except TypeError as error:
            problems.append(f"{where}: {error}")
            continue
        if not label.zh.strip() or not _CJK.search(label.zh):
            problems.append(f"{where}: the Chinese label '{label.zh}' has no Chinese")
        for word in _LATIN_WORD.findall(label.zh):
            if word not in _ABBREVIATIONS:
                problems.append(f"{where}: the Chinese label '{label.zh}' holds '{word}'")
        if not label.en.strip() or not label.en.isascii() or label.en != label.en.strip():
            problems.append(f"{where}: the English label '{label.en}' is not ASCII text")
        if label.zh != info.description:
            problems.append(f"{where}: the description is not the Chinese label")
    assert problems == []


def test_a_field_without_labels_is_refused() -> None:
    info = Applicant.model_fields["id"]
    bare = type(info)(default=None, description="记录编号")
    with pytest.raises(TypeError, match=r"fact\(\)"):
        field_labels(bare)


@pytest.mark.parametrize(
    ("path", "zh", "en"),
    [
        (
            "applicant.employment.retired",
            "是否已办理离退休手续",
            "retirement formalities completed",
        ),
        ("employment.retired", "是否已办理离退休手续", "retirement formalities completed"),
        (
            "applicant.titles[0].level",
            "已取得职称（第1项）·职称层级",
            "titles held (item 1): title level",
        ),
        (
            "applicant.titles[2].level",
            "已取得职称（第3项）·职称层级",
            "titles held (item 3): title level",
        ),
        (
            "applicant.titles[].level",
            "已取得职称（各项）·职称层级",
            "titles held (each item): title level",
        ),
        ("procedure.meeting.start", "评审会议·开始日期", "evaluation meeting: start date"),
        (
            "procedure.meeting.minutes.kept",
            "评审会议·会议记录·是否做好会议记录",
            "evaluation meeting: minutes: minutes kept",
        ),
        (
            "employment.delayed_retirement.approved",
            "是否经批准延迟退休",
            "delayed retirement approved as prescribed",
        ),
        (
            "employment.delegation_letter.issued_on",
            "委托评审函·出具日期",
            "delegation letter: date of issue",
        ),
        (
            "unit_debrief.yes_votes",
            "单位述职推荐·同意推荐票数",
            "unit debrief and recommendation: votes recommending",
        ),
        ("post_table.senior.posts", "正高·设岗情况", "senior level: posts set"),
        (
            "procedure.committee.specialties[1]",
            "评审专业范围（第2项）",
            "specialties evaluated (item 2)",
        ),
        ("historical_title_record.approval_date", "批准日期", "date of approval"),
        ("applicant.titles", "已取得职称", "titles held"),
    ],
)
def test_field_label_in_both_languages(path: str, zh: str, en: str) -> None:
    assert field_label(path) == zh
    assert field_label(path, "zh") == zh
    assert field_label(path, "en") == en


def test_a_path_without_its_record_key_is_read_inside_root() -> None:
    assert field_label("meeting.start", "en", root="procedure") == "evaluation meeting: start date"
    assert field_label("intermediate.posts", root="post_table") == "中级·设岗情况"
    # the record key in the path wins over root
    assert field_label("applicant.person.name", root="procedure") == "姓名"
    with pytest.raises(UnknownFieldError):
        field_label("meeting.start")  # an applicant has no meeting


def test_labelled_gives_the_label_then_the_path_without_the_record_key() -> None:
    assert labelled("applicant.employment.retired") == "是否已办理离退休手续 (employment.retired)"
    assert labelled("employment.retired", "en") == (
        "retirement formalities completed (employment.retired)"
    )
    assert labelled("procedure.meeting.start") == "评审会议·开始日期 (meeting.start)"
    assert labelled("titles[0].level") == "已取得职称（第1项）·职称层级 (titles[0].level)"


@pytest.mark.parametrize("key", list(ROOTS))
def test_every_path_of_every_record_has_labels(key: str) -> None:
    problems: list[str] = []
    for path, info in _paths(ROOTS[key], key):
        zh, en = field_label(path, "zh"), field_label(path, "en")
        own = field_labels(info)
        if own.zh not in zh or own.en not in en:
            problems.append(f"{path}: '{zh}' / '{en}' do not hold the field's own labels")
        if not en.isascii():
            problems.append(f"{path}: '{zh}' / '{en}'")
        if "applicant." in zh or "procedure." in zh or "[" in zh:
            problems.append(f"{path}: the Chinese label shows a path: {zh}")
        if path.endswith("[0]") and not zh.endswith("（第1项）"):
            problems.append(f"{path}: the item is not named: {zh}")
    assert problems == []


@pytest.mark.parametrize(
    ("path", "message", "hint"),
    [
        ("employment.retird", "'retird' is not a field of Employment", "did you mean 'retired'?"),
        ("applicant.nope", "'nope' is not a field of Applicant", "the fields of Applicant"),
        ("employment[0]", "employment is not a list", "only a list field"),
        ("titles[0][1]", "has an index where a field name belongs", "list items with [0]"),
        ("person.name.first", "goes on after a field that holds no fields", "list items"),
        ("applicant", "names no field", "name a field"),
        ("", "names no field", "name a field"),
        ("titles[x].level", "is not a record path", "applicant.titles[0].level"),
        ("titles[0]level", "is not a record path", "applicant.titles[0].level"),
        (".titles", "is not a record path", "applicant.titles[0].level"),
        ("titles..level", "is not a record path", "applicant.titles[0].level"),
    ],
)
def test_an_unknown_path_is_our_own_key_error(path: str, message: str, hint: str) -> None:
    with pytest.raises(UnknownFieldError) as caught:
        field_label(path)
    error = caught.value
    assert isinstance(error, KeyError)
    assert isinstance(error, UsageError)
    assert error.code == "TR001"
    assert message in error.message
    assert error.hint is not None and hint in error.hint
    assert "\n  hint: " in str(error)
    with pytest.raises(KeyError):
        labelled(path)


def test_an_unknown_root_is_refused() -> None:
    with pytest.raises(UnknownFieldError, match="unknown record 'applicants'"):
        field_label("person.name", root="applicants")


@pytest.mark.parametrize(
    ("value", "zh", "en"),
    [
        (True, "是", "yes"),
        (False, "否", "no"),
        (EmployerKind.GOVERNMENT_AGENCY, "机关", "government organ"),
        (EmployerKind.PUBLIC_INSTITUTION, "事业单位", "public institution"),
        (TitleLevel.ASSOCIATE_SENIOR, "副高级", "associate senior level"),
        (date(2024, 3, 1), "2024-03-01", "2024-03-01"),
        ([1, 2, 3], "3 项", "3 items"),
        ([1], "1 项", "1 item"),
        ([], "0 项", "0 items"),
        (frozenset({EmployerKind.PUBLIC_INSTITUTION}), "1 项", "1 item"),
        (Fraction(2, 3), "2/3", "2/3"),
        (Decimal("90.5"), "90.5", "90.5"),
        (29, "29", "29"),
        ("洱源县人民医院", "洱源县人民医院", "洱源县人民医院"),
        (None, "未知", "unknown"),
    ],
)
def test_value_text(value: object, zh: str, en: str) -> None:
    assert value_text(value) == zh
    assert value_text(value, "en") == en


def test_a_nested_record_value_is_said_to_be_stated() -> None:
    applicant = load_applicant({"employment": {"retired": True}})
    assert value_text(applicant.employment) == "已填写"
    assert value_text(applicant.employment, "en") == "stated"


def test_every_vocabulary_member_has_english_words() -> None:
    problems: list[str] = []
    for name, vocabulary in ENUMS.items():
        for member in vocabulary:
            if not member.en or not member.en.isascii() or "_" in member.en:
                problems.append(f"{name}.{member.name}: '{member.en}'")
            if any(isinstance(alias, En) for alias in member.aliases):
                problems.append(f"{name}.{member.name}: its English words are an alias")
    assert problems == []


def test_english_words_are_not_accepted_spellings() -> None:
    # En gives words to show, not a new spelling: input stays Chinese terms and values.
    assert EmployerKind.parse("机关") is EmployerKind.GOVERNMENT_AGENCY
    assert EmployerKind.parse("党政机关") is EmployerKind.GOVERNMENT_AGENCY
    assert EmployerKind.parse("government_agency") is EmployerKind.GOVERNMENT_AGENCY
    with pytest.raises(ValueError):
        EmployerKind.parse("government organ")
    assert TitleLevel.ASSOCIATE_SENIOR.aliases == ("副高",)
    assert TitleLevel.ASSOCIATE_SENIOR.rank == 4


def test_labels_are_in_the_json_schema_and_not_in_records() -> None:
    schema = Applicant.model_json_schema()
    person = schema["$defs"]["Employment"]["properties"]["retired"]
    assert (person["zh"], person["en"]) == (
        "是否已办理离退休手续",
        "retirement formalities completed",
    )
    record = load_applicant({"employment": {"retired": "是"}})
    assert record.model_dump(mode="json", exclude_none=True) == {"employment": {"retired": True}}


def test_loc_label_labels_a_validation_location() -> None:
    assert loc_label(Applicant, ("titles", 1, "level")) == "已取得职称（第2项）·职称层级"
    assert loc_label(Applicant, ("titles", 1, "level"), "en") == "titles held (item 2): title level"
    assert loc_label(Applicant, ("santions",)) is None
    assert loc_label(Applicant, ()) is None
    assert loc_label(facts.Procedure, ("meeting", "end")) == "评审会议·结束日期"


def test_record_errors_name_the_field_by_its_label_and_keep_the_path() -> None:
    with pytest.raises(RecordValidationError) as caught:
        load_applicant(
            {
                "application": {"submitted_on": "2024-13-01"},
                "titles": [{"level": "特级"}],
                "santions": [],
            }
        )
    lines = str(caught.value).splitlines()
    # problems come in the models' field order: titles before application
    assert lines[0].startswith("已取得职称（第1项）·职称层级 (applicant.titles[0].level): '特级'")
    assert lines[2] == (
        "申报材料提交日期 (applicant.application.submitted_on): invalid date '2024-13-01'"
    )
    # an unknown key names no field: the path alone
    assert lines[4] == "applicant.santions: unknown field 'santions'"
    problems = caught.value.problems
    assert [problem.label for problem in problems] == [
        "已取得职称（第1项）·职称层级",
        "申报材料提交日期",
        None,
    ]
    assert problems[1].record_path == "applicant.application.submitted_on"


def test_a_cross_field_error_is_labelled_too() -> None:
    with pytest.raises(RecordValidationError) as caught:
        load_procedure({"meeting": {"start": "2024-09-10", "end": "2024-09-09"}})
    assert str(caught.value).startswith(
        "评审会议·结束日期 (procedure.meeting.end): the meeting ends 2024-09-09"
    )
