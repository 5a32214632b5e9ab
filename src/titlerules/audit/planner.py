"""audit layer: the timeline planner — the earliest and latest allowed date of every step of
an evaluation round, derived from the policy's own procedure rules.

One general mechanism, no per-policy code:

1. **A template procedure record.**  Every date field of the procedure record model is a
   *step* (a slot): ``notice.published_on``, ``committee.expert_pool_renewed_on``,
   ``results_issued_on``, and in the lists one element per kind — ``publicity[pre_meeting]``
   ``.start``/``.end``, ``filings[post_meeting].filed_on``, ``complaints[results].decided_on``.
   The meeting dates are fixed; every other fact is unknown unless a base record gives it
   (``base=``: e.g. the committee's level, which decides whether a rule applies).
2. **Constraints and the steps they read.**  A rule is a constraint; a rule with several
   ``require`` lines and no exceptions is one constraint per line (it fails when any line
   does).  Each is evaluated on the template with the steps unknown (the missing facts name
   them) and set (the trace names them).  A constraint reading no step and no meeting date
   is not about time; one reading only the meeting is a check on the meeting dates.
3. **Search.**  Each step's candidate dates lie within ``SEARCH_DAYS`` of the meeting.  A
   date is *allowed* by a constraint when some dates of its other steps keep it from
   failing; other facts stay unknown, so (Kleene logic) it fails only because of the dates.
   A constraint over one step is scanned over every candidate, exactly.  A monotone one over
   several steps (no ``known()``/``coalesce()``: a fact learnt can turn unknown into true or
   false, never change a known answer) first drops the dates that fail with its other steps
   unknown.  Then the constraints over several steps narrow their steps until nothing
   changes (arc consistency), trying the other steps at their earliest and latest dates
   and at the dates nearest the candidate (:data:`titlerules.audit._search.NEAR`): the
   relations the notices use (before/after, within n working days, a window of n working
   days) are found there.  A constraint that would leave a step no date is a conflict,
   reported and set aside.
4. **Report.**  The earliest and latest allowed date of each step (a bound within
   ``OPEN_MARGIN_DAYS`` of the search range is no limit at all), counted in official
   working days from the meeting, the rules that decide it, and for every publicity window
   the shortest end for its earliest and latest start.  Rules the mechanism cannot use are
   listed with the reason — they read dates but never fail on dates alone (a fact they also
   need is unknown), fail whatever the dates are, ask two records of one kind for different
   dates, or do not apply to the base record — never silently dropped.

A rule whose ``applies`` cannot be decided on the template (e.g. "高评委 only") is planned as
if it applied and marked *conditional*; give a ``base`` record to decide it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from titlerules import calendar as cal
from titlerules.argcheck import checked
from titlerules.audit._search import Constraint, Search, propagate
from titlerules.audit._search import constraints as build_constraints
from titlerules.audit._template import Template, build_template
from titlerules.audit.common import (
    DayNote,
    as_policy,
    as_procedure,
    make_receipt,
    procedure_argument_types,
    special_days,
)
from titlerules.engine.decision import Receipt
from titlerules.engine.policy import Policy
from titlerules.errors import CalendarError, UsageError

__all__ = [
    "OPEN_MARGIN_DAYS",
    "SEARCH_DAYS",
    "MeetingCheck",
    "MeetingOffset",
    "Plan",
    "PlanRule",
    "PlanStep",
    "PlanWarning",
    "PlanWindow",
    "UnplannedRule",
    "parse_meeting",
    "plan",
]

SEARCH_DAYS = 300
"""Candidate dates of a step lie within this many days of the meeting."""

OPEN_MARGIN_DAYS = 60
"""A bound this close to the edge of the search range is reported as no limit."""

FAILS_WHATEVER = "fails whatever the dates (a fact other than a date decides it)"
NEVER_FAILS = "never fails on dates alone (it also needs facts a plan does not have)"
NOT_APPLICABLE = (
    "does not apply to this committee (its applies condition is false on the base record)"
)


# ---------------------------------------------------------------- the plan, as data


class PlanRule(BaseModel):
    """A rule deciding a step: its id, title, citation and, where the rule's applicability
    could not be decided, the condition under which it applies."""

    model_config = ConfigDict(frozen=True)

    rule_id: str
    title: str
    title_en: str | None = None
    clause: str | None = None
    quote: str | None = None
    conditional: str | None = None


class MeetingOffset(BaseModel):
    """Where a date lies from the meeting, in official working days: ``before`` counts the
    date itself up to the day before the meeting, ``after`` the day after the meeting up
    to the date."""

    model_config = ConfigDict(frozen=True)

    relation: Literal["before", "during", "after"]
    working_days: int

    def text(self, lang: str = "zh") -> str:
        if self.relation == "during":
            return "会期内" if lang == "zh" else "during the meeting"
        if lang == "zh":
            return f"{'会前' if self.relation == 'before' else '会后'} {self.working_days} 个工作日"
        return f"{self.working_days} wd {self.relation}"


class PlanStep(BaseModel):
    """One step of the round and the dates the rules allow for it."""

    model_config = ConfigDict(frozen=True)

    step: str
    label: str
    label_en: str
    earliest: dt.date | None
    latest: dt.date | None
    earliest_to_meeting: MeetingOffset | None = None
    latest_to_meeting: MeetingOffset | None = None
    rules: list[PlanRule] = []
    provisional_years: list[int] = []


class PlanWindow(BaseModel):
    """A publicity window (start/end steps): how long it must run from its earliest and its
    latest start."""

    model_config = ConfigDict(frozen=True)

    window: str
    label: str
    label_en: str
    earliest_start: dt.date | None
    latest_start: dt.date | None
    shortest_end_for_earliest_start: dt.date | None
    shortest_end_for_latest_start: dt.date | None
    latest_end: dt.date | None


class MeetingCheck(BaseModel):
    """A rule that reads only the meeting dates: does the planned meeting satisfy it?"""

    model_config = ConfigDict(frozen=True)

    rule: PlanRule
    passed: bool


class UnplannedRule(BaseModel):
    """A procedure rule that reads dates but does not fix any step, and why."""

    model_config = ConfigDict(frozen=True)

    rule: PlanRule
    reason: str
    steps: list[str] = []
    needs: list[str] = []


class PlanWarning(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: str
    step: str | None = None
    years: list[int] = []
    rules: list[str] = []
    message: str
    message_zh: str


class Plan(BaseModel):
    """The timeline of an evaluation round around a meeting, from the policy's rules."""

    model_config = ConfigDict(frozen=True)

    policy_id: str
    policy_title: str | None
    document: str | None
    meeting_start: dt.date
    meeting_end: dt.date
    search_from: dt.date
    search_to: dt.date
    steps: list[PlanStep]
    windows: list[PlanWindow] = []
    meeting_checks: list[MeetingCheck] = []
    unplanned: list[UnplannedRule] = []
    not_about_dates: list[str] = []
    holidays: list[DayNote] = []
    makeup_workdays: list[dt.date] = []
    warnings: list[PlanWarning] = []
    receipt: Receipt

    def step(self, step: str) -> PlanStep:
        for item in self.steps:
            if item.step == step:
                return item
        raise KeyError(step)

    @property
    def span(self) -> tuple[dt.date, dt.date]:
        """The dates a chart of the plan covers: every bound and the meeting."""
        dates = [self.meeting_start, self.meeting_end]
        for item in self.steps:
            dates.extend(d for d in (item.earliest, item.latest) if d is not None)
        return min(dates), max(dates)

    def text(self, lang: str = "zh") -> str:
        from titlerules.audit.render import plan_text

        return plan_text(self, lang)

    def __str__(self) -> str:
        return self.text("zh")

    def to_ics(self, *, lang: str = "zh", stamp: dt.datetime | None = None) -> bytes:
        """The plan as an iCalendar file (needs ``titlerules[audit]``)."""
        from titlerules.audit.export import plan_to_ics

        return plan_to_ics(self, lang=lang, stamp=stamp)

    def _repr_html_(self) -> str:
        from titlerules.audit.notebook import plan_html

        return plan_html(self)

    def to_pandas(self, lang: str = "zh") -> Any:
        """One row per step, working-day distances as integers (needs ``titlerules[notebook]``)."""
        from titlerules.audit.notebook import plan_frame

        return plan_frame(self, lang)

    def plot(self, ax: Any = None, *, lang: str = "zh") -> Any:
        """A timeline chart marking holidays and make-up days, labelled in ``lang`` (needs
        ``titlerules[notebook]``; Chinese labels need a font with Chinese glyphs)."""
        from titlerules.audit.notebook import plot_plan

        return plot_plan(self, ax=ax, lang=lang)


# ---------------------------------------------------------------- planning


def parse_meeting(text: str) -> tuple[dt.date, dt.date]:
    """``2024-09-10`` or ``2024-09-10..2024-09-11``."""
    parts = text.split("..")
    try:
        start = dt.date.fromisoformat(parts[0].strip())
        end = dt.date.fromisoformat(parts[1].strip()) if len(parts) == 2 else start
    except ValueError:
        raise UsageError(
            f"invalid meeting dates '{text}'", hint="write START or START..END as YYYY-MM-DD"
        ) from None
    if len(parts) > 2 or end < start:
        raise UsageError(
            f"invalid meeting dates '{text}'", hint="write START..END with END on or after START"
        )
    return start, end


@checked(base=procedure_argument_types)
def plan(
    policy: Policy | str | Path,
    meeting: dt.date | tuple[dt.date, dt.date] | str,
    *,
    base: Any = None,
) -> Plan:
    """The earliest and latest allowed date of every step of a round whose meeting is on
    ``meeting`` (a date, a (start, end) pair or ``"START..END"``).

    ``base`` (a procedure record, mapping or file) supplies facts other than dates — the
    committee's level, whether it evaluates itself — that decide which rules apply.
    """
    loaded = as_policy(policy)
    start, end = _meeting(meeting)
    base_record = as_procedure(base) if base is not None else None
    template = build_template(base_record, start, end)
    search = Search(loaded, template, start)
    lo = start - dt.timedelta(days=SEARCH_DAYS)
    hi = end + dt.timedelta(days=SEARCH_DAYS)
    full = [lo + dt.timedelta(days=i) for i in range((hi - lo).days + 1)]

    constraints = build_constraints(loaded)
    for constraint in constraints:
        search.discover(constraint)
    by_rule: dict[str, list[Constraint]] = {}
    for constraint in constraints:
        by_rule.setdefault(constraint.rule_id, []).append(constraint)

    not_about_dates: list[str] = []
    meeting_checks: list[MeetingCheck] = []
    unplanned: list[UnplannedRule] = []
    domains: dict[str, list[dt.date]] = {}
    active: list[Constraint] = []
    for rule_id, parts in by_rule.items():
        if all(c.not_applicable for c in parts):
            unplanned.append(_unplanned(parts, NOT_APPLICABLE))
            continue
        timed = [c for c in parts if c.steps]
        if not timed:
            if any(c.reads_meeting for c in parts):
                meeting_checks.append(
                    MeetingCheck(rule=_rule_ref(parts[0]), passed=all(search.ok(c) for c in parts))
                )
            else:
                not_about_dates.append(rule_id)
            continue
        outcome = _first_pass(search, timed, full, domains)
        if isinstance(outcome, UnplannedRule):
            unplanned.append(outcome)
        else:
            active.extend(outcome)

    conflicts = propagate(search, active, domains)
    active = [c for c in active if c.rule_id not in {r for _, r in conflicts}]
    steps = _steps(loaded, template, active, domains, lo, hi, start, end)
    windows = _windows(search, template, active, domains, steps)
    warnings = _warnings(loaded.calendar, steps, start, end, conflicts)
    for check in meeting_checks:
        if not check.passed:
            title = check.rule.title_en or check.rule.title
            warnings.append(
                PlanWarning(
                    kind="meeting",
                    rules=[check.rule.rule_id],
                    message=f"the meeting dates break {check.rule.rule_id}: {title}",
                    message_zh=f"评审会议日期不符合 {check.rule.rule_id}：{check.rule.title}",
                )
            )
    first, last = start, end
    for item in steps:
        for value in (item.earliest, item.latest):
            if value is not None:
                first, last = min(first, value), max(last, value)
    # A chart shows a fortnight either side of the steps: mark the holidays there too.
    margin = dt.timedelta(days=14)
    holidays, makeup = special_days(loaded.calendar, first - margin, last + margin)
    provisional = {y for item in steps for y in item.provisional_years}
    return Plan(
        policy_id=loaded.id,
        policy_title=loaded.title,
        document=loaded.header.document,
        meeting_start=start,
        meeting_end=end,
        search_from=lo,
        search_to=hi,
        steps=steps,
        windows=windows,
        meeting_checks=meeting_checks,
        unplanned=unplanned,
        not_about_dates=not_about_dates,
        holidays=holidays,
        makeup_workdays=makeup,
        warnings=warnings,
        receipt=make_receipt(loaded, loaded.calendar, start, provisional),
    )


def _rule_ref(constraint: Constraint) -> PlanRule:
    rule = constraint.compiled.rule
    return PlanRule(
        rule_id=rule.id,
        title=rule.title,
        title_en=rule.title_en,
        clause=rule.citation.clause if rule.citation else None,
        quote=rule.citation.quote if rule.citation else None,
        conditional=constraint.conditional,
    )


def _meeting(meeting: dt.date | tuple[dt.date, dt.date] | str) -> tuple[dt.date, dt.date]:
    if isinstance(meeting, str):
        start, end = parse_meeting(meeting)
    elif isinstance(meeting, dt.date):
        start, end = meeting, meeting
    else:
        start, end = meeting
        if end < start:
            raise UsageError(f"the meeting ends {end} before it starts {start}")
    # Checked before any date arithmetic: the search window reaches SEARCH_DAYS either
    # side of the meeting, past the ends of the date type for a meeting near 0001 or 9999.
    for day in (start, end):
        if not cal.EPOCH <= day <= cal.LAST_DATE:
            raise CalendarError(
                f"meeting {day.isoformat()} is outside the working-day calendar "
                f"({cal.EPOCH.isoformat()}..{cal.LAST_DATE.isoformat()})",
                hint=f"the calendar covers the years {cal.EPOCH.year}-{cal.LAST_DATE.year}",
            )
    return start, end


def _first_pass(
    search: Search,
    parts: list[Constraint],
    full: list[dt.date],
    domains: dict[str, list[dt.date]],
) -> list[Constraint] | UnplannedRule:
    """Classify one rule's constraints and apply those over a single step.

    A constraint over one step is revised over the whole search range, exactly, and the
    dates it allows are intersected into ``domains``.  A constraint over several steps is
    only probed here (dates early, at the meeting and late, in every combination): it is
    kept when some dates make it fail, and narrows the steps in :func:`_propagate`, once
    the single-step rules have bounded them.  The rule is unplanned when none of its lines
    ever fails on dates, when a line fails whatever the dates, or when its lines (or it
    and an earlier rule) leave a step no date."""
    kept: list[Constraint] = []
    narrowed: dict[str, list[dt.date]] = {}
    projections: list[tuple[str, list[dt.date]]] = []
    for constraint in parts:
        if len(constraint.steps) > 1:
            if not search.can_pass(constraint, full):
                fresh = {s: full for s in constraint.steps}
                if any(not search.revise(constraint, s, fresh) for s in constraint.steps):
                    return _unplanned(parts, FAILS_WHATEVER)
            if not search.can_fail(constraint, full):
                continue
            kept.append(constraint)
            if constraint.monotone:  # dates failing with the other steps unknown: out
                projections.extend(
                    (step, search.project(constraint, step, full)) for step in constraint.steps
                )
            continue
        (step,) = constraint.steps
        allowed = search.revise(constraint, step, {step: full})
        if not allowed:
            return _unplanned(parts, FAILS_WHATEVER)
        if len(allowed) == len(full):
            continue
        kept.append(constraint)
        projections.append((step, allowed))
    for step, allowed in projections:
        current = narrowed.get(step, domains.get(step, full))
        allowed_set = set(allowed)
        narrowed[step] = [d for d in current if d in allowed_set]
        if not narrowed[step]:
            own = len({c.rule_id for c in parts}) == 1 and len(domains.get(step, full)) == len(full)
            reason = (
                f"its conditions on {step} cannot all hold for one record element "
                "(the rule needs more than one of that kind)"
                if own
                else f"no date of {step} satisfies it together with the rules before it"
            )
            return _unplanned(parts, reason)
    if not kept:
        return _unplanned(parts, NEVER_FAILS)
    domains.update(narrowed)
    for constraint in kept:
        for step in constraint.steps:
            domains.setdefault(step, list(full))
    return kept


def _unplanned(parts: list[Constraint], reason: str) -> UnplannedRule:
    steps = sorted({s for c in parts for s in c.steps})
    needs = sorted({n for c in parts for n in c.needs})
    return UnplannedRule(rule=_rule_ref(parts[0]), reason=reason, steps=steps, needs=needs)


def _offset(
    calendar: cal.Calendar, day: dt.date | None, start: dt.date, end: dt.date
) -> MeetingOffset | None:
    if day is None:
        return None
    if day < start:
        count = calendar.working_days_between(day, start - dt.timedelta(days=1))
        return MeetingOffset(relation="before", working_days=count)
    if day > end:
        count = calendar.working_days_between(end + dt.timedelta(days=1), day)
        return MeetingOffset(relation="after", working_days=count)
    return MeetingOffset(relation="during", working_days=0)


def _steps(
    policy: Policy,
    template: Template,
    rules: list[Constraint],
    domains: dict[str, list[dt.date]],
    lo: dt.date,
    hi: dt.date,
    start: dt.date,
    end: dt.date,
) -> list[PlanStep]:
    calendar = policy.calendar
    margin = dt.timedelta(days=OPEN_MARGIN_DAYS)
    out: list[PlanStep] = []
    for step, domain in domains.items():
        if not domain:
            continue
        earliest = domain[0] if domain[0] > lo + margin else None
        latest = domain[-1] if domain[-1] < hi - margin else None
        slot = template.slots[step]
        bounds = [d for d in (earliest, latest) if d is not None]
        years: set[int] = set()
        for bound in bounds:
            low, high = min(bound, start), max(bound, end)
            years.update(calendar.count_working_days(low, high).provisional_years)
        out.append(
            PlanStep(
                step=step,
                label=slot.label,
                label_en=slot.label_en,
                earliest=earliest,
                latest=latest,
                earliest_to_meeting=_offset(calendar, earliest, start, end),
                latest_to_meeting=_offset(calendar, latest, start, end),
                rules=list({r.rule_id: _rule_ref(r) for r in rules if step in r.steps}.values()),
                provisional_years=sorted(years),
            )
        )
    out.sort(
        key=lambda s: (s.latest or s.earliest or dt.date.max, s.earliest or dt.date.min, s.step)
    )
    return out


def _windows(
    search: Search,
    template: Template,
    rules: list[Constraint],
    domains: dict[str, list[dt.date]],
    steps: list[PlanStep],
) -> list[PlanWindow]:
    planned = {s.step: s for s in steps}
    groups: dict[str, dict[str, str]] = {}
    for slot in template.slots.values():
        if slot.window is not None and slot.id in planned:
            groups.setdefault(slot.window, {})[slot.attr] = slot.id
    out: list[PlanWindow] = []
    for window, members in groups.items():
        start_step, end_step = members.get("start"), members.get("end")
        if start_step is None or end_step is None:
            continue
        relevant = [r for r in rules if start_step in r.steps or end_step in r.steps]
        starts, ends = domains[start_step], domains[end_step]
        pair = (start_step, end_step)

        first, last = planned[start_step], planned[end_step]
        label = template.slots[start_step].label.rsplit("·", 1)[0]
        out.append(
            PlanWindow(
                window=window,
                label=label,
                label_en=window,
                earliest_start=first.earliest,
                latest_start=first.latest,
                shortest_end_for_earliest_start=(
                    _shortest_end(search, relevant, pair, starts[0], ends, domains)
                    if first.earliest is not None
                    else None
                ),
                shortest_end_for_latest_start=(
                    _shortest_end(search, relevant, pair, starts[-1], ends, domains)
                    if first.latest is not None
                    else None
                ),
                latest_end=last.latest,
            )
        )
    return out


def _shortest_end(
    search: Search,
    relevant: list[Constraint],
    steps: tuple[str, str],
    begin: dt.date,
    ends: list[dt.date],
    domains: dict[str, list[dt.date]],
) -> dt.date | None:
    """The first end date a window starting on ``begin`` may have under every rule."""
    for candidate in ends:
        if candidate < begin:
            continue
        fixed = {steps[0]: begin, steps[1]: candidate}
        if all(search.supported(r, fixed, domains) for r in relevant):
            return candidate
    return None


def _warnings(
    calendar: cal.Calendar,
    steps: list[PlanStep],
    start: dt.date,
    end: dt.date,
    conflicts: list[tuple[str, str]],
) -> list[PlanWarning]:
    out: list[PlanWarning] = []
    for step, rule_id in conflicts:
        out.append(
            PlanWarning(
                kind="conflict",
                step=step,
                rules=[rule_id],
                message=f"no date of {step} satisfies {rule_id} together with the other rules",
                message_zh=f"{step} 没有同时满足 {rule_id} 和其他规则的日期",
            )
        )
    for item in steps:
        if item.provisional_years:
            years = ", ".join(str(y) for y in item.provisional_years)
            out.append(
                PlanWarning(
                    kind="provisional_calendar",
                    step=item.step,
                    years=item.provisional_years,
                    message=(
                        f"{item.step}: the window to the meeting crosses {years}, whose official "
                        "holiday schedule is not published; working days are provisional"
                    ),
                    message_zh=(
                        f"{item.label}：至评审会议的期间跨越 {years} 年，"
                        "该年法定节假日安排尚未公布，工作日为暂定"
                    ),
                )
            )
    if calendar.is_provisional_year(start.year) or calendar.is_provisional_year(end.year):
        years_set = sorted({y for y in (start.year, end.year) if calendar.is_provisional_year(y)})
        out.append(
            PlanWarning(
                kind="provisional_calendar",
                years=years_set,
                message=f"the meeting year {years_set[0]} has no published holiday schedule",
                message_zh=f"评审会议所在的 {years_set[0]} 年法定节假日安排尚未公布",
            )
        )
    return out
