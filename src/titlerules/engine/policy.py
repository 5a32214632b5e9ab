"""Engine layer: :class:`Policy`, a loaded, checked and compiled policy that evaluates records.

A rule's verdict and a record's decision are those of :mod:`titlerules.engine.verdict`
(Catala-style default logic; ineligible when a blocking rule failed, else undetermined when
one is unknown, else eligible).  The per-record loop (:meth:`Policy._decisions`) inlines
them for speed; tests hold it to :func:`~titlerules.engine.verdict.run_rule` and
:func:`~titlerules.engine.verdict.aggregate`.

With explanations, the loop runs each rule with a tracer that keeps only the facts read
(:class:`~titlerules.core.trace.Reads`) and runs a rule that failed or is unknown again with a
recording trace, in an environment of its own (:meth:`Policy._explained`), as
:meth:`Policy.explain_rules` runs it.

The parts of decisions that recur across records (facts read, rule results, receipts) are
built once and kept by the policy that made them; loaded policies are kept by
:data:`LOADED`, the one cache of the module.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import importlib
import operator
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import CodeType, MemberDescriptorType
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel

from titlerules import calendar as cal
from titlerules._version import __version__
from titlerules.argcheck import checked
from titlerules.core import nodes as n
from titlerules.core.polarity import Polarities, deciding, polarities
from titlerules.core.trace import Reads, Trace
from titlerules.diskcache import cache_dir as _cache_dir
from titlerules.diskcache import discard as _discard
from titlerules.diskcache import private as _private
from titlerules.diskcache import read_checked as _read_checked
from titlerules.diskcache import write_checked as _write_checked
from titlerules.engine.compiler import CompiledRule, compile_policy
from titlerules.engine.decision import (
    Citation,
    ComparisonRead,
    Decision,
    FactRead,
    Operand,
    Receipt,
    RuleResult,
)
from titlerules.engine.runtime import _NO_YEARS, Duration, Env, Seq, Unknown, jsonable
from titlerules.engine.verdict import (
    CODES,
    DECISION_BY_CODE,
    FAILED,
    NOT_APPLICABLE,
    OUTCOME_BY_FLAGS,
    PASSED,
    RuleOutcome,
    Verdict,
    run_rule,
)
from titlerules.errors import (
    EvaluationError,
    Location,
    PolicyCheckError,
    PolicyError,
    RecordError,
    TitleRulesError,
)
from titlerules.lang import ir
from titlerules.lang.convert import read_policy_text
from titlerules.lang.diagnostics import Diagnostic
from titlerules.lang.loader import ResolvedPolicy, find_policy, resolve, sources_sha256

APPLICANT_KINDS = ("exclusion", "requirement")
PROCEDURE_KINDS = ("procedure",)

BATCH_ROWS = 32768
"""Records :meth:`Policy.evaluate_many` reads ahead (without explanations).  A batch decided
column-wise has a fixed cost (about 0.15 to 0.2 s for eryuan-2024 on a 2-core machine: the
validation plan over every column, and the rules' list methods, collected in rounds),
about 5 µs a record at this size (20 µs at 8,192), for about 7.5 KB of memory a record while
it is decided."""
BATCH_MIN = 1024
"""The fewest records of a batch decided column-wise (fewer: per record)."""
BATCH_ROUTE = "auto"
"""How :meth:`Policy.evaluate_many` decides a batch of dicts: ``"auto"``, the quicker of the
two routes for this policy, timed on the policy's first batch (a part of it per record,
the rest column-wise), and again on a bigger batch while the per-record route is the
quicker (a column-wise batch has a fixed cost, and the first one pays for what is made on
first use); ``"table"``, column-wise; ``"record"``, per record.  The results are the same
either way."""
_FROM_CODES_SIZE = 4096  # combinations decision_from_codes keeps (then it starts again)
PROBE_ROWS = 256  # the part of the first batch decided per record, to time it
BATCH_MODULE = "titlerules.batch.records"  # registers Policy.batch_decider

BatchDecider = Callable[["Policy", list[Any], "dt.date | None"], list[Any]]
"""Per record of a batch: its decision, or what :meth:`Policy.evaluate_many` is to decide
per record (the record, or its validated model)."""


def _per_record_only(policy: Policy, batch: list[Any], as_of: dt.date | None) -> list[Any]:
    return batch


# Policy.decision_from_codes looks a rule's shared result up by its outcome code.
assert [
    CODES[o]
    for o in (
        RuleOutcome.PASSED,
        RuleOutcome.NOT_APPLICABLE,
        RuleOutcome.UNKNOWN,
        RuleOutcome.FAILED,
    )
] == [0, 1, 2, 3]


class Policy:
    """A policy ready to evaluate applicants (and procedures).  Build with :func:`load_policy`."""

    batch_decider: ClassVar[BatchDecider | None] = None
    """Decides a batch of records column-wise (:meth:`evaluate_many`): registered by
    :mod:`titlerules.batch.records`."""

    def __init__(
        self,
        resolved: ResolvedPolicy,
        diagnostics: list[Diagnostic],
        calendar: cal.Calendar | None = None,
        *,
        code: dict[str, CodeType] | None = None,
        core: n.CorePolicy | None = None,
    ) -> None:
        _refuse_module(resolved)
        self.resolved = resolved
        self.diagnostics = diagnostics
        self.calendar = calendar or cal.default_calendar()
        # The compiled code of the generated functions and the policy lowered to the core IR
        # (given by the disk cache, or made now; the disk cache keeps both).
        self.code: dict[str, CodeType] = {} if code is None else code
        self.core, self.params, self._compiled = compile_policy(resolved, code=self.code, core=core)
        self._receipts: dict[tuple[dt.date | None, tuple[int, ...], str | None], Receipt] = {}
        # No provisional year: by as-of date and where it came from.
        self._plain_receipts: dict[tuple[dt.date | None, str | None], Receipt] = {}
        # The facts read, shared by the results of every rule (see _facts), and what this
        # policy knows of each record model class it has evaluated.
        self._facts: dict[tuple[str, type, Any], FactRead] = {}
        # By the types of a rule's reads: where the lists are among them (see read_result).
        self._lists_at: dict[tuple[type, ...], tuple[int, ...]] = {}
        self._kinds: dict[type, _Kind] = {}
        self.sha256 = resolved.sha256
        self._steps = {
            subject: tuple(
                _Step(c, self._facts, self.core.lets, self._lists_at)
                for c in self._compiled
                if c.rule.kind in kinds
            )
            for subject, kinds in (("applicant", APPLICANT_KINDS), ("procedure", PROCEDURE_KINDS))
        }
        self._step_of = {
            step.compiled.rule.id: step for steps in self._steps.values() for step in steps
        }
        self._coded: list[tuple[_Step, bool, tuple[RuleResult | None, ...]]] | None = None
        self._applicant_date: str | None = None  # (with _coded: the applicant's date path)
        # decision_from_codes's rule results and worst code, by outcome codes (and the
        # exceptions that held), for rows without an unknown rule: a population has a few
        # hundred such combinations.
        self._from_codes: dict[Any, tuple[list[RuleResult], int]] = {}
        # Seconds per record of evaluate_many's two routes, per record and column-wise, and
        # the size of the batch they were timed on (see BATCH_ROUTE).
        self._route_costs: tuple[float, float, int] | None = None

    # ------------------------------------------------ description
    @property
    def id(self) -> str:
        return self.resolved.header.id

    @property
    def header(self) -> ir.Header:
        return self.resolved.header

    @property
    def title(self) -> str | None:
        return self.resolved.header.title

    @property
    def rules(self) -> tuple[ir.Rule, ...]:
        return tuple(c.rule for c in self._compiled)

    def compiled_rules(self, kinds: Iterable[str] | None = None) -> tuple[CompiledRule, ...]:
        """The compiled rules (of the given kinds), in policy order: what evaluating one rule
        at a time (:func:`~titlerules.engine.verdict.run_rule`) takes."""
        if kinds is None:
            return self._compiled
        wanted = frozenset(kinds)
        return tuple(c for c in self._compiled if c.rule.kind in wanted)

    def default_as_of(self, model: BaseModel) -> dt.date | None:
        """The record's own date: an application's submission date, a procedure's meeting."""
        return self._kind(type(model)).stamp(model)[0]

    def rule_result(
        self,
        compiled: CompiledRule,
        verdict: Verdict,
        trace: list[tuple[str, Any]] | None,
        env: Env | None = None,
    ) -> RuleResult:
        """A rule's result, with the facts it read and, from a recording trace, the
        comparisons that decided it (for callers running rules one by one; with the
        environment the rule ran in, also the values its message names)."""
        if isinstance(trace, Trace):
            step = self._step_of.get(compiled.rule.id)
            if step is not None and step.compiled is compiled:
                return step.result(verdict, trace, env)
        facts = _facts(trace, self._facts)[0] if trace else []
        return _result(compiled, verdict, facts, _citation(compiled))

    def location(self, rule: ir.Rule) -> Location:
        """Where a rule is written: its policy file, line and column."""
        sourced = self.resolved.rules.get(rule.id)
        return Location(
            file=sourced.file if sourced is not None else self.resolved.path,
            line=rule.span.line or None,
            column=rule.span.column or None,
        )

    def _kind(self, cls: type[BaseModel]) -> _Kind:
        kind = self._kinds.get(cls)
        if kind is None:
            kind = self._kinds[cls] = _kind(cls)
        return kind

    def __repr__(self) -> str:
        return f"<Policy {self.id} ({len(self._compiled)} rules)>"

    # ------------------------------------------------ evaluation
    @checked
    def evaluate(
        self,
        record: BaseModel | dict[str, Any] | bytes | str,
        *,
        as_of: dt.date | None = None,
        explain: bool = True,
    ) -> Decision:
        """Decide one record: an applicant (exclusion and requirement rules) or a committee
        procedure (procedure rules), as a model, a dict or JSON text (bytes or str).
        ``as_of`` defaults to the record's own date (the application's submission date, or
        the meeting date of a procedure)."""
        for decision in self._decisions((record,), as_of, explain, errors=False):
            return decision  # type: ignore[return-value]
        raise AssertionError("unreachable: one record gives one decision")

    def _decisions(
        self,
        records: Iterable[BaseModel | dict[str, Any] | bytes | str],
        as_of: dt.date | None,
        explain: bool,
        *,
        errors: bool,
    ) -> Iterator[Decision | TitleRulesError]:
        """The decision of each record in turn (the one loop behind evaluate and
        evaluate_many); with ``errors``, a record's error is yielded in its place."""
        steps_of, calendar, receipt_of = self._steps, self.calendar, self._receipt
        kinds, plain_receipts = self._kinds, self._plain_receipts
        env: Env | None = None  # one environment for the run, made ready for each record
        reads = Reads()  # the reads of the rule running (with explanations)
        for record in records:
            try:
                kind = kinds.get(type(record))
                if kind is None:
                    model = as_record(record)
                    kind = self._kind(type(model))
                else:
                    model = record  # type: ignore[assignment]
                subject = kind.subject
                date, label = kind.stamp(model)
                if env is None:
                    env = Env({subject: model}, date if as_of is None else as_of, calendar)
                    roots = env.roots
                elif subject in roots and len(roots) == 1 and not env._made:
                    # Env.reuse, inline, for a record of the kind before: its root replaced.
                    roots[subject] = model
                    env.as_of = date if as_of is None else as_of
                    env.trace = None
                    env.provisional_years = _NO_YEARS
                else:
                    env.reuse(subject, model, date if as_of is None else as_of)
                results: list[RuleResult] = []
                missing: set[str] | frozenset[str] = _NONE_MISSING
                failed = unknown = False
                step: _Step | None = None
                try:
                    for step in steps_of[subject]:
                        if explain:
                            env.trace = reads = Reads()
                        if step.simple:
                            # No 'applies', no exception: run_rule's verdict, without the call.
                            violation = step.violation(env)
                            if violation is False and not explain:
                                results.append(step.passed)
                                continue
                            if violation is True and not explain:
                                results.append(step.failed)
                                failed = failed or step.blocking
                                continue
                            if violation is False:
                                verdict = PASSED
                            elif violation is True:
                                verdict = FAILED
                            elif type(violation) is Unknown:
                                verdict = Verdict(RuleOutcome.UNKNOWN, violation.paths, ())
                            else:
                                verdict = Verdict(RuleOutcome.UNKNOWN, frozenset(), ())
                        else:
                            verdict = run_rule(step.compiled, env)
                        outcome = verdict.outcome
                        if step.blocking:
                            if outcome is RuleOutcome.FAILED:
                                failed = True
                            elif outcome is RuleOutcome.UNKNOWN:
                                unknown = True
                                missing = missing | verdict.missing
                        if not explain:
                            results.append(step.result(verdict, None, env))
                        elif outcome is RuleOutcome.FAILED or outcome is RuleOutcome.UNKNOWN:
                            results.append(self._explained(step, model, env))
                        else:
                            results.append(step.read_result(verdict, reads))
                except TitleRulesError as exc:
                    if exc.location is None and step is not None:
                        exc.location = self.location(step.compiled.rule)
                    raise
                except (
                    AttributeError,
                    TypeError,
                    ValueError,
                    ArithmeticError,
                    RecursionError,
                ) as exc:
                    assert step is not None
                    raise EvaluationError(
                        f"rule '{step.compiled.rule.id}' could not be evaluated: {exc}",
                        location=self.location(step.compiled.rule),
                        hint="check the record against docs/records.md; run 'titlerules lint'",
                    ) from exc
            except TitleRulesError as exc:
                if not errors:
                    raise
                yield exc
                continue
            # The receipt: _receipt's look-up of one with no provisional year, inline.
            source = None if as_of is not None else kind.date_path
            years = env.provisional_years
            receipt = None if years else plain_receipts.get((env.as_of, source))
            if receipt is None:
                receipt = receipt_of(env.as_of, years, source)
            values: dict[str, Any] = {
                "outcome": OUTCOME_BY_FLAGS[failed][unknown],  # verdict.decide, looked up
                "subject": subject,
                "record": label,
                "rules": results,
                "missing_facts": sorted(missing) if missing else [],
                "receipt": receipt,
            }
            if _FAST_CONSTRUCT:  # _construct, inline: this is the loop every record takes
                decision = _new(Decision)
                _set(decision, "__dict__", values)
                _set_fields_set(decision, _DECISION_FIELDS)
                _set_extra(decision, None)
                _set_private(decision, None)
                yield decision
            else:
                yield Decision(**values)

    def _explained(self, step: _Step, model: BaseModel, env: Env) -> RuleResult:
        """The explained result of a rule that failed or is unknown in ``env`` (where it ran
        with a :class:`Reads` tracer): the rule run again with a recording trace, in an
        environment of its own, as :meth:`explain_rules` runs it (its ``let`` values
        computed again, so that their comparisons are in its trace).  The calendar years a
        working-day answer depended on there (its message's values included) are noted in
        ``env``, as when the rule's message was worded in it."""
        again = Env(dict(env.roots), env.as_of, self.calendar)
        again.trace = trace = Trace()
        result = step.result(run_rule(step.compiled, again), trace, again)
        if again.provisional_years:
            env.note_years(again.provisional_years)
        return result

    def _receipt(
        self, as_of: dt.date | None, provisional: Iterable[int], source: str | None = None
    ) -> Receipt:
        """``source``: the record path the as-of date was read from (None: the caller gave
        it, or there is none)."""
        # Receipts are immutable and the same for every record with the same as-of date.
        if not provisional:
            receipt = self._plain_receipts.get((as_of, source))
            if receipt is not None:
                return receipt
        key = (as_of, tuple(sorted(provisional)) if provisional else (), source)
        receipt = self._receipts.get(key)
        if receipt is None:
            receipt = _construct(
                Receipt,
                {
                    "policy_id": self.id,
                    "policy_sha256": self.sha256,
                    "engine_version": __version__,
                    "calendar_version": self.calendar.data_version,
                    "as_of": as_of,
                    "as_of_from": source if as_of is not None else None,
                    "provisional_calendar_years": list(key[1]),
                },
            )
            if len(self._receipts) < _RECEIPT_CACHE_SIZE:
                self._receipts[key] = receipt
                if not provisional:
                    self._plain_receipts[as_of, source] = receipt
        return receipt

    @checked
    def evaluate_many(
        self,
        records: Iterable[BaseModel | dict[str, Any] | bytes | str],
        *,
        as_of: dt.date | None = None,
        explain: bool = False,
    ) -> Iterator[Decision | TitleRulesError]:
        """One result per record, in order: a decision, or the error for that record.  A
        record is a model, a dict or JSON text (bytes or str, e.g. one JSON Lines row).

        Without explanations, and with the ``[fast]`` extra installed, records are read
        ahead :data:`BATCH_ROWS` at a time, and a batch of at least :data:`BATCH_MIN`
        dicts or JSON texts may be decided column-wise (:mod:`titlerules.batch.records`),
        when that is the quicker route for this policy (:data:`BATCH_ROUTE`): the same
        decisions and errors, in the same order."""
        if explain:
            return self._decisions(records, as_of, explain, errors=True)
        return self._batched(records, as_of)

    def _batched(
        self, records: Iterable[BaseModel | dict[str, Any] | bytes | str], as_of: dt.date | None
    ) -> Iterator[Decision | TitleRulesError]:
        """:meth:`_decisions` without explanations, batches of dicts and JSON text going
        through the registered :attr:`batch_decider` (see :meth:`evaluate_many`)."""
        batch: list[Any] = []
        # Models are decided as they come, by one per-record loop fed a model at a time (it
        # gives one result a record): its environment is made once, not once a model.
        feed = _Feed()
        models: Iterator[Decision | TitleRulesError] | None = None
        for record in records:
            if isinstance(record, BaseModel) and not batch:
                feed.item = record
                if models is None:
                    models = self._decisions(feed, as_of, False, errors=True)
                yield next(models)
                continue
            batch.append(record)
            if len(batch) >= BATCH_ROWS:
                yield from self._batch(batch, as_of)
                batch = []
        if batch:
            yield from self._batch(batch, as_of)

    def _batch(
        self, batch: list[Any], as_of: dt.date | None
    ) -> Iterator[Decision | TitleRulesError]:
        """A batch's results, on the route of :data:`BATCH_ROUTE` (see there)."""
        decider = self._batch_decider() if len(batch) >= BATCH_MIN else None
        route = BATCH_ROUTE
        if decider is None or route == "record":
            yield from self._decisions(batch, as_of, False, errors=True)
            return
        if route == "table":
            yield from self._table(decider, batch, as_of)
            return
        costs = self._route_costs
        if costs is None or (costs[1] >= costs[0] and len(batch) > costs[2]):
            # The first batch, or a bigger one than the per-record route won on: each route
            # timed on a part of it.
            probe, rest = batch[:PROBE_ROWS], batch[PROBE_ROWS:]
            warm = PROBE_ROWS // 8  # (the first records fill the per-record path's caches)
            done = list(self._decisions(probe[:warm], as_of, False, errors=True))
            start = time.perf_counter()
            done += self._decisions(probe[warm:], as_of, False, errors=True)
            per_record = (time.perf_counter() - start) / max(1, len(probe) - warm)
            decider(self, [], as_of)  # (compiled before it is timed)
            start = time.perf_counter()
            done += self._table(decider, rest, as_of)
            table = (time.perf_counter() - start) / max(1, len(rest))
            self._route_costs = (per_record, table, len(batch))
            yield from done
            return
        if costs[1] < costs[0]:
            yield from self._table(decider, batch, as_of)
        else:
            yield from self._decisions(batch, as_of, False, errors=True)

    def _table(
        self, decider: BatchDecider, batch: list[Any], as_of: dt.date | None
    ) -> Iterator[Decision | TitleRulesError]:
        """A batch decided column-wise, the records the decider leaves decided per record."""
        try:
            decided = decider(self, batch, as_of)
        except Exception:  # a batch the table path cannot read: every record per record
            decided = batch
        rest = iter(
            self._decisions(
                [item for item in decided if not isinstance(item, Decision)],
                as_of,
                False,
                errors=True,
            )
        )
        for item in decided:
            yield item if isinstance(item, Decision) else next(rest)

    def _batch_decider(self) -> BatchDecider | None:
        decide = Policy.batch_decider
        if decide is None:  # registered when its module is loaded: load it by name
            try:
                importlib.import_module(BATCH_MODULE)
            except ImportError:  # no [fast] extra: every record per record
                Policy.batch_decider = _per_record_only
            decide = Policy.batch_decider
        return None if decide is _per_record_only else decide

    def decision_from_codes(
        self,
        codes: tuple[int, ...],
        applied: Mapping[int, int],
        *,
        as_of: dt.date | None,
        as_of_given: bool,
        record: str | None,
        model: BaseModel | None = None,
    ) -> Decision | None:
        """The decision on an applicant whose rule outcomes were decided elsewhere (column
        by column): ``codes``, the outcome codes (:attr:`RuleOutcome.code`) of the applicant
        rules in evaluation order (:meth:`compiled_rules`); ``applied``, by rule position,
        the position of the exception that held, for a rule passed by one; the evaluation
        date, whether the caller gave it (else it is the record's submission date), and the
        record's label.  A rule unknown there (code 2) is run on ``model``, the applicant's
        validated record, which says its missing facts; None when it is unknown and no
        model is given, or when a rule run touched a provisional calendar year (the receipt
        names those: the per-record path's to say).  It is the decision :meth:`evaluate`
        makes (without explanations) when the outcomes are those of
        :func:`~titlerules.engine.verdict.run_rule` and no working-day answer touched a
        provisional calendar year.  Rows with the same codes (and exceptions), none
        unknown, share the rule results (each decision has its own list of them)."""
        coded = self._coded
        if coded is None:
            from titlerules.facts import Applicant

            self._applicant_date = self._kind(Applicant).date_path
            coded = self._coded = [
                (
                    step,
                    step.blocking,
                    (step.passed, step.result(NOT_APPLICABLE, None), None, step.failed),
                )
                for step in self._steps["applicant"]
            ]
        key: Any = codes if not applied else (codes, frozenset(applied.items()))
        known = self._from_codes.get(key)
        if known is not None:  # (only rows without an unknown rule are kept)
            results, worst = known
            return self._coded_decision(list(results), worst, (), as_of, as_of_given, record)
        results = []
        worst = 0
        missing: set[str] = set()
        env: Env | None = None
        for position, (step, blocking, shared) in enumerate(coded):
            code = codes[position]
            result = shared[code]
            if result is None:  # unknown: the rule run on the record, as _decisions runs it
                if model is None:
                    return None
                if env is None:
                    env = Env({"applicant": model}, as_of, self.calendar)
                verdict = run_rule(step.compiled, env)
                result = step.result(verdict, None, env)
                code = verdict.outcome.code
                if blocking and verdict.outcome is RuleOutcome.UNKNOWN:
                    missing |= verdict.missing
            elif code == 0 and applied:
                which = applied.get(position)
                if which is not None:
                    exception = step.compiled.exceptions[which]
                    label = exception.label or exception.text
                    result = step.result(Verdict(RuleOutcome.PASSED, frozenset(), (label,)), None)
            results.append(result)
            if blocking and code > worst:
                worst = code
        if env is not None:
            if env.provisional_years:
                return None
        else:
            if len(self._from_codes) >= _FROM_CODES_SIZE:
                self._from_codes.clear()
            self._from_codes[key] = (results, worst)
            results = list(results)
        return self._coded_decision(results, worst, missing, as_of, as_of_given, record)

    def _coded_decision(
        self,
        results: list[RuleResult],
        worst: int,
        missing: Iterable[str],
        as_of: dt.date | None,
        as_of_given: bool,
        record: str | None,
    ) -> Decision:
        source = None if as_of_given else self._applicant_date
        return _construct(
            Decision,
            {
                "outcome": DECISION_BY_CODE[worst],
                "subject": "applicant",
                "record": record,
                "rules": results,
                "missing_facts": sorted(missing),
                "receipt": self._receipt(as_of, (), source),
            },
        )

    def trace_rules(
        self, record: BaseModel | dict[str, Any], *, as_of: dt.date | None = None
    ) -> dict[str, Trace]:
        """What each rule read and decided for ``record``: a recording
        :class:`~titlerules.core.trace.Trace` per rule id (its reads, the comparisons it
        decided with their values, the ``let`` values it computed), in evaluation order.
        The rules run as :meth:`evaluate` runs them, in one environment."""
        return {step.compiled.rule.id: trace for step, _, trace, _ in self._traced(record, as_of)}

    def explain_rules(
        self,
        record: BaseModel | dict[str, Any],
        rule_ids: Iterable[str],
        *,
        as_of: dt.date | None = None,
    ) -> dict[str, RuleResult]:
        """The explained results of some of the rules for ``record`` (each as
        :meth:`evaluate` with ``explain=True`` gives it: the facts read, the comparisons
        that decided, the ``let`` values), by rule id; the other rules are not run.  For a
        table's explanations, where only a row's failed and unknown rules need words."""
        return {
            step.compiled.rule.id: step.result(verdict, trace, env)
            for step, verdict, trace, env in self._traced(record, as_of, frozenset(rule_ids))
        }

    def _traced(
        self,
        record: BaseModel | dict[str, Any],
        as_of: dt.date | None,
        wanted: frozenset[str] | None = None,
    ) -> Iterator[tuple[_Step, Verdict, Trace, Env]]:
        """Each rule (of ``wanted``, or all) run on ``record`` with a recording trace, in
        evaluation order, in one environment: the step, its verdict, its trace and the
        environment (as it stands right after the rule)."""
        model = as_record(record)
        kind = self._kind(type(model))
        date, _ = kind.stamp(model)
        env = Env({kind.subject: model}, date if as_of is None else as_of, self.calendar)
        for step in self._steps[kind.subject]:
            if wanted is None or step.compiled.rule.id in wanted:
                env.trace = trace = Trace()
                yield step, run_rule(step.compiled, env), trace, env


class _Step:
    """A compiled rule as :meth:`Policy.evaluate` runs it, with the results that are the
    same for every record built once (a result with no facts, no missing facts and no
    exception depends only on the rule and its outcome; results are immutable), and the
    policy's shared facts (``facts``)."""

    __slots__ = (
        "_citation",
        "_comparisons",
        "_facts",
        "_facts_by_reads",
        "_lists_at",
        "_polarity",
        "_read_results",
        "_results",
        "_shared",
        "blocking",
        "compiled",
        "failed",
        "fallback",
        "lets",
        "passed",
        "simple",
        "violation",
    )

    def __init__(
        self,
        compiled: CompiledRule,
        facts: dict[tuple[str, type, Any], FactRead],
        lets: Mapping[str, n.Expr],
        lists_at: dict[tuple[type, ...], tuple[int, ...]] | None = None,
    ) -> None:
        self.compiled = compiled
        # The policy's, shared by its rules: see read_result.
        self._lists_at = {} if lists_at is None else lists_at
        self.lets = lets
        self._facts = facts
        self.violation = compiled.violation
        self.blocking = compiled.rule.severity == "blocking"
        self.simple = compiled.applies is None and not compiled.exceptions
        self._citation = _citation(compiled)
        self.fallback = _fallback_message(compiled.rule)
        self._shared = {
            check.outcome: _result(compiled, check, [], self._citation)
            for check in (PASSED, FAILED, NOT_APPLICABLE)
        }
        self.passed = self._shared[RuleOutcome.PASSED]
        self.failed = self._shared[RuleOutcome.FAILED]
        self._results: dict[tuple[Any, ...], RuleResult] = {}
        # The results of rules that passed or did not apply, by verdict and reads (see
        # read_result).
        self._read_results: dict[tuple[Any, ...], RuleResult] = {}
        # The comparisons read (immutable) by operator node and operand values: the same
        # comparison with the same values recurs across records.
        self._comparisons: dict[tuple[Any, ...], ComparisonRead] = {}
        # The facts of a rule by what it read (path, type and value of each read), when every
        # value read is plain: the same reads recur across records.
        self._facts_by_reads: dict[
            tuple[Any, ...], tuple[list[FactRead], tuple[Any, ...] | None]
        ] = {}
        self._polarity: Polarities | None = None  # worked out on the first explanation

    def result(self, verdict: Verdict, trace: Trace | None, env: Env | None = None) -> RuleResult:
        if not (trace or verdict.missing or verdict.exceptions):
            shared = self._shared.get(verdict.outcome)
            if shared is not None:
                return shared
        facts, facts_key = self._facts_read(trace) if trace else ([], ())
        if trace is not None and verdict.outcome in _EXPLAINED:
            comparisons = self._deciding(trace, verdict.outcome is RuleOutcome.FAILED)
            derived = _derived(trace)
            message, values = self.fallback, list[FactRead]()
            if verdict.outcome is RuleOutcome.FAILED and self.compiled.rule.messages:
                message, values = self._worded(comparisons, env)
            # (a result shared by its facts carries the fallback message)
            if comparisons or derived or values or message is not self.fallback:
                return _result(
                    self.compiled,
                    verdict,
                    facts,
                    self._citation,
                    comparisons,
                    derived,
                    values,
                    message,
                )
        return self._by_facts(verdict, facts, facts_key)

    def _by_facts(
        self, verdict: Verdict, facts: list[FactRead], facts_key: tuple[Any, ...] | None
    ) -> RuleResult:
        """The result with these facts and no comparisons, shared by its facts' key."""
        if facts_key is None:
            return _result(self.compiled, verdict, facts, self._citation)
        key = (verdict.outcome, facts_key, verdict.exceptions, verdict.missing)
        result = self._results.get(key)
        if result is None:
            result = _result(self.compiled, verdict, facts, self._citation)
            if len(self._results) >= _SHARED_LIMIT:
                self._results.clear()
            self._results[key] = result
        return result

    def read_result(self, verdict: Verdict, reads: Trace) -> RuleResult:
        """:meth:`result` of a verdict that needs no comparisons (the rule passed or did not
        apply) from the reads alone (a :class:`Reads` tracer's), kept by what was read: the
        same reads (paths, types and values) recur across records."""
        if not reads:
            return self.result(verdict, None)
        types = tuple(map(type, map(_second, reads)))
        lists = self._lists_at.get(types)
        if lists is None:
            lists = _lists_at(types, self._lists_at)
        if lists:  # a list read is shown by its length alone ("3 item(s)")
            if lists is _UNKEYED:
                return self.result(verdict, reads)
            listed = list(reads)
            for at in lists:
                path, seq = listed[at]
                listed[at] = (path, len(seq.items))
            read = tuple(listed)
        else:
            read = tuple(reads)
        key = (verdict.outcome, verdict.exceptions, verdict.missing, read, types)
        shared = self._read_results
        result = shared.get(key)
        if result is None:
            # Built from the reads as result() builds it (not through _facts_read, which
            # would keep the same reads a second time).
            result = self._by_facts(verdict, *_facts(reads, self._facts))
            if len(shared) >= _READS_LIMIT:
                shared.clear()
            shared[key] = result
        return result

    def _worded(
        self, comparisons: list[ComparisonRead], env: Env | None
    ) -> tuple[ir.Message | None, list[FactRead]]:
        """The message that words this failure, the first whose ``when`` holds in the
        record's environment or that has none (None when none does), and the values it
        names: the first deciding comparison's operands as ``left`` and ``right``, and each
        let, parameter or record field the rule's messages name, computed in the record's
        environment (apart from the rule's own trace)."""
        values: list[FactRead] = []
        if comparisons:
            first = comparisons[0]
            values.append(_construct(FactRead, {"path": "left", "value": first.left.value}))
            values.append(_construct(FactRead, {"path": "right", "value": first.right.value}))
        compiled = self.compiled
        if env is None:
            return self.fallback, values if self.fallback is not None else []
        saved = env.trace
        env.trace = Trace()  # a let computed here keeps its reads for the rules after it
        try:
            cases = zip(compiled.rule.messages, compiled.message_whens, strict=True)
            message = next(
                (m for m, when in cases if when is None or _computed(when, env) is True), None
            )
            if message is None:
                return None, []
            for name, fn in compiled.message_values:
                value = _message_value(_computed(fn, env))
                values.append(_construct(FactRead, {"path": name, "value": value}))
        finally:
            env.trace = saved
        return message, values

    def _facts_read(self, trace: Trace) -> tuple[list[FactRead], tuple[Any, ...] | None]:
        """:func:`_facts` of the trace, looked up by the reads when all are plain values."""
        reads = []
        for path, value in trace:
            if not _plain(value):
                return _facts(trace, self._facts)
            reads.append((path, type(value), value))
        key = tuple(reads)
        shared = self._facts_by_reads
        found = shared.get(key)
        if found is None:
            found = _facts(trace, self._facts)
            if len(shared) >= _SHARED_LIMIT:
                shared.clear()
            shared[key] = found
        return list(found[0]), found[1]

    def _deciding(self, trace: Trace, failed: bool) -> list[ComparisonRead]:
        """The comparisons that decided this rule (failed, else unknown), with their values:
        those whose result pushed its violation (see :mod:`titlerules.core.polarity`); the
        ones of mixed polarity only if no other did.  Each once, in evaluation order."""
        polarity = self._polarity
        if polarity is None:
            polarity = self._polarity = polarities(self.compiled.core, self.lets)
        sure: list[Any] = []
        maybe: list[Any] = []
        seen: set[tuple[int, str, str]] = set()
        for comparison in trace.comparisons:
            decided = deciding(polarity.get(id(comparison.node)), comparison.result, failed)
            if decided is False:
                continue
            key = (id(comparison.node), repr(comparison.left), repr(comparison.right))
            if key in seen:
                continue
            seen.add(key)
            (sure if decided else maybe).append(comparison)
        return [self._comparison_read(c) for c in (sure or maybe)]

    def _comparison_read(self, comparison: Any) -> ComparisonRead:
        left, right, result = comparison.left, comparison.right, comparison.result
        if not (_plain(left) and _plain(right)):
            return _comparison_read(comparison)
        key = (
            id(comparison.node),
            type(left),
            left,
            type(right),
            right,
            comparison.paths,
            result if type(result) is bool else None,
        )
        shared = self._comparisons
        read = shared.get(key)
        if read is None:
            read = _comparison_read(comparison)
            if len(shared) >= _SHARED_LIMIT:
                shared.clear()
            shared[key] = read
        return read


_EXPLAINED = (RuleOutcome.FAILED, RuleOutcome.UNKNOWN)
# Operand values a shared comparison read is keyed by (hashable, compared by value); the
# others (lists, records, unknowns) build their read each time.
_PLAIN = frozenset({bool, int, str, dt.date, Fraction, Duration, frozenset, type(None)})


def _plain(value: Any) -> bool:
    return type(value) in _PLAIN or isinstance(value, enum.Enum)


_second = operator.itemgetter(1)
_UNKEYED: tuple[int, ...] = (-1,)


def _lists_at(
    types: tuple[type, ...], known: dict[tuple[type, ...], tuple[int, ...]]
) -> tuple[int, ...]:
    """By the types of a rule's reads, in order: where the lists (Seq) are among them, or
    _UNKEYED when a value is not plain (no key: the result is built each time); kept in
    ``known`` (the policy's)."""
    found: tuple[int, ...] = _UNKEYED
    if all(t is Seq or t in _PLAIN or issubclass(t, enum.Enum) for t in types):
        found = tuple(at for at, t in enumerate(types) if t is Seq)
    if len(known) >= _SHARED_LIMIT:
        known.clear()
    known[types] = found
    return found


def _derived(trace: Trace) -> list[FactRead]:
    seen: dict[str, Any] = {}
    for name, value in trace.derived_values:
        seen.setdefault(name, value)
    return [
        _construct(FactRead, {"path": name, "value": jsonable(value)})
        for name, value in seen.items()
    ]


def _operand(node: Any, text: str, value: Any, read_at: str | None, source: Any = None) -> Operand:
    path: str | None = read_at
    param: str | None = None
    words = n.label_of(source if source is not None else node)
    if isinstance(node, n.Const):
        param = node.origin
    elif isinstance(node, n.Param):
        param = node.name
    elif isinstance(node, n.AsOf) or isinstance(source, n.AsOf):
        path = "as_of"
    elif path is not None and (path.startswith("(") or path == _own_name(node)):
        path = None  # a value computed in the policy, not a fact of the record
    label, label_en = words if words is not None else (None, None)
    return _construct(
        Operand,
        {
            "text": text,
            "value": _shown(value),
            "path": path,
            "param": param,
            "label": label,
            "label_en": label_en,
        },
    )


def _computed(fn: Callable[[Env], Any], env: Env) -> Any:
    """A message's condition or value in the record's environment; None where it cannot be
    computed."""
    try:
        return fn(env)
    except (TitleRulesError, ArithmeticError, ValueError, TypeError):
        return None


def _message_value(value: Any) -> Any:
    """A value a message names, JSON-friendly: a list of records as a list of their fields
    (a message may name a field of each item: ``{counted:year}``)."""
    if isinstance(value, Seq):
        return [
            {name: jsonable(getattr(item, name)) for name in type(item).model_fields}
            if isinstance(item, BaseModel)
            else _shown(item)
            for item in value.items
        ]
    return _shown(value)


def _own_name(node: Any) -> str | None:
    return node.name if isinstance(node, n.Var) else None


def _shown(value: Any) -> Any:
    if type(value) is Unknown:
        return None
    if type(value) is Fraction and value.denominator == 1:
        return int(value)
    return jsonable(value)


def _comparison_read(comparison: Any) -> ComparisonRead:
    node = comparison.node
    left_text, right_text = node.texts
    result = comparison.result
    return _construct(
        ComparisonRead,
        {
            "op": node.op,
            "left": _operand(
                node.left, left_text, comparison.left, comparison.paths[0], comparison.sources[0]
            ),
            "right": _operand(
                node.right, right_text, comparison.right, comparison.paths[1], comparison.sources[1]
            ),
            "holds": result if type(result) is bool else None,
        },
    )


def _citation(compiled: CompiledRule) -> Citation | None:
    rule = compiled.rule
    if rule.citation is None:
        return None
    return _construct(
        Citation,
        {
            "document": compiled.document,
            "clause": rule.citation.clause,
            "quote": rule.citation.quote,
        },
    )


def _result(
    compiled: CompiledRule,
    verdict: Verdict,
    facts: list[FactRead],
    citation: Citation | None,
    comparisons: list[ComparisonRead] | None = None,
    derived: list[FactRead] | None = None,
    message_values: list[FactRead] | None = None,
    message: ir.Message | None = None,
) -> RuleResult:
    """A rule's result; its message the one given, else the rule's
    :func:`_fallback_message` (a failure no message words has none: a rule with a
    fallback words every failure)."""
    rule = compiled.rule
    if message is None:
        message = _fallback_message(rule)
    return _construct(
        RuleResult,
        {
            "id": rule.id,
            "kind": rule.kind,
            "title": rule.title,
            "title_en": rule.title_en,
            "severity": rule.severity,
            "outcome": verdict.outcome,
            "citation": citation,
            "facts": facts,
            "exceptions_applied": list(verdict.exceptions),
            "exceptions_applied_en": _in_english(compiled, verdict.exceptions),
            "missing": sorted(verdict.missing),
            "comparisons": comparisons or [],
            "derived": derived or [],
            "message": message.text if message is not None else None,
            "message_en": message.text_en if message is not None else None,
            "message_values": message_values or [],
        },
    )


def _fallback_message(rule: ir.Rule) -> ir.Message | None:
    """The message a rule's result carries unless a failure chose one: the one without
    ``when`` (it words every failure the others do not)."""
    if rule.messages and rule.messages[-1].when is None:
        return rule.messages[-1]
    return None


def _in_english(compiled: CompiledRule, applied: tuple[str, ...]) -> list[str]:
    """The exceptions that applied, by their English labels where the policy gives them."""
    if not applied:
        return []
    english = {e.label: e.label_en for e in compiled.core.unless if e.label and e.label_en}
    return [english.get(label, label) for label in applied]


# Decision parts are immutable, and the same fact read with the same value, or the same rule
# result, recurs across records: they are built once and shared (bounded caches a policy
# owns, keyed with the value's type so that True and 1 stay apart).
_SHARED_LIMIT = 65536
# The results kept by what a rule read (read_result), per rule: fewer, since reads that
# recur come back soon after the cache is cleared, and a key holds every value read.
_READS_LIMIT = 16384


def _facts(
    trace: list[tuple[str, Any]], shared: dict[tuple[str, type, Any], FactRead]
) -> tuple[list[FactRead], tuple[Any, ...] | None]:
    """The facts a rule read (first read of each path), taken from ``shared`` where read
    before, and a key for the list (None when a value cannot be a key)."""
    facts: list[FactRead] = []
    key: list[Any] | None = []
    seen: set[str] = set()
    for path, value in trace:
        if path in seen:
            continue
        seen.add(path)
        shown = jsonable(value)
        try:
            lookup = (path, type(shown), shown)
            fact = shared.get(lookup)
        except TypeError:  # a list: not a key
            key = None
            facts.append(_construct(FactRead, {"path": path, "value": shown}))
            continue
        if fact is None:
            fact = _construct(FactRead, {"path": path, "value": shown})
            if len(shared) >= _SHARED_LIMIT:
                shared.clear()
            shared[lookup] = fact
        facts.append(fact)
        if key is not None:
            key.append(lookup)
    return facts, tuple(key) if key is not None else None


_RECEIPT_CACHE_SIZE = 4096
_NONE_MISSING: frozenset[str] = frozenset()
_M = TypeVar("_M", bound=BaseModel)
_set = object.__setattr__
_new = object.__new__


def _slot_setter(name: str) -> Callable[[Any, Any], None]:
    """A setter of one of pydantic's slots on a model (its slot's own, where pydantic has
    it as a slot: quicker than object.__setattr__)."""
    slot = BaseModel.__dict__.get(name)
    if type(slot) is MemberDescriptorType:
        setter: Callable[[Any, Any], None] = slot.__set__
        return setter
    return lambda model, value: _set(model, name, value)


_set_fields_set = _slot_setter("__pydantic_fields_set__")
_set_extra = _slot_setter("__pydantic_extra__")
_set_private = _slot_setter("__pydantic_private__")
# The loop sets every field of a decision: its decisions share this one set of their names.
# A set, as pydantic keeps it; never changed (a decision is frozen, and pydantic copies the
# set before changing it, in model_copy).
_DECISION_FIELDS = set(Decision.model_fields)


class _Feed:
    """An iterator that gives the one record its caller put in ``item``, then stops until
    given another (see :meth:`Policy._batched`)."""

    __slots__ = ("item",)

    def __init__(self) -> None:
        self.item: BaseModel | None = None

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> BaseModel:
        item = self.item
        if item is None:
            raise StopIteration
        self.item = None
        return item


def _construct(cls: type[_M], values: dict[str, Any]) -> _M:
    """A decision model from values the engine built and typed itself, every field given:
    the model pydantic's validation would build, without validating again."""
    if not _FAST_CONSTRUCT:
        return cls(**values)
    model = cls.__new__(cls)
    _set(model, "__dict__", values)
    _set_fields_set(model, set(values))
    _set_extra(model, None)
    _set_private(model, None)
    return model


def _fast_construct_works() -> bool:
    """Whether this pydantic builds models the way :func:`_construct` does (checked once)."""
    global _FAST_CONSTRUCT
    values = {"document": "d", "clause": "一", "quote": "q"}
    try:
        _FAST_CONSTRUCT = True
        fast = _construct(Citation, dict(values))
        validated = Citation(**values)
        same = (
            fast == validated
            and fast.model_dump() == validated.model_dump()
            and fast.model_fields_set == validated.model_fields_set
            and hash(fast) == hash(validated)
        )
    except Exception:
        same = False
    _FAST_CONSTRUCT = same
    return same


_FAST_CONSTRUCT = False
_fast_construct_works()


def as_record(record: BaseModel | dict[str, Any] | bytes | str) -> BaseModel:
    """The record model of a record: a model as it is, a dict validated (an applicant, or
    ``{"procedure": {...}}`` / ``{"applicant": {...}}``), JSON text (bytes or str) read as
    pydantic-core reads an applicant, or else as a dict read from it."""
    if isinstance(record, BaseModel):
        return record
    if isinstance(record, bytes | bytearray | str):
        from titlerules import facts
        from titlerules.readers import parse_json

        quick = facts.quick_json_record(facts.Applicant, record)
        if quick is not None:
            return quick
        record = parse_json(facts.json_text(record), file=None)
    if isinstance(record, dict):
        from titlerules import facts

        if len(record) == 1 and "procedure" in record:
            return facts.parse_record(facts.Procedure, record["procedure"], path="procedure")
        if len(record) == 1 and "applicant" in record:
            return facts.parse_record(facts.Applicant, record["applicant"], path="applicant")
        return facts.parse_record(facts.Applicant, record)
    raise RecordError(
        f"cannot evaluate a {type(record).__name__}",
        location=Location(record_path="(top level)"),
        hint="pass an Applicant or Procedure model, or a dict with the record's fields",
    )


@dataclass(frozen=True, slots=True)
class _Kind:
    """What evaluating a record model class needs to know of it, worked out once."""

    subject: str
    stamp: Callable[[BaseModel], tuple[dt.date | None, str | None]]  # (as_of, label)
    date_path: str | None  # the record path of the record's own date (its default as-of)


def _kind(cls: type[BaseModel]) -> _Kind:
    """What evaluating records of ``cls`` needs to know of it (kept by each policy)."""
    subject = "procedure" if cls.__name__ == "Procedure" else "applicant"
    date_at = _field(cls, (("application", "submitted_on"), ("meeting", "start")))
    return _Kind(
        subject,
        _stamper(date_at, _field(cls, (("person", "name"), ("committee", "name")))),
        f"{subject}.{date_at[0]}.{date_at[1]}" if date_at[0] else None,
    )


def _field(cls: type[BaseModel], paths: tuple[tuple[str, str], ...]) -> tuple[str, str]:
    """The first of ``paths`` (part, field) the class has (("", ""): none)."""
    return next(((part, name) for part, name in paths if part in cls.model_fields), ("", ""))


def _stamper(
    date_at: tuple[str, str], label_at: tuple[str, str]
) -> Callable[[BaseModel], tuple[dt.date | None, str | None]]:
    """A reader of a record's own date and its label (None where the record has none), both
    in one call, from the models' ``__dict__``, where pydantic keeps them: the per-record
    loop reads them for every record, whether or not its rules read them."""
    date_part, date_name = date_at
    label_part, label_name = label_at
    # Whether values of a type are models, by type: isinstance(x, BaseModel) goes through
    # pydantic's metaclass, in Python, and this is read for every record.
    models: dict[type, bool] = {}

    def is_model(value: Any) -> bool:
        known = models.get(type(value))
        if known is None:
            known = models[type(value)] = isinstance(value, BaseModel)
        return known

    def stamp(model: BaseModel) -> tuple[dt.date | None, str | None]:
        fields = model.__dict__
        holder = fields.get(date_part)
        if models.get(type(holder)) or is_model(holder):
            date = holder.__dict__.get(date_name)
            if not isinstance(date, dt.date):
                date = None
        else:
            date = None
        holder = fields.get(label_part)
        if models.get(type(holder)) or is_model(holder):
            label = holder.__dict__.get(label_name)
            if type(label) is not str and not isinstance(label, str):
                label = None
        else:
            label = None
        return date, label

    return stamp


# ---------------------------------------------------------------- loading


class LoadedPolicies:
    """The policies this process has compiled, by (sha256 of their files, engine version),
    and the index of each root file's last load (see "the compile cache" below).  Safe to
    use from several threads: every read and write holds the one lock.  A policy loaded
    twice at once is compiled twice; the first kept is the one every later load returns."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._policies: dict[tuple[str, str], Policy] = {}
        self._indexes: dict[str, _Index] = {}

    def policy(self, key: tuple[str, str]) -> Policy | None:
        with self._lock:
            return self._policies.get(key)

    def keep(self, key: tuple[str, str], policy: Policy) -> Policy:
        """Keep ``policy`` under ``key`` unless one is kept already; the one kept."""
        with self._lock:
            return self._policies.setdefault(key, policy)

    def index(self, root: str) -> _Index | None:
        with self._lock:
            return self._indexes.get(root)

    def keep_index(self, root: str, index: _Index) -> None:
        with self._lock:
            self._indexes[root] = index

    def clear(self) -> None:
        """Forget every policy and index (the disk cache stays)."""
        with self._lock:
            self._policies.clear()
            self._indexes.clear()


LOADED = LoadedPolicies()
"""The process's loaded policies: :func:`load_policy` takes from and adds to it."""


def _check(resolved: ResolvedPolicy) -> list[Diagnostic]:
    """The checker's diagnostics (imported here: a policy from the disk cache is not
    checked again)."""
    from titlerules.lang.checker import check

    return check(resolved)


def lint_policy(path: Path, text: str | None = None) -> tuple[ResolvedPolicy, list[Diagnostic]]:
    """Resolve and check a policy file, and its citations against its notice; every
    diagnostic, errors and warnings.  ``text`` is the file's text when an editor holds a
    newer one than the disk (the language server)."""
    from titlerules.lang.citations import check_citations

    try:
        resolved = resolve(path, text)
        return resolved, [*_check(resolved), *check_citations(resolved)]
    except RecursionError:
        raise _too_deep(path) from None


def _too_deep(path: Path) -> PolicyError:
    # The parser bounds each expression's depth; this is what is left: chains of lets,
    # defs or imports so long that checking them would exhaust the stack.
    return PolicyError(
        "policy nested too deeply to check (chains of 'let' or 'def' referring to each "
        "other, hundreds deep)",
        location=Location(file=str(path)),
        hint="shorten the chain: write the derived values directly in terms of the record",
        code="TR304",
    )


def _refuse_module(resolved: ResolvedPolicy) -> None:
    """A module holds shared params, lets and defs and no rules: evaluated, it would find
    every record eligible with no rule at all."""
    header = resolved.header
    if header.kind == "policy":
        return
    raise PolicyError(
        f"'{header.id}' is a module, not a policy: it has no rules to decide with",
        location=Location(
            file=resolved.path,
            line=header.span.line or None,
            column=header.span.column or None,
        ),
        hint="give a policy ('titlerules policies' lists the bundled ones); a module is "
        f"brought into a policy with 'import \"{header.id}\"'",
        code="TR327",
    )


def _raise_errors(path: Path, resolved: ResolvedPolicy, diagnostics: list[Diagnostic]) -> None:
    errors = [d for d in diagnostics if d.level == "error"]
    if errors:
        rendered = "\n".join(d.render(resolved.sources.get(d.file or "")) for d in errors)
        error = PolicyCheckError(
            f"{len(errors)} error(s) in {path}",
            hint=f"run 'titlerules lint {path}'",
            diagnostics=tuple(errors),
        )
        error.rendered = f"{len(errors)} error(s) in {path}:\n{rendered}"
        raise error


@checked
def load_policy(id_or_path: str | Path, *, calendar: cal.Calendar | None = None) -> Policy:
    """Load a bundled policy by id (``"eryuan-2024"``) or a policy file by path.

    Raises :class:`PolicyCheckError` listing every error when the policy does not check,
    and a :class:`PolicyError` (TR327) for a module, which cannot be evaluated.
    A compiled policy is cached by the content of every file it is made of and the engine
    version.
    """
    path = find_policy(str(id_or_path))
    if calendar is None:
        cached = _cached_policy(path)
        if cached is not None:
            return cached
    try:
        resolved = resolve(path)
        _refuse_module(resolved)
        key = (resolved.sha256, __version__)
        known = LOADED.policy(key) if calendar is None else None
        if known is not None:
            _remember(path, resolved, known, store=False)
            return known
        diagnostics = _check(resolved)
    except RecursionError:
        raise _too_deep(path) from None
    _raise_errors(path, resolved, diagnostics)
    try:
        policy = Policy(resolved, diagnostics, calendar)
    except RecursionError:
        raise _too_deep(path) from None
    if calendar is None:
        policy = LOADED.keep(key, policy)
        _remember(path, resolved, policy, store=True)
    return policy


def load_policy_or_module(id_or_path: str | Path) -> ResolvedPolicy:
    """A policy or a module with everything it imports, checked and compiled (errors raised
    as :func:`load_policy` raises them): what ``doc`` and ``compare`` describe.  Only a
    policy can be evaluated: that is :func:`load_policy`."""
    try:
        return load_policy(id_or_path).resolved
    except PolicyError as error:
        if error.code != "TR327":
            raise
    path = find_policy(str(id_or_path))
    try:
        resolved = resolve(path)
        diagnostics = _check(resolved)
        _raise_errors(path, resolved, diagnostics)
        compile_policy(resolved)  # a parameter that cannot be computed is an error here too
    except RecursionError:
        raise _too_deep(path) from None
    return resolved


# ---------------------------------------------------------------- the compile cache
#
# A policy is identified by ResolvedPolicy.sha256, a hash over the text of every file it is
# made of.  Which files those are is known only after parsing, so the cache keeps, per root
# file, an index of its last load: that hash, the files it read and where each import led
# (ResolvedPolicy.links).  A later load checks that every import still leads to the same
# file (a module added next to a policy shadows the bundled one of the same name) and hashes
# those files again (no parsing); when both hold, it takes the policy from memory or rebuilds
# it from the checked IR pickled on disk (skipping parse and check; compiling is quick).
# The disk entry is keyed by the hash, the engine version and a fingerprint of the installed
# code, so a changed grammar, checker or record model never reuses a stale entry.  Every file
# the cache writes carries the sha256 of its bytes: a damaged one is removed and the policy
# compiled again, never loaded, since a damaged pickle can load as a different policy.
# TITLERULES_CACHE_DIR moves the disk cache; TITLERULES_CACHE=off turns it off.


@dataclass(frozen=True, slots=True)
class _Index:
    """What a root file's last load read: its hash, the files (absolute, in load order, the
    root first) and each (importing file, path as written, file it led to)."""

    sha256: str
    files: tuple[str, ...]
    links: tuple[tuple[str, str, str], ...]


def _code_fingerprint() -> str:
    global _FINGERPRINT
    if _FINGERPRINT is None:
        import hashlib

        from titlerules.resources import grammar_dir

        digest = hashlib.sha256(__version__.encode())
        package = Path(__file__).resolve().parent.parent
        files = sorted(package.rglob("*.py"))
        try:
            files += sorted(Path(grammar_dir()).glob("*.lark"))
        except Exception:  # no grammar folder: the package still fingerprints its code
            pass
        for file in files:
            stat = file.stat()
            digest.update(f"{file}:{stat.st_size}:{stat.st_mtime_ns}\0".encode())
        _FINGERPRINT = digest.hexdigest()[:16]
    return _FINGERPRINT


_FINGERPRINT: str | None = None


def _absolute(name: str) -> str:
    # Indexes outlive the working folder: a relative path would name another file elsewhere.
    return str(Path(name).absolute())


def _current_files(path: Path, index: _Index) -> list[Path] | None:
    """The index's files as this load of ``path`` finds them, if every import still leads to
    the file it led to (None otherwise): the index is valid only for the same resolution."""
    files = index.files
    try:
        if not files or Path(files[0]).resolve() != path.resolve():
            return None
        here = {files[0]: path}
        for importer, written, target in index.links:
            base = here.get(importer)
            if base is None:
                return None
            found = find_policy(written, base.parent)
            if found.resolve() != Path(target).resolve():
                return None
            here.setdefault(target, found)
    except (TitleRulesError, OSError, RuntimeError):  # gone, unreadable, a link loop: a miss
        return None
    if len(here) != len(files) or set(here) != set(files):
        return None
    return [here[name] for name in files]


def _files_sha256(files: list[Path]) -> str | None:
    """ResolvedPolicy.sha256 recomputed from the files themselves (None if one is gone),
    read as the loader reads them."""
    try:
        return sources_sha256((str(file), read_policy_text(file)) for file in files)
    except TitleRulesError:
        return None


def _index_file(root: Path, directory: Path) -> Path:
    import hashlib

    name = hashlib.sha256(f"{root.resolve()}\0{_code_fingerprint()}".encode()).hexdigest()
    return directory / f"{name[:32]}.sources.json"


def _entry_file(sha256: str, directory: Path) -> Path:
    return directory / f"{sha256}-{__version__}-{_code_fingerprint()}.pickle"


def _read_index(file: Path) -> _Index | None:
    from titlerules.uniquekeys import loads_json

    payload = _read_checked(file)
    if payload is None:
        return None
    try:
        # The one JSON reader: a key twice or a lone surrogate is no index (a ValueError).
        data = loads_json(payload.decode("utf-8"))
        index = _Index(
            str(data["sha256"]),
            tuple(str(name) for name in data["files"]),
            tuple((str(a), str(w), str(b)) for a, w, b in data["links"]),
        )
    except (ValueError, TypeError, KeyError, AttributeError):  # intact, but not an index
        _discard(file)
        return None
    return index


def _read_entry(file: Path, sha256: str) -> Policy | None:
    """The policy a disk entry holds, if the entry is intact and is the policy with this
    hash (None otherwise, the entry removed)."""
    import pickle

    payload = _read_checked(file)
    if payload is None:
        return None
    try:
        resolved, diagnostics, magic, code, core = pickle.loads(payload)
        if isinstance(resolved, ResolvedPolicy) and resolved.sha256 == sha256:
            import importlib.util
            import marshal

            # Code objects are only for the Python that made them (as .pyc files are).
            same_python = magic == importlib.util.MAGIC_NUMBER
            kept = marshal.loads(code) if same_python else None
            if not isinstance(kept, dict) or not all(
                isinstance(key, str) and isinstance(value, CodeType) for key, value in kept.items()
            ):
                kept = None
            if not isinstance(core, n.CorePolicy) or core.resolved is not resolved:
                core = None  # lowered again
            known = len(kept or ())
            policy = Policy(resolved, diagnostics, code=kept, core=core)
            if len(policy.code) != known:
                # A generated function whose source differs from the process's that wrote
                # the entry was compiled (a generator's change; the sources are otherwise
                # the same in every process): kept for the next load.
                _store_entry(file, resolved, policy)
            return policy
    except Exception:  # written by another build of the same version: a miss, never an error
        pass
    _discard(file)
    return None


def _entry_payload(resolved: ResolvedPolicy, policy: Policy) -> bytes:
    """A disk entry: the checked IR, its diagnostics, the compiled code of the generated
    functions (with the byte-code magic number of the Python that compiled it) and the policy
    lowered to the core IR (pickled with the IR it refers to)."""
    import importlib.util
    import io
    import marshal

    code = marshal.dumps(dict(getattr(policy, "code", {})))
    core = policy.core if policy.core.resolved is resolved else None
    payload = (resolved, policy.diagnostics, importlib.util.MAGIC_NUMBER, code, core)
    out = io.BytesIO()
    _entry_pickler()(out, protocol=5).dump(payload)
    return out.getvalue()


@functools.cache
def _entry_pickler() -> type:
    """The pickler of disk entries (made on first use: entries are written rarely)."""
    import dataclasses
    import pickle

    getstate = getattr(dataclasses, "_dataclass_getstate", None)

    class EntryPickler(pickle.Pickler):
        """Frozen slotted dataclasses (the IR's and the core's nodes, thousands per policy)
        pickled with their field names beside their values, set again by
        :func:`_set_fields`: what unpickling them through ``dataclasses``' own
        ``__setstate__`` does, without looking up the class's fields for every node."""

        names: ClassVar[dict[type, tuple[str, ...] | None]] = {}

        def reducer_override(self, obj: Any) -> Any:
            cls = type(obj)
            names = self.names.get(cls, ())
            if names == ():
                names = self.names[cls] = _slotted_fields(cls, getstate)
            if names is None:
                return NotImplemented
            values = tuple(getattr(obj, name) for name in names)
            return (_new_instance, (cls,), (names, values), None, None, _set_fields)

    return EntryPickler


def _slotted_fields(cls: type, getstate: Any) -> tuple[str, ...] | None:
    """The field names of a dataclass ``dataclasses`` pickles through its own
    ``__getstate__`` (a frozen one with slots), else None."""
    import dataclasses

    if getstate is None or getattr(cls, "__getstate__", None) is not getstate:
        return None
    if not dataclasses.is_dataclass(cls):
        return None
    return tuple(field.name for field in dataclasses.fields(cls))


def _new_instance(cls: type) -> Any:
    return object.__new__(cls)


def _set_fields(obj: Any, state: tuple[tuple[str, ...], tuple[Any, ...]]) -> None:
    names, values = state
    for name, value in zip(names, values, strict=True):
        _set(obj, name, value)


def _store_entry(file: Path, resolved: ResolvedPolicy, policy: Policy) -> None:
    """Write a disk entry again; a disk that refuses only costs the next load its speed."""
    import pickle

    try:
        _write_checked(file, _entry_payload(resolved, policy))
    except (OSError, pickle.PicklingError, RecursionError, TypeError, AttributeError, ValueError):
        pass


def _cached_policy(path: Path) -> Policy | None:
    """The policy at ``path`` from the cache, if its imports lead to the same files and no
    file has changed since."""
    root = str(path.resolve())
    index = LOADED.index(root)
    directory = _cache_dir()
    if directory is not None and not _private(directory):
        directory = None
    if index is None and directory is not None:
        index = _read_index(_index_file(path, directory))
    if index is None:
        return None
    files = _current_files(path, index)
    if files is None or _files_sha256(files) != index.sha256:
        return None
    key = (index.sha256, __version__)
    policy = LOADED.policy(key)
    if policy is None and directory is not None:
        policy = _read_entry(_entry_file(index.sha256, directory), index.sha256)
        if policy is not None:
            policy = LOADED.keep(key, policy)
    if policy is not None:
        LOADED.keep_index(root, index)
    return policy


def _remember(path: Path, resolved: ResolvedPolicy, policy: Policy, *, store: bool) -> None:
    import json
    import pickle

    index = _Index(
        resolved.sha256,
        tuple(_absolute(name) for name in resolved.sources),
        tuple((_absolute(a), w, _absolute(b)) for a, w, b in resolved.links),
    )
    LOADED.keep_index(str(path.resolve()), index)
    directory = _cache_dir()
    if directory is None:
        return
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(directory):
            return
        entry = _entry_file(resolved.sha256, directory)
        if store or not entry.exists():
            _write_checked(entry, _entry_payload(resolved, policy))
        fields = {"sha256": index.sha256, "files": index.files, "links": index.links}
        _write_checked(_index_file(path, directory), json.dumps(fields).encode("utf-8"))
    except (
        OSError,
        pickle.PicklingError,
        RecursionError,
        TypeError,
        AttributeError,
        ValueError,  # marshal: a value it cannot write
    ):
        pass  # a read-only or full disk only costs the next load its speed


def bundled_policies() -> list[tuple[str, str]]:
    """(id, title) of every policy shipped with titlerules."""
    from titlerules.lang.loader import parse_file
    from titlerules.resources import policies_dir

    out = []
    for path in sorted(policies_dir().glob("*.policy")):
        pf, _ = parse_file(path)
        if pf.header.kind == "policy":
            out.append((pf.header.id, pf.header.title or ""))
    return out
