"""Personal data out of decisions, logs and reports (a use of the engine; above engine and facts).

ID numbers and names are personal data (个人信息).  Masking keeps just enough to tell records
apart when reading a report next to the file they came from:

* an ID number keeps its first 4 and last 4 characters: ``532930198709300289`` ->
  ``5329**********0289`` (shorter numbers keep less, so most of the number is always hidden);
* a name keeps its first character (its first two for a compound surname such as 欧阳):
  ``李华`` -> ``李*``, ``欧阳娜娜`` -> ``欧阳**``; separators (space, ·) stay.

Which fields are personal is declared once, in :data:`PERSONAL_FIELDS`, per record model;
record paths (``applicant.person.name``, ``procedure.members[3].name``) are resolved against
the models, so a committee's or an employer's name is never mistaken for a person's.
Masking is idempotent: masking a masked value changes nothing.

Any other text can hold an ID number too (a record id, a file named after its person, a
description, an error echoing a value): every text that is shown or logged masked goes
through :func:`redact_text` (ID-number patterns, and the record's own names and ID numbers
wherever they are written) or :func:`redact_error_text` (also values an error echoes in
quotes).  Each output channel uses one of :func:`redact_decision`, :func:`redact_record`,
:func:`redact_table` (result tables, on every channel they are written to) and
:func:`redact_report` (``audit``, ``audit-set``, ``validate-records``).
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Mapping
from typing import Any, Literal, Union

from pydantic import BaseModel

from titlerules.engine.decision import Decision, FactRead, RuleResult
from titlerules.facts.applicant import Applicant, Person
from titlerules.facts.historical import HistoricalTitleRecord, PostTable, PostTableApplicant
from titlerules.facts.procedure import ApplicantReview, Member, Procedure

__all__ = [
    "MASK",
    "PERSONAL_FIELDS",
    "mask_id_number",
    "mask_name",
    "personal_values",
    "personal_values_of_record",
    "redact_data",
    "redact_decision",
    "redact_error_text",
    "redact_record",
    "redact_report",
    "redact_table",
    "redact_text",
]

MASK = "*"

PersonalKind = Literal["name", "id_number"]

#: Personal fields of each record model: field name -> what it holds.
PERSONAL_FIELDS: dict[type[BaseModel], dict[str, PersonalKind]] = {
    Person: {"name": "name", "id_number": "id_number"},
    Member: {"name": "name"},
    ApplicantReview: {"applicant_name": "name"},
    HistoricalTitleRecord: {"name": "name", "id_number": "id_number"},
    PostTableApplicant: {"name": "name"},
}

#: The root of a record path -> its model.
ROOT_MODELS: dict[str, type[BaseModel]] = {
    "applicant": Applicant,
    "procedure": Procedure,
    "post_table": PostTable,
    "historical_title_record": HistoricalTitleRecord,
}

# 复姓: a name that starts with one keeps both characters of the surname.
_COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 钟离 "
    "闾丘 端木 独孤 南宫 西门 百里 呼延 澹台 公冶 太史 申屠 濮阳 万俟 赫连 拓跋 东郭 "
    "司空 左丘 第五 谷梁 梁丘 羊舌 微生 公羊 仲孙 叔孙 单于 段干 巫马 乐正 漆雕".split()
)
_SEPARATORS = frozenset(" ·•・.-'")


def mask_id_number(value: str) -> str:
    """``532930198709300289`` -> ``5329**********0289``; shorter numbers keep fewer characters,
    so that at least a third of any number is hidden."""
    text = value.strip()
    keep = min(4, max(0, (len(text) - 1) // 3))
    if keep == 0:
        return MASK * len(text)
    return text[:keep] + MASK * (len(text) - 2 * keep) + text[-keep:]


def mask_name(value: str) -> str:
    """``李华`` -> ``李*``, ``欧阳娜娜`` -> ``欧阳**``, ``Zhang Wei`` -> ``Z**** ***``."""
    text = value.strip()
    if not text:
        return text
    keep = 2 if len(text) > 2 and text[:2] in _COMPOUND_SURNAMES else 1
    if len(text) == 1:
        return MASK
    head, tail = text[:keep], text[keep:]
    return head + "".join(ch if ch in _SEPARATORS else MASK for ch in tail)


def _mask(kind: PersonalKind, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    return mask_id_number(value) if kind == "id_number" else mask_name(value)


# 居民身份证 numbers (18 characters, or the old 15 digits) written anywhere in a text.
_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")


def redact_text(text: str, known: Mapping[str, PersonalKind] | None = None) -> str:
    """Mask every mainland ID number written in ``text`` (error messages, explanations, file
    names, free-text fields), and every ``known`` personal value (a name or an ID number
    taken from the record's personal fields, see :func:`personal_values`) wherever it is
    written.  A name nobody declared cannot be recognised in free text."""
    if known:
        # Longest first: a name inside a longer one (王芳 in 王芳芳) does not split it.
        for value in sorted(known, key=len, reverse=True):
            if len(value) >= 2 and value in text:
                text = text.replace(value, _mask(known[value], value))
    return _ID_IN_TEXT.sub(lambda m: mask_id_number(m.group(0)), text)


# A value an error message echoes back in quotes (``got '李华'``, ``'张伟' is not a valid
# Gender``).  Field names, vocabulary words, numbers and dates are kept: they say what is
# wrong without saying whose record it is; anything else (a name put in the wrong field, an
# ID number) is masked as a name would be.
_QUOTED = re.compile(r"(?<![A-Za-z])'([^'\n]{1,200})'(?![A-Za-z])")
_KEPT_QUOTE = re.compile(r"[A-Za-z_][A-Za-z0-9_.\[\]-]*|[0-9Xx.,:/%+-]{1,10}|.*\*.*")


def redact_error_text(text: str) -> str:
    """An error message (a record's, a row's, the command's) with ID numbers and every
    echoed personal-looking value masked."""

    def mask(match: re.Match[str]) -> str:
        value = match.group(1)
        if _KEPT_QUOTE.fullmatch(value):
            return match.group(0)
        return f"'{mask_name(value)}'"

    return _QUOTED.sub(mask, redact_text(text))


# ---------------------------------------------------------------- models along a path


def _model_in(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType, list, tuple, frozenset, set):
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    if origin is typing.Annotated:
        return _model_in(typing.get_args(annotation)[0])
    return None


def field_model(model: type[BaseModel] | None, name: str) -> type[BaseModel] | None:
    """The record model a field of ``model`` holds (or holds a list of), if any."""
    if model is None:
        return None
    field = model.model_fields.get(name)
    return _model_in(field.annotation) if field is not None else None


def _personal(model: type[BaseModel] | None, name: str) -> PersonalKind | None:
    if model is None:
        return None
    return PERSONAL_FIELDS.get(model, {}).get(name)


_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _walk_path(path: str) -> tuple[type[BaseModel] | None, str | None]:
    """The model that owns the last field of ``path``, and that field's name.

    ``applicant.person.name`` -> (Person, "name"); ``procedure.members[2]`` -> (Procedure,
    None) after stepping into the list's element model.
    """
    names = [m.group(1) for m in _SEGMENT.finditer(path) if m.group(1) is not None]
    if not names or names[0] not in ROOT_MODELS:
        return None, None
    model: type[BaseModel] | None = ROOT_MODELS[names[0]]
    for name in names[1:-1]:
        model = field_model(model, name)
    last = names[-1] if len(names) > 1 else None
    return model, last


def personal_values(data: Any, model: type[BaseModel] | None) -> dict[str, PersonalKind]:
    """Every name and ID number held in a personal field of plain data read as ``model``
    (value -> kind): what to look for in the record's free text and in its file's name."""
    found: dict[str, PersonalKind] = {}

    def walk(node: Any, owner: type[BaseModel] | None) -> None:
        if owner is None:
            return
        if isinstance(node, Mapping):
            for key, value in node.items():
                kind = _personal(owner, str(key))
                if kind is not None and isinstance(value, str) and value.strip():
                    found[value.strip()] = kind
                else:
                    walk(value, field_model(owner, str(key)))
        elif isinstance(node, list | tuple):
            for item in node:
                walk(item, owner)

    walk(data, model)
    return found


def redact_data(
    data: Any, model: type[BaseModel] | None, known: Mapping[str, PersonalKind] | None = None
) -> Any:
    """A copy of plain data (mappings, lists) read as ``model``: personal fields masked, and
    in every other text (a record id, a description) ID numbers and the ``known`` personal
    values masked (any field may be used to hold an ID number: an id, a file's name)."""
    if isinstance(data, Mapping):
        out: dict[Any, Any] = {}
        for key, value in data.items():
            kind = _personal(model, str(key))
            if kind is not None:
                out[key] = _mask(kind, value)
            else:
                out[key] = redact_data(value, field_model(model, str(key)), known)
        return out
    if isinstance(data, list | tuple):
        return [redact_data(item, model, known) for item in data]
    if isinstance(data, str):
        return redact_text(data, known)
    return data


def redact_record(record: BaseModel | Mapping[str, Any]) -> dict[str, Any]:
    """A record as plain data under its top-level key (``{"applicant": {...}}``, as
    :func:`titlerules.facts.dump_record` gives it), personal fields masked.  ``record`` is
    that plain data, or a record model."""
    if isinstance(record, BaseModel):
        from titlerules.facts import dump_record

        data: Mapping[str, Any] = dump_record(record)  # type: ignore[arg-type]
    else:
        data = record
    known = personal_values_of_record(data)
    return {
        key: redact_data(value, ROOT_MODELS.get(str(key)), known) for key, value in data.items()
    }


def personal_values_of_record(record: BaseModel | Mapping[str, Any]) -> dict[str, PersonalKind]:
    """:func:`personal_values` of a record (plain data under its top-level key, or a model)."""
    if isinstance(record, BaseModel):
        from titlerules.facts import dump_record

        record = dump_record(record)  # type: ignore[arg-type]
    found: dict[str, PersonalKind] = {}
    for key, value in record.items():
        found.update(personal_values(value, ROOT_MODELS.get(str(key))))
    return found


# A whole record part read as one value is rendered as ``name='李华' id_number='…'``.
_FIELD_IN_TEXT = re.compile(r"\b(name|applicant_name|id_number)='([^']*)'")


def _redact_rendered(text: str) -> str:
    def mask(match: re.Match[str]) -> str:
        kind: PersonalKind = "id_number" if match.group(1) == "id_number" else "name"
        return f"{match.group(1)}='{_mask(kind, match.group(2))}'"

    return redact_text(_FIELD_IN_TEXT.sub(mask, text))


def _redact_fact(fact: FactRead) -> FactRead:
    owner, last = _walk_path(fact.path)
    target = owner if last is None else field_model(owner, last)
    kind = _personal(owner, last) if last is not None else None
    if kind is not None:
        value = _mask(kind, fact.value)
    elif isinstance(fact.value, str) and (target is not None or owner is None):
        value = _redact_rendered(fact.value)
    else:
        value = redact_data(fact.value, target)
    return fact if value == fact.value else FactRead(path=fact.path, value=value)


def redact_decision(decision: Decision) -> Decision:
    """The decision with names and ID numbers masked: the record label, and every fact read
    from a personal field (alone or inside a larger value)."""
    rules: list[RuleResult] = [
        rule.model_copy(update={"facts": [_redact_fact(f) for f in rule.facts]})
        for rule in decision.rules
    ]
    label = decision.record
    if label is not None and decision.subject == "applicant":
        label = redact_text(label)  # an ID number used as the label keeps its ends
        label = label if MASK in label else mask_name(label)
    return decision.model_copy(update={"rules": rules, "record": label})


# ---------------------------------------------------------------- tables and reports

#: Result-table columns that can carry personal data: the record id (often the ID number)
#: and the texts an error or an explanation echoes.
_TABLE_TEXT_COLUMNS = ("id", "error", "explanation")


def redact_table(table: Any) -> Any:
    """A result table (polars) of the columnar path with its ``id``, ``error`` and
    ``explanation`` columns masked, for every channel it is written to."""
    from titlerules.batch import polars

    pl = polars()
    columns = [
        pl.col(name).cast(pl.String).map_elements(redact_error_text, return_dtype=pl.String)
        for name in _TABLE_TEXT_COLUMNS
        if name in table.columns
    ]
    return table.with_columns(columns) if columns else table


# Fields of a report that hold a person's name or ID number, whatever the report.
_REPORT_FIELDS: dict[str, PersonalKind] = {
    "name": "name",
    "applicant_name": "name",
    "id_number": "id_number",
}

_Report = typing.TypeVar("_Report", bound=BaseModel)


def redact_report(
    report: _Report,
    *,
    known: Mapping[str, PersonalKind] | None = None,
    by_field: bool = True,
) -> _Report:
    """A report (``audit-set``, ``validate-records``, ``audit``) with every name and ID number
    masked: its own name and ID-number fields (unless ``by_field`` is false: in an ``audit``
    report a ``name`` is a holiday's or a rule's), the ``known`` values (a record's names and
    ID numbers, :func:`personal_values_of_record`), and those values and any ID number
    wherever they are written (messages, values, file names, errors)."""
    data = report.model_dump(mode="json")
    fields = _REPORT_FIELDS if by_field else {}
    personal: dict[str, PersonalKind] = dict(known or {})

    def collect(node: Any) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                kind = fields.get(str(key))
                if kind is not None and isinstance(value, str) and value.strip():
                    personal[value.strip()] = kind
                else:
                    collect(value)
        elif isinstance(node, list):
            for item in node:
                collect(item)

    def mask(node: Any) -> Any:
        if isinstance(node, Mapping):
            out: dict[Any, Any] = {}
            for key, value in node.items():
                if str(key) in fields and isinstance(value, str):
                    out[key] = _mask(fields[str(key)], value)
                elif str(key) == "error" and isinstance(value, str):
                    out[key] = redact_error_text(redact_text(value, personal))
                else:
                    out[key] = mask(value)
            return out
        if isinstance(node, list):
            return [mask(item) for item in node]
        if isinstance(node, str):
            return redact_text(node, personal)
        return node

    collect(data)
    return type(report).model_validate(mask(data))
