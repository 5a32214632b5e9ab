"""batch layer: a batch of applicant records handed in as dicts or JSON text, decided
column-wise, each decision the one :meth:`Policy.evaluate
<titlerules.engine.policy.Policy.evaluate>` makes.

:meth:`Policy.evaluate_many <titlerules.engine.policy.Policy.evaluate_many>` hands batches
of dicts and JSON text (without explanations) to :class:`RecordDecider` when the ``[fast]``
extra is installed and this is the quicker route for the policy (``BATCH_ROUTE`` in
:mod:`titlerules.engine.policy`).  A batch is spelled as a table (:class:`Flattener`: the
cells :func:`~titlerules.batch.schema.flatten_record` writes, list fields as lists of
structs of text cells), read and validated column-wise
(:func:`~titlerules.batch.table.validate_table`) and decided column-wise, and each row's
decision is built from its rules' outcome codes: the rule results the policy shares across
records (passed, failed, not applicable, passed by an exception, whose label is read from
the first exception that holds), the submission date and the name the table read, the
policy's receipt for that date.

A batch spelled as a system exports records is read in one step (:class:`ExportReader`):
dicts converted by pyarrow, JSON texts of one line each parsed by pyarrow's JSON reader.

A rule the columns leave unknown is run on the row's validated model, which names the
missing facts (:meth:`Policy.decision_from_codes
<titlerules.engine.policy.Policy.decision_from_codes>`).  A row goes back to the caller,
to be decided by the per-record path, whenever the table cannot say everything its
decision says: a row the fast reader does not read exactly (its validated model, or its
record when it is not one: the per-record path raises its own error), a row the columnar
rules send to the per-record path, a row whose list the fast reader leaves to the models,
and a row whose working-day answers touch a provisional calendar year (the receipt names
those years).  A policy whose rules have no columnar form, or whose constants depend on a
provisional calendar year, is decided per record throughout.
"""

from __future__ import annotations

import datetime as dt
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from itertools import compress, repeat
from typing import Any, cast

from pydantic import BaseModel, ValidationError

from titlerules.batch._polars import collect, gc_paused, polars
from titlerules.batch.compiler.columnar import compile_rules
from titlerules.batch.compiler.values import AS_OF_COLUMN, CompiledRuleColumns
from titlerules.batch.runner import _UNKNOWN, DEFER, _Variant
from titlerules.batch.schema import (
    JSON_FALSE,
    JSON_TRUE,
    RECORDS_ONLY,
    TableSchema,
    applicant_schema,
    cell_text,
    has_empty_text,
)
from titlerules.batch.table import validate_table
from titlerules.engine.policy import APPLICANT_KINDS, Policy, as_record
from titlerules.errors import TitleRulesError
from titlerules.readers import json_object_or_none

LABEL_COLUMN = "person.name"  # a decision's record label (as the engine's)


class Flattener:
    """Spells nested records as a table of text columns by record path, as the fast reader
    reads them: row by row the cells :func:`~titlerules.batch.schema.flatten_record` writes,
    and each list field as a list of structs of text cells, the values
    :func:`~titlerules.batch.schema.json_lists` would read from its JSON.  A row with a key
    the records do not have (whatever its value), or whose list holds something the fast
    reader leaves to the models there (such a key, an element that is not a record, a number
    or true/false where text, a term or a date is expected, a list that is not one), is
    named among the rows to decide per record; a row holding an empty text is marked
    :data:`~titlerules.batch.schema.RECORDS_ONLY`, as :func:`flatten_record
    <titlerules.batch.schema.flatten_record>` marks it."""

    def __init__(self, schema: TableSchema) -> None:
        self.lists = {field.path: field for field in schema.lists}
        self.prefixes = frozenset(prefix for prefix, _ in schema.submodels if prefix)
        self.cells = frozenset(leaf.path for leaf in schema.leaves)
        # Each key's record path and kind, by the prefix it is read under (0: a cell, 1: a
        # list field, 2: a sub-record, 3: a key the records do not have, whatever its value:
        # the models refuse it); made as keys are met.
        self._known: dict[str, dict[Any, tuple[str, int]]] = {}
        self._kinds = {
            path: {leaf.name: leaf.kind for leaf in field.leaves}
            for path, field in self.lists.items()
        }

    def _named(self, prefix: str, key: Any) -> tuple[str, int]:
        path = prefix + (key if type(key) is str else str(key))
        if path in self.lists:
            kind = 1
        elif (path + ".") in self.prefixes:
            kind = 2
        else:
            kind = 0 if path in self.cells else 3
        names = self._known.setdefault(prefix, {})
        if len(names) < 4096:  # (keys are the records' own: bounded)
            names[key] = (path, kind)
        return path, kind

    def columns(
        self, records: Sequence[Mapping[str, Any]]
    ) -> tuple[dict[str, list[str | None]], dict[str, _ListCells], set[int]]:
        """The text columns, the list fields' cells, and the rows to decide per record."""
        count = len(records)
        columns: dict[str, list[str | None]] = {}
        lists: dict[str, _ListCells] = {}
        bad: set[int] = set()
        known, named, kinds = self._known, self._named, self._kinds

        def fill(data: Mapping[str, Any], prefix: str, row: int) -> int:
            stated = 0  # cells written that state something
            names = known.get(prefix) or known.setdefault(prefix, {})
            for key, value in data.items():
                found = names.get(key)
                path, kind = found if found is not None else named(prefix, key)
                if kind == 3:
                    bad.add(row)
                    continue
                if kind == 1:
                    if value is None:
                        continue
                    cells = lists.get(path)
                    if cells is None:
                        cells = lists[path] = _ListCells(kinds[path])
                    if not cells.add(row, value):
                        bad.add(row)
                    stated += 1
                    continue
                column = columns.get(path)
                if column is None:
                    column = columns[path] = [None] * count
                if kind == 0:
                    if type(value) is str:
                        column[row] = value
                        stated += 1
                    else:
                        text = column[row] = cell_text(value)
                        stated += text is not None
                elif isinstance(value, dict):
                    inner = fill(value, path + ".", row)
                    if inner:
                        stated += inner
                    else:  # an empty record: only the models read it
                        text = column[row] = cell_text(value)
                        stated += text is not None
                else:
                    text = column[row] = cell_text(value)
                    stated += text is not None
            return stated

        marks: list[str | None] = [None] * count
        for row, data in enumerate(records):
            fill(data, "", row)
            if has_empty_text(data):
                marks[row] = JSON_TRUE
        if any(marks):
            columns[RECORDS_ONLY] = marks
        return columns, lists, bad

    def frame(self, records: Sequence[Mapping[str, Any]]) -> tuple[Any, set[int]]:
        """The table (text columns, list columns of structs of text), and the rows to
        decide per record."""
        pl = polars()
        columns, lists, bad = self.columns(records)
        count = len(records)
        if not columns and not lists:
            columns = {"__empty": [None] * count}
        frame = pl.DataFrame(columns, schema=dict.fromkeys(columns, pl.String))
        if lists:
            frame = frame.with_columns([cells.series(path, count) for path, cells in lists.items()])
        return frame, bad


class _Level:
    """The keys of one level of a record, each with its kind: text (0), a whole number (1),
    true/false (2), a sub-record (3) or a list of records (4); the level of each sub-record
    and of each list's elements (``records``), and the keys of each kind that
    :func:`exported_check` checks (``ints``, ``subs``, ``lists``)."""

    __slots__ = ("ints", "kinds", "lists", "records", "subs")

    def __init__(self) -> None:
        self.kinds: dict[str, int] = {}
        self.records: dict[str, _Level] = {}
        self.ints: tuple[str, ...] = ()
        self.subs: tuple[str, ...] = ()
        self.lists: tuple[str, ...] = ()

    def at(self, path: str) -> tuple[_Level, str]:
        """The level holding ``path`` (its sub-records made as needed) and the key there."""
        level = self
        *heads, key = path.split(".")
        for head in heads:
            if head not in level.records:
                level.kinds[head] = 3
                level.records[head] = _Level()
            level = level.records[head]
        return level, key

    def settle(self) -> None:
        """Fill ``ints``, ``subs`` and ``lists`` from the kinds, at every level."""
        self.ints = tuple(key for key, k in self.kinds.items() if k == 1)
        self.subs = tuple(key for key, k in self.kinds.items() if k == 3)
        self.lists = tuple(key for key, k in self.kinds.items() if k == 4)
        for level in self.records.values():
            level.settle()

    def arrow_type(self) -> Any:
        import pyarrow as pa

        kinds = {0: pa.large_string, 1: pa.int64, 2: pa.bool_}
        fields = []
        for key, kind in self.kinds.items():
            if kind == 3:
                fields.append((key, self.records[key].arrow_type()))
            elif kind == 4:
                fields.append((key, pa.large_list(self.records[key].arrow_type())))
            else:
                fields.append((key, kinds[kind]()))
        return pa.struct(fields)


def _leaf_kind(kind: str) -> int:
    return 1 if kind == "int" else 2 if kind == "bool" else 0


JSON_BLOCK_MIN = 1 << 20
JSON_BLOCK_MAX = 8 << 20
"""The bytes of JSON text pyarrow's JSON reader reads as one block
(:meth:`ExportReader.frame_json`): an eighth of a batch's text, within these bounds."""


def exported_check(level: _Level) -> Callable[[Any], bool]:
    """The test of a record (a dict) with the keys of ``level``: whether pyarrow reads it as
    the models would (see :class:`ExportReader`): known
    keys only, whole numbers as ints, each sub-record a non-empty dict, each list a list of
    dicts of known keys.  pyarrow itself refuses the rest (a number where text is expected,
    text or a number where true/false is), except what is checked here: it ignores a key
    its type does not have, reads a fraction as a whole number, a tuple as a record and a
    string as a list of characters.  The check of every level is written out as one
    function (a fifth quicker than walking the levels: it runs on every record)."""
    known: list[frozenset[str]] = []
    lines = ["def exported(d0):"]

    def keys(var: str, level: _Level, pad: str) -> None:
        known.append(frozenset(level.kinds))
        lines.append(f"{pad}if not {var}.keys() <= K{len(known) - 1}: return False")

    def ints(var: str, level: _Level, pad: str) -> None:
        for key in level.ints:
            lines.append(f"{pad}v = {var}.get({key!r})")
            lines.append(f"{pad}if v is not None and type(v) is not int: return False")

    def check(var: str, level: _Level, pad: str, depth: int) -> None:
        keys(var, level, pad)
        ints(var, level, pad)
        sub = f"d{depth + 1}"
        for key in level.subs:
            lines.append(f"{pad}{sub} = {var}.get({key!r})")
            lines.append(f"{pad}if {sub} is not None:")
            lines.append(f"{pad}    if type({sub}) is not dict or not {sub}: return False")
            check(sub, level.records[key], pad + "    ", depth + 1)
        for key in level.lists:
            lines.append(f"{pad}items = {var}.get({key!r})")
            lines.append(f"{pad}if items is not None:")
            lines.append(f"{pad}    if type(items) is not list: return False")
            lines.append(f"{pad}    for item in items:")
            lines.append(f"{pad}        if type(item) is not dict: return False")
            keys("item", level.records[key], pad + "        ")
            ints("item", level.records[key], pad + "        ")

    check("d0", level, "    ", 0)
    lines.append("    return True")
    namespace: dict[str, Any] = {f"K{n}": names for n, names in enumerate(known)}
    exec(compile("\n".join(lines), "<titlerules exported records>", "exec"), namespace)
    return cast("Callable[[Any], bool]", namespace["exported"])


class ExportReader:
    """Spells a batch of records as a table in one step when every record is spelled as a
    system exports it (``model_dump(mode="json")``: ISO dates and enum values as text, whole
    numbers, JSON booleans, known keys only): pyarrow converts the nested records to typed
    columns natively, and the table is read as a Parquet table of the same columns is (text,
    Int64 and Boolean columns, lists of structs).  A batch with any other spelling is left to
    :class:`Flattener`, which reads every spelling the fast reader reads.  (pyarrow does not
    refuse everything the models refuse, a fraction in a whole number or a key the records
    do not have: :func:`exported_check` checks those first, in Python.)  JSON texts of such
    records, one object on one line each, are parsed into the same columns by pyarrow's
    JSON reader (:meth:`frame_json`)."""

    def __init__(self, schema: TableSchema) -> None:
        self.root = _Level()
        for leaf in schema.leaves:
            level, key = self.root.at(leaf.path)
            level.kinds[key] = _leaf_kind(leaf.kind)
        for field in schema.lists:
            level, key = self.root.at(field.path)
            level.kinds[key] = 4
            element = level.records[key] = _Level()
            for leaf in field.leaves:
                element.kinds[leaf.name] = _leaf_kind(leaf.kind)
        self.root.settle()
        self._exported = exported_check(self.root)
        self.schema = schema
        self._empty: Any = None  # (_empty_text, made on first use)
        self._type: Any = None
        self._json_schema: Any = None

    def frame(self, records: Sequence[dict[str, Any]]) -> tuple[Any, set[int]] | None:
        """The table (every column of the schema) and no row to decide per record; None
        when a record is spelled otherwise (or pyarrow refuses a value)."""
        import pyarrow as pa

        exported = self._exported
        for data in records:
            if not exported(data):
                return None
        try:
            nested = pa.array(records, type=self._arrow_type())
        except (pa.ArrowException, TypeError, ValueError, OverflowError):  # (a huge number)
            return None
        return self._selected(pa.RecordBatch.from_struct_array(nested)), set()

    def frame_json(self, texts: Sequence[Any]) -> tuple[Any, set[int]] | None:
        """:meth:`frame` of a batch of JSON texts (bytes or str), each one object on one
        line, parsed by pyarrow's JSON reader into the same typed columns without a Python
        object per value; None when a text is spelled otherwise.  The reader refuses what
        :func:`exported_check` looks for (a key the records do not have or one given twice, a
        fraction, true/false or text in a whole number, a list where a record is expected
        and the reverse), and anything else a value's type does not hold; what it reads
        otherwise than the models is looked for in the table (:func:`_read_alike`)."""
        import pyarrow as pa
        import pyarrow.json as pj

        lines: list[bytes] = []
        for text in texts:
            kind = type(text)
            if kind is str:
                try:
                    text = text.encode("utf-8")
                except UnicodeEncodeError:  # (a lone surrogate)
                    return None
            elif kind is bytearray:
                text = bytes(text)
            elif kind is not bytes:
                return None
            # One object, on one line: each line then gives one row or an error (a BOM,
            # blank lines and a text of several lines are left to the per-text reader).
            if b"\n" in text or b"\r" in text or (text[:1] != b"{" and text.lstrip()[:1] != b"{"):
                return None
            lines.append(text)
        if self._json_schema is None:
            self._json_schema = pa.schema(list(_json_type(self._arrow_type())))
        options = pj.ParseOptions(
            explicit_schema=self._json_schema, unexpected_field_behavior="error"
        )
        text = b"\n".join(lines)
        # Blocks of an eighth of the text (1 to 8 MB): read on every core, and a table of a
        # few chunks (pyarrow's 1 MB blocks made one of ~100 for a batch, and every check and
        # conversion after the read went through them one by one: twice the read's time).
        block = min(max(len(text) // 8, JSON_BLOCK_MIN), JSON_BLOCK_MAX)
        try:
            table = pj.read_json(
                pa.BufferReader(text),
                parse_options=options,
                read_options=pj.ReadOptions(block_size=block),
            )
        except (pa.ArrowException, ValueError):
            return None
        if table.num_rows != len(lines) or not all(_read_alike(c) for c in table.columns):
            return None
        return self._selected(table), set()

    def _arrow_type(self) -> Any:
        if self._type is None:
            self._type = self.root.arrow_type()
        return self._type

    def _selected(self, table: Any) -> Any:
        """The schema's columns of a table of nested structs, by record path, and the
        :data:`~titlerules.batch.schema.RECORDS_ONLY` marks of the rows holding an empty
        text."""
        pl = polars()
        frame = pl.from_arrow(table)
        columns = [_field(leaf.path).alias(leaf.path) for leaf in self.schema.leaves]
        columns += [pl.col(field.path) for field in self.schema.lists]
        frame = frame.select(columns)
        if self._empty is None:
            self._empty = self._empty_text().alias(RECORDS_ONLY)
        empty = frame.select(self._empty).to_series()
        if empty.any():
            frame = frame.with_columns(empty.replace(False, None))
        return frame

    def _empty_text(self) -> Any:
        """Whether a row holds an empty text, in a field or in a list's element."""
        pl = polars()
        texts = [leaf.path for leaf in self.schema.leaves if _leaf_kind(leaf.kind) == 0]
        found = [pl.col(path) == "" for path in texts]
        for field in self.schema.lists:
            names = [leaf.name for leaf in field.leaves if _leaf_kind(leaf.kind) == 0]
            if names:
                element = pl.any_horizontal(*[pl.element().struct.field(n) == "" for n in names])
                found.append(pl.col(field.path).list.eval(element).list.any())
        return pl.any_horizontal(*found).fill_null(False)


def _json_type(kind: Any) -> Any:
    """``kind`` with the types pyarrow's JSON reader fills (text and lists, not their large
    variants)."""
    import pyarrow as pa

    if pa.types.is_large_string(kind):
        return pa.string()
    if pa.types.is_large_list(kind):
        return pa.list_(_json_type(kind.value_type))
    if pa.types.is_struct(kind):
        return pa.struct([pa.field(f.name, _json_type(f.type)) for f in kind])
    return kind


def _read_alike(column: Any) -> bool:
    """Whether pyarrow's JSON reader read a column as the models would: no list holding a
    null in place of a record, and no sub-record without a value (an empty object, or one
    of nulls: :func:`exported_check` refuses the first, and the two cannot be told apart)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    for chunk in column.chunks if isinstance(column, pa.ChunkedArray) else (column,):
        if pa.types.is_list(kind):
            if chunk.flatten().null_count:
                return False
        elif pa.types.is_struct(kind):
            fields = chunk.flatten()  # (the children as sliced, nulls where it is null)
            empty = chunk.is_valid()
            for field in fields:
                empty = pc.and_(empty, field.is_null())
            if pc.any(empty).as_py() or not all(_read_alike(field) for field in fields):
                return False
    return True


def _field(path: str) -> Any:
    """A column of nested structs by its record path (``person.name``)."""
    pl = polars()
    head, *rest = path.split(".")
    column = pl.col(head)
    for name in rest:
        column = column.struct.field(name)
    return column


class _ListCells:
    """A list field's elements (records of text cells), each row's in one run: ``bounds``
    holds a row's first element and the one after its last (equal for an empty list)."""

    __slots__ = ("bounds", "elements", "kinds", "names")

    def __init__(self, kinds: dict[str, str]) -> None:
        self.kinds = kinds
        self.names = list(kinds)
        self.elements: list[dict[str, Any]] = []
        self.bounds: dict[int, tuple[int, int]] = {}

    def add(self, row: int, value: Any) -> bool:
        """Add a row's list; False (and nothing added) when the fast reader leaves it to
        the models."""
        if type(value) is not list:
            return False
        kinds = self.kinds
        known = kinds.keys()
        added: list[dict[str, Any]] = []
        for element in value:
            if type(element) is not dict or not element.keys() <= known:
                return False
            for v in element.values():
                if v is not None and type(v) is not str:
                    element = _cells(element, kinds)
                    if element is None:
                        return False
                    break
            added.append(element)
        first = len(self.elements)
        self.elements.extend(added)
        self.bounds[row] = (first, first + len(added))
        return True

    def series(self, path: str, count: int) -> Any:
        """The list column: null where a row has no list, empty where it is empty."""
        import pyarrow as pa

        pl = polars()
        elements, bounds = self.elements, self.bounds
        values = pa.array(elements, pa.struct([(name, pa.large_string()) for name in self.names]))
        offsets: list[int] = []
        absent: list[bool] = []
        end = 0
        for row in range(count):
            found = bounds.get(row)
            offsets.append(found[0] if found is not None else end)
            absent.append(found is None)
            if found is not None:
                end = found[1]
        offsets.append(end)
        lists = pa.LargeListArray.from_arrays(
            pa.array(offsets, pa.int64()), values, mask=pa.array(absent, pa.bool_())
        )
        dtype = pl.List(pl.Struct(dict.fromkeys(self.names, pl.String)))
        return pl.Series(path, lists).cast(dtype)


def _cells(element: dict[str, Any], kinds: dict[str, str]) -> dict[str, Any] | None:
    """A list element's values as text cells (as :func:`~titlerules.batch.schema.json_lists`
    reads them from JSON); None when one is for the models to read (a number or
    true/false where a term, a date or another record is expected, anything else that is
    not text)."""
    out: dict[str, Any] = {}
    for name, v in element.items():
        kind = type(v)
        if v is None or kind is str:
            out[name] = v
        elif kinds[name] in _STRICT:
            if kind is dt.date and kinds[name] == "date":
                out[name] = v.isoformat()
            else:
                return None
        elif kind is int:
            out[name] = str(v)
        elif kind is bool:
            out[name] = JSON_TRUE if v else JSON_FALSE
        else:
            return None
    return out


# The kinds of fact a number or true/false is never read as in a list (json_lists).
_STRICT = frozenset({"enum", "date", "other"})


class RecordDecider:
    """A policy's applicant rules compiled for batches of records (see the module
    docstring), per as-of date given; thread-safe."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.schema = applicant_schema()
        self._exports = ExportReader(self.schema)
        self._flattener = Flattener(self.schema)
        self._compiled: dict[dt.date | None, _Compiled | None] = {}
        self._lock = threading.Lock()

    def _for(self, as_of: dt.date | None) -> _Compiled | None:
        with self._lock:
            if as_of not in self._compiled:
                if len(self._compiled) >= 16:
                    self._compiled.clear()
                self._compiled[as_of] = _Compiled.of(self.policy, self.schema, as_of)
            return self._compiled[as_of]

    def decide(self, records: Sequence[Any], as_of: dt.date | None) -> list[Any]:
        """Per record, in order: its decision, or what the per-record path is to decide (the
        record's validated model, or the record as given)."""
        out: list[Any] = list(records)
        compiled = self._for(as_of)
        if compiled is None:
            return out
        read = self._exports.frame_json(records)  # (None unless every record is JSON text)
        if read is not None:  # (the texts are the records: the models read them)
            rows, nested = list(range(len(records))), list(records)
        else:
            rows, nested = [], []
            for index, record in enumerate(records):
                data = _applicant_dict(record)
                if data is not None:
                    rows.append(index)
                    nested.append(data)
        if not rows:
            return out
        with gc_paused():
            raw, bad = read or self._exports.frame(nested) or self._flattener.frame(nested)
            table = validate_table(raw, self.schema, records=nested)
            for position, checked in table.checked.items():
                if isinstance(checked, BaseModel):  # validated once: the per-record path
                    out[rows[position]] = checked  # decides the model itself
            frame = collect(compiled.select(table.frame, slow=bool(table.checked)))
            # Per row: the rule codes, and which exception held for each rule with some.
            codes = _rows(frame, [f"rule.{rule}" for rule in compiled.rule_ids])
            exceptions = compiled.exceptions
            applied = _rows(frame, [f"unless.{position}" for position in exceptions])
            defer = frame.get_column(DEFER).to_list() if DEFER in frame.columns else None
            dates = frame.get_column("__as_of").to_list()
            labels = frame.get_column("__label").to_list()
            # The rows the per-record path decides: deferred, validated there, or with a list
            # only the models read.
            elsewhere = set(table.checked) | bad
            if defer is not None:
                elsewhere.update(compress(range(len(defer)), defer))
            decide = self.policy.decision_from_codes
            read_model = _json_model if read is not None else as_record
            given = as_of is not None
            nothing: dict[int, int] = {}
            for position, (index, row, held) in enumerate(zip(rows, codes, applied, strict=True)):
                if position in elsewhere:
                    continue
                model = None
                if _UNKNOWN in row:  # a rule unknown column-wise: run on the record's model
                    try:
                        model = read_model(nested[position])
                    except TitleRulesError:  # (the per-record path says it)
                        continue
                    out[index] = model  # (validated once, whatever the decision)
                made = decide(
                    row,
                    {
                        rule: which
                        for rule, which in zip(exceptions, held, strict=True)
                        if which is not None
                    }
                    if held.count(None) < len(held)
                    else nothing,
                    as_of=as_of if given else dates[position],
                    as_of_given=given,
                    record=labels[position],
                    model=model,
                )
                if made is not None:
                    out[index] = made
        return out


def _json_model(text: Any) -> BaseModel:
    """The applicant a text :meth:`ExportReader.frame_json` read: validated by pydantic-core
    alone (the JSON reader refused a key given twice, which the models would read once), or,
    when that fails, read as :func:`~titlerules.engine.policy.as_record` reads it (its
    error)."""
    from titlerules.facts import Applicant

    try:
        return Applicant.model_validate_json(text)
    except ValidationError:
        return as_record(text)


def _rows(frame: Any, names: list[str]) -> Iterator[tuple[Any, ...]]:
    """The values of columns ``names`` of ``frame``, row by row (one empty tuple a row when
    there are none)."""
    if not names:
        return repeat((), frame.height)
    return zip(*(frame.get_column(name).to_list() for name in names), strict=True)


def _applicant_dict(record: Any) -> dict[str, Any] | None:
    """The applicant a record spells, when the table can read it (a dict, or JSON text of
    one, read as :func:`~titlerules.engine.policy.as_record` reads them); else None."""
    if type(record) is not dict:
        if not isinstance(record, bytes | bytearray | str):
            return None
        record = json_object_or_none(record)
        if record is None:
            return None
    if len(record) == 1 and "procedure" in record:
        return None
    if len(record) == 1 and "applicant" in record:
        inner = record["applicant"]
        return cast("dict[str, Any]", inner) if type(inner) is dict else None
    return cast("dict[str, Any]", record)


class _Compiled:
    """One compilation of a policy's applicant rules for record batches: the variant
    whose flags include the provisional calendar years, and the rules with exceptions (by
    position)."""

    def __init__(self, variant: _Variant, rule_ids: list[str], as_of: dt.date | None) -> None:
        self.variant = variant
        self.rule_ids = rule_ids
        self.as_of = as_of
        self.exceptions = [
            position
            for position, rule_id in enumerate(rule_ids)
            if variant.columns[rule_id].exceptions
        ]

    @staticmethod
    def of(policy: Policy, schema: TableSchema, as_of: dt.date | None) -> _Compiled | None:
        """The compilation, or None when the policy is decided per record throughout."""
        if policy.core.param_years:  # every read notes provisional years
            return None
        rules = policy.compiled_rules(APPLICANT_KINDS)
        compiler, columns, fallback = compile_rules(
            policy.core,
            policy.params,
            [c.core for c in rules],
            schema,
            policy.calendar,
            as_of,
            provisional=True,
        )
        if fallback or compiler.constants_provisional():
            return None
        for compiled in rules:
            if len(columns[compiled.rule.id].exceptions) != len(compiled.exceptions):
                return None
        variant = _Variant(compiler, columns, fallback, None)
        return _Compiled(variant, [c.rule.id for c in rules], as_of)

    def select(self, typed: Any, *, slow: bool) -> Any:
        """The rule codes, the first exception that holds (rules with exceptions), the
        deferred rows, the as-of date and the label, as a LazyFrame."""
        pl = polars()
        plan = self.variant.plan()
        frame = plan.frame(typed, slow=slow)
        columns = [pl.col(f"rule.{rule_id}") for rule_id in self.rule_ids]
        for position in self.exceptions:
            first = _first_exception(self.variant.columns[self.rule_ids[position]])
            columns.append(first.alias(f"unless.{position}"))
        if plan.flags or slow:
            columns.append(pl.col(DEFER))
        if self.as_of is None and AS_OF_COLUMN in typed.columns:
            columns.append(pl.col(AS_OF_COLUMN).alias("__as_of"))
        else:
            columns.append(pl.lit(None, dtype=pl.Date).alias("__as_of"))
        if LABEL_COLUMN in typed.columns:
            columns.append(pl.col(LABEL_COLUMN).cast(pl.String).alias("__label"))
        else:
            columns.append(pl.lit(None, dtype=pl.String).alias("__label"))
        return frame.select(columns)


def _first_exception(columns: CompiledRuleColumns) -> Any:
    """The position of the first exception that holds, where the violation is not false
    (:func:`~titlerules.engine.verdict.run_rule` lists it then; else null)."""
    pl = polars()
    first = pl.coalesce(
        [
            pl.when(exception.fill_null(False)).then(pl.lit(position, dtype=pl.Int8))
            for position, exception in enumerate(columns.exceptions)
        ]
    )
    return pl.when(columns.violation.fill_null(True)).then(first)


_DECIDERS: weakref.WeakKeyDictionary[Policy, RecordDecider] = weakref.WeakKeyDictionary()
_DECIDERS_LOCK = threading.Lock()


def decide_batch(policy: Policy, batch: list[Any], as_of: dt.date | None) -> list[Any]:
    """:attr:`Policy.batch_decider <titlerules.engine.policy.Policy.batch_decider>`: the
    policy's :class:`RecordDecider` (made on first use) decides the batch."""
    with _DECIDERS_LOCK:
        decider = _DECIDERS.get(policy)
        if decider is None:
            decider = _DECIDERS[policy] = RecordDecider(policy)
    return decider.decide(batch, as_of)


Policy.batch_decider = decide_batch

__all__ = ["ExportReader", "Flattener", "RecordDecider", "decide_batch"]
