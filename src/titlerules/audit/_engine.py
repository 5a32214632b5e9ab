"""audit layer: run one compiled rule of a policy on a record, and see the calendar at work.

The procedure audit, the planner and the cross-record checks all evaluate rules one at a
time (a finding per rule, or a rule over thousands of synthetic records).  This module is
their one door into the engine: the compiled procedure rules of a :class:`Policy`, an
evaluation of one rule with the engine's own semantics, and a :class:`RecordingCalendar`
that remembers every working-day computation a rule made, so a report can say *why* a
window has only 4 working days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from titlerules import calendar as cal
from titlerules.core.trace import Trace
from titlerules.engine.compiler import CompiledRule
from titlerules.engine.decision import RuleResult
from titlerules.engine.policy import Policy
from titlerules.engine.runtime import Env
from titlerules.engine.verdict import run_rule
from titlerules.errors import EvaluationError, Location, TitleRulesError
from titlerules.lang import ir

__all__ = [
    "CalendarCall",
    "RecordingCalendar",
    "compiled_rules",
    "evaluate_rule",
    "reset_env",
    "rule_location",
]


@dataclass(frozen=True, slots=True)
class CalendarCall:
    """One working-day computation: a count over ``start..end`` or a shift of ``n`` days."""

    operation: Literal["count", "shift", "is_working_day"]
    start: dt.date
    end: dt.date | None
    n: int | None
    result: int | dt.date | bool


class RecordingCalendar(cal.Calendar):
    """A calendar that answers like ``base`` and records every working-day question."""

    def __init__(self, base: cal.Calendar) -> None:
        super().__init__(base.overrides, strict=base.strict, language=base.language)
        self.base = base
        self.calls: list[CalendarCall] = []

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        value = self.base.working_days_between(start, end)
        self.calls.append(CalendarCall("count", start, end, None, value))
        return value

    def add_working_days(self, day: dt.date, n: int) -> dt.date:
        value = self.base.add_working_days(day, n)
        self.calls.append(CalendarCall("shift", day, None, n, value))
        return value

    def is_working_day(self, day: dt.date) -> bool:
        value = self.base.is_working_day(day)
        self.calls.append(CalendarCall("is_working_day", day, None, None, value))
        return value


def compiled_rules(policy: Policy, kinds: tuple[str, ...]) -> list[CompiledRule]:
    """The policy's compiled rules of the given kinds, in policy order."""
    return list(policy.compiled_rules(kinds))


def reset_env(env: Env) -> None:
    """Forget what an earlier rule computed (derived values, trace, bound variables)."""
    env.lets = {}
    env.let_reads = {}
    env.vars = {}
    env.var_paths = {}


def rule_location(policy: Policy, rule: ir.Rule) -> Location:
    """Where a rule is written: its policy file, line and column."""
    return policy.location(rule)


def evaluate_rule(
    policy: Policy, compiled: CompiledRule, env: Env, *, explain: bool = True
) -> RuleResult:
    """One rule on the environment's records, exactly as :meth:`Policy.evaluate` decides it;
    an error while it runs names the rule's place in the policy."""
    reset_env(env)
    env.trace = Trace() if explain else None
    try:
        verdict = run_rule(compiled, env)
    except TitleRulesError as exc:
        if exc.location is None:
            exc.location = rule_location(policy, compiled.rule)
        raise
    except (AttributeError, TypeError, ValueError, ArithmeticError, RecursionError) as exc:
        raise EvaluationError(
            f"rule '{compiled.rule.id}' could not be evaluated: {exc}",
            location=rule_location(policy, compiled.rule),
            hint="check the record against docs/records.md; run 'titlerules lint'",
        ) from exc
    return policy.rule_result(compiled, verdict, env.trace)


def trace_values(env: Env) -> list[tuple[str, Any]]:
    """The facts the last rule read, first value of each path, in reading order."""
    seen: dict[str, Any] = {}
    for path, value in env.trace or ():
        seen.setdefault(path, value)
    return list(seen.items())
