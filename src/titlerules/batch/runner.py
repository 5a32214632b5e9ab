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

The result has one row per input row, in order: ``row`` (the input row number), ``id``,
``outcome`` (``eligible`` / ``ineligible`` / ``undetermined`` / ``error``), ``failed`` and
``unknown`` (rule ids), ``error`` (the reason, for error rows) and one ``rule.<id>`` column
per rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from titlerules.batch._polars import polars
from titlerules.batch.columnar import compile_rules
from titlerules.batch.schema import SLOW, TableSchema, applicant_schema, normalize, row_record
from titlerules.batch.values import CompiledRuleColumns, run_stages
from titlerules.engine.decision import Decision, RuleOutcome
from titlerules.engine.policy import APPLICANT_KINDS, Policy, _run
from titlerules.engine.runtime import Env
from titlerules.errors import TitleRulesError

OUTCOMES = ("passed", "failed", "not_applicable", "unknown")
_CODE = {name: code for code, name in enumerate(OUTCOMES)}
DEFER = "__defer"


@dataclass(frozen=True, slots=True)
class RowResult:
    """A per-record decision (or error) in the result table's terms."""

    outcome: str
    failed: list[str]
    unknown: list[str]
    error: str | None
    rules: dict[str, str]


class ColumnarPolicy:
    """A policy's applicant rules compiled to columns (see the module docstring).

    ``columnar_rules`` lists the rules decided column-wise; ``fallback_rules`` maps every
    other rule to the reason it has no columnar form.
    """

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
        self._rules = [c for c in policy._compiled if c.rule.kind in APPLICANT_KINDS]
        self.rule_ids = tuple(c.rule.id for c in self._rules)
        self._blocking = {c.rule.id: c.rule.severity == "blocking" for c in self._rules}
        compiler, compiled, fallback = compile_rules(
            policy.resolved,
            policy.params,
            [c.rule for c in self._rules],
            self.schema,
            policy.calendar,
            as_of,
        )
        self._compiler = compiler
        self._columns = compiled
        self.fallback_rules = fallback
        self.columnar_rules = tuple(i for i in self.rule_ids if i in compiled)
        self.last_per_record_rows = 0  # rows the last evaluate() decided per record

    def __repr__(self) -> str:
        return (
            f"<ColumnarPolicy {self.policy.id}: {len(self.columnar_rules)} columnar, "
            f"{len(self.fallback_rules)} per-record>"
        )

    # ------------------------------------------------ evaluation
    def evaluate(
        self,
        raw: Any,
        *,
        rows: Sequence[int] | None = None,
        records: Sequence[dict[str, Any]] | None = None,
    ) -> Any:
        """Decide a raw chunk (a ``polars.DataFrame`` of record-path columns, text or typed).

        ``rows`` numbers the rows (default 1..n); ``records`` gives the nested record each
        row was read from, where the input had one (JSONL), for the per-record path.
        """
        pl = polars()
        typed = normalize(raw, self.schema)
        decided = self.decide(typed)
        count = raw.height
        numbers = list(rows) if rows is not None else list(range(1, count + 1))
        defer = decided.get_column(DEFER)
        fallback_codes: dict[str, list[int | None]] = {}
        slow_results: dict[int, RowResult] = {}
        deferred_rows = defer.arg_true().to_list() if defer.any() else []
        fast_rows = (~defer).arg_true().to_list() if self.fallback_rules else []
        if deferred_rows or fast_rows:
            raw_rows = raw.rows(named=True)
        for index in deferred_rows:
            record = (
                records[index] if records is not None else row_record(raw_rows[index], self.schema)
            )
            slow_results[index] = self.decide_record(record)
        if self.fallback_rules:
            for rule_id in self.fallback_rules:
                fallback_codes[rule_id] = [None] * count
            for index in fast_rows:
                record = (
                    records[index]
                    if records is not None
                    else row_record(raw_rows[index], self.schema)
                )
                codes = self._fallback_codes(record)
                if isinstance(codes, RowResult):
                    slow_results[index] = codes
                    continue
                for rule_id, code in codes.items():
                    fallback_codes[rule_id][index] = code
        frame = decided
        if fallback_codes:
            frame = frame.with_columns(
                [
                    pl.Series(f"rule.{rule_id}", values, dtype=pl.Int8)
                    for rule_id, values in fallback_codes.items()
                ]
            )
        result = self._result_table(frame, typed, numbers)
        self.last_per_record_rows = len(deferred_rows)
        if slow_results:
            result = _overlay(result, slow_results, self.rule_ids)
        return result

    def decide(self, typed: Any) -> Any:
        """Rule outcome codes (Int8, ``rule.<id>``) for the columnar rules, and the
        ``__defer`` mask, from a normalised chunk."""
        pl = polars()
        frame = typed.lazy().with_row_index(self._compiler.root.row_id)
        frame = run_stages(frame, self._compiler.root.stages)
        codes = [
            _rule_code(columns).alias(f"rule.{rule_id}")
            for rule_id, columns in self._columns.items()
        ]
        flags = [*self._compiler.root.flags, pl.col(SLOW)]
        defer = pl.any_horizontal(*[f.fill_null(False) for f in flags]).alias(DEFER)
        return frame.select([*codes, defer]).collect()

    def _result_table(self, frame: Any, typed: Any, numbers: list[int]) -> Any:
        pl = polars()
        code = {rule_id: pl.col(f"rule.{rule_id}") for rule_id in self.rule_ids}
        blocking = [rule_id for rule_id in self.rule_ids if self._blocking[rule_id]]
        failed_any = pl.any_horizontal(
            *[code[r] == _CODE["failed"] for r in blocking], pl.lit(False)
        )
        unknown_any = pl.any_horizontal(
            *[code[r] == _CODE["unknown"] for r in blocking], pl.lit(False)
        )
        outcome = (
            pl.when(failed_any)
            .then(pl.lit("ineligible"))
            .when(unknown_any)
            .then(pl.lit("undetermined"))
            .otherwise(pl.lit("eligible"))
        )

        empty = pl.lit([], dtype=pl.List(pl.String))

        def ids(wanted: int) -> Any:
            if not self.rule_ids:
                return empty
            # Joined then split: much quicker than building the lists element by element
            # (rule ids are names, never containing a comma).
            joined = pl.concat_str(
                [pl.when(code[r] == wanted).then(pl.lit(r)) for r in self.rule_ids],
                separator=",",
                ignore_nulls=True,
            )
            return pl.when(joined != "").then(joined.str.split(",")).otherwise(empty)

        names = {i: name for i, name in enumerate(OUTCOMES)}
        rule_columns = [
            code[r].replace_strict(names, default=None, return_dtype=pl.String).alias(f"rule.{r}")
            for r in self.rule_ids
        ]
        identifiers = typed.get_column("id") if "id" in typed.columns else None
        base = frame.with_columns(
            pl.Series("row", numbers, dtype=pl.Int64),
            (identifiers if identifiers is not None else pl.lit(None, dtype=pl.String)).alias("id"),
        )
        return base.select(
            pl.col("row"),
            pl.col("id").cast(pl.String),
            outcome.alias("outcome"),
            ids(_CODE["failed"]).alias("failed"),
            ids(_CODE["unknown"]).alias("unknown"),
            pl.lit(None, dtype=pl.String).alias("error"),
            *rule_columns,
        )

    # ------------------------------------------------ the per-record path
    def decide_record(self, record: dict[str, Any]) -> RowResult:
        """One record decided by ``Policy.evaluate`` (an error row if it cannot be)."""
        try:
            decision = self.policy.evaluate(record, as_of=self.as_of, explain=False)
        except TitleRulesError as exc:
            return error_result(str(exc))
        return decision_result(decision)

    def _fallback_codes(self, record: dict[str, Any]) -> dict[str, int] | RowResult:
        """The outcome codes of the rules without a columnar form, for one record."""
        from titlerules.engine.policy import _as_record, _default_as_of

        try:
            model = _as_record(record)
        except TitleRulesError as exc:
            return error_result(str(exc))
        env = Env(
            roots={"applicant": model},
            as_of=self.as_of if self.as_of is not None else _default_as_of(model),
            calendar=self.policy.calendar,
        )
        codes: dict[str, int] = {}
        for compiled in self._rules:
            if compiled.rule.id not in self.fallback_rules:
                continue
            try:
                verdict = _run(compiled, env)
            except TitleRulesError:
                return self.decide_record(record)
            except (AttributeError, TypeError, ValueError, ArithmeticError, RecursionError):
                return self.decide_record(record)
            codes[compiled.rule.id] = _CODE[verdict.outcome.value]
        return codes


def _rule_code(columns: CompiledRuleColumns) -> Any:
    """passed 0 / failed 1 / not applicable 2 / unknown 3, as the engine's ``_run`` decides."""
    pl = polars()
    applies = columns.applies if columns.applies is not None else pl.lit(True)
    violation = columns.violation
    exception_true = pl.any_horizontal(
        *[e.fill_null(False) for e in columns.exceptions],
        pl.lit(False),
    )
    exceptions_known = pl.all_horizontal(
        *[e.is_not_null() for e in columns.exceptions], pl.lit(True)
    )
    not_applicable = (applies == False).fill_null(False)  # noqa: E712
    passed = (violation == False).fill_null(False) | exception_true  # noqa: E712
    failed = (
        (violation == True).fill_null(False)  # noqa: E712
        & (applies == True).fill_null(False)  # noqa: E712
        & exceptions_known
    )
    return (
        pl.when(not_applicable)
        .then(pl.lit(_CODE["not_applicable"], dtype=pl.Int8))
        .when(passed)
        .then(pl.lit(_CODE["passed"], dtype=pl.Int8))
        .when(failed)
        .then(pl.lit(_CODE["failed"], dtype=pl.Int8))
        .otherwise(pl.lit(_CODE["unknown"], dtype=pl.Int8))
    )


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


def _overlay(result: Any, slow: dict[int, RowResult], rule_ids: Sequence[str]) -> Any:
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
        patch[f"rule.{rule_id}"] = pl.Series([r.rules.get(rule_id) for r in rows], dtype=pl.String)
    marked = result.with_row_index("__i")
    chosen = pl.col("__i").is_in(index)
    replaced = (
        marked.filter(chosen)
        .select("__i", "row", "id")
        .join(pl.DataFrame(patch), on="__i", how="left")
        .select(marked.columns)
    )
    return pl.concat([marked.filter(~chosen), replaced]).sort("__i").drop("__i")


def unreadable_rows(rows: Sequence[tuple[int, str]], rule_ids: Sequence[str]) -> Any:
    """Error rows for input rows that could not even be read (a CSV line with the wrong
    number of cells, a JSONL line that is not JSON)."""
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
        schema[f"rule.{rule_id}"] = pl.String
    return pl.DataFrame(data, schema=schema)


__all__ = [
    "OUTCOMES",
    "ColumnarPolicy",
    "RowResult",
    "decision_result",
    "error_result",
    "unreadable_rows",
]
