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
    "redact_data",
    "redact_decision",
    "redact_record",
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


def redact_text(text: str) -> str:
    """Mask every mainland ID number written in ``text`` (error messages, explanations).
    Names in free text cannot be recognised; pass them through :func:`mask_name`."""
    return _ID_IN_TEXT.sub(lambda m: mask_id_number(m.group(0)), text)


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


def redact_data(data: Any, model: type[BaseModel] | None) -> Any:
    """A copy of plain data (mappings, lists) read as ``model``, personal fields masked."""
    if model is None:
        return data
    if isinstance(data, Mapping):
        out: dict[Any, Any] = {}
        for key, value in data.items():
            kind = _personal(model, str(key))
            if kind is not None:
                out[key] = _mask(kind, value)
            else:
                out[key] = redact_data(value, field_model(model, str(key)))
        return out
    if isinstance(data, list | tuple):
        return [redact_data(item, model) for item in data]
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
    return {key: redact_data(value, ROOT_MODELS.get(str(key))) for key, value in data.items()}


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
        label = mask_name(label)
    return decision.model_copy(update={"rules": rules, "record": label})
