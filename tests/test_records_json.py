"""Records from JSON: the quick validation (pydantic-core alone) and the JSON text entry point.

The quick schema must give the exact validators' values wherever it accepts a record, and
leave everything else to them: every spelling accepted before is accepted, and every error
message and record path is the exact validators' own.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

import titlerules
from titlerules import calendar as cal
from titlerules.errors import InputFileError, RecordError
from titlerules.facts import (
    Applicant,
    FactModel,
    RecordValidationError,
    fastpath,
    load_applicant,
    parse_record,
    parse_record_json,
    quick_json_record,
)
from titlerules.synthetic import applicants

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").rglob("applicants/*.yaml"))


def _validators(model: type[BaseModel]) -> tuple[Any, Any]:
    model.model_rebuild()  # (built on first use)
    validator = model.__pydantic_validator__
    assert isinstance(validator, fastpath.FastFirstValidator)
    return validator._quick(), validator._exact


@pytest.fixture(scope="module")
def exported() -> list[dict[str, Any]]:
    """Records as a system exports them: ISO dates, enum values, JSON booleans."""
    return [
        Applicant.model_validate(r).model_dump(mode="json", exclude_none=True)
        for r in applicants(300, seed=7, missing=0.05)
    ]


def test_every_record_model_validates_the_quick_way_first() -> None:
    for model in fastpath.subclasses(FactModel):
        model.model_rebuild()  # (built on first use)
        assert isinstance(model.__pydantic_validator__, fastpath.FastFirstValidator), model


def test_a_record_model_is_built_on_first_use_and_then_validates_the_quick_way_first() -> None:
    code = (
        "from titlerules.facts import Meeting, Procedure, fastpath\n"
        "from pydantic_core import SchemaValidator\n"
        "assert not Procedure.__pydantic_complete__ and not Meeting.__pydantic_complete__\n"
        "Meeting.model_validate({'start': '2024-03-01'})\n"
        "assert Meeting.__pydantic_complete__ and not Procedure.__pydantic_complete__\n"
        "assert isinstance(Meeting.__pydantic_validator__, fastpath.FastFirstValidator)\n"
        "Procedure.model_json_schema()\n"
        "assert isinstance(Procedure.__pydantic_validator__, fastpath.FastFirstValidator)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_the_quick_schema_has_no_python_validator_of_a_hot_field() -> None:
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            function = node.get("function")
            target = function.get("function") if isinstance(function, dict) else None
            if node.get("type") in ("function-before", "function-plain") and (
                target is not None and getattr(target, "__name__", "") != "<lambda>"
            ):
                found.append(getattr(target, "__qualname__", repr(target)))
            for value in node.values():
                walk(value)
        elif isinstance(node, list | tuple):
            for item in node:
                walk(item)

    walk(fastpath.fast_schema(Applicant))
    assert found == []  # dates, flags and enums are pydantic-core's; cross-field checks stay


def test_exported_records_pass_the_quick_way_with_the_exact_values(
    exported: list[dict[str, Any]],
) -> None:
    quick, exact = _validators(Applicant)
    for record in exported:
        fast = quick.validate_python(record)  # no fallback: it must pass as it is
        assert fast == exact.validate_python(record)
        assert fast.model_fields_set == exact.validate_python(record).model_fields_set
        assert type(fast.person) is type(exact.validate_python(record).person)
    for record in exported[:50]:
        text = json.dumps(record, ensure_ascii=False)
        assert quick.validate_json(text) == exact.validate_python(record)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_hand_written_examples_validate_as_before(path: Path) -> None:
    _, exact = _validators(Applicant)
    from titlerules.readers import parse_yaml

    data = parse_yaml(path.read_text(encoding="utf-8"), file=str(path))["applicant"]
    assert Applicant.model_validate(data) == exact.validate_python(data)
    assert load_applicant(path) == exact.validate_python(data)


SPELLINGS: list[tuple[str, dict[str, Any]]] = [
    ("chinese enum term", {"person": {"gender": "女"}}),
    ("english enum name upper case", {"application": {"level": "SENIOR"}}),
    ("enum with blanks", {"application": {"level": " senior "}}),
    ("enum alias", {"person": {"id_type": "身份证"}}),
    ("slashed date", {"person": {"birth_date": "1980/3/1"}}),
    ("chinese date", {"person": {"birth_date": "1980年3月1日"}}),
    ("dotted date", {"employment": {"current_post_start": "2015.7.1"}}),
    ("date with blanks", {"employment": {"current_post_start": " 2015-07-01 "}}),
    ("date object", {"employment": {"current_post_start": dt.date(2015, 7, 1)}}),
    ("datetime", {"employment": {"current_post_start": dt.datetime(2015, 7, 1, 9, 30)}}),
    ("是", {"employment": {"retired": "是"}}),
    ("否", {"employment": {"retired": "否"}}),
    ("yes", {"employment": {"retired": "yes"}}),
    ("1 for true", {"employment": {"retired": 1}}),
    ("text true", {"employment": {"retired": "true"}}),
]


@pytest.mark.parametrize(("name", "record"), SPELLINGS, ids=[s[0] for s in SPELLINGS])
def test_every_spelling_accepted_before_is_accepted_with_the_same_value(
    name: str, record: dict[str, Any]
) -> None:
    if name == "enum alias":
        from titlerules.facts import IdType

        alias = next(a for m in IdType for a in m.aliases)
        record = {"person": {"id_type": alias}}
    _, exact = _validators(Applicant)
    assert Applicant.model_validate(record) == exact.validate_python(record)


def test_every_spelling_is_found_as_a_value_without_the_missing_hook(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A lookup by value (``cls(text)``, which pydantic-core's enum validator makes for a
    text that is not a value, a record's Chinese term) finds every spelling of every
    vocabulary as ``parse`` does, without ``_missing_`` once the vocabulary's spellings are
    known; a text that is no spelling still goes there, and is refused."""
    from titlerules.facts.enums import ZhEnum

    def vocabularies(base: type[ZhEnum]) -> list[type[ZhEnum]]:
        found = []
        for cls in base.__subclasses__():
            found += [cls, *vocabularies(cls)]
        return [cls for cls in found if len(cls)]

    missed: list[str] = []
    for cls in vocabularies(ZhEnum):
        spellings = cls.spellings()
        monkeypatch.setattr(cls, "_missing_", classmethod(lambda c, v: missed.append(v)))
        for text, member in spellings.items():
            assert cls(text) is member is cls.parse(text), (cls, text)
        assert not missed, (cls, missed)
        with pytest.raises(ValueError):
            cls("no such term 无此术语")
        assert missed == ["no such term 无此术语"]
        missed.clear()


BAD: list[dict[str, Any]] = [
    {"person": {"gender": "x"}},
    {"person": {"gender": 3}},
    {"person": {"birth_date": "1985-02-30"}},
    {"person": {"birth_date": 19850101}},  # a number is no date (pydantic would read a time)
    {"employment": {"retired": "perhaps"}},
    {"employment": {"retired": 2}},
    {"employment": {"retired": None, "nmae": 1}},
    {"application": {"level": "特级", "submitted_on": "2024-13-01"}},
    {"assessments": [{"year": 2020}, {"year": 2020}]},
    {"unit_debrief": {"attendees": 3, "yes_votes": 4}},
    {"person": {"id_number": "110101199003070000"}},
    {"titles": "none"},
]


@pytest.mark.parametrize("record", BAD, ids=range(len(BAD)))
def test_errors_are_the_exact_validators_own(record: dict[str, Any]) -> None:
    _, exact = _validators(Applicant)
    with pytest.raises(ValidationError) as expected:
        exact.validate_python(record)
    with pytest.raises(ValidationError) as got:
        Applicant.model_validate(record)
    assert got.value.errors(include_url=False) == expected.value.errors(include_url=False)
    with pytest.raises(RecordValidationError) as problem:
        parse_record(Applicant, record, path="applicant")
    with pytest.raises(RecordValidationError) as from_json:
        parse_record_json(Applicant, json.dumps(record, default=str), path="applicant")
    if "19850101" not in json.dumps(record, default=str):  # the same record, read from JSON
        assert str(from_json.value) == str(problem.value)


def test_a_number_is_not_read_as_a_date_in_either_mode() -> None:
    with pytest.raises(RecordValidationError, match="invalid date '19850101'"):
        parse_record_json(Applicant, b'{"person": {"birth_date": 19850101}}')


# --- JSON text ------------------------------------------------------------------------------


def test_json_bytes_and_text_decide_as_the_dicts(exported: list[dict[str, Any]]) -> None:
    policy = titlerules.load_policy("eryuan-2024")
    some = exported[:80]
    as_bytes = [json.dumps(r, ensure_ascii=False).encode("utf-8") for r in some]
    as_text = [json.dumps(r) for r in some]
    for explain in (False, True):
        dicts = [d.model_dump() for d in policy.evaluate_many(some, explain=explain)]
        assert [d.model_dump() for d in policy.evaluate_many(as_bytes, explain=explain)] == dicts
        assert [d.model_dump() for d in policy.evaluate_many(as_text, explain=explain)] == dicts
    assert policy.evaluate(as_bytes[0]).model_dump() == policy.evaluate(some[0]).model_dump()


def test_json_records_pass_pydantic_core_alone(exported: list[dict[str, Any]]) -> None:
    for record in exported[:80]:
        text = json.dumps(record, ensure_ascii=False).encode("utf-8")
        assert quick_json_record(Applicant, text) == Applicant.model_validate(record)


def test_a_key_given_twice_is_refused_not_read_last() -> None:
    text = '{"id": "A1", "employment": {"retired": false, "retired": true}}'
    assert quick_json_record(Applicant, text) is None
    with pytest.raises(InputFileError, match="duplicate key 'retired'"):
        parse_record_json(Applicant, text)
    policy = titlerules.load_policy("eryuan-2024")
    (result,) = policy.evaluate_many([text.encode("utf-8")])
    assert isinstance(result, InputFileError)


def test_text_holding_quote_colon_is_still_read() -> None:
    text = json.dumps({"id": 'A"1":', "employment": {"employer_name": 'x": y'}})
    record = parse_record_json(Applicant, text)
    assert record.id == 'A"1":'
    assert record.employment is not None and record.employment.employer_name == 'x": y'


@pytest.mark.parametrize(
    ("text", "error", "words"),
    [
        (b"\xff{}", InputFileError, "not UTF-8"),
        ("{bad", InputFileError, "invalid JSON"),
        ("[1, 2]", RecordError, "cannot evaluate a list"),
        ('{"person": {"gender": "x"}}', RecordValidationError, "person.gender"),
    ],
)
def test_bad_json_text_is_one_clear_error(
    text: bytes | str, error: type[Exception], words: str
) -> None:
    policy = titlerules.load_policy("eryuan-2024")
    (result,) = policy.evaluate_many([text])
    assert isinstance(result, error)
    assert words in str(result)


def test_wrapped_json_records_are_read_as_wrapped_dicts() -> None:
    policy = titlerules.load_policy("eryuan-2024")
    inner = {"id": "A7", "person": {"gender": "male"}}
    wrapped = policy.evaluate(json.dumps({"applicant": inner}))
    assert wrapped.model_dump() == policy.evaluate({"applicant": inner}).model_dump()
    procedure = policy.evaluate_many([json.dumps({"procedure": {}})])
    assert [type(r).__name__ for r in procedure] == [
        type(r).__name__ for r in policy.evaluate_many([{"procedure": {}}])
    ]


# --- the engine's remembered retirement date ------------------------------------------------


@pytest.mark.parametrize("gender", ["male", "female"])
@pytest.mark.parametrize("category", ["cadre", "worker"])
@pytest.mark.parametrize("senior", [False, True])
def test_the_remembered_retirement_date_is_the_checked_one(
    gender: str, category: str, senior: bool
) -> None:
    for year in (1950, 1964, 1965, 1970, 1975, 1980, 1999):
        for month in (1, 6, 12):
            birth = dt.date(year, month, 28)
            assert cal.known_retirement_date(
                birth, gender, category, senior
            ) == cal.retirement_date(birth, gender, category, senior_professional=senior)


def test_the_quick_schema_is_built_only_after_a_few_records(
    exported: list[dict[str, Any]],
) -> None:
    _, exact = _validators(Applicant)
    validator = fastpath.FastFirstValidator(Applicant, exact)
    for record in exported[: fastpath.QUICK_AFTER]:  # one record from the command line
        assert validator.validate_python(record) == exact.validate_python(record)
    assert validator._fast is None
    assert validator.validate_python(exported[0]) == exact.validate_python(exported[0])
    assert validator._fast is not None
