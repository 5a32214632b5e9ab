"""audit layer: a plan as an iCalendar file (RFC 5545), for the committee's office calendar.

One all-day event per step: from the earliest to the latest allowed date where both are
known, else on the one known bound ("截止" for a latest date, "最早" for an earliest one);
one event for the meeting.  Each event's description names the rules, with clause and
quote, and the official working days to the meeting.  UIDs are stable (policy, step,
meeting), so importing a revised plan updates the events instead of duplicating them.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from titlerules.errors import TitleRulesError

if TYPE_CHECKING:
    from titlerules.audit.planner import Plan, PlanStep

__all__ = ["plan_to_ics"]


def _icalendar() -> Any:
    try:
        import icalendar
    except ImportError:
        raise TitleRulesError(
            "iCalendar files need the icalendar package, which is not installed",
            hint="install the audit extra: pip install 'titlerules[audit]'",
            code="TR600",
        ) from None
    return icalendar


def _describe(step: PlanStep, lang: str) -> str:
    lines: list[str] = []
    for which, offset in (
        ("earliest", step.earliest_to_meeting),
        ("latest", step.latest_to_meeting),
    ):
        value = step.earliest if which == "earliest" else step.latest
        if value is None or offset is None:
            continue
        word = {"earliest": "最早", "latest": "最晚"}[which] if lang == "zh" else which
        lines.append(f"{word}: {value.isoformat()} ({offset.text(lang)})")
    for rule in step.rules:
        title = rule.title if lang == "zh" else (rule.title_en or rule.title)
        lines.append(f"{rule.clause or ''} {rule.rule_id} {title}".strip())
        if rule.quote:
            lines.append(f"  “{rule.quote}”")
        if rule.conditional:
            lines.append(
                ("  适用条件: " if lang == "zh" else "  applies when: ") + rule.conditional
            )
    return "\n".join(lines)


def plan_to_ics(plan: Plan, *, lang: str = "zh", stamp: dt.datetime | None = None) -> bytes:
    """The plan as iCalendar bytes.  ``stamp`` (DTSTAMP) defaults to now, in UTC."""
    ical = _icalendar()
    stamp = stamp or dt.datetime.now(dt.UTC).replace(microsecond=0)
    calendar = ical.Calendar()
    calendar.add("prodid", "-//titlerules//evaluation timeline//ZH")
    calendar.add("version", "2.0")
    name = f"{plan.policy_id} {'评审工作时间表' if lang == 'zh' else 'evaluation timeline'}"
    calendar.add("x-wr-calname", name)
    meeting_key = plan.meeting_start.isoformat()
    one = dt.timedelta(days=1)

    def event(uid: str, start: dt.date, end: dt.date, summary: str, description: str) -> None:
        item = ical.Event()
        item.add("uid", f"{plan.policy_id}-{uid}-{meeting_key}@titlerules")
        item.add("dtstamp", stamp)
        item.add("dtstart", start)
        item.add("dtend", end)
        item.add("summary", summary)
        if description:
            item.add("description", description)
        item.add("transp", "TRANSPARENT")
        calendar.add_component(item)

    meeting = "评审会议" if lang == "zh" else "Evaluation meeting"
    event("meeting", plan.meeting_start, plan.meeting_end + one, meeting, plan.document or "")
    for step in plan.steps:
        label = step.label if lang == "zh" else step.step
        description = _describe(step, lang)
        if step.earliest is not None and step.latest is not None:
            summary = (
                f"{label}（{step.earliest:%m-%d}–{step.latest:%m-%d}）"
                if lang == "zh"
                else (f"{label} ({step.earliest:%m-%d} to {step.latest:%m-%d})")
            )
            event(step.step, step.earliest, step.latest + one, summary, description)
        elif step.latest is not None:
            summary = f"截止：{label}" if lang == "zh" else f"Deadline: {label}"
            event(step.step, step.latest, step.latest + one, summary, description)
        elif step.earliest is not None:
            summary = f"最早：{label}" if lang == "zh" else f"Earliest: {label}"
            event(step.step, step.earliest, step.earliest + one, summary, description)
    data: bytes = calendar.to_ical()
    return data
