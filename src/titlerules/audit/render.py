"""audit layer (report rendering): audit reports, plans, cross-record and historical-record
reports as plain text, in Chinese (``zh``) or English (``en``).

The reports themselves are data; this module only prints them.  HTML, pandas and plots are
:mod:`titlerules.audit.notebook`.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING

from titlerules.audit.common import WorkingDays
from titlerules.engine.decision import RuleOutcome
from titlerules.engine.verdict import RULE_WORDS

if TYPE_CHECKING:
    from titlerules.audit.crossrecord import CrossRecordReport
    from titlerules.audit.planner import Plan
    from titlerules.audit.procedure import AuditReport, Finding, Verdict

__all__ = [
    "OUTCOME_WORDS",
    "audit_text",
    "cross_text",
    "finding_lines",
    "plan_text",
    "table",
    "text_width",
    "verdict_text",
    "working_days_text",
]

OUTCOME_WORDS: Mapping[str, Mapping[RuleOutcome, str]] = MappingProxyType(
    {
        "zh": RULE_WORDS["zh"],
        # An audit's English report sets a failed check apart in capitals.
        "en": MappingProxyType({**RULE_WORDS["en"], RuleOutcome.FAILED: "FAILED"}),
    }
)
"""A finding's outcome in words: the engine's (:data:`titlerules.engine.verdict.RULE_WORDS`)."""


def _lang(lang: str) -> str:
    return lang if lang in ("zh", "en") else "zh"


def verdict_text(
    verdict: Verdict, lang: str = "zh", titles: Mapping[str, str] | None = None
) -> str:
    """The verdict in one paragraph: compliant, undetermined, or not compliant with each
    consequence the notice attaches to the rules that failed (named by their titles in
    ``titles``, by rule id without them)."""
    lang = _lang(lang)

    def named(rule_ids: list[str]) -> str:
        words = [(titles or {}).get(rule_id, rule_id) for rule_id in rule_ids]
        return "、".join(words) if lang == "zh" else "; ".join(words)

    if verdict.compliant is True:
        return "程序合规：全部程序规则均符合" if lang == "zh" else "procedure compliant"
    if verdict.compliant is None:
        if lang == "zh":
            return f"无法判定：{verdict.unknown} 项规则缺少事实"
        return f"undetermined: {verdict.unknown} rule(s) lack facts"
    parts: list[str] = []
    for consequence in verdict.consequences:
        where = " ".join(x for x in (consequence.document, consequence.clause) if x)
        rules = named(consequence.rule_ids)
        if lang == "zh":
            parts.append(f"依据 {where}：“{consequence.quote}”（{rules}）")
        else:
            gloss = f" — {consequence.gloss}" if consequence.gloss else ""
            parts.append(f"under {where}: “{consequence.quote}”{gloss} ({rules})")
    if verdict.without_consequence:
        rules = named(verdict.without_consequence)
        parts.append(
            f"本政策未为以下规则标注后果条款：{rules}"
            if lang == "zh"
            else f"the policy names no consequence for: {rules}"
        )
    if lang == "zh":
        return f"程序不合规（{verdict.failed} 项不符合）。" + "；".join(parts)
    return f"procedure not compliant ({verdict.failed} rule(s) failed). " + "; ".join(parts)


def working_days_text(window: WorkingDays, lang: str = "zh") -> str:
    """One line: the window, its working-day count, and the days that explain it."""
    lang = _lang(lang)
    span = f"{window.start.isoformat()} .. {window.end.isoformat()}"
    if window.operation == "shift" and window.origin is not None and window.n is not None:
        if lang == "zh":
            direction = "之后" if window.n > 0 else "之前"
            head = (
                f"{window.origin.isoformat()} {direction}第 {abs(window.n)} 个工作日是 "
                f"{window.result.isoformat() if window.result else '?'}（计入 {span}）"
            )
        else:
            direction = "after" if window.n > 0 else "before"
            head = (
                f"the {_ordinal(abs(window.n))} working day {direction} "
                f"{window.origin.isoformat()} is "
                f"{window.result.isoformat() if window.result else '?'} (counting {span})"
            )
    elif lang == "zh":
        head = f"{span}：{window.working_days} 个工作日（{window.calendar_days} 天）"
    else:
        head = f"{span}: {window.working_days} working days ({window.calendar_days} days)"
    parts: list[str] = []
    if window.holidays:
        names = ", ".join(
            f"{h.date.isoformat()} {h.name_zh if lang == 'zh' else h.name}" for h in window.holidays
        )
        parts.append(("节假日 " if lang == "zh" else "holidays ") + names)
    if window.makeup_workdays:
        days = ", ".join(d.isoformat() for d in window.makeup_workdays)
        parts.append(("调休上班 " if lang == "zh" else "make-up working days ") + days)
    if window.weekend_days:
        parts.append(
            f"周末 {window.weekend_days} 天"
            if lang == "zh"
            else f"{window.weekend_days} weekend day{'s' if window.weekend_days > 1 else ''}"
        )
    if window.provisional_years:
        years = ", ".join(str(y) for y in window.provisional_years)
        parts.append(
            f"{years} 年日历为暂定" if lang == "zh" else f"calendar of {years} provisional"
        )
    if parts:
        head += ("；" if lang == "zh" else "; ") + ("；" if lang == "zh" else "; ").join(parts)
    return head


def _ordinal(n: int) -> str:
    if 10 <= n % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def finding_lines(finding: Finding, lang: str = "zh", *, detail: bool = True) -> list[str]:
    """A finding as text: a head line, then (with ``detail``) the quote, the working-day
    windows and the facts read."""
    lang = _lang(lang)
    word = OUTCOME_WORDS[lang][finding.outcome]
    clause = finding.clause
    advisory = (
        ("（提示）" if lang == "zh" else " (advisory)") if finding.severity == "advisory" else ""
    )
    lines = [f"{pad(word, 6)} {pad(clause, 8)} {finding.label(lang)}{advisory}"]
    if not detail:
        return lines
    indent = " " * 16
    if finding.citation is not None:
        lines.append(f"{indent}“{finding.citation.quote}”")
    for window in finding.working_days:
        lines.append(indent + working_days_text(window, lang))
    if finding.missing:
        label = "缺少" if lang == "zh" else "missing"
        lines.append(f"{indent}{label}: {', '.join(finding.missing)}")
    if finding.exceptions_applied:
        label = "例外适用" if lang == "zh" else "exception applied"
        applied = finding.exceptions_applied
        if lang == "en" and finding.exceptions_applied_en:
            applied = finding.exceptions_applied_en
        lines.append(f"{indent}{label}: {', '.join(applied)}")
    involved = [*finding.dates, *finding.counts, *finding.derived]
    if not involved:
        involved = [f for f in finding.facts if not str(f.value).endswith("item(s)")]
    if involved:
        label = "事实" if lang == "zh" else "facts"
        facts = "; ".join(f"{f.path} = {_value(f.value)}" for f in involved[:12])
        more = len(involved) - 12
        if more > 0:
            facts += f"; … (+{more})"
        lines.append(f"{indent}{label}: {facts}")
    return lines


def _value(value: object) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def audit_text(report: AuditReport, lang: str = "zh", *, verbose: bool = False) -> str:
    """The report: the subject, the verdict, every finding (failed and unknown ones in
    detail), the tally and the receipt."""
    lang = _lang(lang)
    who = report.committee or report.procedure_id or "?"
    ident = f" ({report.procedure_id})" if report.procedure_id and report.committee else ""
    doc = f" {report.document}" if report.document else ""
    head = "程序审计" if lang == "zh" else "Procedure audit"
    lines = [f"{head}: {who}{ident}  [{report.policy_id}{doc}]"]
    label = "结论" if lang == "zh" else "verdict"
    lines.append(f"{label}: {report.verdict.text(lang, titles=report.rule_titles(lang))}")
    order = (
        RuleOutcome.FAILED,
        RuleOutcome.UNKNOWN,
        RuleOutcome.PASSED,
        RuleOutcome.NOT_APPLICABLE,
    )
    for outcome in order:
        for finding in report.by_outcome(outcome):
            detail = verbose or outcome in (RuleOutcome.FAILED, RuleOutcome.UNKNOWN)
            lines.extend("  " + line for line in finding_lines(finding, lang, detail=detail))
    counts = {o: len(report.by_outcome(o)) for o in order}
    if lang == "zh":
        lines.append(
            f"合计 {len(report.findings)} 条程序规则：符合 {counts[RuleOutcome.PASSED]}，"
            f"不符合 {counts[RuleOutcome.FAILED]}，待查明 {counts[RuleOutcome.UNKNOWN]}，"
            f"不适用 {counts[RuleOutcome.NOT_APPLICABLE]}"
        )
    else:
        lines.append(
            f"{len(report.findings)} procedure rules: {counts[RuleOutcome.PASSED]} passed, "
            f"{counts[RuleOutcome.FAILED]} failed, {counts[RuleOutcome.UNKNOWN]} unknown, "
            f"{counts[RuleOutcome.NOT_APPLICABLE]} not applicable"
        )
    lines.append(_receipt_line(report.receipt, lang))
    return "\n".join(lines)


def _receipt_line(receipt: object, lang: str) -> str:
    from titlerules.engine.decision import Receipt

    assert isinstance(receipt, Receipt)
    line = (
        f"{'回执' if lang == 'zh' else 'receipt'}: {receipt.policy_id} "
        f"sha256 {receipt.policy_sha256[:12]}, engine {receipt.engine_version}, "
        f"calendar {receipt.calendar_version}"
    )
    if receipt.provisional_calendar_years:
        years = ", ".join(str(y) for y in receipt.provisional_calendar_years)
        line += (
            f"；注意：{years} 年节假日安排未公布，工作日为暂定"
            if lang == "zh"
            else f"; note: {years} holiday schedule not published, working days provisional"
        )
    return line


# ---------------------------------------------------------------- tables


def text_width(text: str) -> int:
    """Columns a text takes in a terminal (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - text_width(text))


def table(columns: Sequence[str], rows: Iterable[Sequence[str]], indent: str = "  ") -> list[str]:
    """Aligned text columns (the last column is not padded)."""
    body = [list(r) for r in rows]
    widths = [
        max([text_width(c), *(text_width(r[i]) for r in body)]) for i, c in enumerate(columns)
    ]

    def line(cells: Sequence[str]) -> str:
        last = len(cells) - 1
        return (
            indent
            + "  ".join(
                cell if i == last else pad(cell, widths[i]) for i, cell in enumerate(cells)
            ).rstrip()
        )

    return [line(list(columns)), *(line(r) for r in body)]


# ---------------------------------------------------------------- plans


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value is not None else "—"


def plan_text(plan: Plan, lang: str = "zh") -> str:
    """The plan as a table — step, earliest, latest (with working days to the meeting), the
    rules deciding it — then windows, meeting checks, unplanned rules and warnings."""
    zh = _lang(lang) == "zh"
    lang = "zh" if zh else "en"
    meeting = _date(plan.meeting_start)
    if plan.meeting_end != plan.meeting_start:
        meeting += ".." + _date(plan.meeting_end)
    head = "评审工作时间表" if zh else "Timeline"
    doc = f" {plan.document}" if plan.document else ""
    lines = [f"{head}: {plan.policy_id}{doc}  {'评审会议' if zh else 'meeting'} {meeting}"]
    columns = ("步骤", "最早", "最晚", "依据") if zh else ("step", "earliest", "latest", "rules")
    rows: list[tuple[str, str, str, str]] = []
    relative: list[str] = []
    for item in plan.steps:
        if item.earliest is None and item.latest is None:
            relative.append(item.label if zh else item.label_en)
            continue
        early = _date(item.earliest)
        if item.earliest_to_meeting is not None:
            early += (
                f"（{item.earliest_to_meeting.text(lang)}）"
                if zh
                else (f" ({item.earliest_to_meeting.text(lang)})")
            )
        late = _date(item.latest)
        if item.latest_to_meeting is not None:
            late += (
                f"（{item.latest_to_meeting.text(lang)}）"
                if zh
                else (f" ({item.latest_to_meeting.text(lang)})")
            )
        refs = ", ".join(
            f"{r.clause or ''} {r.rule_id}{'*' if r.conditional else ''}".strip()
            for r in item.rules
        )
        rows.append((item.label if zh else item.label_en, early, late, refs))
    if rows:
        lines.extend(table(columns, rows))
    if relative:
        label = "仅有相对先后要求的步骤" if zh else "steps ordered only relative to others"
        lines.append(f"  {label}: {', '.join(relative)}")
    if any(r.conditional for item in plan.steps for r in item.rules):
        lines.append(
            "  * 适用条件未定，按适用计（用 --procedure 给出评委会情况）"
            if zh
            else "  * applies only under a condition, planned as applying (give --procedure)"
        )
    for window in plan.windows:
        lines.extend(_window_lines(window, zh))
    for check in plan.meeting_checks:
        if zh:
            word = "符合" if check.passed else "不符合"
            lines.append(f"  会议日期{word}: {check.rule.clause or ''} {check.rule.title}")
        else:
            word = "ok" if check.passed else "FAILS"
            title = check.rule.title_en or check.rule.title
            lines.append(f"  meeting {word}: {check.rule.clause or ''} {title}")
    for skipped in plan.unplanned:
        title = skipped.rule.title if zh else (skipped.rule.title_en or skipped.rule.title)
        reason = _reason_zh(skipped.reason) if zh else skipped.reason
        needs = ""
        if skipped.needs:
            shown = ", ".join(skipped.needs[:3]) + (", …" if len(skipped.needs) > 3 else "")
            needs = f"（需要 {shown}）" if zh else f" (needs {shown})"
        label = "未排期" if zh else "not planned"
        lines.append(f"  {label}: {skipped.rule.rule_id} {title} — {reason}{needs}")
    if plan.not_about_dates:
        count = len(plan.not_about_dates)
        lines.append(
            f"  另有 {count} 条程序规则与日期无关"
            if zh
            else f"  {count} procedure rules are not about dates"
        )
    for warning in plan.warnings:
        lines.append(
            f"  {'警告' if zh else 'warning'}: {warning.message_zh if zh else warning.message}"
        )
    return "\n".join(lines)


def _window_lines(window: object, zh: bool) -> list[str]:
    from titlerules.audit.planner import PlanWindow

    assert isinstance(window, PlanWindow)
    out: list[str] = []
    name = window.label if zh else window.label_en
    for start, end, word_zh, word_en in (
        (window.latest_start, window.shortest_end_for_latest_start, "最晚", "latest"),
        (window.earliest_start, window.shortest_end_for_earliest_start, "最早", "earliest"),
    ):
        if start is None or end is None:
            continue
        if zh:
            out.append(f"  {name}：{word_zh} {_date(start)} 开始，则至少持续至 {_date(end)}")
        else:
            out.append(
                f"  {name}: from the {word_en} start {_date(start)}, "
                f"it runs to {_date(end)} at least"
            )
    return out


def _reason_zh(reason: str) -> str:
    if reason.startswith("fails"):
        return "无论日期如何均不符合（取决于日期以外的事实）"
    if reason.startswith("never"):
        return "仅凭日期不会不符合（还需要时间表以外的事实）"
    if reason.startswith("does not apply"):
        return "不适用于该评委会（按所给记录，其适用条件不成立）"
    if reason.startswith("its conditions"):
        return "同一条记录无法同时满足其各项日期条件（该规则需要多条同类记录）"
    return "与此前规则的日期要求冲突"


# ---------------------------------------------------------------- cross-record checks

_CHECK_NAMES = {
    "duplicate_application": ("重复申报", "duplicate applications"),
    "vacancies": ("空岗申报", "vacancies"),
    "table_approvals": ("核定表审核签章", "post table sign-offs"),
    "pass_rate": ("通过率", "pass rate"),
}


def cross_text(report: CrossRecordReport, lang: str = "zh") -> str:
    """Every cross-record finding: the check, the outcome, the message, the records and the
    rules (with clause and quote) it rests on."""
    zh = _lang(lang) == "zh"
    lang = "zh" if zh else "en"
    head = "跨记录核查" if zh else "Cross-record checks"
    lines = [
        f"{head}: {report.policy_id}  "
        + (
            f"记录 {report.records} 条（申报人 {report.applicants}，评审工作 {report.procedures}，"
            f"核定表 {report.post_tables}）"
            if zh
            else f"{report.records} records ({report.applicants} applicants, "
            f"{report.procedures} procedures, {report.post_tables} post tables)"
        )
    ]
    ordered = sorted(report.findings, key=lambda f: (f.outcome is not RuleOutcome.FAILED, f.check))
    for finding in ordered:
        name = _CHECK_NAMES[finding.check][0 if zh else 1]
        word = OUTCOME_WORDS[lang][finding.outcome]
        lines.append(f"  {pad(word, 6)} {name}: {finding.message_zh if zh else finding.message}")
        for record in finding.records:
            lines.append(f"{' ' * 10}{record.where}")
        seen: set[str] = set()
        for rule in finding.rules:
            if rule.rule_id in seen:
                continue
            seen.add(rule.rule_id)
            title = rule.title if zh else (rule.title_en or rule.title)
            where = " ".join(x for x in (rule.document, rule.clause) if x)
            cited = f"（{where}）" if zh else f" ({where}) "
            lines.append(f"{' ' * 10}{rule.rule_id} {title}{cited}“{rule.quote or ''}”")
    if not report.findings:
        lines.append("  没有需要跨记录核查的记录组" if zh else "  no group of records to check")
    for record in report.unmatched:
        label = "无证件号码，未参与比对" if zh else "no ID number, not matched"
        lines.append(f"  {label}: {record.where}")
    for error in report.errors:
        label = "无法读取" if zh else "unreadable"
        lines.append(f"  {label}: {error.file}: {error.record_path}: {error.error}")
    failed = len(report.failed)
    lines.append(
        f"合计 {len(report.findings)} 项核查，不符合 {failed} 项"
        if zh
        else f"{len(report.findings)} checks, {failed} failed"
    )
    return "\n".join(lines)
