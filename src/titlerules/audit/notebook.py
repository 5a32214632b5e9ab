"""notebook layer: decisions, audit reports, plans and record checks as HTML tables, pandas
frames and matplotlib charts, for auditors working in Jupyter.

The HTML renderers need nothing beyond the standard library, so ``_repr_html_`` always
works.  ``to_pandas()`` and the plots import pandas and matplotlib on first use; without them
they raise :class:`~titlerules.errors.TitleRulesError` saying to install the extra
``pip install 'titlerules[notebook]'``.

Tables and charts speak one language at a time, ``lang="zh"`` (the default, as the command
line's ``--lang``) or ``lang="en"``: a report shows itself in Chinese, :func:`view` shows it in
either.  Tables list failed rules first (``failures_first=False`` keeps the policy's order).
Charts in Chinese need a font with Chinese glyphs, which matplotlib's own fonts lack: without
one a chart is labelled in English and a :class:`CJKFontWarning` says what to install.
"""

from __future__ import annotations

import datetime as dt
import html
import importlib
import re
import warnings
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from titlerules.atomic import AtomicOutput
from titlerules.engine.decision import Decision, Outcome, RuleOutcome
from titlerules.engine.verdict import DECISION_WORDS, RULE_WORDS
from titlerules.errors import TitleRulesError

if TYPE_CHECKING:
    from titlerules.audit.crossrecord import CrossRecordReport
    from titlerules.audit.historical import RecordsReport
    from titlerules.audit.planner import Plan
    from titlerules.audit.procedure import AuditReport

__all__ = [
    "CJK_FONT_HINT",
    "NO_CJK_FONT",
    "CJKFontWarning",
    "Decisions",
    "HTMLView",
    "audit_frame",
    "audit_html",
    "chart_language",
    "cjk_font",
    "cross_frame",
    "cross_html",
    "decision_frame",
    "decision_html",
    "plan_frame",
    "plan_html",
    "plot_findings",
    "plot_plan",
    "problems_frame",
    "records_frame",
    "records_html",
    "save_chart",
    "view",
]

_INSTALL = "pip install 'titlerules[notebook]'"

_COLOURS = {
    "passed": "#2e7d32",
    "failed": "#c62828",
    "unknown": "#ef6c00",
    "not_applicable": "#757575",
    "eligible": "#2e7d32",
    "ineligible": "#c62828",
    "undetermined": "#ef6c00",
}


def _pandas() -> Any:
    try:
        import pandas
    except ImportError:
        raise TitleRulesError(
            "tables as pandas DataFrames need pandas, which is not installed",
            hint=f"install the notebook extra: {_INSTALL}",
            code="TR600",
        ) from None
    return pandas


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise TitleRulesError(
            "charts need matplotlib, which is not installed",
            hint=f"install the notebook extra: {_INSTALL}",
            code="TR600",
        ) from None
    return plt


def _matplotlib(module: str = "matplotlib") -> Any:
    """A matplotlib module (typed loosely: charts pass matplotlib's values through)."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise TitleRulesError(
            "charts need matplotlib, which is not installed",
            hint=f"install the notebook extra: {_INSTALL}",
            code="TR600",
        ) from None


# ---------------------------------------------------------------- language

_HEADERS: dict[str, dict[str, str]] = {
    "zh": {
        "outcome": "结果",
        "clause": "条款",
        "rule": "规则编号",
        "title": "规则名称",
        "quote": "原文",
        "facts": "日期与数量",
        "working_days": "工作日",
        "explanation": "说明",
        "record": "记录",
        "failed": "不符合的规则",
        "unknown": "待查明",
        "error": "错误",
        "step": "步骤",
        "field": "字段",
        "earliest": "最早",
        "latest": "最晚",
        "to_meeting": "距评审会议",
        "rules": "规则",
    },
    "en": {
        "outcome": "outcome",
        "clause": "clause",
        "rule": "rule id",
        "title": "title",
        "quote": "quote",
        "facts": "dates and counts",
        "working_days": "working days",
        "explanation": "explanation",
        "record": "record",
        "failed": "failed rules",
        "unknown": "unknown",
        "error": "error",
        "step": "step",
        "field": "field",
        "earliest": "earliest",
        "latest": "latest",
        "to_meeting": "to the meeting",
        "rules": "rules",
    },
}

# Failures first: the rows an auditor acts on, then the ones still open, then the rest.
_ORDER = {
    RuleOutcome.FAILED: 0,
    RuleOutcome.UNKNOWN: 1,
    RuleOutcome.PASSED: 2,
    RuleOutcome.NOT_APPLICABLE: 3,
}


def _lang(lang: str) -> str:
    if lang not in ("zh", "en"):
        from titlerules.errors import UsageError

        raise UsageError(f"unknown language '{lang}'", hint="use lang='zh' or lang='en'")
    return lang


def _ordered(items: Sequence[Any], failures_first: bool) -> list[Any]:
    """``items`` (findings or rule results, each with an ``outcome``), failed first, then
    unknown, passed and not applicable when ``failures_first``; each group in policy order."""
    if not failures_first:
        return list(items)
    return sorted(items, key=lambda item: _ORDER[item.outcome])


def _fact_text(path: str, value: object, lang: str, root: str) -> str:
    """A fact read, named by its field label in ``lang`` (the path after it, where a clerk
    finds the field), or by its name when it is a derived value (``committee_size``)."""
    from titlerules.facts.labels import UnknownFieldError, labelled

    try:
        name = labelled(path, "zh" if lang == "zh" else "en", root=root)
    except UnknownFieldError:
        name = path
    return f"{name} = {value}"


def _more(count: int, lang: str) -> str:
    return f"另有 {count} 项" if lang == "zh" else f"{count} more"


# ---------------------------------------------------------------- HTML

# Wide text columns (titles, quotes, explanations) wrap at word or character boundaries
# instead of being squeezed to a few characters by their neighbours.
_WIDE = "min-width:14em;max-width:36em;white-space:normal;overflow-wrap:anywhere"


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _badge(word: str, outcome: str | None = None) -> str:
    colour = _COLOURS.get(outcome or word, "#424242")
    return f'<span style="color:{colour};font-weight:bold">{_e(word)}</span>'


def _table(
    columns: Sequence[str],
    rows: Iterable[Sequence[str]],
    raw: frozenset[int] = frozenset(),
    wide: frozenset[int] = frozenset(),
    short: frozenset[int] = frozenset(),
) -> str:
    """An HTML table; cells are escaped except in the columns listed in ``raw``; the columns
    in ``wide`` keep a readable width and wrap, those in ``short`` (an outcome, a clause, a
    rule id) never wrap."""

    def style(i: int) -> str:
        extra = (";" + _WIDE) if i in wide else (";white-space:nowrap" if i in short else "")
        return "text-align:left;vertical-align:top" + extra

    head = "".join(f'<th style="{style(i)}">{_e(c)}</th>' for i, c in enumerate(columns))
    body = []
    for row in rows:
        cells = "".join(
            f'<td style="{style(i)}">{c if i in raw else _e(c)}</td>' for i, c in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _e_dates(value: object) -> str:
    """Escaped, each ISO date kept on one line (a hyphen is otherwise a place to wrap)."""
    return _DATE.sub(lambda m: f'<span style="white-space:nowrap">{m.group(0)}</span>', _e(value))


def _receipt_html(receipt: Any, lang: str = "en") -> str:
    engine, calendar, provisional = (
        ("引擎", "日历", "暂定日历年份")
        if lang == "zh"
        else ("engine", "calendar", "provisional calendar years")
    )
    return (
        '<p style="font-size:smaller;color:#616161">'
        f"{_e(receipt.policy_id)} sha256 {_e(receipt.policy_sha256[:12])} · "
        f"{engine} {_e(receipt.engine_version)} · {calendar} {_e(receipt.calendar_version)}"
        + (
            f" · {provisional} {_e(receipt.provisional_calendar_years)}"
            if receipt.provisional_calendar_years
            else ""
        )
        + "</p>"
    )


class HTMLView:
    """An HTML rendering that Jupyter shows as such (what :func:`view` returns)."""

    def __init__(self, text: str) -> None:
        self.html = text

    def _repr_html_(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.html


def view(subject: Any, lang: str = "zh", *, failures_first: bool = True) -> HTMLView:
    """``subject`` (a decision, an audit report, a plan, cross-record checks, a batch of
    decisions) as a table in
    ``lang``: ``view(report, "en")`` in a notebook cell shows the English table, where the
    report itself (``report``) shows the Chinese one."""
    from titlerules.audit.crossrecord import CrossRecordReport
    from titlerules.audit.planner import Plan
    from titlerules.audit.procedure import AuditReport

    lang = _lang(lang)
    if isinstance(subject, Decision):
        return HTMLView(decision_html(subject, lang, failures_first=failures_first))
    if isinstance(subject, AuditReport):
        return HTMLView(audit_html(subject, lang, failures_first=failures_first))
    if isinstance(subject, Plan):
        return HTMLView(plan_html(subject, lang))
    if isinstance(subject, CrossRecordReport):
        return HTMLView(cross_html(subject, lang, failures_first=failures_first))
    if isinstance(subject, Decisions):
        return HTMLView(subject.html(lang))
    from titlerules.audit.historical import RecordsReport

    if isinstance(subject, RecordsReport):
        return HTMLView(records_html(subject, lang))
    from titlerules.errors import UsageError

    raise UsageError(
        f"cannot show a {type(subject).__name__} as a table",
        hint="pass a decision, an audit report, a plan, cross-record checks, Decisions or "
        "a historical-records report",
    )


def decision_html(decision: Decision, lang: str = "zh", *, failures_first: bool = True) -> str:
    """A decision: its outcome, then one row per rule (outcome, clause, rule, explanation),
    failed rules first unless ``failures_first`` is false."""
    from titlerules.report.explanation import outcome_word, rule_line

    lang = _lang(lang)
    rows = [
        (
            _badge(outcome_word(rule, lang), rule.outcome.value),
            _e(rule.citation.clause if rule.citation else ""),
            _e(rule.id),
            _e(rule_line(rule, lang)),
        )
        for rule in _ordered(decision.rules, failures_first)
    ]
    who = f"{_e(decision.record)}{'：' if lang == 'zh' else ': '}" if decision.record else ""
    word = DECISION_WORDS[lang][(decision.subject, decision.outcome)]
    head = (
        f"<p><b>{who}{_badge(word, decision.outcome.value)}</b> "
        f"[{_e(decision.receipt.policy_id)}]</p>"
    )
    h = _HEADERS[lang]
    columns = (h["outcome"], h["clause"], h["rule"], h["explanation"])
    table = _table(
        columns, rows, frozenset(range(4)), wide=frozenset({3}), short=frozenset({0, 1, 2})
    )
    return head + table + _receipt_html(decision.receipt, lang)


def audit_html(report: AuditReport, lang: str = "zh", *, failures_first: bool = True) -> str:
    """An audit report: the verdict in ``lang``, then one row per finding, failed findings
    first unless ``failures_first`` is false."""
    from titlerules.audit.render import OUTCOME_WORDS, working_days_text

    lang = _lang(lang)
    words = OUTCOME_WORDS[lang]
    rows = []
    for finding in _ordered(report.findings, failures_first):
        windows = "<br>".join(_e_dates(working_days_text(w, lang)) for w in finding.working_days)
        involved = [*finding.dates, *finding.counts, *finding.derived]
        facts = [_fact_text(f.path, f.value, lang, "procedure") for f in involved[:8]]
        if len(involved) > 8:
            facts.append(_more(len(involved) - 8, lang))
        if finding.missing:
            label = "缺少" if lang == "zh" else "missing"
            facts.append(f"{label}: " + ", ".join(finding.missing))
        advisory = (
            ("（提示）" if lang == "zh" else " (advisory)")
            if finding.severity == "advisory"
            else ""
        )
        rows.append(
            (
                _badge(words[finding.outcome], finding.outcome.value),
                _e(finding.clause),
                _e(finding.label(lang) + advisory),
                _e(finding.citation.quote if finding.citation else ""),
                "<br>".join(_e_dates(f) for f in facts),
                windows,
            )
        )
    # The verdict once, in the table's language, coloured by the audit's status.
    verdict = report.verdict.text(lang, report.rule_titles(lang))
    head = (
        f"<p><b>{_e(report.committee or report.procedure_id)}</b> "
        f"[{_e(report.policy_id)}]<br>{_badge(verdict, report.status.value)}</p>"
    )
    h = _HEADERS[lang]
    columns = (h["outcome"], h["clause"], h["title"], h["quote"], h["facts"], h["working_days"])
    table = _table(
        columns, rows, frozenset(range(6)), wide=frozenset({2, 3}), short=frozenset({0, 1})
    )
    return head + table + _receipt_html(report.receipt, lang)


def plan_html(plan: Plan, lang: str = "zh") -> str:
    """A plan: one row per step, its earliest and latest date and their distance to the
    meeting in working days."""
    lang = _lang(lang)
    rows = []
    for step in plan.steps:
        rows.append(
            (
                step.label if lang == "zh" else step.label_en,
                step.step,
                _date(step.earliest),
                step.earliest_to_meeting.text(lang) if step.earliest_to_meeting else "",
                _date(step.latest),
                step.latest_to_meeting.text(lang) if step.latest_to_meeting else "",
                ", ".join(f"{r.clause or ''} {r.rule_id}" for r in step.rules),
            )
        )
    meeting = "评审会议" if lang == "zh" else "meeting"
    head = (
        f"<p><b>{_e(plan.policy_id)}</b> {meeting} {_e(plan.meeting_start)}"
        f"{'' if plan.meeting_end == plan.meeting_start else '..' + _e(plan.meeting_end)}</p>"
    )
    h = _HEADERS[lang]
    columns = (
        h["step"],
        h["field"],
        h["earliest"],
        h["to_meeting"],
        h["latest"],
        h["to_meeting"],
        h["rules"],
    )
    table = _table(columns, rows, wide=frozenset({0}), short=frozenset({2, 3, 4, 5}))
    not_planned, warning = ("未排期", "提示") if lang == "zh" else ("not planned", "warning")
    extra = "".join(
        f"<li>{not_planned}: {_e(u.rule.rule_id)} — {_e(u.reason)}</li>" for u in plan.unplanned
    ) + "".join(
        f"<li>{warning}: {_e(w.message_zh if lang == 'zh' else w.message)}</li>"
        for w in plan.warnings
    )
    return head + table + (f"<ul>{extra}</ul>" if extra else "") + _receipt_html(plan.receipt, lang)


def cross_html(report: CrossRecordReport, lang: str = "zh", *, failures_first: bool = True) -> str:
    """Cross-record checks: one row per finding, failed first, in ``lang``."""
    from titlerules.audit.render import OUTCOME_WORDS

    lang = _lang(lang)
    rows = []
    for finding in _ordered(report.findings, failures_first):
        rules = "<br>".join(
            _e(f"{r.clause or ''} {r.rule_id}: {r.quote or ''}")
            for r in {r.rule_id: r for r in finding.rules}.values()
        )
        records = "<br>".join(_e(r.where) for r in finding.records)
        rows.append(
            (
                _badge(OUTCOME_WORDS[lang][finding.outcome], finding.outcome.value),
                _e(finding.check),
                _e(finding.message_zh if lang == "zh" else finding.message),
                records,
                rules,
            )
        )
    if lang == "zh":
        head = f"<p><b>{_e(report.policy_id)}</b> 跨记录核查：{report.records} 条记录</p>"
        columns: tuple[str, ...] = ("结果", "核查", "发现", "记录", "规则")
    else:
        head = f"<p><b>{_e(report.policy_id)}</b> cross-record checks: {report.records} records</p>"
        columns = ("outcome", "check", "finding", "records", "rules")
    table = _table(
        columns, rows, frozenset(range(5)), wide=frozenset({2, 4}), short=frozenset({0, 1})
    )
    return head + table + _receipt_html(report.receipt, lang)


_RECORDS_WORDS = {
    "zh": {
        "summary": "{file}：共 {rows} 行，合格 {valid} 行，{invalid}，有提示 {warned} 行",
        "invalid": "不合格 {n} 行",
        "more": "…… 另有 {n} 行不合格",
        "columns": ("行", "文件行", "姓名", "字段", "问题", "值"),
    },
    "en": {
        "summary": "{file}: {rows} rows, {valid} valid, {invalid}, {warned} with warnings",
        "invalid": "{n} invalid",
        "more": "... {n} more invalid rows",
        "columns": ("row", "line", "name", "field", "problem", "value"),
    },
}


def _problem_text(problem: Any, lang: str) -> tuple[str, str]:
    """A problem's field and message in ``lang``: the Chinese column name and message, or the
    field's English name and message."""
    if lang == "zh":
        return problem.column, problem.message_zh
    return problem.field, problem.message


def records_html(report: RecordsReport, lang: str = "zh", limit: int = 100) -> str:
    """A historical-records report in ``lang``: the summary, then the invalid rows' problems."""
    lang = _lang(lang)
    words = _RECORDS_WORDS[lang]
    summary = report.summary
    invalid = str(words["invalid"]).format(n=summary.invalid)
    head = (
        "<p>"
        + str(words["summary"]).format(
            file=f"<b>{_e(report.file)}</b>",
            rows=summary.rows,
            valid=summary.valid,
            invalid=f"<span style='color:{_COLOURS['failed']}'>{_e(invalid)}</span>",
            warned=summary.with_warnings,
        )
        + "</p>"
    )
    rows = [
        (str(r.row), str(r.line), r.name or "", *_problem_text(p, lang), p.value or "")
        for r in report.invalid[:limit]
        for p in r.errors
    ]
    more = len(report.invalid) - limit
    tail = f"<p>{_e(str(words['more']).format(n=more))}</p>" if more > 0 else ""
    return head + _table(tuple(words["columns"]), rows) + tail


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value is not None else "—"


# ---------------------------------------------------------------- pandas


def decision_frame(decision: Decision, lang: str = "zh", *, failures_first: bool = True) -> Any:
    """One row per rule of a decision, failed rules first unless ``failures_first`` is false;
    ``explanation`` is the rule's line in ``lang`` (the report layer's ``rule_line``),
    ``title`` its title, ``missing`` the missing facts by their labels and ``exceptions`` the
    exceptions that applied, all in ``lang``; ``rule``, ``kind``, ``severity`` and ``outcome``
    are the data's codes."""
    from titlerules.report.explanation import missing_text, rule_line

    lang = _lang(lang)
    pd = _pandas()
    sep = "；" if lang == "zh" else "; "
    tongue: Literal["zh", "en"] = "en" if lang == "en" else "zh"
    return pd.DataFrame(
        [
            {
                "record": decision.record,
                "rule": r.id,
                "kind": r.kind,
                "severity": r.severity,
                "outcome": r.outcome.value,
                "clause": r.citation.clause if r.citation else None,
                "title": r.title_en if lang == "en" and r.title_en else r.title,
                "explanation": rule_line(r, lang),
                "missing": sep.join(missing_text(p, tongue) for p in r.missing),
                "exceptions": sep.join(
                    r.exceptions_applied_en
                    if lang == "en" and r.exceptions_applied_en
                    else r.exceptions_applied
                ),
            }
            for r in _ordered(decision.rules, failures_first)
        ],
        columns=[
            "record",
            "rule",
            "kind",
            "severity",
            "outcome",
            "clause",
            "title",
            "explanation",
            "missing",
            "exceptions",
        ],
    )


def audit_frame(report: AuditReport, lang: str = "zh", *, failures_first: bool = True) -> Any:
    """One row per finding of an audit report, failed findings first unless
    ``failures_first`` is false; titles, facts and working days in ``lang``."""
    from titlerules.audit.render import working_days_text

    lang = _lang(lang)
    sep = "；" if lang == "zh" else "; "
    pd = _pandas()
    return pd.DataFrame(
        [
            {
                "rule": f.rule_id,
                "clause": f.clause,
                "title": f.label(lang),
                "severity": f.severity,
                "outcome": f.outcome.value,
                "quote": f.citation.quote if f.citation else None,
                "dates": sep.join(_fact_text(x.path, x.value, lang, "procedure") for x in f.dates),
                "counts": sep.join(
                    _fact_text(x.path, x.value, lang, "procedure") for x in [*f.counts, *f.derived]
                ),
                "working_days": " | ".join(working_days_text(w, lang) for w in f.working_days),
                "missing": ", ".join(f.missing),
            }
            for f in _ordered(report.findings, failures_first)
        ],
        columns=[
            "rule",
            "clause",
            "title",
            "severity",
            "outcome",
            "quote",
            "dates",
            "counts",
            "working_days",
            "missing",
        ],
    )


def plan_frame(plan: Plan, lang: str = "zh") -> Any:
    """One row per step of a plan; the working-day distances to the meeting are integers
    (pandas' nullable ``Int64``: empty where the rules set no bound), negative before it."""
    lang = _lang(lang)
    pd = _pandas()
    frame = pd.DataFrame(
        [
            {
                "step": s.step,
                "label": s.label if lang == "zh" else s.label_en,
                "earliest": s.earliest,
                "earliest_working_days": _signed(s.earliest_to_meeting),
                "latest": s.latest,
                "latest_working_days": _signed(s.latest_to_meeting),
                "rules": ", ".join(r.rule_id for r in s.rules),
                "clauses": ", ".join(r.clause or "" for r in s.rules),
                "provisional_years": ", ".join(str(y) for y in s.provisional_years),
            }
            for s in plan.steps
        ],
        columns=[
            "step",
            "label",
            "earliest",
            "earliest_working_days",
            "latest",
            "latest_working_days",
            "rules",
            "clauses",
            "provisional_years",
        ],
    )
    for column in ("earliest_working_days", "latest_working_days"):
        frame[column] = frame[column].astype("Int64")
    return frame


def _signed(offset: Any) -> int | None:
    if offset is None:
        return None
    count: int = offset.working_days
    return -count if offset.relation == "before" else count


def cross_frame(report: CrossRecordReport, lang: str = "zh") -> Any:
    """One row per cross-record finding, its message in ``lang``."""
    lang = _lang(lang)
    pd = _pandas()
    return pd.DataFrame(
        [
            {
                "check": f.check,
                "subject": f.subject,
                "outcome": f.outcome.value,
                "message": f.message_zh if lang == "zh" else f.message,
                "records": len(f.records),
                "files": "; ".join(r.where for r in f.records),
                "rules": ", ".join(sorted({r.rule_id for r in f.rules})),
                "clauses": ", ".join(sorted({r.clause or "" for r in f.rules})),
            }
            for f in report.findings
        ],
        columns=[
            "check",
            "subject",
            "outcome",
            "message",
            "records",
            "files",
            "rules",
            "clauses",
        ],
    )


def records_frame(report: RecordsReport, lang: str = "zh") -> Any:
    """One row per input row of a historical-records file; its problems in ``lang``."""
    lang = _lang(lang)
    pd = _pandas()
    sep = "；" if lang == "zh" else "; "
    colon = "：" if lang == "zh" else ": "

    def problems(found: list[Any]) -> str:
        return sep.join(colon.join(_problem_text(p, lang)) for p in found)

    return pd.DataFrame(
        [
            {
                "row": r.row,
                "line": r.line,
                "ok": r.ok,
                "name": r.name,
                "id_number": r.id_number,
                "errors": problems(r.errors),
                "warnings": problems(r.warnings),
            }
            for r in report.rows
        ],
        columns=["row", "line", "ok", "name", "id_number", "errors", "warnings"],
    )


def problems_frame(report: RecordsReport, lang: str = "zh") -> Any:
    """One row per problem (errors and warnings) of a historical-records file: ``field`` is
    the field's name (the data's key), ``column`` and ``message`` are in ``lang``."""
    lang = _lang(lang)
    pd = _pandas()
    return pd.DataFrame(
        [
            {
                "row": r.row,
                "line": r.line,
                "field": p.field,
                "column": _problem_text(p, lang)[0],
                "level": p.level,
                "message": _problem_text(p, lang)[1],
                "value": p.value,
            }
            for r in report.rows
            for p in [*r.errors, *r.warnings]
        ],
        columns=["row", "line", "field", "column", "level", "message", "value"],
    )


def _explanation_lines(decision: Decision, lang: str) -> list[str]:
    """The decision's explanation (:func:`titlerules.report.explanation.explain`) without its first
    line, which repeats the record and the outcome a table shows in columns of their own."""
    from titlerules.report.explanation import explain

    return [line.strip() for line in explain(decision, lang).splitlines()[1:]]


def _explanation(decision: Decision, lang: str) -> str:
    """The explanation's lines joined by `` | `` (a pandas cell shows no line breaks)."""
    return " | ".join(_explanation_lines(decision, lang))


_BATCH_WORDS = {
    "zh": {"eligible": "符合", "ineligible": "不符合", "undetermined": "无法判定", "error": "错误"},
    "en": {
        "eligible": "eligible",
        "ineligible": "ineligible",
        "undetermined": "undetermined",
        "error": "error",
    },
}


class Decisions(Sequence[Decision | TitleRulesError]):
    """The results of a batch (``policy.evaluate_many(...)``): one decision, or the error in
    its place, per record; renders as one table row per record, in ``lang`` (``"zh"`` or
    ``"en"``), each with its explanation (:func:`titlerules.report.explanation.explain`)."""

    def __init__(
        self,
        results: Iterable[Decision | TitleRulesError],
        labels: Iterable[str] | None = None,
        *,
        lang: str = "zh",
    ) -> None:
        self._results = list(results)
        self._labels = list(labels) if labels is not None else None
        self.lang = _lang(lang)

    def __len__(self) -> int:
        return len(self._results)

    def __getitem__(self, index: Any) -> Any:
        return self._results[index]

    def __iter__(self) -> Iterator[Decision | TitleRulesError]:
        return iter(self._results)

    def _rows(self, lang: str) -> list[dict[str, Any]]:
        rows = []
        for index, result in enumerate(self._results):
            label = self._labels[index] if self._labels else None
            if isinstance(result, Decision):
                rows.append(
                    {
                        "record": label or result.record,
                        "outcome": result.outcome.value,
                        "failed": ", ".join(r.id for r in result.failed),
                        "unknown": ", ".join(r.id for r in result.unknown),
                        "missing_facts": ", ".join(result.missing_facts),
                        "explanation": _explanation(result, lang),
                        "error": None,
                    }
                )
            else:
                rows.append(
                    {
                        "record": label,
                        "outcome": "error",
                        "failed": "",
                        "unknown": "",
                        "missing_facts": "",
                        "explanation": "",
                        "error": str(result),
                    }
                )
        return rows

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {o.value: 0 for o in Outcome}
        out["error"] = 0
        for result in self._results:
            out[result.outcome.value if isinstance(result, Decision) else "error"] += 1
        return out

    def html(self, lang: str | None = None) -> str:
        """The batch as an HTML table in ``lang`` (the batch's own language without it)."""
        lang = _lang(lang or self.lang)
        cells: list[tuple[str, ...]] = []
        for result, row in zip(self._results, self._rows(lang), strict=True):
            if isinstance(result, Decision):
                word = DECISION_WORDS[lang][(result.subject, result.outcome)]
                outcome = _badge(word, result.outcome.value)
                lines = _explanation_lines(result, lang)
                explanation = "<br>".join(_e_dates(line) for line in lines)
            else:
                outcome = _badge("错误" if lang == "zh" else "error", "failed")
                explanation = ""
            cells.append((_e(row["record"]), outcome, explanation, _e(row["error"])))
        words = _BATCH_WORDS[lang]
        sep = "，" if lang == "zh" else ", "
        counts = sep.join(f"{words[k]} {v}" for k, v in self.counts().items() if v)
        total = f"{len(cells)} 条记录：" if lang == "zh" else f"{len(cells)} records: "
        h = _HEADERS[lang]
        columns = [h["record"], h["outcome"], h["explanation"]]
        if any(row[3] for row in cells):  # an error column only where a record has one
            columns.append(h["error"])
        else:
            cells = [row[:3] for row in cells]
        return f"<p>{total}{_e(counts)}</p>" + _table(
            columns,
            cells,
            frozenset(range(4)),
            wide=frozenset({2}),
            short=frozenset({0, 1}),
        )

    def _repr_html_(self) -> str:
        return self.html()

    def to_pandas(self, lang: str | None = None) -> Any:
        """One row per record: outcome, failed and unknown rules, missing facts, the
        explanation in ``lang`` (the batch's own language without it), the error."""
        return _pandas().DataFrame(self._rows(_lang(lang or self.lang)))


# ---------------------------------------------------------------- charts

_CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
    "Noto Sans CJK JP",
    "Noto Serif CJK SC",
    "Droid Sans Fallback",
    "Arial Unicode MS",
)
# Font files with Chinese glyphs, by (lower-case) file name: installed after matplotlib
# built its font cache, they are not in it until added.
_CJK_FILES = (
    "notosanscjk",
    "notoserifcjk",
    "sourcehansans",
    "wqy",
    "simhei",
    "msyh",
    "droidsansfallback",
)
_NUMERALS = {c: str(i) for i, c in enumerate("一二三四五六七八九十", start=1)}

CJK_FONT_HINT = (
    "install a font with Chinese glyphs: on Debian or Ubuntu `apt-get install fonts-noto-cjk` "
    "(or fonts-wqy-microhei), on Fedora `dnf install google-noto-sans-cjk-fonts`; "
    "without system packages, `pip install mplfonts` and then `mplfonts init`; "
    "Windows and macOS have one (SimHei, Microsoft YaHei, PingFang SC). "
    "Then restart Python"
)


class CJKFontWarning(UserWarning):
    """A chart asked for Chinese labels where no font with Chinese glyphs is installed: it
    is labelled in English instead."""


def _find_cjk_font() -> str | None:
    """The first installed font of :data:`_CJK_FONTS` matplotlib knows, adding the font files
    with Chinese glyphs installed since matplotlib built its font cache."""
    try:
        from matplotlib import font_manager
    except ImportError:
        return None

    def known() -> str | None:
        installed = {f.name for f in font_manager.fontManager.ttflist}
        return next((name for name in _CJK_FONTS if name in installed), None)

    name = known()
    if name is not None:
        return name
    for path in font_manager.findSystemFonts():
        if any(part in Path(path).name.lower() for part in _CJK_FILES):
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):
                continue  # a font file matplotlib cannot read
    return known()


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The name of an installed font with Chinese glyphs, if there is one."""
    return _find_cjk_font()


NO_CJK_FONT = "no font with Chinese glyphs is installed, so the chart is labelled in English"


def chart_language(lang: str) -> tuple[str, str | None]:
    """The language a chart asked for in ``lang`` is labelled in, and why not in ``lang``:
    ``("en", NO_CJK_FONT)`` for Chinese without a font with Chinese glyphs (the command line
    reports it as a warning with :data:`CJK_FONT_HINT`)."""
    lang = _lang(lang)
    if lang == "zh" and cjk_font() is None:
        return "en", NO_CJK_FONT
    return lang, None


def _chart_lang(lang: str) -> str:
    """The language a chart is labelled in: ``lang``, except English (with a
    :class:`CJKFontWarning` saying what to install) for Chinese without a Chinese font."""
    used, reason = chart_language(lang)
    if reason is not None:
        warnings.warn(f"{reason} (lang='en'); {CJK_FONT_HINT}", CJKFontWarning, stacklevel=3)
    return used


def _ascii_clause(clause: str) -> str:
    """一(三)2 -> 1(3)2: clause paths in ASCII for charts without a CJK font."""
    text = "".join(_NUMERALS.get(c, c) for c in clause)
    text = text.replace("（", "(").replace("）", ")")
    return "".join(c if c.isascii() else "?" for c in text)


def _font_context(lang: str) -> dict[str, Any]:
    font = cjk_font()
    if lang == "zh" and font is not None:
        return {"font.sans-serif": [font, "DejaVu Sans"], "axes.unicode_minus": False}
    return {}


def _pin_font(fig: Any, lang: str) -> None:
    """Give every text of ``fig`` the Chinese font by name, and each axes' tick labels too
    (they are made again when drawn): a font set only in an ``rc_context`` is looked up
    again when the figure is drawn, which in a notebook happens after the context closed."""
    font = cjk_font()
    if lang != "zh" or font is None:
        return
    family = [font, "DejaVu Sans"]
    text_class = _matplotlib("matplotlib.text").Text
    for text in fig.findobj(text_class):
        text.set_fontfamily(family)
    for axes in fig.axes:
        axes.tick_params(labelfontfamily=family)


def _new_axes(ax: Any, size: tuple[float, float]) -> tuple[Any, Any]:
    if ax is not None:
        return ax.figure, ax
    fig, axes = _pyplot().subplots(figsize=size)
    return fig, axes


def plot_findings(report: AuditReport, ax: Any = None, *, lang: str = "zh") -> Any:
    """Findings by clause: one stacked bar per clause (passed, failed, unknown, n/a)."""
    matplotlib = _matplotlib()
    lang = _chart_lang(lang)
    clauses: dict[str, dict[str, int]] = {}
    for finding in report.findings:
        clause = finding.clause or "-"
        label = clause if lang == "zh" else _ascii_clause(clause)
        counts = clauses.setdefault(label, {o.value: 0 for o in RuleOutcome})
        counts[finding.outcome.value] += 1
    # The figure is made outside rc_context: a pyplot figure made inside one stops the
    # notebook's inline backend from showing later figures by itself.
    fig, axes = _new_axes(ax, (8, max(2.5, 0.35 * len(clauses) + 1.2)))
    with matplotlib.rc_context(_font_context(lang)):
        labels = list(clauses)
        left = [0] * len(labels)
        for outcome in RuleOutcome:
            values = [clauses[c][outcome.value] for c in labels]
            if not any(values):
                continue
            axes.barh(
                labels,
                values,
                left=left,
                color=_COLOURS[outcome.value],
                label=RULE_WORDS[lang][outcome],
            )
            left = [a + b for a, b in zip(left, values, strict=True)]
        axes.invert_yaxis()
        axes.set_xlabel("rules" if lang == "en" else "规则数")
        title = (
            f"{report.policy_id}: findings by clause"
            if lang == "en"
            else f"{report.policy_id}：按条款的审计结果"
        )
        axes.set_title(title)
        axes.legend(loc="lower right", fontsize="small")
        axes.xaxis.get_major_locator().set_params(integer=True)
        _pin_font(fig, lang)
        fig.tight_layout()
    return fig


def plot_plan(plan: Plan, ax: Any = None, *, lang: str = "zh") -> Any:
    """The plan as a timeline: a bar per step from its earliest to its latest date (a bound
    the rules leave open fades out at the chart's edge), the meeting, holidays (red) and
    make-up working days (green)."""
    matplotlib = _matplotlib()
    lang = _chart_lang(lang)
    fig, axes = _new_axes(ax, (11, max(3.0, 0.42 * len(plan.steps) + 1.8)))  # see plot_findings
    with matplotlib.rc_context(_font_context(lang)):
        _draw_plan(plan, axes, lang)
        _pin_font(fig, lang)
        fig.tight_layout()
    return fig


def _draw_plan(plan: Plan, axes: Any, lang: str) -> None:
    mdates = _matplotlib("matplotlib.dates")
    steps = [s for s in plan.steps if s.earliest is not None or s.latest is not None]
    first, last = plan.span
    left = first - dt.timedelta(days=10)
    right = last + dt.timedelta(days=10)
    for holiday in plan.holidays:
        if left <= holiday.date <= right:
            axes.axvspan(
                holiday.date, holiday.date + dt.timedelta(days=1), color="#ef9a9a", alpha=0.5, lw=0
            )
    for day in plan.makeup_workdays:
        if left <= day <= right:
            axes.axvspan(day, day + dt.timedelta(days=1), color="#66bb6a", alpha=0.6, lw=0)
    axes.axvspan(
        plan.meeting_start,
        plan.meeting_end + dt.timedelta(days=1),
        color="#ffb74d",
        alpha=0.8,
        lw=0,
    )
    labels = []
    for row, step in enumerate(steps):
        labels.append(step.label if lang == "zh" else step.label_en)
        start = step.earliest or left
        end = (step.latest + dt.timedelta(days=1)) if step.latest is not None else right
        open_ended = step.earliest is None or step.latest is None
        axes.barh(
            row,
            (end - start).days,
            left=start,
            height=0.5,
            color="#1e88e5",
            alpha=0.45 if open_ended else 0.85,
            edgecolor="#0d47a1",
        )
        if step.latest is not None:
            axes.plot(
                [step.latest + dt.timedelta(days=1)] * 2,
                [row - 0.3, row + 0.3],
                color="#0d47a1",
                lw=2,
            )
            axes.annotate(
                step.latest.strftime("%m-%d"),
                (step.latest + dt.timedelta(days=1), row),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize=7,
            )
        if step.earliest is not None:
            axes.plot([step.earliest] * 2, [row - 0.3, row + 0.3], color="#0d47a1", lw=2)
    axes.set_yticks(range(len(steps)))
    axes.set_yticklabels(labels, fontsize=8)
    axes.invert_yaxis()
    axes.set_xlim(left, right)
    axes.xaxis.set_major_locator(mdates.MonthLocator())
    axes.xaxis.set_minor_locator(mdates.WeekdayLocator(byweekday=mdates.MO))
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    axes.set_axisbelow(True)
    axes.grid(axis="x", which="minor", color="#eeeeee")
    axes.grid(axis="x", which="major", color="#bdbdbd")
    meeting = plan.meeting_start.isoformat()
    if plan.meeting_end != plan.meeting_start:
        meeting += ".." + plan.meeting_end.isoformat()
    title = (
        f"{plan.policy_id}: timeline around the meeting {meeting}"
        if lang == "en"
        else f"{plan.policy_id}：评审会议 {meeting} 的工作时间表"
    )
    axes.set_title(title, fontsize=10)
    patch = _matplotlib("matplotlib.patches").Patch
    legend = [
        patch(color="#1e88e5", alpha=0.85, label="allowed dates" if lang == "en" else "允许的日期"),
        patch(color="#ffb74d", label="meeting" if lang == "en" else "评审会议"),
        patch(color="#ef9a9a", label="holiday" if lang == "en" else "节假日"),
        patch(color="#66bb6a", label="make-up working day" if lang == "en" else "调休上班"),
    ]
    axes.legend(handles=legend, loc="lower left", fontsize="x-small", ncol=4)


def save_chart(
    figure_maker: str,
    subject: Any,
    path: str | Path,
    *,
    lang: str = "zh",
    inputs: Sequence[str | Path | None] = (),
) -> Path:
    """Draw ``subject`` (a plan: ``"plan"``, an audit report: ``"findings"``) on a figure of
    its own, without pyplot, and save it (PNG or SVG by the file's suffix), whole or not at
    all and never over one of ``inputs`` (:mod:`titlerules.atomic`)."""
    matplotlib = _matplotlib()
    figure_class = _matplotlib("matplotlib.figure").Figure
    target = Path(path)
    if target.suffix.lower() not in (".png", ".svg"):
        from titlerules.errors import UsageError

        raise UsageError(
            f"cannot write a chart as '{target.suffix}'", hint="use a .png or .svg file"
        )
    lang = _chart_lang(lang)
    with matplotlib.rc_context(_font_context(lang)):
        if figure_maker == "plan":
            fig = figure_class(figsize=(11, max(3.0, 0.42 * len(subject.steps) + 1.8)))
            _draw_plan(subject, fig.subplots(), lang)
        else:
            fig = figure_class(figsize=(8, 4))
            plot_findings(subject, fig.subplots(), lang=lang)
        _pin_font(fig, lang)
        fig.tight_layout()
        with AtomicOutput(target, inputs=inputs) as output:
            fig.savefig(
                output.handle,
                format=target.suffix.lower()[1:],
                dpi=120,
                metadata=_metadata(target),
            )
    return target


def _metadata(target: Path) -> dict[str, Any]:
    """No creation date in the file, so the same plan gives the same bytes."""
    if target.suffix.lower() == ".svg":
        return {"Date": None}
    return {"Software": None}
