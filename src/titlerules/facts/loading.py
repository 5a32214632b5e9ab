"""facts layer: pydantic record models, pure, no DSL knowledge.

Reading records from YAML, JSON and CSV files and from Python mappings, with errors that
name the file, the line and the record path of every problem.

A record file holds one top-level key saying what it is::

    applicant: {...}                  # one record
    procedure: {...}
    post_table: {...}
    historical_title_record: {...}
    applicants: [{...}, {...}]        # several records of one kind
    procedures: [...]  post_tables: [...]  historical_title_records: [...]

or a top-level list of such one-record mappings. A ``.csv`` file holds historical title
records, one per row, under a header of the 12 column names (Chinese or English).
"""

from __future__ import annotations

import difflib
import io
import re
import types
import typing
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar, Union

import yaml
from pydantic import BaseModel, ValidationError

from titlerules.argcheck import checked
from titlerules.csvlines import UNCLOSED_QUOTE, csv_lines
from titlerules.errors import InputFileError, Location, RecordError
from titlerules.facts.applicant import Applicant
from titlerules.facts.historical import HISTORICAL_FIELDS, HistoricalTitleRecord, PostTable
from titlerules.facts.labels import loc_label
from titlerules.facts.procedure import Procedure
from titlerules.readers import json_key_ends, parse_json, parse_yaml, read_text
from titlerules.uniquekeys import UniqueKeyLoader

__all__ = [
    "MAX_FILE_BYTES",
    "RECORD_KINDS",
    "Record",
    "RecordProblem",
    "RecordResult",
    "RecordValidationError",
    "dump_record",
    "json_text",
    "load_applicant",
    "load_batch",
    "load_historical_csv",
    "load_post_table",
    "load_procedure",
    "load_record",
    "load_records",
    "parse_record",
    "parse_record_json",
    "quick_json_record",
]

Record = Applicant | Procedure | PostTable | HistoricalTitleRecord
"""Any root record."""

M = TypeVar("M", Applicant, Procedure, PostTable, HistoricalTitleRecord)
T = TypeVar("T", bound=BaseModel)

RECORD_KINDS: dict[str, type[Record]] = {
    "applicant": Applicant,
    "procedure": Procedure,
    "post_table": PostTable,
    "historical_title_record": HistoricalTitleRecord,
}
"""Top-level key of a one-record file -> record model."""

_LIST_KEYS: dict[str, str] = {
    "applicants": "applicant",
    "procedures": "procedure",
    "post_tables": "post_table",
    "historical_title_records": "historical_title_record",
}

MAX_FILE_BYTES = 64 * 1024 * 1024
"""Largest record file read (batch inputs beyond this belong to the batch layer)."""

_RECORD_SUFFIXES = (".yaml", ".yml", ".json", ".csv")

PathSegment = str | int
RecordLoc = tuple[PathSegment, ...]


# --- errors ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordProblem:
    """One problem in one record: where it is, what is wrong, and what to do.

    ``label`` is the Chinese label of the field at ``record_path`` (``None`` where the path
    names no field); ``str()`` names the field by it, the path after it in parentheses.
    """

    file: str | None
    record_path: str
    message: str
    hint: str | None = None
    line: int | None = None
    column: int | None = None
    label: str | None = None

    @property
    def location(self) -> Location:
        return Location(
            file=self.file, line=self.line, column=self.column, record_path=self.record_path
        )

    def __str__(self) -> str:
        path = self.record_path
        if self.label and path:
            path = f"{self.label} ({path})"
        where = str(Location(file=self.file, line=self.line, column=self.column, record_path=path))
        text = f"{where}: {self.message}" if where else self.message
        return f"{text}\n  hint: {self.hint}" if self.hint else text


class RecordValidationError(RecordError):
    """One or more records failed validation; ``problems`` lists every problem found.

    ``str()`` gives one line per problem (each followed by its hint, if any).
    """

    def __init__(
        self,
        problems: Iterable[RecordProblem],
        *,
        code: str | None = None,
    ) -> None:
        self.problems: tuple[RecordProblem, ...] = tuple(problems)
        if not self.problems:
            raise ValueError("a RecordValidationError needs at least one problem")
        first = self.problems[0]
        super().__init__(first.message, location=first.location, hint=first.hint, code=code)

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_validation_error, (self.problems, self.code))

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)


def _rebuild_validation_error(
    problems: tuple[RecordProblem, ...], code: str
) -> RecordValidationError:
    return RecordValidationError(problems, code=code)


def _format_path(loc: RecordLoc) -> str:
    text = ""
    for segment in loc:
        if isinstance(segment, int):
            text += f"[{segment}]"
        else:
            text += f".{segment}" if text else segment
    return text


def _kind_of(value: object) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, bool):
        return f"'{str(value).lower()}'"
    if isinstance(value, str | int | float):
        return f"'{value}'"
    if value is None:
        return "nothing (null)"
    return type(value).__name__


def _model_at(model: type[BaseModel], loc: RecordLoc) -> type[BaseModel] | None:
    """The record model found at ``loc`` inside ``model`` (for 'did you mean' hints)."""
    current: type[BaseModel] | None = model
    for segment in loc:
        if current is None:
            return None
        if isinstance(segment, int):
            continue
        field = current.model_fields.get(segment)
        if field is None:
            return None
        current = _model_in(field.annotation)
    return current


def _model_in(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType, list, frozenset):
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    if origin is typing.Annotated:
        return _model_in(typing.get_args(annotation)[0])
    return None


_DATE_HINT = "write dates as YYYY-MM-DD, e.g. 2024-03-01"
_UNKNOWN_HINT = "leave the field out if the fact is unknown"


def _field_segments(field: str) -> tuple[str | int, ...]:
    """``assessments[2].year`` as path segments ('assessments', 2, 'year')."""
    return tuple(
        int(index) if index else name for index, name in re.findall(r"\[(\d+)\]|([^.\[\]]+)", field)
    )


def _describe(
    error: Mapping[str, Any], model: type[BaseModel], loc: RecordLoc
) -> tuple[RecordLoc, str, str | None]:
    """A plain (path, message, hint) for one pydantic error."""
    kind = str(error["type"])
    value = error.get("input")
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    message = str(error["msg"])
    hint: str | None = None
    if kind == "fact_field":
        return (*loc, *_field_segments(str(ctx["field"]))), str(ctx["message"]), None
    if kind == "missing":
        message = "required field is missing"
        if model is HistoricalTitleRecord:
            hint = "all 12 fields of a historical title record are mandatory"
    elif kind == "extra_forbidden":
        name = str(loc[-1]) if loc else "?"
        message = f"unknown field '{name}'"
        owner = _model_at(model, loc[:-1])
        if owner is not None:
            close = difflib.get_close_matches(name, list(owner.model_fields), n=1)
            hint = (
                f"did you mean '{close[0]}'?"
                if close
                else f"known fields: {', '.join(owner.model_fields)}"
            )
    elif kind == "fact_date":
        hint = _DATE_HINT
    elif kind in ("bool_parsing", "bool_type", "fact_flag"):
        message = f"expected true or false, got {_kind_of(value)}"
        hint = "write true/false (or 是/否)"
    elif kind in ("int_parsing", "int_type", "int_from_float"):
        message = f"expected a whole number, got {_kind_of(value)}"
        hint = "write a count or a year in digits, e.g. 7"
    elif kind in ("decimal_parsing", "decimal_type", "float_parsing", "fraction_parsing"):
        message = f"expected a number, got {_kind_of(value)}"
        hint = "write a number in digits; a ratio as 3/4 or 75%"
    elif kind in ("greater_than_equal", "greater_than"):
        message = f"must be at least {ctx.get('ge', ctx.get('gt'))}, got {_kind_of(value)}"
    elif kind in ("less_than_equal", "less_than"):
        message = f"must be at most {ctx.get('le', ctx.get('lt'))}, got {_kind_of(value)}"
    elif kind == "string_too_short":
        message = "must not be empty"
        hint = _UNKNOWN_HINT
    elif kind == "string_type":
        message = f"expected text, got {_kind_of(value)}"
        hint = "quote the value"
    elif kind in ("model_type", "model_attributes_type", "dict_type"):
        message = f"expected a mapping of fields (key: value), got {_kind_of(value)}"
        hint = "indent the fields under this key, one 'name: value' per line"
    elif kind in ("list_type", "frozen_set_type", "set_type", "tuple_type"):
        message = f"expected a list, got {_kind_of(value)}"
        hint = "write a YAML list ('- item' lines, or [a, b]); [] means none"
    elif kind == "id_number":
        hint = (
            "a 居民身份证 number is 17 digits and a check character (0-9 or X); "
            "copy it from the card"
        )
    elif kind == "value_error":
        message = message.removeprefix("Value error, ")
    if hint is None:
        hint = "docs/records.md lists every field with its type and vocabulary"
    return loc, message, hint


def _problems_from(
    error: ValidationError,
    model: type[BaseModel],
    *,
    file: str | None,
    prefix: RecordLoc,
    lines: _LineFinder | None,
) -> list[RecordProblem]:
    problems: list[RecordProblem] = []
    for item in error.errors(include_url=False):
        loc, message, hint = _describe(item, model, tuple(item["loc"]))
        full = (*prefix, *loc)
        line, column = lines.find(full) if lines is not None else (None, None)
        problems.append(
            RecordProblem(
                file=file,
                record_path=_format_path(full),
                message=message,
                hint=hint,
                line=line,
                column=column,
                label=loc_label(model, loc),
            )
        )
    return problems


# --- reading files --------------------------------------------------------------------------


class _Loader(UniqueKeyLoader):
    """``yaml.SafeLoader`` that leaves dates as text (the models parse them, with a clear
    error for 2024-13-01) and rejects duplicate keys."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _LineFinder:
    """Maps record paths to line/column in a YAML text (composed only when needed)."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._root: yaml.Node | None = None
        self._composed = False

    def find(self, loc: RecordLoc) -> tuple[int | None, int | None]:
        if not self._composed:
            self._composed = True
            try:
                self._root = yaml.compose(self._text, Loader=_Loader)
            except (yaml.YAMLError, ValueError, RecursionError):
                self._root = None
        node = self._root
        if node is None:
            return None, None
        mark = node.start_mark
        for segment in loc:
            child: yaml.Node | None = None
            if isinstance(node, yaml.MappingNode):
                for key_node, value_node in node.value:
                    if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(segment):
                        child = value_node
                        mark = key_node.start_mark
                        break
            elif isinstance(node, yaml.SequenceNode) and isinstance(segment, int):
                if 0 <= segment < len(node.value):
                    child = node.value[segment]
                    mark = child.start_mark
            if child is None:
                break
            node = child
        return mark.line + 1, mark.column + 1


@dataclass(frozen=True, slots=True)
class _Document:
    file: str
    data: object
    lines: _LineFinder | None


def _read_text(path: Path) -> str:
    # Counted while reading: /dev/zero or a pipe reports no size to check beforehand.
    return read_text(
        path,
        MAX_FILE_BYTES,
        what="record file",
        hint="split it, or read it with the batch API",
    )


def _read_document(path: Path) -> _Document:
    text = _read_text(path)
    file = str(path)
    if path.suffix.lower() == ".json":
        return _Document(file, parse_json(text, file=file), None)
    data = parse_yaml(
        text,
        file=file,
        loader=_Loader,
        hint="check the indentation and that every 'key: value' has a space after ':'",
    )
    return _Document(file, data, _LineFinder(text))


# --- validating -----------------------------------------------------------------------------


def parse_record(
    model: type[T],
    data: object,
    *,
    file: str | None = None,
    path: RecordLoc | str = (),
    _lines: _LineFinder | None = None,
) -> T:
    """Validate ``data`` (a mapping) as ``model``; raise :class:`RecordValidationError`
    listing every problem, each with ``file`` and its record path under ``path``."""
    prefix: RecordLoc = (path,) if isinstance(path, str) and path else tuple(path or ())
    try:
        return model.model_validate(data)
    except ValidationError as error:
        try:
            problems = _problems_from(error, model, file=file, prefix=prefix, lines=_lines)
        except UnicodeEncodeError:  # pydantic cannot report text holding a lone surrogate
            problems = [
                RecordProblem(
                    file=file,
                    record_path=_format_path(prefix) or "(top level)",
                    message="the record holds text that is not valid Unicode (a lone surrogate)",
                    hint="save the file as UTF-8; a JSON \\uD800-style escape needs its pair",
                )
            ]
        raise RecordValidationError(problems) from None


def _given(model: BaseModel) -> int:
    """How many fields the record and its parts were given (keys read, once each)."""
    given = model.__pydantic_fields_set__
    count = len(given)
    values = model.__dict__
    for name in given:
        value = values[name]
        if type(value) is list:
            for item in value:
                if isinstance(item, BaseModel):
                    count += _given(item)
        elif isinstance(value, BaseModel):
            count += _given(value)
    return count


def json_text(data: bytes | bytearray | str, *, file: str | None = None) -> str:
    """JSON text as ``str`` (bytes decoded as UTF-8, a BOM dropped)."""
    if isinstance(data, str):
        return data
    try:
        return bytes(data).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputFileError(
            f"the JSON text is not UTF-8 (byte {exc.start} cannot be decoded)",
            location=Location(file=file),
            hint="save or send the record as UTF-8",
        ) from None


def quick_json_record(model: type[T], data: bytes | bytearray | str) -> T | None:
    """``data`` (JSON text) validated as ``model`` by pydantic-core alone
    (``model_validate_json``), or ``None`` when it does not pass or names a key twice: the
    caller then reads it with :func:`~titlerules.readers.parse_json` and validates it with
    :func:`parse_record`, for the exact error (or a wrapped record)."""
    try:
        record = model.model_validate_json(data)
    except ValidationError:
        return None
    # Every key given once: as many key ends as keys read; more is left to the reader.
    if json_key_ends(data) != _given(record):
        return None
    return record


def parse_record_json(
    model: type[T],
    data: bytes | bytearray | str,
    *,
    file: str | None = None,
    path: RecordLoc | str = (),
) -> T:
    """Validate JSON text as ``model``: by pydantic-core alone when it passes
    (:func:`quick_json_record`), else read and validated as :func:`parse_record` does (a key
    given twice, bad JSON and every problem of the record reported the same way)."""
    record = quick_json_record(model, data)
    if record is not None:
        return record
    parsed = parse_json(json_text(data, file=file), file=file)
    return parse_record(model, parsed, file=file, path=path)


@dataclass(frozen=True, slots=True)
class _Entry:
    model: type[Record]
    data: object
    path: RecordLoc


def _shape_error(file: str | None, message: str, path: RecordLoc = ()) -> RecordValidationError:
    keys = ", ".join([*RECORD_KINDS, *_LIST_KEYS])
    return RecordValidationError(
        [
            RecordProblem(
                file=file,
                record_path=_format_path(path) or "(top level)",
                message=message,
                hint=f"a record file has one top-level key: {keys}",
            )
        ]
    )


def _entries(data: object, file: str | None) -> Iterator[_Entry | RecordValidationError]:
    """The records a document holds, or an error in place of each malformed one."""
    if isinstance(data, list):
        for index, item in enumerate(data):
            if isinstance(item, Mapping) and len(item) == 1:
                key = next(iter(item))
                if key in RECORD_KINDS:
                    yield _Entry(RECORD_KINDS[key], item[key], (index, key))
                    continue
            yield _shape_error(file, "expected a one-key mapping such as 'applicant:'", (index,))
        return
    if not isinstance(data, Mapping) or len(data) != 1:
        found = f"keys {', '.join(map(str, data))}" if isinstance(data, Mapping) else _kind_of(data)
        yield _shape_error(file, f"expected exactly one top-level key, found {found}")
        return
    raw_key = next(iter(data))
    key = str(raw_key)
    body = data[raw_key]
    if key in RECORD_KINDS:
        yield _Entry(RECORD_KINDS[key], body, (key,))
    elif key in _LIST_KEYS:
        if not isinstance(body, list):
            yield _shape_error(file, f"expected a list, got {_kind_of(body)}", (key,))
            return
        model = RECORD_KINDS[_LIST_KEYS[key]]
        for index, item in enumerate(body):
            yield _Entry(model, item, (key, index))
    else:
        close = difflib.get_close_matches(key, [*RECORD_KINDS, *_LIST_KEYS], n=1)
        error = _shape_error(file, f"unknown record kind '{key}'", (key,))
        if close:
            problem = error.problems[0]
            error = RecordValidationError(
                [
                    RecordProblem(
                        file=file,
                        record_path=problem.record_path,
                        message=problem.message,
                        hint=f"did you mean '{close[0]}'?",
                    )
                ]
            )
        yield error


@dataclass(frozen=True, slots=True)
class RecordResult:
    """The outcome for one record of a batch: the record, or the error in its place."""

    file: str | None
    record_path: str
    record: Record | None = None
    error: RecordError | InputFileError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _results_for_document(document: _Document) -> list[RecordResult]:
    results: list[RecordResult] = []
    for entry in _entries(document.data, document.file):
        if isinstance(entry, RecordValidationError):
            results.append(RecordResult(document.file, entry.problems[0].record_path, error=entry))
            continue
        path = _format_path(entry.path)
        try:
            record = parse_record(
                entry.model, entry.data, file=document.file, path=entry.path, _lines=document.lines
            )
        except RecordValidationError as error:
            results.append(RecordResult(document.file, path, error=error))
        else:
            results.append(RecordResult(document.file, path, record=record))
    return results


@checked
def load_historical_csv(path: str | Path) -> list[RecordResult]:
    """Historical title records from a CSV file: one result per data row, errors in place.

    The header names the 12 columns in Chinese (姓名, 性别, ...) or English (name, gender, ...),
    in any order; an empty cell counts as missing.
    """
    file_path = Path(path)
    file = str(file_path)
    text = _read_text(file_path)
    # One record per line (titlerules.csvlines): a stray quote cannot swallow the rows after it.
    lines = list(csv_lines(io.StringIO(text, newline="")))
    if not lines:
        raise InputFileError("empty CSV file: expected a header row", location=Location(file=file))
    if lines[0].error is not None:
        raise InputFileError(
            f"invalid CSV header: {lines[0].error}",
            location=Location(file=file, line=1),
            hint="check the quoting of the cells; one record per row",
        )
    by_name = {zh: name for name, zh in HISTORICAL_FIELDS} | {n: n for n, _ in HISTORICAL_FIELDS}
    header = [by_name.get(cell.strip(), cell.strip()) for cell in lines[0].cells]
    results: list[RecordResult] = []
    for line in lines[1:]:
        row = line.cells
        if line.error is None and not any(cell.strip() for cell in row):
            continue
        record_loc: RecordLoc = ("historical_title_records", len(results))
        if line.error is not None and line.error != UNCLOSED_QUOTE:  # a cell beyond the limit
            raise InputFileError(
                line.error,
                location=Location(file=file, line=line.number),
                hint="check the quoting of the cells; one record per row",
            )
        if line.error is not None:
            where = _format_path(record_loc)
            hint = "close the quote on its line, or remove the stray one"
            unread = RecordProblem(file, where, line.error, hint, line=line.number)
            results.append(RecordResult(file, where, error=RecordValidationError([unread])))
            continue
        data = {key: cell for key, cell in zip(header, row, strict=False) if cell.strip()}
        if len(row) > len(header):
            data["(extra columns)"] = ",".join(row[len(header) :])
        try:
            record = parse_record(HistoricalTitleRecord, data, file=file, path=record_loc)
        except RecordValidationError as error:
            line_problems = [replace(p, line=line.number) for p in error.problems]
            results.append(
                RecordResult(
                    file, _format_path(record_loc), error=RecordValidationError(line_problems)
                )
            )
        else:
            results.append(RecordResult(file, _format_path(record_loc), record=record))
    return results


def _record_files(directory: Path) -> list[Path]:
    return sorted(
        path
        for path in directory.rglob("*")
        if path.is_file()
        and path.suffix.lower() in _RECORD_SUFFIXES
        and not any(part.startswith(".") for part in path.relative_to(directory).parts)
    )


def _results_for_path(path: Path) -> list[RecordResult]:
    if path.suffix.lower() == ".csv":
        return load_historical_csv(path)
    return _results_for_document(_read_document(path))


@checked
def load_batch(
    source: str | Path | Iterable[Mapping[str, Any]],
    *,
    kind: type[Record] | None = None,
) -> list[RecordResult]:
    """Validate many records without stopping at a bad one: one result per record.

    ``source`` is a file, a directory (every ``.yaml``/``.yml``/``.json``/``.csv`` file under it,
    in path order) or an iterable of mappings. Mappings are wrapped records
    (``{"applicant": {...}}``) unless ``kind`` gives the model of bare ones. A file that cannot
    be read or parsed gives one result carrying its :class:`InputFileError`.
    """
    if isinstance(source, str | Path):
        path = Path(source)
        try:
            files = _record_files(path) if path.is_dir() else [path]
        except OSError as error:  # a folder that cannot be listed
            unreadable = InputFileError(
                f"cannot list the folder: {error.strerror}",
                location=Location(file=str(error.filename or path)),
                hint="check the folder's permissions, or name the record files",
            )
            return [RecordResult(str(path), "", error=unreadable)]
        results: list[RecordResult] = []
        for file in files:
            try:
                results.extend(_results_for_path(file))
            except InputFileError as error:
                results.append(RecordResult(str(file), "", error=error))
        return results
    batch: list[RecordResult] = []
    for index, item in enumerate(source):
        if kind is not None:
            path_loc: RecordLoc = (index,)
            try:
                record = parse_record(kind, item, path=path_loc)
            except RecordValidationError as error:
                batch.append(RecordResult(None, _format_path(path_loc), error=error))
            else:
                batch.append(RecordResult(None, _format_path(path_loc), record=record))
            continue
        found = list(_entries([item], None))
        entry = found[0]
        if isinstance(entry, RecordValidationError):
            batch.append(RecordResult(None, f"[{index}]", error=entry))
            continue
        loc: RecordLoc = (index, *entry.path[1:])
        try:
            record = parse_record(entry.model, entry.data, path=loc)
        except RecordValidationError as error:
            batch.append(RecordResult(None, _format_path(loc), error=error))
        else:
            batch.append(RecordResult(None, _format_path(loc), record=record))
    return batch


@checked
def load_records(source: str | Path) -> list[Record]:
    """Every record in a file or directory; raises one error listing every problem found
    (:class:`RecordValidationError`, or the first :class:`InputFileError`)."""
    results = load_batch(source)
    problems: list[RecordProblem] = []
    for result in results:
        if isinstance(result.error, RecordValidationError):
            problems.extend(result.error.problems)
        elif result.error is not None:
            raise result.error
    if problems:
        raise RecordValidationError(problems)
    return [result.record for result in results if result.record is not None]


@checked
def load_record(path: str | Path) -> Record:
    """The one record in a file (``applicant:``, ``procedure:``, ``post_table:`` or
    ``historical_title_record:`` at top level)."""
    records = load_records(path)
    if len(records) != 1:
        raise RecordError(
            f"expected one record, found {len(records)}",
            location=Location(file=str(path)),
            hint="use load_records() for a file with several records",
        )
    return records[0]


def _load_one(model: type[M], source: str | Path | Mapping[str, Any]) -> M:
    key = model.RECORD_KEY
    if isinstance(source, Mapping):
        if set(source) == {key}:
            return parse_record(model, source[key], path=(key,))
        return parse_record(model, source, path=(key,))
    record = load_record(source)
    if not isinstance(record, model):
        raise RecordError(
            f"expected {key} record, found {type(record).RECORD_KEY}",
            location=Location(file=str(source)),
        )
    return record


@checked
def load_applicant(source: str | Path | Mapping[str, Any]) -> Applicant:
    """An :class:`Applicant` from a file, or from a mapping (bare or under ``applicant:``)."""
    return _load_one(Applicant, source)


@checked
def load_procedure(source: str | Path | Mapping[str, Any]) -> Procedure:
    """A :class:`Procedure` from a file, or from a mapping (bare or under ``procedure:``)."""
    return _load_one(Procedure, source)


@checked
def load_post_table(source: str | Path | Mapping[str, Any]) -> PostTable:
    """A :class:`PostTable` from a file, or from a mapping (bare or under ``post_table:``)."""
    return _load_one(PostTable, source)


def dump_record(record: Record) -> dict[str, Any]:
    """The record as a JSON-ready mapping under its top-level key; unknown facts left out."""
    body = record.model_dump(mode="json", exclude_none=True)
    return {type(record).RECORD_KEY: body}
