"""batch layer: decide a table of applicant records with a policy, column-wise.

:class:`ColumnarPolicy` compiles a :class:`~titlerules.engine.policy.Policy`'s applicant
rules to Polars expressions once, then decides a chunk of rows at a time:

* every rule with a columnar form is one outcome column (``passed``, ``failed``,
  ``not_applicable``, ``unknown``); its three-valued condition is a Boolean column whose
  nulls are the unknowns;
* a rule without one runs on the per-record path for every row, with the engine's own
  evaluator;
* a row the fast reader cannot read exactly, or one the per-record path might refuse (a
  working-day date outside the calendar ...), is decided entirely by ``Policy.evaluate``;
  a row that does not validate becomes an error row with its reason.

A raw table is read and validated first (every column); a
:class:`~titlerules.batch.table.ValidatedTable` is not validated again.  The codes, the
outcome, the lists of failed and unknown rules and the rule columns are one Polars query
(a rule's code is Int8, least to most severe, so a row's outcome is the largest blocking
code; the lists are looked up by bit pattern).  Codes, outcomes and decisions are those of
:mod:`titlerules.engine.verdict`, as the per-record path's.

The result has one row per input row, in order: ``row`` (the input row number), ``id``,
``outcome`` (``eligible`` / ``ineligible`` / ``undetermined`` / ``error``), ``failed`` and
``unknown`` (rule ids), ``error`` (the reason, for error rows) and one ``rule.<id>`` column
per rule (an Enum of the four outcomes; written as text to result files).  With
``explain=True`` (compiled on first use, with the masks of :mod:`titlerules.batch.compiler.masks`):
``missing`` (exactly ``Decision.missing_facts``) and ``explanation``
(:mod:`titlerules.batch.explain`).  A row whose missing facts have no column-wise provenance
(a reason spelled with the row's own values, a list longer than 64 elements) or where a
blocking rule without a columnar form failed or is unknown is explained per record.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import BaseModel

from titlerules.argcheck import checked
from titlerules.batch._polars import collect, frame_types, gc_paused, polars
from titlerules.batch.compiler.columnar import ColumnarCompiler, compile_rules
from titlerules.batch.compiler.values import (
    FLAG_PREFIX,
    CompiledRuleColumns,
    first_reason,
    prune_stages,
    run_stages,
)
from titlerules.batch.explain import Explainer, decision_explanation
from titlerules.batch.schema import SLOW, TableSchema, applicant_schema
from titlerules.batch.table import ValidatedTable, check_row_numbers, validate_table
from titlerules.engine.decision import Decision, RuleResult
from titlerules.engine.policy import APPLICANT_KINDS, Policy, as_record
from titlerules.engine.runtime import Env
from titlerules.engine.verdict import (
    CODES,
    DECISION_BY_CODE,
    RULE_OUTCOMES_BY_CODE,
    RuleOutcome,
    run_rule,
)
from titlerules.errors import TitleRulesError

OUTCOMES = tuple(outcome.value for outcome in RULE_OUTCOMES_BY_CODE)
"""The outcomes of a rule, by code (Int8), least to most severe: a row's outcome is decided
by the largest code among its blocking rules."""
_PASSED = CODES[RuleOutcome.PASSED]
_NOT_APPLICABLE = CODES[RuleOutcome.NOT_APPLICABLE]
_UNKNOWN = CODES[RuleOutcome.UNKNOWN]
_FAILED = CODES[RuleOutcome.FAILED]
assert _PASSED == 0, "_rule_code multiplies by the failed code: passed must be 0"
_ROW_OUTCOMES = tuple(outcome.value for outcome in DECISION_BY_CODE)  # by largest code
DEFER = "__defer"
WHY = "__why"  # why a deferred row is: the reason of its first flag


class PerRecordReasons:
    """Rows decided on the per-record path, counted by reason, with the first row and the
    value behind each reason (for the run summary)."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.first: dict[str, tuple[int, str | None]] = {}

    def add(self, reason: str, row: int, example: str | None = None, count: int = 1) -> None:
        if reason not in self.counts:
            self.counts[reason] = 0
            self.first[reason] = (row, example)
        self.counts[reason] += count

    def merge(self, other: PerRecordReasons) -> None:
        for reason, count in other.counts.items():
            self.add(reason, *other.first[reason], count=count)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def lines(self) -> list[str]:
        """``12 row(s) per-record: assessments[].year: not a plain whole number in range
        (first: row 5, '2021.5')``, the most frequent reason first."""
        out = []
        for reason, count in sorted(self.counts.items(), key=lambda item: -item[1]):
            row, example = self.first[reason]
            shown = f"row {row}" + (f", {example!r}" if example is not None else "")
            out.append(f"{count:,} row(s) per-record: {reason} (first: {shown})")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            reason: {
                "rows": count,
                "first_row": self.first[reason][0],
                "value": self.first[reason][1],
            }
            for reason, count in sorted(self.counts.items(), key=lambda item: -item[1])
        }


EXPLAINED_FALLBACK = "a rule without a columnar form failed or is unknown (explained per record)"
UNREAD = "a cell the fast reader does not read"


def OUTCOME_DTYPE() -> Any:
    """The dtype of the ``rule.<id>`` columns: an Enum of the four rule outcomes."""
    return polars().Enum(list(OUTCOMES))


CHUNK_ROWS = 100_000  # rows explained at once by ColumnarPolicy.evaluate (see there)


@dataclass(frozen=True, slots=True)
class RowResult:
    """A per-record decision (or error) in the result table's terms."""

    outcome: str
    failed: list[str]
    unknown: list[str]
    error: str | None
    rules: dict[str, str]
    missing: list[str] | None = None
    explanation: str | None = None


class ColumnarPolicy:
    """A policy's applicant rules compiled to columns (see the module docstring).

    ``columnar_rules`` lists the rules decided column-wise; ``fallback_rules`` maps every
    other rule to the reason it has no columnar form.
    """

    @checked
    def __init__(
        self,
        policy: Policy,
        *,
        as_of: dt.date | None = None,
        schema: TableSchema | None = None,
    ) -> None:
        self.policy = policy
        self.as_of = as_of
        self.schema = schema or applicant_schema()
        self._rules = policy.compiled_rules(APPLICANT_KINDS)
        # Shared by the plain and explaining variants, with what they remember: the Python
        # built-ins' call sites, and the spellers of the failed and unknown rule id lists.
        self._calls: dict[Any, Any] = {}
        self._id_decoders: dict[int, _IdLists] = {}
        self.rule_ids = tuple(c.rule.id for c in self._rules)
        self._blocking = {c.rule.id: c.rule.severity == "blocking" for c in self._rules}
        self._plain = self._compile(explain=False)
        self._explained: _Variant | None = None
        self._compiler = self._plain.compiler
        self._columns = self._plain.columns
        self.fallback_rules = self._plain.fallback
        self.columnar_rules = tuple(i for i in self.rule_ids if i in self._plain.columns)
        self.last_per_record_rows = 0  # rows the last evaluate() decided per record
        self.last_per_record_reasons = PerRecordReasons()  # and why

    def __repr__(self) -> str:
        return (
            f"<ColumnarPolicy {self.policy.id}: {len(self.columnar_rules)} columnar, "
            f"{len(self.fallback_rules)} per-record>"
        )

    def _compile(self, *, explain: bool) -> _Variant:
        compiler, compiled, fallback = compile_rules(
            self.policy.core,
            self.policy.params,
            [c.core for c in self._rules],
            self.schema,
            self.policy.calendar,
            self.as_of,
            explain=explain,
            calls=self._calls,
        )
        explainer = None
        if explain:
            worded = frozenset(c.rule.id for c in self._rules if c.rule.messages)
            explainer = Explainer(compiled, compiler.provenance, self.schema, self.as_of, worded)
        return _Variant(compiler, compiled, fallback, explainer)

    def _variant(self, explain: bool) -> _Variant:
        if not explain:
            return self._plain
        if self._explained is None:  # compiled on first use: the plain path never pays
            self._explained = self._compile(explain=True)
        return self._explained

    # ------------------------------------------------ evaluation
    @checked(table=frame_types)
    def evaluate(
        self,
        table: Any,
        *,
        rows: Sequence[int] | None = None,
        records: Sequence[Any] | None = None,
        explain: bool = False,
        lang: str = "zh",
        chunk_rows: int | None = None,
        threads: int | None = None,
    ) -> Any:
        """Decide a table of records: a raw ``polars.DataFrame`` of record-path columns
        (text or typed; every column is read and validated first), or a
        :class:`~titlerules.batch.table.ValidatedTable` (validated already, not again).

        ``rows`` numbers the rows (default 1..n, or the table's own); ``records`` gives the
        nested record each row was read from, where the input had one (JSONL: a dict, or its
        JSON text), for the per-record path (for a validated table: given to
        :func:`validate_table`).
        ``explain`` adds ``missing`` (the missing facts, as ``Decision.missing_facts``) and
        ``explanation`` (one line per failed or unknown blocking rule; ``lang`` zh or en).

        A table of more than ``chunk_rows`` rows is decided in chunks of that many, on up
        to ``threads`` threads at once (default: the machine's cores, at most four): Polars
        computes while Python spells, and a chunk's explanation text is built while another
        chunk's is freed.  The result is the same, in the same order.  By default tables are
        explained in chunks of 100,000 rows (:data:`CHUNK_ROWS`) and decided without
        explanations whole (one query, which Polars runs on every core itself).
        """
        if chunk_rows is not None and chunk_rows < 1:
            raise TitleRulesError(f"chunk_rows must be at least 1, not {chunk_rows}")
        check_row_numbers(table.height, rows, records)
        with gc_paused():
            validated = self._validated(table, rows, records)
            if chunk_rows is None:
                chunk_rows = CHUNK_ROWS if explain else max(1, validated.height)
            if rows is None:
                rows = validated.rows
            self._variant(explain)  # compiled before any worker starts
            if validated.height <= chunk_rows:
                result, why = self._evaluate(validated, rows, explain, lang)
                self.last_per_record_rows, self.last_per_record_reasons = why.total, why
                return result
            numbered = dataclasses.replace(validated, rows=rows)
            chunks = [
                numbered.slice(start, chunk_rows)
                for start in range(0, validated.height, chunk_rows)
            ]
            workers = threads if threads is not None else min(4, os.cpu_count() or 1)
            with ThreadPoolExecutor(max(1, min(workers, len(chunks)))) as pool:
                done = list(pool.map(lambda c: self._evaluate(c, c.rows, explain, lang), chunks))
            reasons = PerRecordReasons()
            for _, why in done:
                reasons.merge(why)
            self.last_per_record_rows, self.last_per_record_reasons = reasons.total, reasons
            return polars().concat([result for result, _ in done])

    def _validated(
        self, table: Any, rows: Sequence[int] | None, records: Sequence[Any] | None
    ) -> ValidatedTable:
        if isinstance(table, ValidatedTable):
            if table.schema != self.schema:
                raise TitleRulesError(
                    "the table was validated against another record schema",
                    hint="validate it with this policy's schema (ColumnarPolicy.schema)",
                )
            return table
        return validate_table(table, self.schema, rows=rows, records=records)

    def _evaluate(
        self,
        validated: ValidatedTable,
        rows: Sequence[int] | None,
        explain: bool,
        lang: str,
    ) -> tuple[Any, PerRecordReasons]:
        """One chunk's result table, and its rows decided per record by reason."""
        variant = self._variant(explain)
        plan = variant.plan()
        typed = validated.frame
        frame = plan.frame(typed, slow=bool(validated.checked))
        has_defer = bool(plan.flags) or bool(validated.checked)
        slow_results: dict[int, RowResult] = {}
        explanation = None
        if variant.fallback or explain:
            frame = collect(frame)
            if variant.fallback:
                frame, has_defer = self._run_fallback(
                    frame, has_defer, validated, variant, slow_results, explain, lang
                )
            if variant.explainer is not None:
                frame = variant.explainer.decode(frame)
                explanation, failing = variant.explainer.explanation(
                    frame,
                    lang,
                    lambda wanted: self._explain_rows(validated, wanted),
                    frame.get_column(DEFER) if has_defer else None,
                )
                for index in failing:  # the engine raised: the per-record path says why
                    slow_results[index] = self._per_record(validated, index, explain, lang)
            frame = frame.lazy()
        exprs = [_row_numbers(rows), *plan.results(self, explain, lang)]
        if has_defer:
            exprs.append(polars().col(DEFER))
            exprs.append(polars().col(WHY) if plan.flags else polars().lit(None).alias(WHY))
        result = collect(frame.select(exprs))
        deferred: list[int] = []
        why = PerRecordReasons()
        if has_defer:
            defer = result.get_column(DEFER)
            deferred = defer.arg_true().to_list() if defer.any() else []
            if deferred:
                flagged = result.get_column(WHY).gather(deferred).to_list()
                numbers = result.get_column("row").gather(deferred).to_list()
                for index, flag, number in zip(deferred, flagged, numbers, strict=True):
                    if index in validated.checked:
                        reason, example = validated.reasons.get(index, ("", None))
                        why.add(reason or UNREAD, number, example)
                    else:
                        why.add(flag or EXPLAINED_FALLBACK, number)
            result = result.drop(DEFER, WHY)
        if explanation is not None:
            result = result.with_columns(explanation)
        for index in deferred:
            if index not in slow_results:
                slow_results[index] = self._per_record(validated, index, explain, lang)
        if slow_results:
            result = _overlay(result, slow_results, self.rule_ids, explain)
        return result, why

    def _run_fallback(
        self,
        frame: Any,
        has_defer: bool,
        validated: ValidatedTable,
        variant: _Variant,
        slow_results: dict[int, RowResult],
        explain: bool,
        lang: str,
    ) -> tuple[Any, bool]:
        """The codes of the rules without a columnar form, per record, for the rows not
        deferred; when explaining, a row where such a blocking rule failed or is unknown is
        explained on the per-record path."""
        pl = polars()
        count = frame.height
        defer = frame.get_column(DEFER) if has_defer else pl.Series(DEFER, [False] * count)
        codes_by_rule: dict[str, list[int | None]] = {r: [None] * count for r in variant.fallback}
        for index in (~defer).arg_true().to_list():
            codes = self._fallback_codes(validated.record(index), variant.fallback, explain, lang)
            if isinstance(codes, RowResult):
                slow_results[index] = codes
                continue
            for rule_id, code in codes.items():
                codes_by_rule[rule_id][index] = code
        frame = frame.with_columns(
            [
                pl.Series(f"rule.{rule_id}", values, dtype=pl.Int8)
                for rule_id, values in codes_by_rule.items()
            ]
        )
        if not explain:
            return frame, has_defer
        unexplained = [
            pl.col(f"rule.{r}").is_in([_FAILED, _UNKNOWN])
            for r in variant.fallback
            if self._blocking[r]
        ]
        current = pl.col(DEFER) if has_defer else pl.lit(False)
        frame = frame.with_columns(pl.any_horizontal(current, *unexplained).alias(DEFER))
        return frame, True

    def _per_record(
        self, validated: ValidatedTable, index: int, explain: bool, lang: str
    ) -> RowResult:
        checked = validated.checked.get(index)
        if isinstance(checked, str):
            return error_result(checked)
        record: BaseModel | dict[str, Any] = (
            checked if checked is not None else validated.record(index)
        )
        return self.decide_record(record, explain=explain, lang=lang)

    def decide(self, typed: Any) -> Any:
        """Rule outcome codes (Int8, ``rule.<id>``) for the columnar rules, and the
        ``__defer`` mask, from a normalised chunk."""
        pl = polars()
        plan = self._plain.plan()
        slow = SLOW in typed.columns
        frame = plan.frame(typed, slow=slow)
        defer = pl.col(DEFER) if plan.flags or slow else pl.lit(False).alias(DEFER)
        return collect(
            frame.select(*[pl.col(f"rule.{rule_id}") for rule_id in self._plain.columns], defer)
        )

    def result_exprs(self, variant: _Variant, explain: bool, lang: str) -> list[Any]:
        """The result table's columns after ``row``, from the ``rule.<id>`` codes."""
        pl = polars()
        code = {rule_id: pl.col(f"rule.{rule_id}") for rule_id in self.rule_ids}
        blocking = [code[rule_id] for rule_id in self.rule_ids if self._blocking[rule_id]]
        if not blocking:
            outcome = pl.lit(_ROW_OUTCOMES[_PASSED])
        else:
            worst = blocking[0] if len(blocking) == 1 else pl.max_horizontal(*blocking)
            outcome = pl.lit(pl.Series(_ROW_OUTCOMES, dtype=pl.String)).gather(worst)
        outcomes = pl.lit(pl.Series(OUTCOMES, dtype=OUTCOME_DTYPE()))
        exprs = [
            self._id().alias("id"),
            outcome.alias("outcome"),
            _id_lists(self.rule_ids, code, _FAILED, self._id_decoders).alias("failed"),
            _id_lists(self.rule_ids, code, _UNKNOWN, self._id_decoders).alias("unknown"),
            pl.lit(None, dtype=pl.String).alias("error"),
            *[outcomes.gather(code[r]).alias(f"rule.{r}") for r in self.rule_ids],
        ]
        if explain:
            assert variant.explainer is not None
            exprs.append(pl.col("missing"))  # (and "explanation": see _evaluate)
        return exprs

    def _id(self) -> Any:
        pl = polars()
        if self.schema.leaf("id") is None:
            return pl.lit(None, dtype=pl.String)
        return pl.col("id").cast(pl.String)

    # ------------------------------------------------ the per-record path
    def decide_record(
        self, record: BaseModel | dict[str, Any], *, explain: bool = False, lang: str = "zh"
    ) -> RowResult:
        """One record decided by ``Policy.evaluate`` (an error row if it cannot be)."""
        try:
            model = as_record(record)
            decision = self.policy.evaluate(model, as_of=self.as_of, explain=explain)
        except TitleRulesError as exc:
            return error_result(str(exc))
        result = decision_result(decision)
        if not explain:
            return result
        text = decision_explanation(decision, lang)
        return dataclasses.replace(result, missing=list(decision.missing_facts), explanation=text)

    def _explain_rows(
        self, validated: ValidatedTable, wanted: dict[int, list[str]]
    ) -> dict[int, dict[str, RuleResult]]:
        """The engine's explained results of some rules for some rows of a chunk (by row
        index, then rule id); a row the engine cannot explain is left out."""
        indices = list(wanted)
        records = validated.records_at(indices)
        results: dict[int, dict[str, RuleResult]] = {}
        for index, record in zip(indices, records, strict=True):
            checked = validated.checked.get(index)
            given = checked if isinstance(checked, BaseModel) else record
            try:
                results[index] = self.policy.explain_rules(given, wanted[index], as_of=self.as_of)
            except (
                TitleRulesError,
                AttributeError,
                TypeError,
                ValueError,
                ArithmeticError,
                RecursionError,
            ):
                continue  # (the per-record path decides the row, or reports its error)
        return results

    def _fallback_codes(
        self,
        record: Any,
        fallback: dict[str, str] | None = None,
        explain: bool = False,
        lang: str = "zh",
    ) -> dict[str, int] | RowResult:
        """The outcome codes of the rules without a columnar form, for one record."""
        fallback = self.fallback_rules if fallback is None else fallback
        try:
            model = as_record(record)
        except TitleRulesError as exc:
            return error_result(str(exc))
        env = Env(
            roots={"applicant": model},
            as_of=self.as_of if self.as_of is not None else self.policy.default_as_of(model),
            calendar=self.policy.calendar,
        )
        codes: dict[str, int] = {}
        for compiled in self._rules:
            if compiled.rule.id not in fallback:
                continue
            try:
                verdict = run_rule(compiled, env)
            except TitleRulesError:
                return self.decide_record(record, explain=explain, lang=lang)
            except (AttributeError, TypeError, ValueError, ArithmeticError, RecursionError):
                return self.decide_record(record, explain=explain, lang=lang)
            codes[compiled.rule.id] = verdict.code
        return codes


@dataclass
class _Variant:
    """One compilation of the rules: plain, or with masks for explanations."""

    compiler: ColumnarCompiler
    columns: dict[str, CompiledRuleColumns]
    fallback: dict[str, str]
    explainer: Explainer | None
    _plan: _Plan | None = None

    def plan(self) -> _Plan:
        if self._plan is None:
            self._plan = _Plan.of(self)
        return self._plan


@dataclass
class _Plan:
    """What evaluating a chunk runs, built once: the stages the rules need, the outcome
    codes, the rows to defer, and (explaining) the mask parts."""

    variant: _Variant
    stages: list[Any]
    row_index: str | None
    codes: list[Any]
    flags: list[Any]
    extra: list[Any]
    _results: dict[tuple[bool, str], list[Any]]

    @staticmethod
    def of(variant: _Variant) -> _Plan:
        pl = polars()
        root = variant.compiler.root
        codes = {rule_id: _rule_code(columns) for rule_id, columns in variant.columns.items()}
        code_cols = {rule_id: pl.col(f"rule.{rule_id}") for rule_id in codes}
        flags = [f.fill_null(False) for f in root.flags]
        extra: list[Any] = []
        if variant.explainer is not None:
            extra = variant.explainer.part_exprs(code_cols)
            unexplained = variant.explainer.unexplained(code_cols)
            reason = "an unknown rule whose missing facts have no column-wise account"
            flags.append(unexplained.alias(f"{FLAG_PREFIX}{reason} (explained per record)"))
        needed: set[str] = set()
        for expr in [*codes.values(), *flags, *extra]:
            needed |= set(expr.meta.root_names())
        stages = prune_stages(root.stages, needed)
        row_index = root.row_id if any(stage.explode for stage in stages) else None
        aliased = [code.alias(f"rule.{rule_id}") for rule_id, code in codes.items()]
        return _Plan(variant, stages, row_index, aliased, flags, extra, {})

    def frame(self, typed: Any, *, slow: bool) -> Any:
        """A LazyFrame: the typed columns with the codes (Int8 ``rule.<id>``), ``__defer``
        (when a row can be deferred) and the mask parts."""
        pl = polars()
        frame = typed.lazy()
        if self.row_index is not None:
            frame = frame.with_row_index(self.row_index)
        frame = run_stages(frame, self.stages)
        frame = frame.with_columns(self.codes)
        flags = [*self.flags, pl.col(SLOW)] if slow else self.flags
        columns = list(self.extra)
        if flags:
            columns.append(pl.any_horizontal(*flags).alias(DEFER))
        if self.flags:  # the first flag's reason, where one holds (for the run summary)
            reasons = [pl.when(f).then(pl.lit(first_reason([f]))) for f in self.flags]
            columns.append(pl.coalesce(reasons).alias(WHY))
        if self.variant.explainer is None:  # (the final select leaves the rest out)
            return frame.with_columns(columns) if columns else frame
        # Explaining, the frame is collected: the stages' own columns are left out of it.
        kept = [*typed.columns, *(code.meta.output_name() for code in self.codes)]
        return frame.select(*kept, *columns)

    def results(self, owner: ColumnarPolicy, explain: bool, lang: str) -> list[Any]:
        key = (explain, lang)
        if key not in self._results:
            self._results[key] = owner.result_exprs(self.variant, explain, lang)
        return self._results[key]


def _row_numbers(rows: Sequence[int] | None) -> Any:
    pl = polars()
    if rows is None:
        number = pl.int_range(1, pl.len() + 1, dtype=pl.Int64)
    elif isinstance(rows, range) and rows.step == 1:
        number = pl.int_range(rows.start, rows.start + pl.len(), dtype=pl.Int64)
    else:
        number = pl.lit(pl.Series("row", list(rows), dtype=pl.Int64))
    return number.alias("row")


def _rule_code(columns: CompiledRuleColumns) -> Any:
    """The rule's outcome code (Int8: passed 0, not applicable 1, unknown 2, failed 3), as
    :func:`~titlerules.engine.verdict.run_rule` decides it."""
    pl = polars()
    violation = columns.violation
    if columns.applies is None and not columns.exceptions:
        # violation false: passed (code 0), true: failed, unknown: unknown
        return (violation.cast(pl.Int8) * _FAILED).fill_null(_UNKNOWN)
    applies = columns.applies
    passed = (~violation).fill_null(False)
    if columns.exceptions:
        passed = passed | pl.any_horizontal(*[e.fill_null(False) for e in columns.exceptions])
    failed = violation.fill_null(False)
    if applies is not None:
        failed = failed & applies.fill_null(False)
    for exception in columns.exceptions:
        failed = failed & exception.is_not_null()
    code = pl.when(passed).then(pl.lit(_PASSED, dtype=pl.Int8))
    if applies is not None:
        code = (
            pl.when((~applies).fill_null(False))
            .then(pl.lit(_NOT_APPLICABLE, dtype=pl.Int8))
            .when(passed)
            .then(pl.lit(_PASSED, dtype=pl.Int8))
        )
    return (
        code.when(failed)
        .then(pl.lit(_FAILED, dtype=pl.Int8))
        .otherwise(pl.lit(_UNKNOWN, dtype=pl.Int8))
    )


def _id_lists(
    rule_ids: Sequence[str], code: dict[str, Any], wanted: int, decoders: dict[int, _IdLists]
) -> Any:
    """Per row, the rules whose code is ``wanted``, in rule order.  Up to eight rules: their
    bit pattern looked up in the table of all 256 lists (one rule: by its code); more: a
    bit pattern per 64 rules, each distinct pattern spelled once (:class:`_IdLists`, kept
    in ``decoders`` by ``wanted``)."""
    pl = polars()
    if not rule_ids:
        return pl.lit([], dtype=pl.List(pl.String))
    ids = tuple(rule_ids)
    if len(ids) == 1:
        table = [[ids[0]] if c == wanted else [] for c in range(len(OUTCOMES))]
        return pl.lit(pl.Series("ids", table, dtype=pl.List(pl.String))).gather(code[ids[0]])
    if len(ids) <= 8:
        bits = pl.sum_horizontal(
            [(code[r] == wanted).cast(pl.UInt16) * (1 << i) for i, r in enumerate(ids)]
        )
        return pl.lit(_list_table(ids)).gather(bits)
    zero = pl.lit(0, dtype=pl.UInt64)
    words = [
        pl.sum_horizontal(
            [
                pl.when(code[r] == wanted).then(pl.lit(1 << i, dtype=pl.UInt64)).otherwise(zero)
                for i, r in enumerate(ids[start : start + 64])
            ]
        ).alias(f"w{start // 64}")
        for start in range(0, len(ids), 64)
    ]
    decoder = decoders.setdefault(wanted, _IdLists(ids, len(words)))
    return pl.struct(words).map_batches(decoder, return_dtype=pl.List(pl.String))


class _IdLists:
    """Bit patterns of rules (a UInt64 word per 64 rules) to lists of rule ids.  Each
    distinct pattern is spelled once and remembered (a small table, kept across chunks);
    the lists are joined back by pattern."""

    def __init__(self, ids: tuple[str, ...], words: int) -> None:
        self.ids = ids
        self.keys = [f"w{k}" for k in range(words)]
        self.table: Any = None  # DataFrame: the words, and "ids"

    def _spell(self, patterns: Any) -> Any:
        """The table rows for new distinct patterns (a DataFrame of word columns)."""
        pl = polars()
        owners: list[int] = []
        names: list[str] = []
        for index, words in enumerate(patterns.iter_rows()):
            for w, word in enumerate(words):
                for i, rule_id in enumerate(self.ids[w * 64 : w * 64 + 64]):
                    if (word >> i) & 1:
                        owners.append(index)
                        names.append(rule_id)
        grouped = (
            pl.DataFrame(
                {"i": pl.Series(owners, dtype=pl.UInt32), "ids": pl.Series(names, dtype=pl.String)}
            )
            .lazy()
            .group_by("i")
            .agg(pl.col("ids"))
        )
        every = pl.LazyFrame({"i": pl.int_range(patterns.height, dtype=pl.UInt32, eager=True)})
        lists = collect(
            every.join(grouped, on="i", how="left", maintain_order="left").select(
                pl.col("ids").fill_null(pl.lit([], dtype=pl.List(pl.String)))
            )
        )
        return patterns.hstack(lists.get_columns())

    def __call__(self, patterns: Any) -> Any:
        pl = polars()
        frame = patterns.struct.unnest()
        distinct = frame.unique()
        table = self.table  # this call's copy (see PythonCall.apply)
        if table is not None:
            distinct = distinct.join(table.select(self.keys), on=self.keys, how="anti")
        if distinct.height:
            fresh = self._spell(distinct)
            too_big = table is None or table.height > 1_000_000
            table = self.table = fresh if too_big else pl.concat([table, fresh])
        joined = frame.lazy().join(table.lazy(), on=self.keys, how="left", maintain_order="left")
        return collect(joined.select("ids")).to_series()


@cache
def _list_table(ids: tuple[str, ...]) -> Any:
    pl = polars()
    lists = [[ids[i] for i in range(len(ids)) if (m >> i) & 1] for m in range(1 << len(ids))]
    return pl.Series("ids", lists, dtype=pl.List(pl.String))


def decision_result(decision: Decision) -> RowResult:
    return RowResult(
        outcome=decision.outcome.value,
        failed=[r.id for r in decision.rules if r.outcome is RuleOutcome.FAILED],
        unknown=[r.id for r in decision.rules if r.outcome is RuleOutcome.UNKNOWN],
        error=None,
        rules={r.id: r.outcome.value for r in decision.rules},
    )


def error_result(reason: str) -> RowResult:
    return RowResult("error", [], [], reason, {})


def _overlay(
    result: Any, slow: dict[int, RowResult], rule_ids: Sequence[str], explain: bool = False
) -> Any:
    """The result table with the rows decided on the per-record path put in (by position)."""
    pl = polars()
    index = sorted(slow)
    rows = [slow[i] for i in index]
    patch: dict[str, Any] = {
        "__i": pl.Series(index, dtype=pl.UInt32),
        "outcome": pl.Series([r.outcome for r in rows], dtype=pl.String),
        "failed": pl.Series([r.failed for r in rows], dtype=pl.List(pl.String)),
        "unknown": pl.Series([r.unknown for r in rows], dtype=pl.List(pl.String)),
        "error": pl.Series([r.error for r in rows], dtype=pl.String),
    }
    for rule_id in rule_ids:
        patch[f"rule.{rule_id}"] = pl.Series(
            [r.rules.get(rule_id) for r in rows], dtype=OUTCOME_DTYPE()
        )
    if explain:
        patch["missing"] = pl.Series([r.missing for r in rows], dtype=pl.List(pl.String))
        patch["explanation"] = pl.Series([r.explanation for r in rows], dtype=pl.String)
    marked = result.with_row_index("__i")
    chosen = pl.col("__i").is_in(pl.Series(index, dtype=pl.UInt32).implode())
    replaced = (
        marked.filter(chosen)
        .select("__i", "row", "id")
        .join(pl.DataFrame(patch), on="__i", how="left")
        .select(marked.columns)
    )
    return pl.concat([marked.filter(~chosen), replaced]).sort("__i").drop("__i")


def unreadable_rows(
    rows: Sequence[tuple[int, str]], rule_ids: Sequence[str], explain: bool = False
) -> Any:
    """Error rows for input rows that could not even be read (a CSV line with the wrong
    number of cells, a JSONL line that is not JSON); with ``explain``, with no missing facts
    and no explanation, as an explained table's error rows."""
    pl = polars()
    data: dict[str, Any] = {
        "row": [r for r, _ in rows],
        "id": [None] * len(rows),
        "outcome": ["error"] * len(rows),
        "failed": [[] for _ in rows],
        "unknown": [[] for _ in rows],
        "error": [reason for _, reason in rows],
    }
    schema: dict[str, Any] = {
        "row": pl.Int64,
        "id": pl.String,
        "outcome": pl.String,
        "failed": pl.List(pl.String),
        "unknown": pl.List(pl.String),
        "error": pl.String,
    }
    for rule_id in rule_ids:
        data[f"rule.{rule_id}"] = [None] * len(rows)
        schema[f"rule.{rule_id}"] = OUTCOME_DTYPE()
    if explain:
        data["missing"] = data["explanation"] = [None] * len(rows)
        schema["missing"], schema["explanation"] = pl.List(pl.String), pl.String
    return pl.DataFrame(data, schema=schema)


__all__ = [
    "OUTCOMES",
    "ColumnarPolicy",
    "RowResult",
    "decision_result",
    "error_result",
    "unreadable_rows",
]
