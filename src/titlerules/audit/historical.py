"""audit layer: historical title records (湖北省职称历史数据采集表, Xianning attachment 4),
checked row by row.

Attachment 4 has 12 columns, every one mandatory ("每条职称数据包含 12 项字段信息, 均为必填项");
its collection covers titles approved from 2012 to 2021 ("本次采集范围为 2012 年至 2021 年的中、
初级职称数据, 2011 年及以前年份的职称数据根据实际情况也可纳入"), and it is an Excel sheet
("采集表为 excel 格式").  :func:`validate_records` reads a ``.csv`` or ``.xlsx`` file and gives
**one result per input row** — no row is lost, a blank row in the middle of the data is a row
with errors; only blank rows after the last data row are not rows — each with every problem
found, by field:

* each of the 12 fields present;
* 性别 and 证件类型 from their vocabularies;
* 出生日期 and 批准日期 real dates, the approval after the birth;
* 证件号码 of a 居民身份证 (or 港澳台居民居住证): 18 characters with a valid GB 11643 check
  character, stating the same birth date and gender as the row;
* 批准日期 within the collection range: after its end is an error; before its start a warning
  (earlier years may be included where appropriate);
* 职称系列 not in the current national list: a warning (historical names are kept as written);
* 职称名称 of a senior title (副高级 or 正高级: 高级工程师, 副教授, 主任医师, 研究员 …): an error,
  the collection is of "中、初级职称数据" (:func:`is_senior_title_name`).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from titlerules.argcheck import checked
from titlerules.boundedread import read_at_most
from titlerules.csvlines import UNCLOSED_QUOTE, csv_lines
from titlerules.errors import InputFileError, Location
from titlerules.facts.applicant import id_number_is_checked, id_number_mismatch
from titlerules.facts.enums import Gender, IdType, TitleSeries
from titlerules.facts.historical import HISTORICAL_FIELDS
from titlerules.facts.idcard import IdNumberError, check_id_number
from titlerules.facts.loading import MAX_FILE_BYTES

__all__ = [
    "COLLECTION_FROM",
    "COLLECTION_TO",
    "FieldProblem",
    "RecordsReport",
    "RecordsSummary",
    "RowResult",
    "validate_records",
]

COLLECTION_FROM = dt.date(2012, 1, 1)
"""Attachment 4, note 1: the collection covers 2012 ..."""
COLLECTION_TO = dt.date(2021, 12, 31)
"""... to 2021 (earlier years may be included where appropriate)."""

EARLIEST_BIRTH = dt.date(1900, 1, 1)

_ZH = dict(HISTORICAL_FIELDS)
_BY_NAME = {zh: name for name, zh in HISTORICAL_FIELDS} | {n: n for n, _ in HISTORICAL_FIELDS}
# Senior (副高级/正高级) title names of the series: 正高级/高级 + title (not the skill
# grades 高级工 and 高级技师), 教授, 研究员, 主任医师 (药师, 护师, 技师), 编审, 译审, 研究馆员
# with their 副 forms, and the 副高 names of journalism and broadcasting.
_SENIOR_TITLE = re.compile(
    r"^(?:正高级|高级)(?!工$|技师$).+"
    r"|^副?(?:教授|研究员|编审|译审|研究馆员)$"
    r"|^副?主任(?:医|药|护|技)师$"
    r"|^主任(?:记者|编辑|播音员)$|^播音指导$"
)
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_HEADER_SCAN_ROWS = 10


class FieldProblem(BaseModel):
    """One problem with one field of one row."""

    model_config = ConfigDict(frozen=True)

    field: str
    column: str
    level: Literal["error", "warning"] = "error"
    message: str
    message_zh: str
    value: str | None = None


class RowResult(BaseModel):
    """The result for one input row: ``row`` counts data rows from 1, ``line`` is the row's
    line in the CSV file or its row number in the sheet (the header's is 1 in both)."""

    model_config = ConfigDict(frozen=True)

    row: int
    line: int
    ok: bool
    name: str | None = None
    id_number: str | None = None
    errors: list[FieldProblem] = []
    warnings: list[FieldProblem] = []


class RecordsSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    rows: int
    valid: int
    invalid: int
    with_warnings: int
    errors_by_field: dict[str, int]
    warnings_by_field: dict[str, int]


class RecordsReport(BaseModel):
    """Every row of a historical-records file, checked."""

    model_config = ConfigDict(frozen=True)

    file: str
    format: Literal["csv", "xlsx"]
    columns: list[str]
    missing_columns: list[str]
    unknown_columns: list[str]
    collection_from: dt.date
    collection_to: dt.date
    rows: list[RowResult]
    summary: RecordsSummary

    @property
    def invalid(self) -> list[RowResult]:
        return [r for r in self.rows if not r.ok]

    @property
    def exit_code(self) -> int:
        """1 when any row fails, else 0."""
        return 1 if self.summary.invalid else 0

    def text(self, lang: str = "zh", *, limit: int | None = 50) -> str:
        return records_text(self, lang, limit=limit)

    def __str__(self) -> str:
        return self.text("zh")

    def html(self, lang: str = "zh") -> str:
        """The report as an HTML table, all in ``lang`` (``"zh"`` or ``"en"``)."""
        from titlerules.audit.notebook import records_html

        return records_html(self, lang)

    def _repr_html_(self) -> str:
        return self.html("zh")

    def to_pandas(self, lang: str = "zh") -> Any:
        """One row per input row, its problems in ``lang`` (needs ``titlerules[notebook]``)."""
        from titlerules.audit.notebook import records_frame

        return records_frame(self, lang)

    def problems_frame(self, lang: str = "zh") -> Any:
        """One row per problem, in ``lang`` (needs ``titlerules[notebook]``)."""
        from titlerules.audit.notebook import problems_frame

        return problems_frame(self, lang)


# ---------------------------------------------------------------- reading


# A row as read: its line (CSV) or row number (sheet), its cells, and why it could not be
# read (a CSV line with a quoted cell left open), else None.
_Raw = tuple[int, Sequence[Any], str | None]


def _csv_rows(path: Path) -> Iterator[_Raw]:
    data = _read_bytes(path)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes almost anything
        raise InputFileError(
            "neither UTF-8 nor GB18030 text",
            location=Location(file=str(path)),
            hint="save the file as UTF-8 CSV",
        )
    # One record per line (titlerules.csvlines): a stray quote cannot swallow the rows after it.
    for line in csv_lines(io.StringIO(text, newline="")):
        yield line.number, line.cells, line.error


def _read_bytes(path: Path) -> bytes:
    try:
        # Counted while reading: /dev/zero or a pipe reports no size to check beforehand.
        return read_at_most(
            path, MAX_FILE_BYTES, hint="split it; a sheet of title records is far smaller"
        )
    except FileNotFoundError:
        raise InputFileError("no such file", location=Location(file=str(path))) from None
    except IsADirectoryError:
        raise InputFileError("is a directory", location=Location(file=str(path))) from None
    except OSError as error:
        raise InputFileError(
            f"cannot read: {error.strerror}", location=Location(file=str(path))
        ) from None


def _xlsx_rows(path: Path) -> Iterator[_Raw]:
    try:
        import openpyxl
    except ImportError:
        from titlerules.errors import UsageError

        raise UsageError(
            "reading .xlsx files needs openpyxl",
            hint="pip install 'titlerules[audit]'",
        ) from None
    _read_bytes(path)
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a file that is not a workbook
        raise InputFileError(
            f"not an Excel workbook ({type(error).__name__})",
            location=Location(file=str(path)),
            hint="save the sheet as .xlsx, or export it as CSV",
        ) from None
    try:
        sheet = workbook.active
        if sheet is None:
            return
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, list(values), None
    finally:
        workbook.close()


def _cell_text(value: Any, field: str | None) -> tuple[str, str | None]:
    """A cell as text, and a problem if the value lost information in the sheet."""
    if value is None:
        return "", None
    if isinstance(value, dt.datetime):
        return value.date().isoformat(), None
    if isinstance(value, dt.date):
        return value.isoformat(), None
    if isinstance(value, bool):
        return str(value), None
    if isinstance(value, (int, float)):
        if field == "id_number":
            return str(value), "stored as a number, so digits may be lost"
        if isinstance(value, float) and value.is_integer():
            return str(int(value)), None
        return str(value), None
    return str(value).strip(), None


# ---------------------------------------------------------------- checking


def _problem(
    field: str, message: str, message_zh: str, value: str | None, level: str = "error"
) -> FieldProblem:
    return FieldProblem(
        field=field,
        column=_ZH.get(field, field),
        level="warning" if level == "warning" else "error",
        message=message,
        message_zh=message_zh,
        value=value,
    )


def _date(text: str) -> dt.date | None:
    match = _DATE.fullmatch(text.strip())
    if match is None:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def is_senior_title_name(name: str) -> bool:
    """Whether a title name (职称名称) names a senior title (副高级 or 正高级)."""
    return _SENIOR_TITLE.match(re.sub(r"\s+", "", name)) is not None


def check_row(
    values: dict[str, str],
    *,
    collection: tuple[dt.date, dt.date] = (COLLECTION_FROM, COLLECTION_TO),
    today: dt.date | None = None,
) -> tuple[list[FieldProblem], list[FieldProblem]]:
    """Errors and warnings for one row, given its cells by field name."""
    errors: list[FieldProblem] = []
    warnings: list[FieldProblem] = []
    today = today or dt.date.today()
    for field, zh in HISTORICAL_FIELDS:
        if not values.get(field):
            errors.append(_problem(field, "required field is missing", f"必填项“{zh}”为空", None))
    gender = id_type = None
    if values.get("gender"):
        try:
            gender = Gender.parse(values["gender"])
        except ValueError:
            errors.append(
                _problem("gender", "expected 男 or 女", "性别应为“男”或“女”", values["gender"])
            )
    if values.get("id_type"):
        try:
            id_type = IdType.parse(values["id_type"])
        except ValueError:
            errors.append(
                _problem(
                    "id_type",
                    f"unknown ID type; expected one of {IdType.choices()}",
                    "证件类型不在规定的类别中",
                    values["id_type"],
                )
            )
    birth = approval = None
    for field in ("birth_date", "approval_date"):
        text = values.get(field)
        if not text:
            continue
        parsed = _date(text)
        if parsed is None:
            errors.append(
                _problem(field, "not a date; write YYYY-MM-DD", f"“{_ZH[field]}”不是有效日期", text)
            )
        elif field == "birth_date":
            birth = parsed
        else:
            approval = parsed
    number = values.get("id_number")
    if number and (id_type is not None or not values.get("id_type")):
        if id_number_is_checked(id_type, number):
            try:
                info = check_id_number(number)
            except IdNumberError as error:
                errors.append(
                    _problem("id_number", str(error), f"证件号码无效：{error.zh}", number)
                )
            else:
                mismatch = id_number_mismatch(id_type, info.number, birth, gender)
                if mismatch is not None:
                    errors.append(
                        _problem(
                            "id_number",
                            mismatch,
                            "证件号码与出生日期或性别不一致",
                            number,
                        )
                    )
    if birth is not None and not EARLIEST_BIRTH <= birth <= today:
        errors.append(
            _problem("birth_date", "birth date out of range", "出生日期超出合理范围", str(birth))
        )
    if approval is not None:
        start, end = collection
        if approval > end:
            errors.append(
                _problem(
                    "approval_date",
                    f"approved after the collection range {start.year}-{end.year}",
                    f"批准日期晚于采集范围（{start.year}年至{end.year}年）",
                    str(approval),
                )
            )
        elif approval < start:
            warnings.append(
                _problem(
                    "approval_date",
                    f"approved before {start.year}: included only where appropriate",
                    f"批准日期早于 {start.year} 年：根据实际情况纳入",
                    str(approval),
                    level="warning",
                )
            )
        if birth is not None and approval <= birth:
            errors.append(
                _problem(
                    "approval_date",
                    "approved on or before the birth date",
                    "批准日期不晚于出生日期",
                    str(approval),
                )
            )
    title_name = values.get("title_name")
    if title_name and is_senior_title_name(title_name):
        errors.append(
            _problem(
                "title_name",
                "a senior title: the collection covers intermediate and junior titles only",
                "高级职称不在采集范围内（本次采集中、初级职称数据）",
                title_name,
            )
        )
    series = values.get("series")
    if series:
        try:
            TitleSeries.parse(series)
        except ValueError:
            warnings.append(
                _problem(
                    "series",
                    "not a current series name (kept as written)",
                    "不是现行职称系列名称（按原样保留）",
                    series,
                    level="warning",
                )
            )
    return errors, warnings


@checked
def validate_records(
    path: str | Path,
    *,
    collection: tuple[dt.date, dt.date] = (COLLECTION_FROM, COLLECTION_TO),
    today: dt.date | None = None,
) -> RecordsReport:
    """Check every row of a historical title-records file (``.csv`` or ``.xlsx``)."""
    file = Path(path)
    kind: Literal["csv", "xlsx"] = "xlsx" if file.suffix.lower() in (".xlsx", ".xlsm") else "csv"
    raw: Iterator[_Raw] = _xlsx_rows(file) if kind == "xlsx" else _csv_rows(file)
    rows = list(raw)
    header_at = _find_header(rows)
    if header_at is None:
        names = "、".join(zh for _, zh in HISTORICAL_FIELDS)
        unread = [(line, why) for line, _, why in rows[:_HEADER_SCAN_ROWS] if why is not None]
        raise InputFileError(
            "no header row naming the 12 columns"
            + (f" (line {unread[0][0]}: {unread[0][1]})" if unread else ""),
            location=Location(file=str(file)),
            hint=f"the first row names the columns: {names} (or their English names)",
        )
    _, header_cells, _ = rows[header_at]
    header = [_cell_text(cell, None)[0] for cell in header_cells]
    fields = [_BY_NAME.get(name) for name in header]
    present = {f for f in fields if f is not None}
    missing = [name for name, _ in HISTORICAL_FIELDS if name not in present]
    unknown = [name for name, f in zip(header, fields, strict=True) if f is None and name]
    data = rows[header_at + 1 :]
    while data and data[-1][2] is None and not any(_cell_text(c, None)[0] for c in data[-1][1]):
        data.pop()
    results: list[RowResult] = []
    for index, (line, cells, unreadable) in enumerate(data, start=1):
        if unreadable is not None:
            results.append(_unreadable_row(index, line, unreadable))
            continue
        values: dict[str, str] = {}
        cell_errors: list[FieldProblem] = []
        for field, cell in zip(fields, cells, strict=False):
            if field is None:
                continue
            text, problem = _cell_text(cell, field)
            values[field] = text
            if problem is not None and text:
                cell_errors.append(
                    _problem(field, problem, "证件号码以数字格式保存，可能丢失位数", text)
                )
        extra = [c for c in cells[len(fields) :] if _cell_text(c, None)[0]]
        if extra:
            cell_errors.append(
                _problem(
                    "(row)",
                    f"{len(extra)} cell(s) beyond the header's columns",
                    f"有 {len(extra)} 个单元格超出表头列数",
                    None,
                )
            )
        if not any(values.values()) and not extra:
            cell_errors.append(_problem("(row)", "empty row", "空行", None))
        errors, warnings = check_row(values, collection=collection, today=today)
        errors = cell_errors + errors
        results.append(
            RowResult(
                row=index,
                line=line,
                ok=not errors,
                name=values.get("name") or None,
                id_number=values.get("id_number") or None,
                errors=errors,
                warnings=warnings,
            )
        )
    error_fields: Counter[str] = Counter()
    warning_fields: Counter[str] = Counter()
    for result in results:
        error_fields.update({p.field for p in result.errors})
        warning_fields.update({p.field for p in result.warnings})
    valid = sum(1 for r in results if r.ok)
    return RecordsReport(
        file=str(file),
        format=kind,
        columns=header,
        missing_columns=missing,
        unknown_columns=unknown,
        collection_from=collection[0],
        collection_to=collection[1],
        rows=results,
        summary=RecordsSummary(
            rows=len(results),
            valid=valid,
            invalid=len(results) - valid,
            with_warnings=sum(1 for r in results if r.warnings),
            errors_by_field=dict(sorted(error_fields.items())),
            warnings_by_field=dict(sorted(warning_fields.items())),
        ),
    )


def _unreadable_row(index: int, line: int, reason: str) -> RowResult:
    """A CSV line that could not be read as cells: a result of its own, so no row is lost."""
    zh = (
        '引号未在本行闭合（多出的“"”？单元格不能跨行），本行未能读取'
        if reason == UNCLOSED_QUOTE
        else f"本行无法按 CSV 读取（{reason}）"
    )
    problem = _problem("(row)", reason, zh, None)
    return RowResult(row=index, line=line, ok=False, errors=[problem])


def _find_header(rows: list[_Raw]) -> int | None:
    """The first row (of the first few) naming at least half of the 12 columns: the sheet may
    carry a title row (湖北省职称历史数据采集表) above the header."""
    for index, (_, cells, _) in enumerate(rows[:_HEADER_SCAN_ROWS]):
        names = {_cell_text(c, None)[0] for c in cells}
        if sum(1 for name in names if name in _BY_NAME) >= len(HISTORICAL_FIELDS) // 2:
            return index
    return None


# ---------------------------------------------------------------- text


def records_text(report: RecordsReport, lang: str = "zh", *, limit: int | None = 50) -> str:
    """The summary, then each failing row with its problems (the first ``limit`` rows)."""
    zh = lang != "en"
    summary = report.summary
    if zh:
        lines = [
            f"职称历史数据核查: {report.file}  共 {summary.rows} 行，合格 {summary.valid} 行，"
            f"不合格 {summary.invalid} 行，有提示 {summary.with_warnings} 行"
        ]
    else:
        lines = [
            f"Historical title records: {report.file}  {summary.rows} rows, {summary.valid} valid, "
            f"{summary.invalid} invalid, {summary.with_warnings} with warnings"
        ]
    if report.missing_columns:
        names = ", ".join(f"{_ZH[c]}({c})" for c in report.missing_columns)
        lines.append(f"  {'缺少列' if zh else 'missing columns'}: {names}")
    if report.unknown_columns:
        label = "无法识别的列" if zh else "unknown columns"
        lines.append(f"  {label}: {', '.join(report.unknown_columns)}")
    if summary.errors_by_field:
        label = "按字段统计" if zh else "errors by field"
        counts = ", ".join(
            f"{_ZH.get(f, f) if zh else f} {n}" for f, n in summary.errors_by_field.items()
        )
        lines.append(f"  {label}: {counts}")
    shown = report.invalid if limit is None else report.invalid[:limit]
    for result in shown:
        where = (
            f"第 {result.row} 行（文件第 {result.line} 行）"
            if zh
            else (f"row {result.row} (line {result.line})")
        )
        who = f" {result.name}" if result.name else ""
        for problem in result.errors:
            text = problem.message_zh if zh else problem.message
            column = problem.column if zh else problem.field
            value = f" [{problem.value}]" if problem.value else ""
            lines.append(f"  {where}{who}: {column}: {text}{value}")
    warned = [r for r in report.rows if r.warnings]
    for result in warned if limit is None else warned[:limit]:
        where = f"第 {result.row} 行" if zh else f"row {result.row}"
        for problem in result.warnings:
            text = problem.message_zh if zh else problem.message
            column = problem.column if zh else problem.field
            value = f" [{problem.value}]" if problem.value else ""
            lines.append(f"  {'提示' if zh else 'warning'}: {where}: {column}: {text}{value}")
    hidden = len(report.invalid) - len(shown)
    if hidden > 0:
        lines.append(
            f"  …… 另有 {hidden} 行不合格（--json 列出全部）"
            if zh
            else (f"  ... {hidden} more invalid rows (--json lists them all)")
        )
    return "\n".join(lines)
