"""facts layer: pydantic record models, pure, no DSL knowledge.

Every field of the record models in words: its Chinese and English label (written once, in
the models: :func:`titlerules.facts.base.fact`), for a record path as policies and decisions
spell it, and a record value in words.

Labels of nested fields: a field inside a nested model is labelled with the label of the
field holding it in front, joined by ``·`` (Chinese) or ``: `` (English) —
``评审会议·开始日期`` / ``evaluation meeting: start date`` — unless the model's fields stand
on their own (``LABEL_PREFIX = False``: ``person``, ``employment``, ``application``,
``delayed_retirement``, ``series_transfer``, ``committee``). An index after a list field
names the item: ``已取得职称（第1项）·职称层级`` / ``titles held (item 1): title level``;
``[]`` (any item) gives ``已取得职称（各项）·职称层级`` / ``titles held (each item): title level``.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterator, Sequence, Set
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Literal, Union

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from titlerules.errors import Location, UsageError
from titlerules.facts.applicant import Applicant
from titlerules.facts.base import FactModel
from titlerules.facts.enums import ZhEnum
from titlerules.facts.historical import HistoricalTitleRecord, PostTable
from titlerules.facts.procedure import Procedure

__all__ = [
    "ROOTS",
    "FieldLabel",
    "Lang",
    "UnknownFieldError",
    "field_label",
    "field_labels",
    "labelled",
    "loc_label",
    "value_text",
]

Lang = Literal["zh", "en"]

ROOTS: dict[str, type[FactModel]] = {
    "applicant": Applicant,
    "procedure": Procedure,
    "historical_title_record": HistoricalTitleRecord,
    "post_table": PostTable,
}
"""The record models by the first segment of a record path."""

_SEGMENT = re.compile(r"\[(\d*)\]|\.?([A-Za-z_][A-Za-z0-9_]*)")


class UnknownFieldError(UsageError, KeyError):
    """A record path that names no field of the record models (TR001; also a ``KeyError``)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return UsageError.__str__(self)


@dataclass(frozen=True, slots=True)
class FieldLabel:
    """A field's two labels, as written in its model."""

    zh: str
    en: str

    def in_lang(self, lang: Lang) -> str:
        return self.zh if lang == "zh" else self.en


def field_labels(info: FieldInfo) -> FieldLabel:
    """The labels of a model field (``json_schema_extra`` ``{"zh": …, "en": …}``)."""
    extra = info.json_schema_extra
    if not isinstance(extra, dict):
        raise TypeError("a record field declares its labels with fact() or required()")
    zh, en = extra.get("zh"), extra.get("en")
    if not isinstance(zh, str) or not isinstance(en, str):
        raise TypeError("a record field declares its labels with fact() or required()")
    return FieldLabel(zh, en)


def _inner(annotation: object) -> tuple[type[FactModel] | None, bool]:
    """The record model inside a field's annotation, and whether the field is a list."""
    origin = typing.get_origin(annotation)
    if origin in (list, frozenset, set, tuple):
        model, _ = _inner(typing.get_args(annotation)[0])
        return model, True
    if origin in (Union, types.UnionType):
        found: tuple[type[FactModel] | None, bool] = (None, False)
        for argument in typing.get_args(annotation):
            model, is_list = _inner(argument)
            if model is not None or is_list:
                found = (model, is_list)
        return found
    if origin is typing.Annotated:
        return _inner(typing.get_args(annotation)[0])
    if isinstance(annotation, type) and issubclass(annotation, FactModel):
        return annotation, False
    return None, False


def _segments(path: str) -> Iterator[str | int | None]:
    """``titles[0].level`` as 'titles', 0, 'level'; ``titles[].level`` gives None for ``[]``."""
    position = 0
    while position < len(path):
        match = _SEGMENT.match(path, position)
        if match is None or match.end() == position:
            raise ValueError(path)
        index, name = match.groups()
        if name is not None and (path[position] == ".") != (position > 0):
            raise ValueError(path)  # a name after the first is written after a dot
        if name is not None:
            yield name
        else:
            yield int(index) if index else None
        position = match.end()


def _split_root(path: str, root: str) -> tuple[str, type[FactModel], str]:
    """(root key, root model, path inside the record)."""
    head = re.match(r"[A-Za-z_][A-Za-z0-9_]*", path)
    if head is not None and head[0] in ROOTS:
        rest = path[head.end() :]
        return head[0], ROOTS[head[0]], rest.removeprefix(".")
    if root not in ROOTS:
        raise UnknownFieldError(
            f"unknown record '{root}'",
            hint=f"the records are {', '.join(ROOTS)}",
        )
    return root, ROOTS[root], path


def _unknown(path: str, model: type[BaseModel], name: object) -> UnknownFieldError:
    fields = list(model.model_fields)
    close = difflib.get_close_matches(str(name), fields, n=1)
    hint = (
        f"did you mean '{close[0]}'?"
        if close
        else f"the fields of {model.__name__}: " + (", ".join(fields))
    )
    return UnknownFieldError(
        f"'{name}' is not a field of {model.__name__}",
        location=Location(record_path=path),
        hint=hint,
    )


def _compose(
    model: type[FactModel], segments: Sequence[str | int | None], path: str
) -> tuple[str, str]:
    """The zh and en labels of ``segments`` inside ``model``."""
    zh_parts: list[str] = []
    en_parts: list[str] = []
    current: type[FactModel] | None = model
    position = 0
    while position < len(segments):
        name = segments[position]
        if current is None or not isinstance(name, str):
            raise UnknownFieldError(
                f"'{path}' goes on after a field that holds no fields"
                if current is None
                else f"'{path}' has an index where a field name belongs",
                location=Location(record_path=path),
                hint="a path names fields with '.' and list items with [0] or []",
            )
        info = current.model_fields.get(name)
        if info is None:
            raise _unknown(path, current, name)
        label = field_labels(info)
        zh, en = label.zh, label.en
        inner, is_list = _inner(info.annotation)
        position += 1
        if position < len(segments) and not isinstance(segments[position], str):
            if not is_list:
                raise UnknownFieldError(
                    f"'{path}': {name} is not a list",
                    location=Location(record_path=path),
                    hint="only a list field takes an index such as [0]",
                )
            index = segments[position]
            if index is None:
                zh, en = f"{zh}（各项）", f"{en} (each item)"
            else:
                assert isinstance(index, int)
                zh, en = f"{zh}（第{index + 1}项）", f"{en} (item {index + 1})"
            position += 1
        zh_parts.append(zh)
        en_parts.append(en)
        if position < len(segments) and inner is not None and not inner.LABEL_PREFIX:
            zh_parts.clear()
            en_parts.clear()
        current = inner
    if not zh_parts:
        raise UnknownFieldError(
            f"'{path}' names no field",
            location=Location(record_path=path),
            hint="name a field, e.g. applicant.employment.retired",
        )
    return "·".join(zh_parts), ": ".join(en_parts)


def field_label(path: str, lang: Lang = "zh", root: str = "applicant") -> str:
    """The label of the field at a record path, in Chinese (``zh``) or English (``en``).

    ``path`` is spelled as policies and decisions spell it, with or without the record's
    key in front: ``applicant.employment.retired``, ``employment.retired`` (inside
    ``root``), ``applicant.titles[0].level``, ``titles[].level``,
    ``procedure.meeting.start``. Raises :class:`UnknownFieldError` for a path that names no
    field.
    """
    zh, en = _both_labels(path, root)
    return zh if lang == "zh" else en


@lru_cache(maxsize=16384)
def _both_labels(path: str, root: str) -> tuple[str, str]:
    """The Chinese and English labels of a path (worked out once: explanations of a table
    name the same fields on every row)."""
    _, model, inside = _split_root(path, root)
    try:
        segments = list(_segments(inside))
    except ValueError:
        raise UnknownFieldError(
            f"'{path}' is not a record path",
            location=Location(record_path=path),
            hint="write a path such as applicant.titles[0].level",
        ) from None
    return _compose(model, segments, path)


def labelled(path: str, lang: Lang = "zh", root: str = "applicant") -> str:
    """The label followed by the path without the record's key, in parentheses:
    ``是否已办理离退休手续 (employment.retired)``, where a clerk must find the field."""
    _, _, inside = _split_root(path, root)
    return f"{field_label(path, lang, root)} ({inside})"


def loc_label(model: type[BaseModel], loc: Sequence[str | int], lang: Lang = "zh") -> str | None:
    """The label of a validation error's location inside ``model`` (pydantic's ``loc``),
    or ``None`` when it names no field (an unknown key, the record as a whole)."""
    if not (isinstance(model, type) and issubclass(model, FactModel)) or not loc:
        return None
    if not all(isinstance(segment, str | int) and not isinstance(segment, bool) for segment in loc):
        return None
    try:
        zh, en = _compose(model, list(loc), ".".join(map(str, loc)))
    except UnknownFieldError:
        return None
    return zh if lang == "zh" else en


def value_text(value: object, lang: Lang = "zh") -> str:
    """A record value in words: a yes/no as 是/否 (yes/no), a vocabulary member as its
    Chinese term (its English words), a date ISO, a list as its count (``3 项``, ``3 items``),
    a fraction as ``2/3``; an unknown value (``None``) as 未知 (unknown)."""
    if value is None:
        return "未知" if lang == "zh" else "unknown"
    if isinstance(value, bool):
        if lang == "zh":
            return "是" if value else "否"
        return "yes" if value else "no"
    if isinstance(value, ZhEnum):
        return value.zh if lang == "zh" else value.en
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Fraction):
        return str(value)
    if isinstance(value, str | int | float | Decimal):
        return str(value)
    if isinstance(value, Sequence | Set):
        count = len(value)
        if lang == "zh":
            return f"{count} 项"
        return f"{count} item" if count == 1 else f"{count} items"
    if isinstance(value, FactModel):
        return "已填写" if lang == "zh" else "stated"
    return str(value)
