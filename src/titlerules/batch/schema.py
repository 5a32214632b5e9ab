"""batch layer: the flat, tabular spelling of an applicant record, and reading it fast.

A table row is one :class:`~titlerules.facts.Applicant`.  Its columns are named by record
path (docs/performance.md, "Tabular records"):

* a scalar fact is a column named by its path: ``employment.is_civil_servant``,
  ``person.birth_date``, ``employment.delayed_retirement.approved``;
* a list of records is one column named by its path (``education``, ``sanctions``): in CSV
  a JSON array of objects (``[{"level": "本科", "obtained_on": "2006-07-01"}]``), in Parquet
  a list of structs (or the same JSON text), in JSONL the record's own nesting;
* an empty cell is a missing fact (unknown), exactly like a key left out of a YAML record;
  an empty text in a nested record (a dict, JSON text, a JSON Lines line) is a value the
  record models refuse: its row is marked :data:`RECORDS_ONLY` and decided per record.

:func:`normalize` turns a raw chunk (text cells, or typed Parquet columns) into typed columns
(Boolean, Int64, Date, String; an enum field is a Polars ``Enum`` of its members' English
values, so rules compare small integers, not text) in one vectorised pass.
It reads only the canonical spellings (``true``/``false``/``是``/``否``, ``2024-03-01``,
``123``, enum terms exactly as the vocabulary writes them ...).  A row with any other
spelling, or one a record model's own validator would look at more closely, is marked
``__slow``: the batch runner hands it to the per-record path, whose pydantic models decide
it (a value, or an error row) exactly as ``Policy.evaluate`` would.  The fast path is
therefore never looser than the models, only quicker.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import re
import types as pytypes
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import cache, lru_cache
from typing import Any

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from titlerules.batch._polars import collect, polars
from titlerules.facts import Applicant, Person, PublicityWindow, UnitDebrief
from titlerules.uniquekeys import loads_json

SLOW = "__slow"
"""Boolean column: the row goes to the per-record path."""

RECORDS_ONLY = "__records_only"
"""A raw table's column that marks (with any value) a row read from a nested record holding
an empty text: a table cell left empty is a missing fact, but a record's ``""`` is a value,
which the record models refuse.  The row goes to the per-record path, which says so."""

DECIMAL_SCALE = 10**6
"""Decimal facts (continuing-education hours) are read as integers of millionths."""

JSON_TRUE = "\x01true"
JSON_FALSE = "\x01false"
"""How a JSON ``true``/``false`` is written into a text cell: a flag reads it, a text
field does not (pydantic would refuse a boolean for a text field, so the row goes slow)."""

_BOOL_SPELLINGS = {
    "true": True,
    "True": True,
    "TRUE": True,
    "1": True,
    "yes": True,
    "Yes": True,
    "是": True,
    "有": True,
    JSON_TRUE: True,
    "false": False,
    "False": False,
    "FALSE": False,
    "0": False,
    "no": False,
    "No": False,
    "否": False,
    "无": False,
    JSON_FALSE: False,
}
"""Canonical flag spellings, each one pydantic reads the same way (tests/test_batch.py)."""

# Validators the fast path re-implements column-wise (model, function name).  A validator
# not listed here sends every row that states a fact of its model to the per-record path.
KNOWN_VALIDATORS = frozenset(
    {
        ("Person", "_check_id_number"),
        ("Person", "_id_number_agrees"),
        ("UnitDebrief", "_votes_within_attendees"),
        ("PublicityWindow", "_ordered"),
        ("Applicant", "_distinct_assessment_years"),
    }
)

# Lists whose elements may not repeat a key (model, list path, key): the per-record models
# reject a repeated key (``Applicant._distinct_assessment_years``); such rows go there.
DISTINCT_KEYS = (("Applicant", "assessments", "year"),)


@dataclass(frozen=True, slots=True)
class Leaf:
    """One scalar fact: its path (from the record, or from a list element) and its type."""

    path: str
    kind: str  # bool, int, date, text, enum, decimal, other
    enum: type[enum.Enum] | None = None
    ge: int | None = None
    le: int | None = None
    required: bool = False

    @property
    def name(self) -> str:
        return self.path.rsplit(".", 1)[-1]


@dataclass(frozen=True, slots=True)
class ListField:
    """A list of records: one column; its elements' facts are struct fields."""

    path: str
    model: type[BaseModel]
    leaves: tuple[Leaf, ...]


@dataclass(frozen=True, slots=True)
class TableSchema:
    """The columns of a record model's tabular spelling."""

    model: type[BaseModel]
    leaves: tuple[Leaf, ...]
    lists: tuple[ListField, ...]
    submodels: tuple[tuple[str, type[BaseModel]], ...]  # (path prefix, model) of nested records

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(leaf.path for leaf in self.leaves) + tuple(f.path for f in self.lists)

    def leaf(self, path: str) -> Leaf | None:
        return _leaf_index(self).get(path)

    def list_field(self, path: str) -> ListField | None:
        for field in self.lists:
            if field.path == path:
                return field
        return None


@cache
def _leaf_index(schema: TableSchema) -> dict[str, Leaf]:
    return {leaf.path: leaf for leaf in schema.leaves}


@cache
def applicant_schema() -> TableSchema:
    """The tabular schema of :class:`~titlerules.facts.Applicant`."""
    return table_schema(Applicant)


def table_schema(model: type[BaseModel]) -> TableSchema:
    leaves: list[Leaf] = []
    lists: list[ListField] = []
    submodels: list[tuple[str, type[BaseModel]]] = [("", model)]
    _walk(model, "", leaves, lists, submodels)
    return TableSchema(model, tuple(leaves), tuple(lists), tuple(submodels))


def _walk(
    model: type[BaseModel],
    prefix: str,
    leaves: list[Leaf],
    lists: list[ListField] | None,
    submodels: list[tuple[str, type[BaseModel]]] | None,
) -> None:
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        inner, constraints = _unwrap(info.annotation)
        origin = typing.get_origin(inner)
        if origin in (list, tuple):
            (element,) = typing.get_args(inner)[:1]
            element, _ = _unwrap(element)
            if isinstance(element, type) and issubclass(element, BaseModel) and lists is not None:
                element_leaves: list[Leaf] = []
                _walk(element, "", element_leaves, None, None)
                lists.append(ListField(path, element, tuple(element_leaves)))
            else:
                leaves.append(Leaf(path, "other"))
            continue
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            if submodels is None:  # a record nested in a list element: not tabular
                leaves.append(Leaf(path, "other"))
                continue
            submodels.append((path + ".", inner))
            _walk(inner, path + ".", leaves, lists, submodels)
            continue
        leaves.append(_leaf(path, inner, constraints, info))


def _unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    """The type inside ``Annotated[...]`` / ``X | None``, and the constraints met on the way."""
    constraints: list[Any] = []
    while True:
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
        if origin is typing.Annotated:
            constraints.extend(args[1:])
            annotation = args[0]
        elif origin in (typing.Union, pytypes.UnionType):
            rest = [a for a in args if a is not type(None)]
            if len(rest) != 1:
                return Any, constraints
            annotation = rest[0]
        else:
            return annotation, constraints


def _leaf(path: str, annotation: Any, constraints: list[Any], info: FieldInfo) -> Leaf:
    ge = le = None
    for item in [*constraints, *info.metadata]:
        metadata = item.metadata if isinstance(item, FieldInfo) else [item]
        for m in metadata:
            if isinstance(m, annotated_types.Ge):
                ge = int(m.ge)  # type: ignore[call-overload]
            elif isinstance(m, annotated_types.Le):
                le = int(m.le)  # type: ignore[call-overload]
    required = info.is_required()
    if annotation is bool:
        return Leaf(path, "bool", required=required)
    if annotation is int:
        return Leaf(path, "int", ge=ge, le=le, required=required)
    if annotation is dt.date:
        return Leaf(path, "date", required=required)
    if annotation is str:
        return Leaf(path, "text", required=required)
    if annotation is Decimal and ge is not None and ge >= 0:
        return Leaf(path, "decimal", required=required)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return Leaf(path, "enum", enum=annotation, required=required)
    if annotation is Fraction:
        return Leaf(path, "other", required=required)
    return Leaf(path, "other", required=required)


# ---------------------------------------------------------------- reading cells


def cell_text(value: Any) -> str | None:
    """A JSON / Python scalar as the text cell the fast path reads (None: missing).

    Numbers keep their Python spelling (what pydantic would coerce a number to); booleans
    get the JSON markers; anything else (a nested object, a float in a date...) is written
    so that only the per-record path can read it.
    """
    if value is None:
        return None
    if value is True:
        return JSON_TRUE
    if value is False:
        return JSON_FALSE
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()  # a YAML date: the models read either spelling the same
    if isinstance(value, float):
        return "\x02" + repr(value)  # readable only by the models (e.g. hours 12.5)
    return "\x02" + json.dumps(value, ensure_ascii=False, default=str)


@cache
def _enum_table(cls: type[enum.Enum]) -> dict[str, str]:
    """Spellings the fast path accepts -> the member's English value.

    Exactly the keys ``ZhEnum.parse`` looks up first (the Chinese terms as written, the
    English value and name lowercased); other spellings go to the per-record path.
    """
    from titlerules.facts.enums import ZhEnum

    if issubclass(cls, ZhEnum):
        return {text: str(member.value) for text, member in cls.spellings().items()}
    return {str(m.value): str(m.value) for m in cls}


@cache
def _english_table(cls: type[enum.Enum]) -> dict[str, str]:
    """The ASCII spellings of :func:`_enum_table` (those ``ZhEnum.parse`` also finds for
    text in another case); empty for a vocabulary read by value only."""
    from titlerules.facts.enums import ZhEnum

    if not issubclass(cls, ZhEnum):
        return {}
    return {text: value for text, value in _enum_table(cls).items() if text.isascii()}


def _missing(raw: Any, dtype: Any) -> Any:
    pl = polars()
    if dtype == pl.String:
        return raw.is_null() | (raw == "")
    return raw.is_null()


def leaf_value(raw: Any, dtype: Any, leaf: Leaf) -> Any:
    """The typed value of one raw column or struct field (null where the cell states
    something the fast path cannot read exactly: :func:`leaf_slow`)."""
    pl = polars()
    missing = _missing(raw, dtype)
    is_text = dtype == pl.String
    value: Any
    if leaf.kind == "bool":
        if is_text:
            value = raw.replace_strict(_BOOL_SPELLINGS, default=None, return_dtype=pl.Boolean)
        elif dtype == pl.Boolean:
            value = raw
        else:
            value = pl.lit(None, dtype=pl.Boolean)
    elif leaf.kind == "int":
        if is_text:
            digits = raw.str.contains(r"^[0-9]{1,15}$")
            value = pl.when(digits).then(raw).cast(pl.Int64, strict=False)
        elif dtype.is_integer():
            value = raw.cast(pl.Int64, strict=False)
        else:
            value = pl.lit(None, dtype=pl.Int64)
        if leaf.ge is not None:
            value = pl.when(value >= leaf.ge).then(value)
        if leaf.le is not None:
            value = pl.when(value <= leaf.le).then(value)
    elif leaf.kind == "date":
        if is_text:
            iso = raw.str.contains(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
            value = pl.when(iso).then(raw).str.to_date("%Y-%m-%d", strict=False)
            value = pl.when(value.dt.year() >= 1).then(value)
        elif dtype == pl.Date:
            value = raw
        elif isinstance(dtype, pl.Datetime):
            value = raw.dt.date()
        else:
            value = pl.lit(None, dtype=pl.Date)
    elif leaf.kind == "text":
        if is_text:
            # Unchanged by Python's str.strip() (Unicode white space, and U+001C..U+001F),
            # and not a marked JSON value: one pattern.
            clean = ~raw.str.contains(r"^[\s\x01\x02\x1c-\x1f]|[\s\x1c-\x1f]$")
            value = pl.when(clean).then(raw)
        elif dtype.is_integer():
            value = raw.cast(pl.String)
        else:
            value = pl.lit(None, dtype=pl.String)
    elif leaf.kind == "enum":
        assert leaf.enum is not None
        if is_text:
            table = _enum_table(leaf.enum)
            value = raw.replace_strict(table, default=None, return_dtype=leaf_dtype(leaf))
            english = _english_table(leaf.enum)
            if english:
                # English case-insensitively, as ZhEnum.parse looks a term up a second
                # time lowercased (ASCII text only: its lowercase is the same everywhere).
                lowered = raw.str.to_lowercase().replace_strict(
                    english, default=None, return_dtype=leaf_dtype(leaf)
                )
                ascii_text = raw.str.contains(r"^[\x00-\x7f]+$")
                value = pl.coalesce(value, pl.when(ascii_text).then(lowered))
        else:
            value = pl.lit(None, dtype=leaf_dtype(leaf))
    elif leaf.kind == "decimal":
        if is_text:
            plain = raw.str.contains(r"^[0-9]{1,9}(\.[0-9]{1,6})?$")
            number = pl.when(plain).then(raw).cast(pl.Float64, strict=False)
            value = (number * DECIMAL_SCALE).round(0).cast(pl.Int64)
        elif dtype.is_integer():
            value = pl.when(raw >= 0).then(raw.cast(pl.Int64) * DECIMAL_SCALE)
        else:
            value = pl.lit(None, dtype=pl.Int64)
    else:
        value = pl.lit(None, dtype=pl.String)
    return pl.when(~missing).then(value)


def leaf_slow(raw: Any, dtype: Any, value: Any, leaf: Leaf) -> Any:
    """The slow mask of one raw column or struct field, given its typed ``value``
    (:func:`leaf_value`'s, or the column it was computed into): true where a cell states
    something the fast path did not read."""
    missing = _missing(raw, dtype)
    slow = ~missing & value.is_null()
    if leaf.required:
        slow = slow | missing
    return slow


# ---------------------------------------------------------------- normalising a chunk


@dataclass(frozen=True, slots=True)
class SlowPart:
    """One reason a row goes to the per-record path: ``slow`` (Boolean) where it holds, and
    ``example`` (text), the value the fast reader could not read, for the run summary."""

    reason: Any  # str, or a String expression (a reason per row)
    slow: Any
    example: Any = None


def normalize(raw: Any, schema: TableSchema) -> Any:
    """Typed columns for every fact of ``schema`` plus the ``__slow`` mask.

    ``raw`` holds text columns (CSV, JSONL) or typed ones (Parquet); list columns are JSON
    text or lists of structs.  Columns the schema does not know make their rows slow (the
    models reject unknown fields, with a message naming them).
    """
    pl = polars()
    frame, exprs, parts, pre = _reading(raw, schema, detail=False)
    if not parts:
        return collect(_staged(frame, pre).select([*exprs, pl.lit(False).alias(SLOW)]))
    # Each part's mask a column of its own, then their union: a third quicker to plan than
    # one expression of every part (the plan's cost is most of a small batch's).
    masks = [p.slow.fill_null(False).alias(f"{_SLOW_PART}{n}") for n, p in enumerate(parts)]
    union = pl.any_horizontal(pl.col(m.meta.output_name()) for m in masks)
    return collect(_staged(frame, [*pre, masks]).select([*exprs, union.alias(SLOW)]))


def _staged(frame: Any, stages: list[list[Any]]) -> Any:
    """``frame`` as a LazyFrame (an eager select of a wide frame is slow) with the columns
    computed first, stage by stage (:func:`_reading`)."""
    lazy = frame.lazy()
    for stage in stages:
        if stage:
            lazy = lazy.with_columns(stage)
    return lazy


def slow_reasons(raw: Any, schema: TableSchema) -> list[tuple[str, str | None]]:
    """Why the fast reader sends each row of ``raw`` to the per-record path: the first
    reason that holds (a column and what it cannot read, ``"education[].level: a term the
    fast reader does not read"``) and the value it could not read (None where there is no
    single value).  Meant for the few rows :func:`normalize` marks slow (it is slower)."""
    pl = polars()
    if raw.height == 0:
        return []
    frame, _exprs, parts, pre = _reading(raw, schema, detail=True)
    fields = [
        pl.when(p.slow.fill_null(False)).then(
            pl.struct(
                (pl.lit(p.reason) if isinstance(p.reason, str) else p.reason).alias("r"),
                (p.example if p.example is not None else pl.lit(None)).cast(pl.String).alias("e"),
            )
        )
        for p in parts
    ]
    if not fields:
        return [("", None)] * raw.height
    found = collect(_staged(frame, pre).select(pl.coalesce(fields).alias("why"))).get_column("why")
    out: list[tuple[str, str | None]] = []
    for item in found.to_list():
        if item is None:  # (a row not slow)
            out.append(("", None))
        else:
            example = item["e"]
            if example is not None and len(example) > 60:
                example = example[:57] + "..."
            out.append((item["r"], example))
    return out


def _reading(
    raw: Any, schema: TableSchema, *, detail: bool
) -> tuple[Any, list[Any], list[SlowPart], list[list[Any]]]:
    """The frame with its JSON list cells decoded, the typed column expressions, the slow
    parts (one per list leaf too with ``detail``) and the columns to compute first, in
    stages: each fact's typed value is computed once, and its slow mask and the checks of
    the models' validators read that column."""
    pl = polars()
    frame = raw
    parts: list[SlowPart] = []
    given = dict(frame.schema)  # (frame.schema makes its mapping anew at each look-up)
    for field in schema.lists:
        if given.get(field.path) == pl.String:
            cells = frame.get_column(field.path)
            structs, why = json_lists(cells, field)
            frame = frame.with_columns(structs.alias(field.path))
            if why.null_count() < len(why):
                reason = pl.lit(f"{field.path}: ") + pl.lit(why) if detail else field.path
                parts.append(SlowPart(reason, pl.lit(why.is_not_null()), pl.lit(cells)))
    exprs, more, stages = _typed(tuple(frame.schema.items()), schema, detail)
    return frame, exprs, [*parts, *more], stages


@lru_cache(maxsize=16)
def _typed(
    columns: tuple[tuple[str, Any], ...], schema: TableSchema, detail: bool
) -> tuple[list[Any], list[SlowPart], list[list[Any]]]:
    """:func:`_reading`'s expressions for a frame of these columns (names and types, JSON
    list cells decoded): the same for every chunk of a table, and for every batch of records
    spelled alike, so they are made once (a few thousand expressions: a tenth of a small
    batch's time).  Expressions are immutable; the lists are not changed by their users."""
    pl = polars()
    parts: list[SlowPart] = []
    exprs: list[Any] = []
    typed: dict[str, Any] = {}
    values: list[Any] = []  # (the first stage)
    dtypes = dict(columns)
    for leaf in schema.leaves:
        dtype = dtypes.get(leaf.path)
        if dtype is not None:
            value = leaf_value(pl.col(leaf.path), dtype, leaf)
            values.append(value.alias(_STAGED + leaf.path))
            value = pl.col(_STAGED + leaf.path)
            slow = leaf_slow(pl.col(leaf.path), dtype, value, leaf)
            typed[leaf.path] = value
            exprs.append(value.alias(leaf.path))
            reason = f"{leaf.path}: {_UNREAD[leaf.kind]}"
            if leaf.required:
                reason += " (or missing: it is required)"
            parts.append(SlowPart(reason, slow, pl.col(leaf.path)))
        else:
            typed[leaf.path] = pl.lit(None, dtype=leaf_dtype(leaf))
            exprs.append(typed[leaf.path].alias(leaf.path))
            if leaf.required:
                parts.append(SlowPart(f"{leaf.path}: missing (it is required)", pl.lit(True)))
    for field in schema.lists:
        if field.path in dtypes:
            value, list_parts, first = _list_value(
                pl.col(field.path), dtypes[field.path], field, detail=detail
            )
            if first is not None:
                values.append(first.alias(_STAGED + field.path))
            exprs.append(value.alias(field.path))
            parts.extend(list_parts)
            for model_name, path, key in DISTINCT_KEYS:
                if schema.model.__name__ == model_name and field.path == path:
                    keys = value.list.eval(pl.element().struct.field(key))
                    parts.append(
                        SlowPart(
                            f"{path}[].{key}: repeated (the records refuse it)",
                            keys.list.n_unique() < keys.list.len(),
                        )
                    )
        else:
            exprs.append(pl.lit(None, dtype=list_dtype(field)).alias(field.path))
    if RECORDS_ONLY in dtypes:
        marked = ~_missing(pl.col(RECORDS_ONLY), dtypes[RECORDS_ONLY])
        parts.append(SlowPart("an empty text (the record models refuse it)", marked))
    known = {*schema.columns, RECORDS_ONLY}
    for column, dtype in dtypes.items():
        if column not in known:
            parts.append(
                SlowPart(
                    f"{column}: a column the records do not have",
                    ~_missing(pl.col(column), dtype),
                    pl.col(column),
                )
            )
    for prefix, model in schema.submodels:
        for name, slow in _validators(model, prefix, typed, schema):
            parts.append(SlowPart(name, slow))
    # Numbers a validator reads several times are computed next (``_ID_HEAD``).
    heads = []
    for prefix, model in schema.submodels:
        if model is Person and prefix + "id_number" in typed:
            heads.append(_id_head(typed[prefix + "id_number"]).alias(_ID_HEAD + prefix))
    return exprs, parts, [values, heads]


_UNREAD = {
    "bool": "not true/false as the fast reader spells it",
    "int": "not a plain whole number in range",
    "date": "not a YYYY-MM-DD date",
    "text": "text with blanks around it, or not text",
    "enum": "a term the fast reader does not read",
    "decimal": "not a plain decimal number",
    "other": "a fact only the record models read",
}
"""Why a cell of each kind of fact is left to the per-record path (docs/performance.md)."""


def leaf_dtype(leaf: Leaf) -> Any:
    pl = polars()
    if leaf.kind == "enum" and leaf.enum is not None:
        return pl.Enum([member.value for member in leaf.enum])
    return {
        "bool": pl.Boolean,
        "int": pl.Int64,
        "date": pl.Date,
        "text": pl.String,
        "enum": pl.String,
        "decimal": pl.Int64,
    }.get(leaf.kind, pl.String)


def list_dtype(field: ListField) -> Any:
    pl = polars()
    return pl.List(pl.Struct({leaf.name: leaf_dtype(leaf) for leaf in field.leaves}))


def _list_value(
    raw: Any, dtype: Any, field: ListField, *, detail: bool = False
) -> tuple[Any, list[SlowPart], Any | None]:
    """The typed list column, its slow parts (one for the whole list, or with ``detail``
    one per element field, with the first value it could not read), and the column to
    compute first (without ``detail``: each element's typed fields beside its fields as
    given and whether it is null, so that each value is read once; see :func:`_reading`)."""
    pl = polars()
    if not isinstance(dtype, pl.List) or not isinstance(dtype.inner, pl.Struct):
        missing = raw.is_null()
        slow = SlowPart(f"{field.path}: not a list of records", ~missing, raw.cast(pl.String))
        return pl.lit(None, dtype=list_dtype(field)), [slow], None
    present = {f.name: f.dtype for f in dtype.inner.fields}
    element = pl.element()
    values: dict[str, Any] = {}
    for leaf in field.leaves:
        if leaf.name in present:
            values[leaf.name] = leaf_value(
                element.struct.field(leaf.name), present[leaf.name], leaf
            )
        else:
            values[leaf.name] = pl.lit(None, dtype=leaf_dtype(leaf))
    if not detail:
        given = [element.struct.field(name).alias(_GIVEN + name) for name in present]
        aliased = [value.alias(name) for name, value in values.items()]
        first = raw.list.eval(pl.struct([*aliased, *given, element.is_null().alias(_GIVEN)]))
        staged = pl.col(_STAGED + field.path)
        slows = _element_slows(
            field,
            present,
            lambda name: element.struct.field(_GIVEN + name),
            {name: element.struct.field(name) for name in values},
            element.struct.field(_GIVEN),
        )
        typed = staged.list.eval(pl.struct([element.struct.field(name) for name in values]))
        slow = staged.list.eval(pl.any_horizontal(*[s.slow.fill_null(False) for s in slows]))
        return typed, [SlowPart(field.path, slow.list.any().fill_null(False))], first
    slows = _element_slows(
        field, present, lambda name: element.struct.field(name), values, element.is_null()
    )
    parts = []
    for part in slows:
        hit = part.slow.fill_null(False)
        example = None
        if part.example is not None:
            shown = pl.when(hit).then(part.example.cast(pl.String))
            example = raw.list.eval(shown).list.drop_nulls().list.first()
        parts.append(SlowPart(part.reason, raw.list.eval(hit).list.any(), example))
    typed = raw.list.eval(pl.struct([value.alias(name) for name, value in values.items()]))
    return typed, parts, None


def _element_slows(
    field: ListField,
    present: Mapping[str, Any],
    given: Callable[[str], Any],
    typed: Mapping[str, Any],
    null: Any,
) -> list[SlowPart]:
    """The slow parts of a list's element (as ``pl.element()`` expressions): the field as
    ``given`` (by name, for the fields ``present`` with their types), its ``typed`` value,
    and whether the element is ``null`` (not a record: the models refuse it)."""
    pl = polars()
    slows = [SlowPart(f"{field.path}: an element that is null", null)]
    for leaf in field.leaves:
        if leaf.name in present:
            cell = given(leaf.name)
            slow = leaf_slow(cell, present[leaf.name], typed[leaf.name], leaf)
            reason = f"{field.path}[].{leaf.name}: {_UNREAD[leaf.kind]}"
            if leaf.required:
                reason += " (or missing: it is required)"
            slows.append(SlowPart(reason, slow, cell))
        elif leaf.required:
            reason = f"{field.path}[].{leaf.name}: missing (it is required)"
            slows.append(SlowPart(reason, pl.lit(True)))
    names = {leaf.name for leaf in field.leaves}
    for name, field_dtype in present.items():
        if name not in names:
            reason = f"{field.path}[].{name}: a field the records do not have"
            slows.append(SlowPart(reason, ~_missing(given(name), field_dtype)))
    for name, slow in _validators(field.model, "", typed, None, element=True):
        slows.append(SlowPart(f"{field.path}[]: {name}", slow))
    return slows


def json_lists(cells: Any, field: ListField) -> tuple[Any, Any]:
    """JSON-array text cells as lists of structs of text cells, and why the fast path
    cannot read a row (null where it can): bad JSON, not an array of objects, a key the
    model does not know, a key repeated in an element, a null element, or a value whose
    meaning is for the models to say.

    Values may be written as natural JSON (``{"year": 2021, "full_time": true}``) or as
    text (``{"year": "2021"}``): Polars reads either into text, and :func:`leaf_value`
    reads that text as the models read the value.  The exceptions go slow: a number or
    ``true``/``false`` where a term, a date or another record is expected, and a fraction
    or ``true``/``false`` where text is (the models write a whole number as its digits,
    ``coerce_numbers_to_str``, but a fraction as Python spells it).

    Polars decodes the column natively; a column it cannot decode as a whole is cleaned
    cell by cell in Python first (bad cells become slow rows), then decoded.
    """
    pl = polars()
    names = [leaf.name for leaf in field.leaves]
    dtype = pl.List(pl.Struct({name: pl.String for name in names}))
    text = pl.when(cells != "").then(cells)
    frame = pl.DataFrame({"c": cells}).select(text.alias("c"))
    column = frame.get_column("c")
    c = pl.col("c")

    def keys(kinds: tuple[str, ...]) -> str:
        return "|".join(re.escape(leaf.name) for leaf in field.leaves if leaf.kind in kinds)

    # Every key must be one the model knows, stated once per element: the keys counted in
    # the text are the values decoded plus the known keys stated null (an unknown key, or a
    # key stated twice, which Polars reads once, breaks the count; a string value that
    # looks like a key only sends its row to the per-record path).
    all_keys = c.str.count_matches(r'"(?:[^"\\]|\\.)*"\s*:').cast(pl.Int64)
    null_keys = c.str.count_matches(f'"(?:{keys(KINDS)})"\\s*:\\s*null').cast(pl.Int64)
    literal = []
    strict = keys(("enum", "date", "other"))
    if strict:
        literal.append(f'"(?:{strict})"\\s*:\\s*[-0-9tf]')
    text_keys = keys(("text",))
    if text_keys:
        literal.append(f'"(?:{text_keys})"\\s*:\\s*(?:[tf]|-?[0-9]+[.eE])')
    literal_expr = c.str.contains("|".join(literal)) if literal else pl.lit(False)

    def why(decoded: Any, checked: Any, bad: Any | None) -> Any:
        stated = decoded.list.eval(
            pl.sum_horizontal(
                [pl.element().struct.field(n).is_not_null().cast(pl.Int64) for n in names]
            )
        ).list.sum()
        reason = (
            pl.when(~c.str.contains(r"^\s*\["))
            .then(pl.lit("not a JSON array of records"))
            .when(literal_expr)
            .then(pl.lit("a number or true/false where text, a term or a date is expected"))
            .when(all_keys != pl.lit(stated) + null_keys)
            .then(pl.lit("a key the records do not have, or one stated twice in an element"))
        )
        if bad is not None:  # what the cleaning found comes first
            reason = pl.coalesce(pl.lit(bad), reason)
        return checked.select(reason.alias("why")).to_series()

    try:
        decoded = column.str.json_decode(dtype)
        reasons = why(decoded, frame, None)
    except Exception:  # some cell is not plain JSON of the expected shape: clean per cell
        cleaned, bad = _clean_json_cells(column.to_list(), field)
        decoded = pl.Series(cleaned, dtype=pl.String).str.json_decode(dtype)
        checked = pl.DataFrame({"c": pl.Series(cleaned, dtype=pl.String)})
        reasons = why(decoded, checked, pl.Series(bad, dtype=pl.String))
    return decoded.alias(cells.name), reasons


KINDS = ("bool", "int", "date", "text", "enum", "decimal", "other")


def _clean_json_cells(
    cells: list[str | None], field: ListField
) -> tuple[list[str | None], list[str | None]]:
    """Each cell re-written as JSON of known keys and text values (booleans marked, as
    :func:`cell_text` writes them), and why a cell is left to the models (None: it is not)."""
    kinds = {leaf.name: leaf.kind for leaf in field.leaves}
    out: list[str | None] = []
    bad: list[str | None] = []
    for text in cells:
        if text is None:
            out.append(None)
            bad.append(None)
            continue
        try:
            data = loads_json(text, unique_keys=False)  # deep nesting too: a ValueError
        except ValueError:
            out.append(None)
            bad.append("not JSON")
            continue
        if not isinstance(data, list) or not all(isinstance(e, dict) for e in data):
            out.append(None)
            bad.append("not a JSON array of records")
            continue
        reason = None
        if any(not set(kinds).issuperset(e) for e in data):
            reason = "a key the records do not have"
        elif any(
            not (v is None or isinstance(v, str))
            and (kinds[k] in ("enum", "date", "other") or not isinstance(v, int))
            for e in data
            for k, v in e.items()
        ):
            reason = "a value only the records read (a number, true/false, a list or a record)"
        elements = [{k: cell_text(v) for k, v in e.items() if k in kinds} for e in data]
        out.append(json.dumps(elements, ensure_ascii=False))
        bad.append(reason)
    return out, bad


# ---------------------------------------------------------------- model validators


def _validators(
    model: type[BaseModel],
    prefix: str,
    typed: Mapping[str, Any],
    schema: TableSchema | None,
    *,
    element: bool = False,
) -> list[tuple[str, Any]]:
    """Slow masks for the rows a model's own validators would look at more closely, each
    with the reason (for the run summary)."""
    pl = polars()
    decorators = model.__pydantic_decorators__
    names = {
        (model.__name__, n) for n in (*decorators.field_validators, *decorators.model_validators)
    }
    if not names:
        return []

    def get(name: str) -> Any:
        value = typed.get(prefix + name)
        return value if value is not None else pl.lit(None)

    out: list[tuple[str, Any]] = []
    where = prefix.rstrip(".") or model.__name__
    if names - KNOWN_VALIDATORS:
        # A validator this module does not know: every row stating a fact of the model
        # goes to the per-record path.
        fields = [
            get(name).is_not_null() for name in model.model_fields if (prefix + name) in typed
        ]
        if fields:
            reason = f"{where}: a record checked by a validator only the models run"
            out.append((reason, pl.any_horizontal(*fields)))
        return out
    if model is UnitDebrief:
        reason = f"{where}: more yes votes than attendees (the records refuse it)"
        out.append((reason, get("yes_votes") > get("attendees")))
    elif model is PublicityWindow:
        reason = f"{where}: ends before it starts (the records refuse it)"
        out.append((reason, get("end") < get("start")))
    elif model is Person:
        number = get("id_number")
        head = pl.col(_ID_HEAD + prefix) if (prefix + "id_number") in typed else pl.lit(None)
        slow = _id_number_slow(number, get("id_type"), get("birth_date"), get("gender"), head)
        reason = f"{where}: an identity number not plainly valid, or not matching the record"
        out.append((reason, slow))
    return out


_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))


_ID_HEAD = "__id_head"
_SLOW_PART = "__slow."  # one part of the slow mask (normalize)
_STAGED = "__typed."  # a fact's typed value, computed first (_reading)
_GIVEN = "__given."  # (in a list's first stage) an element's field as given; alone: is null


def _id_head(number: Any) -> Any:
    """The first 17 characters of an identity number as one integer (null if not digits)."""
    return number.str.slice(0, 17).str.to_integer(strict=False)


def _id_number_slow(number: Any, id_type: Any, birth: Any, gender: Any, head: Any) -> Any:
    """Rows whose identity number is checked (GB 11643) and not plainly valid and in
    agreement with the stated birth date and gender (integer arithmetic on the first 17
    digits read as one number)."""
    pl = polars()
    checked = id_type.is_in(["resident_id_card", "hmt_residence_permit"]) | (
        id_type.is_null() & number.str.contains(r"^[0-9]{17}[0-9Xx]$")
    )
    shape = number.str.contains(r"^[0-9]{17}[0-9X]$")
    head = head.cast(pl.Int64)
    total = pl.sum_horizontal(*[(head // 10 ** (16 - i)) % 10 * w for i, w in enumerate(_WEIGHTS)])
    expected = pl.lit(pl.Series(list("10X98765432"), dtype=pl.String)).gather(total % 11)
    ymd = (head // 1000) % 10**8
    year, month, day = ymd // 10000, (ymd // 100) % 100, ymd % 100
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    length = (
        pl.when(month == 2).then(28 + leap.cast(pl.Int64)).otherwise(30 + (month + month // 8) % 2)
    )
    born_ok = (year >= 1) & month.is_between(1, 12) & (day >= 1) & (day <= length)
    stated = (
        birth.dt.year().cast(pl.Int64) * 10000
        + birth.dt.month().cast(pl.Int64) * 100
        + birth.dt.day().cast(pl.Int64)
    )
    male = head % 2 == 1
    agrees = (birth.is_null() | (stated == ymd)) & (gender.is_null() | ((gender == "male") == male))
    valid = shape & born_ok & (number.str.slice(17, 1) == expected) & agrees
    return (number.is_not_null() & checked & ~valid.fill_null(False)).fill_null(False)


# ---------------------------------------------------------------- rows back to records


def row_record(row: Mapping[str, Any], schema: TableSchema) -> dict[str, Any]:
    """The nested record a raw row spells (what the per-record path validates).

    Empty cells are left out; JSON text in a list column is parsed (kept as text when it is
    not JSON, so that the model says what is wrong with it).
    """
    lists = {field.path for field in schema.lists}
    record: dict[str, Any] = {}
    for column, value in row.items():
        if value is None or value == "":
            continue
        if column in lists:
            value = _list_cell(value)
        target = record
        parts = column.split(".")
        for part in parts[:-1]:
            nested = target.setdefault(part, {})
            if not isinstance(nested, dict):  # a column both a fact and a record: the model
                break  # will reject the row
            target = nested
        else:
            target[parts[-1]] = value
    return record


def _list_cell(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return loads_json(value, unique_keys=False)  # deep nesting too: a ValueError
        except ValueError:
            return value
    if isinstance(value, list):
        return [
            {k: v for k, v in element.items() if v is not None}
            if isinstance(element, dict)
            else element
            for element in value
        ]
    return value


def flatten_record(data: Mapping[str, Any], schema: TableSchema) -> dict[str, str | None]:
    """A nested record (a JSONL line) as text cells by record path.

    List fields become JSON text; a value where the schema has a record (or the reverse)
    is kept under its own path, which the schema does not know, so the row goes slow.  So
    is a record that states nothing (``{}``): a table cannot tell it from a missing one,
    which the per-record path reports differently.  A record holding an empty text
    anywhere is marked :data:`RECORDS_ONLY` (an empty cell would be a missing fact).
    """
    lists = {field.path for field in schema.lists}
    prefixes = {prefix for prefix, _ in schema.submodels if prefix}
    out: dict[str, str | None] = {}
    stated = [0]  # cells written that state something

    def visit(value: Any, path: str) -> None:
        if path in lists:
            out[path] = None if value is None else _list_text(value)
        elif isinstance(value, dict) and (path + ".") in prefixes:
            before = stated[0]
            for key, item in value.items():
                visit(item, f"{path}.{key}")
            if stated[0] == before:
                out[path] = cell_text(value)  # an empty record: only the models read it
        else:
            out[path] = cell_text(value)
        if out.get(path) is not None:
            stated[0] += 1

    for key, value in data.items():
        visit(value, str(key))
    if has_empty_text(data):
        out[RECORDS_ONLY] = JSON_TRUE
    return out


def has_empty_text(value: Any) -> bool:
    """Whether a nested record holds an empty text anywhere (see :data:`RECORDS_ONLY`)."""
    if type(value) is str:
        return not value
    if isinstance(value, dict):
        return any(has_empty_text(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(has_empty_text(item) for item in value)
    return False


def _list_text(value: Any) -> str:
    """A list of records as JSON text whose values are all text cells (booleans marked)."""
    if isinstance(value, list) and all(isinstance(e, dict) for e in value):
        value = [{str(k): cell_text(v) for k, v in e.items()} for e in value]
    return json.dumps(value, ensure_ascii=False, default=str)
