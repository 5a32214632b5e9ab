"""audit layer: the procedure audit — every procedure rule of a policy checked against one
committee's procedure record (评审工作记录), as an :class:`AuditReport`.

A report is data (pydantic, JSON-serialisable): one :class:`Finding` per procedure rule with
its outcome, citation and quote, the dates and counts it read, and for working-day rules
every count the calendar made with the holidays and 调休 make-up days inside the window; a
:class:`Verdict` that follows the notice's consequence clause; and the policy's receipt.
Rendering it is :mod:`titlerules.audit.render` (text, zh/en) and
:mod:`titlerules.audit.notebook` (HTML, pandas, plots).

The consequences.  A policy declares what its notice says follows when a rule is not kept
(洱源: "未按规定权限和程序进行评审的，评审结果不予认定"), and each rule names the consequence that
applies to it, or none::

    consequence not_recognised 一 "未按规定权限和程序进行评审的，评审结果不予认定。"
        en "the results are not recognised"

    procedure committee_within_authority "..." {
      cite 一(一) "..."
      require ...
      consequence not_recognised
    }

The verdict cites the consequences of the blocking rules that failed, each with the rules
that brought it; a failed rule that names none is reported as such.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from enum import StrEnum
from fractions import Fraction
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel, ConfigDict

from titlerules.argcheck import checked
from titlerules.audit._engine import (
    CalendarCall,
    RecordingCalendar,
    compiled_rules,
    evaluate_rule,
    trace_values,
)
from titlerules.audit.common import (
    WorkingDays,
    as_policy,
    as_procedure,
    explain_window,
    make_receipt,
    procedure_argument_types,
)
from titlerules.engine.decision import Citation, FactRead, Receipt, RuleOutcome
from titlerules.engine.policy import Policy
from titlerules.engine.runtime import Env, Unknown, jsonable
from titlerules.engine.verdict import Outcome, aggregate
from titlerules.lang import ir

__all__ = [
    "AuditReport",
    "AuditStatus",
    "Consequence",
    "Finding",
    "Verdict",
    "audit",
    "consequences_of",
]


class AuditStatus(StrEnum):
    """The audit as a whole: every finding passed, one failed, or facts are missing."""

    PASSED = "passed"
    FAILED = "failed"
    UNKNOWN = "unknown"


class Consequence(BaseModel):
    """A clause of the notice on what follows when a rule is not kept, with the failed rules
    it follows from (``rule_ids``)."""

    model_config = ConfigDict(frozen=True)

    name: str
    document: str | None
    clause: str
    quote: str
    gloss: str | None = None
    rule_ids: list[str] = []


class Finding(BaseModel):
    """One procedure rule checked against the record: its outcome and citation, every fact
    it read (``facts``), the dates and the counts among them, the derived values it used
    (``derived``: the policy's ``let`` values, e.g. the committee's size), and each
    working-day computation with the days that explain it."""

    model_config = ConfigDict(frozen=True)

    rule_id: str
    title: str
    title_en: str | None = None
    severity: str
    outcome: RuleOutcome
    citation: Citation | None
    consequence: str | None = None
    notes: list[str] = []
    facts: list[FactRead] = []
    dates: list[FactRead] = []
    counts: list[FactRead] = []
    derived: list[FactRead] = []
    working_days: list[WorkingDays] = []
    exceptions_applied: list[str] = []
    exceptions_applied_en: list[str] = []
    missing: list[str] = []

    @property
    def clause(self) -> str:
        return self.citation.clause if self.citation is not None else ""

    def label(self, lang: str = "zh") -> str:
        return self.title_en if lang == "en" and self.title_en else self.title


class Verdict(BaseModel):
    """What the audit concludes: compliant (True), not (False) or undetermined (None); the
    consequences the notice attaches to the blocking rules that failed; and the failed rules
    that name no consequence (``without_consequence``)."""

    model_config = ConfigDict(frozen=True)

    compliant: bool | None
    failed: int
    unknown: int
    consequences: list[Consequence] = []
    without_consequence: list[str] = []

    @property
    def consequence_applies(self) -> bool:
        return self.compliant is False and bool(self.consequences)

    def text(self, lang: str = "zh", titles: Mapping[str, str] | None = None) -> str:
        """The verdict in words; ``titles`` names the rules (rule id -> title)."""
        from titlerules.audit.render import verdict_text

        return verdict_text(self, lang, titles)


class AuditReport(BaseModel):
    """A committee's procedure record checked against every procedure rule of a policy."""

    model_config = ConfigDict(frozen=True)

    policy_id: str
    policy_title: str | None
    document: str | None
    procedure_id: str | None
    committee: str | None
    year: int | None
    status: AuditStatus
    verdict: Verdict
    findings: list[Finding]
    receipt: Receipt

    # ------------------------------------------------ views
    def by_outcome(self, outcome: RuleOutcome | str) -> list[Finding]:
        wanted = RuleOutcome(outcome)
        return [f for f in self.findings if f.outcome is wanted]

    @property
    def failed(self) -> list[Finding]:
        return self.by_outcome(RuleOutcome.FAILED)

    @property
    def unknown(self) -> list[Finding]:
        return self.by_outcome(RuleOutcome.UNKNOWN)

    @property
    def passed(self) -> list[Finding]:
        return self.by_outcome(RuleOutcome.PASSED)

    def rule_titles(self, lang: str = "zh") -> dict[str, str]:
        """Each finding's rule title in ``lang``, by rule id."""
        return {f.rule_id: f.label(lang) for f in self.findings}

    def finding(self, rule_id: str) -> Finding:
        for finding in self.findings:
            if finding.rule_id == rule_id:
                return finding
        raise KeyError(rule_id)

    @property
    def exit_code(self) -> int:
        """0 when no finding failed, 1 when one did (advisory findings included)."""
        return 1 if self.failed else 0

    # ------------------------------------------------ rendering
    def text(self, lang: str = "zh", *, verbose: bool = False) -> str:
        from titlerules.audit.render import audit_text

        return audit_text(self, lang, verbose=verbose)

    def __str__(self) -> str:
        return self.text("zh")

    def _repr_html_(self) -> str:
        from titlerules.audit.notebook import audit_html

        return audit_html(self)

    def to_pandas(self, lang: str = "zh", *, failures_first: bool = True) -> Any:
        """One row per finding, failed first, text in ``lang`` (needs ``titlerules[notebook]``)."""
        from titlerules.audit.notebook import audit_frame

        return audit_frame(self, lang, failures_first=failures_first)

    def plot(self, ax: Any = None, *, lang: str = "zh") -> Any:
        """Findings by clause, as a bar chart labelled in ``lang`` (needs
        ``titlerules[notebook]``; Chinese labels need a font with Chinese glyphs)."""
        from titlerules.audit.notebook import plot_findings

        return plot_findings(self, ax=ax, lang=lang)


# ---------------------------------------------------------------- the audit

# A verdict's ``compliant``, from the decision the blocking findings make.
_COMPLIANT: Mapping[Outcome, bool | None] = MappingProxyType(
    {Outcome.ELIGIBLE: True, Outcome.INELIGIBLE: False, Outcome.UNDETERMINED: None}
)


@checked(procedure=procedure_argument_types)
def audit(
    policy: Policy | str | Path,
    procedure: Any,
    *,
    as_of: dt.date | None = None,
) -> AuditReport:
    """Check every procedure rule of ``policy`` against a committee's ``procedure`` record.

    ``policy`` is a :class:`Policy`, a bundled id or a policy file; ``procedure`` a
    :class:`~titlerules.facts.Procedure`, a mapping of its fields or a record file.  The
    findings follow the engine's semantics exactly (they agree with
    ``policy.evaluate(procedure)``); the report adds the dates, counts and working-day
    windows behind each.
    """
    loaded = as_policy(policy)
    record = as_procedure(procedure)
    recording = RecordingCalendar(loaded.calendar)
    meeting_start = record.meeting.start if record.meeting is not None else None
    env = Env(
        roots={"procedure": record},
        as_of=as_of if as_of is not None else meeting_start,
        calendar=recording,
    )
    findings: list[Finding] = []
    for compiled in compiled_rules(loaded, ("procedure",)):
        recording.calls.clear()
        result = evaluate_rule(loaded, compiled, env)
        read = trace_values(env)
        findings.append(
            Finding(
                rule_id=result.id,
                title=result.title,
                title_en=result.title_en,
                severity=result.severity,
                outcome=result.outcome,
                citation=result.citation,
                consequence=compiled.rule.consequence,
                notes=list(compiled.rule.notes),
                facts=result.facts,
                dates=[FactRead(path=p, value=jsonable(v)) for p, v in read if _is_date(v)],
                counts=[FactRead(path=p, value=jsonable(v)) for p, v in read if _is_count(v)],
                derived=[
                    FactRead(path=name, value=jsonable(value))
                    for name, value in env.lets.items()
                    if type(value) is not Unknown
                ],
                working_days=_windows(loaded, recording.calls),
                exceptions_applied=result.exceptions_applied,
                exceptions_applied_en=result.exceptions_applied_en,
                missing=result.missing,
            )
        )
    blocking = [f for f in findings if f.severity == "blocking"]
    decided = aggregate(blocking)  # the decision Policy.evaluate makes of the same record
    failed, unknown = decided.failed, decided.unknown
    any_failed = any(f.outcome is RuleOutcome.FAILED for f in findings)
    compliant = _COMPLIANT[decided.outcome]
    committee = record.committee
    return AuditReport(
        policy_id=loaded.id,
        policy_title=loaded.title,
        document=loaded.header.document,
        procedure_id=record.id,
        committee=committee.name if committee is not None else None,
        year=record.year,
        status=(
            AuditStatus.FAILED
            if any_failed
            else AuditStatus.UNKNOWN
            if unknown
            else AuditStatus.PASSED
        ),
        verdict=_verdict(loaded, blocking, compliant, failed, unknown),
        findings=findings,
        receipt=make_receipt(loaded, loaded.calendar, env.as_of, env.provisional_years),
    )


def consequences_of(policy: Policy) -> dict[str, Consequence]:
    """Every consequence the policy declares, by name (with no rules yet)."""
    out: dict[str, Consequence] = {}
    for name, sourced in policy.resolved.consequences.items():
        declared = sourced.item
        assert isinstance(declared, ir.Consequence)
        out[name] = Consequence(
            name=name,
            document=policy.header.document,
            clause=declared.citation.clause,
            quote=declared.citation.quote,
            gloss=declared.gloss,
        )
    return out


def _verdict(
    policy: Policy,
    blocking: list[Finding],
    compliant: bool | None,
    failed: int,
    unknown: int,
) -> Verdict:
    declared = consequences_of(policy)
    brought: dict[str, list[str]] = {}
    without: list[str] = []
    for finding in blocking:
        if finding.outcome is not RuleOutcome.FAILED:
            continue
        if finding.consequence is None or finding.consequence not in declared:
            without.append(finding.rule_id)
        else:
            brought.setdefault(finding.consequence, []).append(finding.rule_id)
    return Verdict(
        compliant=compliant,
        failed=failed,
        unknown=unknown,
        consequences=[
            declared[name].model_copy(update={"rule_ids": rules}) for name, rules in brought.items()
        ],
        without_consequence=without,
    )


def _is_date(value: Any) -> bool:
    return isinstance(value, dt.date)


def _is_count(value: Any) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or isinstance(value, Fraction)


def _windows(policy: Policy, calls: list[CalendarCall]) -> list[WorkingDays]:
    """The working-day computations of one rule, each with its holidays and make-up days."""
    out: list[WorkingDays] = []
    seen: set[tuple[Any, ...]] = set()
    one = dt.timedelta(days=1)
    for call in calls:
        key = (call.operation, call.start, call.end, call.n)
        if key in seen:
            continue
        seen.add(key)
        if call.operation == "count" and call.end is not None:
            if call.end < call.start:
                continue
            out.append(explain_window(policy.calendar, call.start, call.end))
        elif call.operation == "shift" and isinstance(call.result, dt.date) and call.n is not None:
            if call.n < 0:
                start, end = call.result, call.start - one
            elif call.n > 0:
                start, end = call.start + one, call.result
            else:
                start, end = call.start, call.result
            out.append(
                explain_window(
                    policy.calendar,
                    start,
                    end,
                    operation="shift",
                    origin=call.start,
                    n=call.n,
                    result=call.result,
                )
            )
        elif call.operation == "is_working_day":
            out.append(
                explain_window(policy.calendar, call.start, call.start, operation="is_working_day")
            )
    return out


def load_report(data: Mapping[str, Any]) -> AuditReport:
    """An :class:`AuditReport` back from its JSON form."""
    return AuditReport.model_validate(data)
