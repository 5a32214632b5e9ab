"""audit layer: the planner's search — constraints from a policy's procedure rules, and the
dates of each step they allow (see :mod:`titlerules.audit.planner` for the method).

A :class:`Constraint` is a rule, or one ``require`` line of a rule without exceptions.  A
:class:`Search` evaluates constraints on the template record (:mod:`._template`), many times
and cheaply: each constraint reads a *view* of the record holding only the list elements it
reads, and remembers its answers.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from titlerules.audit._engine import compiled_rules, reset_env
from titlerules.audit._template import Template
from titlerules.core.trace import Trace
from titlerules.engine.compiler import CompiledRule, Compiler
from titlerules.engine.policy import Policy
from titlerules.engine.runtime import Env, Fn, Unknown
from titlerules.errors import TitleRulesError
from titlerules.lang import ir

__all__ = ["NEAR", "Constraint", "Search", "constraints", "propagate"]

NEAR = 12
"""How many dates nearest a candidate are tried for a rule's other steps."""

MEETING_PATHS = ("procedure.meeting.start", "procedure.meeting.end")


@dataclass
class Constraint:
    """A rule, or one ``require`` line of a rule without exceptions (a rule fails when any
    line fails, so each line constrains the steps it reads on its own)."""

    compiled: CompiledRule
    require: Fn | None
    part: int
    steps: tuple[str, ...] = ()
    reads_meeting: bool = False
    needs: tuple[str, ...] = ()
    conditional: str | None = None
    not_applicable: bool = False
    view: Any = None
    monotone: bool = False
    memo: dict[tuple[dt.date | None, ...], bool] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.compiled.rule.id}#{self.part}"

    @property
    def rule_id(self) -> str:
        return self.compiled.rule.id


def constraints(policy: Policy) -> list[Constraint]:
    compiler = Compiler(policy.core)
    compiler.compile()
    out: list[Constraint] = []
    for compiled in compiled_rules(policy, ("procedure",)):
        rule = compiled.rule
        monotone = _monotone(policy, ir.rule_expressions(rule))
        if rule.unless or len(rule.require) < 2:
            out.append(Constraint(compiled, None, 0, monotone=monotone))
            continue
        for index, expr in enumerate(compiled.core.require):
            out.append(Constraint(compiled, compiler.expr(expr), index, monotone=monotone))
    return out


_NOT_MONOTONE = frozenset({"known", "coalesce"})


def _monotone(policy: Policy, exprs: Iterable[ir.Expr]) -> bool:
    """Whether learning a fact can only turn *unknown* into true or false, never change a
    known answer: true of Kleene logic, false where ``known()`` or ``coalesce()`` is used
    (in the rule, or in a definition or derived value it uses).  For such a rule, a date
    that fails while the other steps are unknown fails whatever they are."""
    pending = list(exprs)
    seen: set[str] = set()
    while pending:
        for node in ir.walk(pending.pop()):
            name: str | None = None
            if isinstance(node, ir.Call):
                if node.func in _NOT_MONOTONE:
                    return False
                name = node.func
            elif isinstance(node, ir.Name):
                name = node.id
            if name is None or name in seen:
                continue
            seen.add(name)
            definition = policy.resolved.defs.get(name) or policy.resolved.lets.get(name)
            if definition is None:
                continue
            item = definition.item
            if isinstance(item, ir.Def):
                pending.append(item.body)
            elif isinstance(item, ir.Let):
                pending.append(item.value)
    return True


class Search:
    def __init__(self, policy: Policy, template: Template, start: dt.date) -> None:
        self.policy = policy
        self.template = template
        self.start = start
        self.env = Env(roots={"procedure": template.root}, as_of=start, calendar=policy.calendar)

    def _values(self, constraint: Constraint) -> list[Any]:
        """applies, then the violation (or the required condition), then the exceptions."""
        env = self.env
        compiled = constraint.compiled
        values: list[Any] = []
        if compiled.applies is not None:
            values.append(compiled.applies(env))
        if constraint.require is not None:
            values.append(constraint.require(env))
        else:
            values.append(compiled.violation(env))
            values.extend(e.condition(env) for e in compiled.exceptions)
        return values

    def ok(self, constraint: Constraint) -> bool:
        """The constraint does not fail on the template as it stands: unknown counts as not
        failing, an ``applies`` that cannot be decided counts as applying."""
        env = self.env
        reset_env(env)
        env.trace = None
        compiled = constraint.compiled
        try:
            if compiled.applies is not None and compiled.applies(env) is False:
                return True
            if constraint.require is not None:
                return constraint.require(env) is not False
            if compiled.violation(env) is not True:
                return True
            return not all(e.condition(env) is False for e in compiled.exceptions)
        except TitleRulesError:
            return False
        except (AttributeError, TypeError, ValueError, ArithmeticError):
            return True

    def check(self, constraint: Constraint, values: tuple[dt.date | None, ...]) -> bool:
        """:meth:`ok` with the constraint's steps set to ``values``, on its view of the
        record, remembered (propagation asks the same questions again)."""
        known = constraint.memo.get(values)
        if known is not None:
            return known
        template = self.template
        template.set(dict(zip(constraint.steps, values, strict=True)))
        self.env.roots["procedure"] = constraint.view
        try:
            answer = self.ok(constraint)
        finally:
            self.env.roots["procedure"] = template.root
            template.set(dict.fromkeys(constraint.steps))
        constraint.memo[values] = answer
        return answer

    def discover(self, constraint: Constraint) -> None:
        """Fill in the steps a constraint reads, whether it reads the meeting, and the other
        facts it needs: evaluated with the steps unknown (missing facts name them) and set
        to dates around the meeting (the trace names them)."""
        env = self.env
        template = self.template
        paths: set[str] = set()
        unknown_paths: set[str] = set()
        applies_unknown = False
        applies_false = 0
        probes: list[dt.date | None] = [None]
        probes += [self.start + dt.timedelta(days=d) for d in (0, -45, 45)]
        for probe in probes:
            template.set(dict.fromkeys(template.slots, probe))
            reset_env(env)
            env.trace = Trace()
            try:
                values = self._values(constraint)
            except (TitleRulesError, AttributeError, TypeError, ValueError, ArithmeticError):
                values = []
            if constraint.compiled.applies is not None and values:
                applies_unknown = applies_unknown or type(values[0]) is Unknown
                applies_false += values[0] is False
            paths.update(path for path, _ in env.trace)
            for value in values:
                if type(value) is Unknown:
                    unknown_paths |= value.paths
        template.clear()
        env.trace = None
        read = paths | unknown_paths
        constraint.steps = tuple(
            sorted({template.by_path[p] for p in read if p in template.by_path})
        )
        constraint.reads_meeting = bool(read & set(MEETING_PATHS))
        constraint.needs = tuple(
            sorted(
                p
                for p in unknown_paths
                if p not in template.by_path and p not in MEETING_PATHS and "." in p
            )
        )
        constraint.not_applicable = applies_false == len(probes)
        constraint.view = template.view(constraint.steps)
        rule = constraint.compiled.rule
        if applies_unknown and rule.applies is not None:
            from titlerules.lang.printer import format_expr

            constraint.conditional = format_expr(rule.applies)

    def supported(
        self,
        constraint: Constraint,
        fixed: dict[str, dt.date],
        domains: dict[str, list[dt.date]],
    ) -> bool:
        """Some choice of the constraint's other steps keeps it from failing."""
        steps = constraint.steps
        others = [s for s in steps if s not in fixed]
        if not others:
            return self.check(constraint, tuple(fixed[s] for s in steps))
        if constraint.monotone and not self.check(constraint, tuple(fixed.get(s) for s in steps)):
            return False  # fails with the other steps unknown: fails whatever they are
        anchor = next(iter(fixed.values())) if fixed else None
        for combination in _combinations([domains[s] for s in others], anchor):
            chosen = dict(zip(others, combination, strict=True))
            values = tuple(fixed[s] if s in fixed else chosen[s] for s in steps)
            if self.check(constraint, values):
                return True
        return False

    def _probes(self, constraint: Constraint, full: list[dt.date]) -> Iterator[tuple[dt.date, ...]]:
        probes = [full[0], self.start, full[-1]]
        if len(constraint.steps) <= 3:
            probes += [self.start - dt.timedelta(days=45), self.start + dt.timedelta(days=45)]
        if len(constraint.steps) <= 5:
            yield from itertools.product(probes, repeat=len(constraint.steps))
            return
        for probe in probes:  # every step on one date, then each step alone elsewhere
            yield (probe,) * len(constraint.steps)
        for i in range(len(constraint.steps)):
            for inner, outer in itertools.permutations(probes, 2):
                yield tuple(inner if j == i else outer for j in range(len(constraint.steps)))

    def can_pass(self, constraint: Constraint, full: list[dt.date]) -> bool:
        """Whether some probed dates of a constraint's steps keep it from failing."""
        return any(self.check(constraint, c) for c in self._probes(constraint, full))

    def can_fail(self, constraint: Constraint, full: list[dt.date]) -> bool:
        """Whether some dates of a relational constraint's steps make it fail (a relation
        such as "filed after the publicity ends" removes no date of either step while the
        other is free, yet binds once the other is fixed)."""
        if len(constraint.steps) < 2:
            return False
        return any(not self.check(constraint, c) for c in self._probes(constraint, full))

    def project(self, constraint: Constraint, step: str, dates: list[dt.date]) -> list[dt.date]:
        """The dates of ``step`` that do not fail with the constraint's other steps unknown
        (for a monotone constraint, the others cannot rescue a date that fails so)."""
        index = constraint.steps.index(step)
        blank: list[dt.date | None] = [None] * len(constraint.steps)
        out = []
        for value in dates:
            blank[index] = value
            if self.check(constraint, tuple(blank)):
                out.append(value)
        return out

    def revise(
        self, constraint: Constraint, step: str, domains: dict[str, list[dt.date]]
    ) -> list[dt.date]:
        return [v for v in domains[step] if self.supported(constraint, {step: v}, domains)]


def _combinations(
    domains: list[list[dt.date]], anchor: dt.date | None
) -> Iterator[tuple[dt.date, ...]]:
    """Dates to try for a rule's other steps: for one step, its earliest and latest dates
    and the ``NEAR`` dates nearest the candidate; for several, their earliest and latest
    dates in every combination (at most 16; beyond, all early, all late, and each step
    alone late), then the dates nearest the candidate, the steps moving together."""
    if len(domains) == 1:
        yield from ((d,) for d in _candidates(domains[0], anchor, NEAR))
        return
    ends = [(d[0], d[-1]) for d in domains]
    if len(domains) <= 4:
        yield from itertools.product(*ends)
    else:
        yield tuple(e[0] for e in ends)
        yield tuple(e[1] for e in ends)
        for i in range(len(ends)):
            yield tuple(e[1] if j == i else e[0] for j, e in enumerate(ends))
    near = [_candidates(d, anchor, NEAR // 2)[2:] for d in domains]
    width = max(len(c) for c in near)
    for i in range(width):
        yield tuple(c[min(i, len(c) - 1)] if c else e[0] for c, e in zip(near, ends, strict=True))


def _candidates(domain: list[dt.date], anchor: dt.date | None, near: int) -> list[dt.date]:
    """A step's extreme dates first, then the dates nearest ``anchor``."""
    if not domain:
        return []
    out = [domain[0], domain[-1]]
    if anchor is not None and len(domain) > 2:
        index = bisect.bisect_left(domain, anchor)
        low, high = index - 1, index
        while len(out) < near + 2 and (low >= 0 or high < len(domain)):
            if high < len(domain):
                out.append(domain[high])
                high += 1
            if low >= 0:
                out.append(domain[low])
                low -= 1
    return list(dict.fromkeys(out))


def propagate(
    search: Search, constraints: list[Constraint], domains: dict[str, list[dt.date]]
) -> list[tuple[str, str]]:
    """Arc consistency over the constraints of two or more steps: narrow each step's dates
    until nothing changes.  A rule that would leave a step no date at all is a conflict:
    reported (step, rule id) and set aside."""
    touching: dict[str, list[Constraint]] = {}
    for constraint in constraints:
        for step in constraint.steps:
            touching.setdefault(step, []).append(constraint)
    relational = [c for c in constraints if len(c.steps) > 1]
    conflicts: list[tuple[str, str]] = []
    dropped: set[str] = set()
    queue: deque[Constraint] = deque(relational)
    queued = {c.key for c in relational}
    while queue:
        constraint = queue.popleft()
        queued.discard(constraint.key)
        if constraint.rule_id in dropped:
            continue
        for step in constraint.steps:
            kept = search.revise(constraint, step, domains)
            if len(kept) == len(domains[step]):
                continue
            if not kept:
                conflicts.append((step, constraint.rule_id))
                dropped.add(constraint.rule_id)
                break
            domains[step] = kept
            for other in touching[step]:
                if (
                    len(other.steps) > 1
                    and other.key != constraint.key
                    and other.key not in queued
                    and other.rule_id not in dropped
                ):
                    queue.append(other)
                    queued.add(other.key)
    return conflicts
