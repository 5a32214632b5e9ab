"""notebook layer: decisions, audit reports, plans and record checks as HTML tables, pandas
frames and matplotlib charts, for auditors working in Jupyter.

The HTML renderers need nothing beyond the standard library, so ``_repr_html_`` always
works.  ``to_pandas()`` and the plots import pandas and matplotlib on first use; without them
they raise :class:`~titlerules.errors.TitleRulesError` saying to install the extra
``pip install 'titlerules[notebook]'``.

Charts label in English unless a font with Chinese glyphs is installed (``lang="zh"`` then
uses the Chinese labels): matplotlib's default fonts have no CJK glyphs.
"""

from __future__ import annotations

import datetime as dt
import html
import importlib
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from titlerules.atomic import AtomicOutput
from titlerules.engine.decision import Decision, Outcome, RuleOutcome
from titlerules.errors import TitleRulesError

if TYPE_CHECKING:
    from titlerules.audit.crossrecord import CrossRecordReport
    from titlerules.audit.historical import RecordsReport
    from titlerules.audit.planner import Plan
    from titlerules.audit.procedure import AuditReport

__all__ = [
    "Decisions",
    "audit_frame",
    "audit_html",
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


# ---------------------------------------------------------------- HTML


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _badge(word: str) -> str:
    colour = _COLOURS.get(word, "#424242")
    return f'<span style="color:{colour};font-weight:bold">{_e(word)}</span>'


def _table(
    columns: Sequence[str], rows: Iterable[Sequence[str]], raw: frozenset[int] = frozenset()
) -> str:
    """An HTML table; cells are escaped except in the columns listed in ``raw``."""
    head = "".join(f'<th style="text-align:left">{_e(c)}</th>' for c in columns)
    body = []
    for row in rows:
        cells = "".join(
            f'<td style="text-align:left;vertical-align:top">{c if i in raw else _e(c)}</td>'
            for i, c in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _receipt_html(receipt: Any) -> str:
    return (
        '<p style="font-size:smaller;color:#616161">'
        f"{_e(receipt.policy_id)} sha256 {_e(receipt.policy_sha256[:12])} · "
        f"engine {_e(receipt.engine_version)} · calendar {_e(receipt.calendar_version)}"
        + (
            f" · provisional calendar years {_e(receipt.provisional_calendar_years)}"
            if receipt.provisional_calendar_years
            else ""
        )
        + "</p>"
    )


def decision_html(decision: Decision) -> str:
    """A decision: its outcome, then one row per rule (outcome, clause, title, facts)."""
    rows = []
    for rule in decision.rules:
        facts = "; ".join(f"{f.path} = {f.value}" for f in rule.facts[:6])
        if rule.missing:
            facts = "missing: " + ", ".join(rule.missing)
        rows.append(
            (
                _badge(rule.outcome.value),
                rule.citation.clause if rule.citation else "",
                rule.id,
                rule.title,
                facts,
            )
        )
    who = f"{_e(decision.record)}: " if decision.record else ""
    head = f"<p><b>{who}{_badge(decision.outcome.value)}</b> [{_e(decision.receipt.policy_id)}]</p>"
    table = _table(("outcome", "clause", "rule", "title", "facts"), rows, frozenset({0}))
    return head + table + _receipt_html(decision.receipt)


def audit_html(report: AuditReport) -> str:
    """An audit report: the verdict, then one row per finding."""
    from titlerules.audit.render import working_days_text

    rows = []
    for finding in report.findings:
        windows = "<br>".join(_e(working_days_text(w, "en")) for w in finding.working_days)
        involved = [*finding.dates, *finding.counts, *finding.derived]
        facts = "; ".join(f"{f.path} = {f.value}" for f in involved[:8])
        rows.append(
            (
                _badge(finding.outcome.value),
                _e(finding.clause),
                _e(finding.title),
                _e(finding.citation.quote if finding.citation else ""),
                _e(facts),
                windows,
            )
        )
    verdict = report.verdict
    head = (
        f"<p><b>{_e(report.committee or report.procedure_id)}</b> "
        f"[{_e(report.policy_id)}] {_badge(report.status.value)}<br>"
        f"{_e(verdict.text('zh', report.rule_titles('zh')))}<br>"
        f"{_e(verdict.text('en', report.rule_titles('en')))}</p>"
    )
    columns = ("outcome", "clause", "rule", "quote", "dates and counts", "working days")
    return head + _table(columns, rows, frozenset(range(6))) + _receipt_html(report.receipt)


def plan_html(plan: Plan) -> str:
    rows = []
    for step in plan.steps:
        rows.append(
            (
                step.label,
                step.step,
                _date(step.earliest),
                step.earliest_to_meeting.text("en") if step.earliest_to_meeting else "",
                _date(step.latest),
                step.latest_to_meeting.text("en") if step.latest_to_meeting else "",
                ", ".join(f"{r.clause or ''} {r.rule_id}" for r in step.rules),
            )
        )
    head = (
        f"<p><b>{_e(plan.policy_id)}</b> meeting {_e(plan.meeting_start)}"
        f"{'' if plan.meeting_end == plan.meeting_start else '..' + _e(plan.meeting_end)}</p>"
    )
    table = _table(("step", "field", "earliest", "", "latest", "", "rules"), rows)
    extra = "".join(
        f"<li>not planned: {_e(u.rule.rule_id)} — {_e(u.reason)}</li>" for u in plan.unplanned
    ) + "".join(f"<li>warning: {_e(w.message)}</li>" for w in plan.warnings)
    return head + table + (f"<ul>{extra}</ul>" if extra else "") + _receipt_html(plan.receipt)


def cross_html(report: CrossRecordReport) -> str:
    rows = []
    for finding in report.findings:
        rules = "<br>".join(
            _e(f"{r.clause or ''} {r.rule_id}: {r.quote or ''}")
            for r in {r.rule_id: r for r in finding.rules}.values()
        )
        records = "<br>".join(_e(r.where) for r in finding.records)
        rows.append(
            (
                _badge(finding.outcome.value),
                _e(finding.check),
                _e(finding.message_zh),
                records,
                rules,
            )
        )
    head = f"<p><b>{_e(report.policy_id)}</b> cross-record checks: {report.records} records</p>"
    table = _table(("outcome", "check", "finding", "records", "rules"), rows, frozenset(range(5)))
    return head + table + _receipt_html(report.receipt)


def records_html(report: RecordsReport, limit: int = 100) -> str:
    summary = report.summary
    head = (
        f"<p><b>{_e(report.file)}</b>: {summary.rows} rows, {summary.valid} valid, "
        f"<span style='color:{_COLOURS['failed']}'>{summary.invalid} invalid</span>, "
        f"{summary.with_warnings} with warnings</p>"
    )
    rows = [
        (str(r.row), str(r.line), r.name or "", p.column, p.message_zh, p.value or "")
        for r in report.invalid[:limit]
        for p in r.errors
    ]
    more = len(report.invalid) - limit
    tail = f"<p>… {more} more invalid rows</p>" if more > 0 else ""
    return head + _table(("row", "line", "name", "column", "problem", "value"), rows) + tail


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value is not None else "—"


# ---------------------------------------------------------------- pandas


def decision_frame(decision: Decision) -> Any:
    """One row per rule of a decision."""
    pd = _pandas()
    return pd.DataFrame(
        [
            {
                "record": decision.record,
                "rule": r.id,
                "kind": r.kind,
                "severity": r.severity,
                "outcome": r.outcome.value,
                "clause": r.citation.clause if r.citation else None,
                "title": r.title,
                "title_en": r.title_en,
                "missing": ", ".join(r.missing),
                "exceptions": ", ".join(r.exceptions_applied),
            }
            for r in decision.rules
        ]
    )


def audit_frame(report: AuditReport) -> Any:
    """One row per finding of an audit report."""
    from titlerules.audit.render import working_days_text

    pd = _pandas()
    return pd.DataFrame(
        [
            {
                "rule": f.rule_id,
                "clause": f.clause,
                "title": f.title,
                "title_en": f.title_en,
                "severity": f.severity,
                "outcome": f.outcome.value,
                "quote": f.citation.quote if f.citation else None,
                "dates": "; ".join(f"{x.path} = {x.value}" for x in f.dates),
                "counts": "; ".join(f"{x.path} = {x.value}" for x in [*f.counts, *f.derived]),
                "working_days": " | ".join(working_days_text(w, "en") for w in f.working_days),
                "missing": ", ".join(f.missing),
            }
            for f in report.findings
        ]
    )


def plan_frame(plan: Plan) -> Any:
    """One row per step of a plan."""
    pd = _pandas()
    return pd.DataFrame(
        [
            {
                "step": s.step,
                "label": s.label,
                "earliest": s.earliest,
                "earliest_working_days": _signed(s.earliest_to_meeting),
                "latest": s.latest,
                "latest_working_days": _signed(s.latest_to_meeting),
                "rules": ", ".join(r.rule_id for r in s.rules),
                "clauses": ", ".join(r.clause or "" for r in s.rules),
                "provisional_years": ", ".join(str(y) for y in s.provisional_years),
            }
            for s in plan.steps
        ]
    )


def _signed(offset: Any) -> int | None:
    if offset is None:
        return None
    count: int = offset.working_days
    return -count if offset.relation == "before" else count


def cross_frame(report: CrossRecordReport) -> Any:
    """One row per cross-record finding."""
    pd = _pandas()
    return pd.DataFrame(
        [
            {
                "check": f.check,
                "subject": f.subject,
                "outcome": f.outcome.value,
                "message": f.message,
                "message_zh": f.message_zh,
                "records": len(f.records),
                "files": "; ".join(r.where for r in f.records),
                "rules": ", ".join(sorted({r.rule_id for r in f.rules})),
                "clauses": ", ".join(sorted({r.clause or "" for r in f.rules})),
            }
            for f in report.findings
        ]
    )


def records_frame(report: RecordsReport) -> Any:
    """One row per input row of a historical-records file."""
    pd = _pandas()
    return pd.DataFrame(
        [
            {
                "row": r.row,
                "line": r.line,
                "ok": r.ok,
                "name": r.name,
                "id_number": r.id_number,
                "errors": "; ".join(f"{p.column}: {p.message_zh}" for p in r.errors),
                "warnings": "; ".join(f"{p.column}: {p.message_zh}" for p in r.warnings),
            }
            for r in report.rows
        ]
    )


def problems_frame(report: RecordsReport) -> Any:
    """One row per problem (errors and warnings) of a historical-records file."""
    pd = _pandas()
    return pd.DataFrame(
        [
            {
                "row": r.row,
                "line": r.line,
                "field": p.field,
                "column": p.column,
                "level": p.level,
                "message": p.message,
                "message_zh": p.message_zh,
                "value": p.value,
            }
            for r in report.rows
            for p in [*r.errors, *r.warnings]
        ],
        columns=["row", "line", "field", "column", "level", "message", "message_zh", "value"],
    )


class Decisions(Sequence[Decision | TitleRulesError]):
    """The results of a batch (``policy.evaluate_many(...)``): one decision, or the error in
    its place, per record; renders as one table row per record."""

    def __init__(
        self,
        results: Iterable[Decision | TitleRulesError],
        labels: Iterable[str] | None = None,
    ) -> None:
        self._results = list(results)
        self._labels = list(labels) if labels is not None else None

    def __len__(self) -> int:
        return len(self._results)

    def __getitem__(self, index: Any) -> Any:
        return self._results[index]

    def __iter__(self) -> Iterator[Decision | TitleRulesError]:
        return iter(self._results)

    def _rows(self) -> list[dict[str, Any]]:
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
                        "error": str(result),
                    }
                )
        return rows

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {o.value: 0 for o in Outcome}
        out["error"] = 0
        for row in self._rows():
            out[row["outcome"]] += 1
        return out

    def _repr_html_(self) -> str:
        rows = self._rows()
        cells = [
            (
                _e(r["record"]),
                _badge(r["outcome"]),
                _e(r["failed"]),
                _e(r["unknown"] or r["missing_facts"]),
                _e(r["error"]),
            )
            for r in rows
        ]
        counts = ", ".join(f"{k} {v}" for k, v in self.counts().items() if v)
        return f"<p>{len(rows)} records: {_e(counts)}</p>" + _table(
            ("record", "outcome", "failed rules", "unknown", "error"), cells, frozenset(range(5))
        )

    def to_pandas(self) -> Any:
        return _pandas().DataFrame(self._rows())


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
    "Arial Unicode MS",
)
_NUMERALS = {c: str(i) for i, c in enumerate("一二三四五六七八九十", start=1)}


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The name of an installed font with Chinese glyphs, if there is one."""
    try:
        from matplotlib import font_manager
    except ImportError:
        return None
    installed = {f.name for f in font_manager.fontManager.ttflist}
    for name in _CJK_FONTS:
        if name in installed:
            return name
    return None


def _chart_lang(lang: str) -> str:
    return "zh" if lang == "zh" and cjk_font() is not None else "en"


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


def _new_axes(ax: Any, size: tuple[float, float]) -> tuple[Any, Any]:
    if ax is not None:
        return ax.figure, ax
    fig, axes = _pyplot().subplots(figsize=size)
    return fig, axes


def plot_findings(report: AuditReport, ax: Any = None, *, lang: str = "en") -> Any:
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
                label=outcome.value.replace("_", " "),
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
        fig.tight_layout()
    return fig


def plot_plan(plan: Plan, ax: Any = None, *, lang: str = "en") -> Any:
    """The plan as a timeline: a bar per step from its earliest to its latest date (a bound
    the rules leave open fades out at the chart's edge), the meeting, holidays (red) and
    make-up working days (green)."""
    matplotlib = _matplotlib()
    lang = _chart_lang(lang)
    fig, axes = _new_axes(ax, (11, max(3.0, 0.42 * len(plan.steps) + 1.8)))  # see plot_findings
    with matplotlib.rc_context(_font_context(lang)):
        _draw_plan(plan, axes, lang)
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
        labels.append(step.label if lang == "zh" else step.step)
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
    lang: str = "en",
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
