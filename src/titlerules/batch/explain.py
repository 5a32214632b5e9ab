"""batch layer: the ``missing`` and ``explanation`` columns of an explained result table.

``missing`` is, per row, the sorted missing facts of the blocking rules that are unknown:
exactly ``Decision.missing_facts``.  The compiler gives every rule a mask of its missing
facts (:mod:`titlerules.batch.compiler.masks`); per row, the masks of the blocking rules that are
unknown are kept, the distinct combinations (a few thousand in a population) are spelled
once in Python, and joined back.

``explanation`` is, per row, one line per failed or unknown blocking rule, in rule order,
exactly as the per-record path words that rule's result (:meth:`RuleResult.line
<titlerules.engine.decision.RuleResult.line>`: what happened, the rule's title and citation,
the comparison that decided with its values, the facts, the missing facts); an eligible row
gets one short line.  A rule's result depends only on the facts it reads (the compiler notes
them: :attr:`CompiledRuleColumns.reads`) and the as-of date, so the rows where a rule has a
line are grouped by those facts, the engine explains the rule once per group, on the group's
first row (:meth:`Policy.explain_rules <titlerules.engine.policy.Policy.explain_rules>`), and
the line is given to every row of the group.  The rows decided on the per-record path get the
same lines from their :class:`~titlerules.engine.decision.Decision`
(:func:`decision_explanation`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from titlerules.batch._polars import collect, collect_all, polars
from titlerules.batch.compiler.masks import Mask, Provenance
from titlerules.batch.compiler.values import AS_OF_COLUMN, CompiledRuleColumns, Expr
from titlerules.batch.schema import TableSchema
from titlerules.engine.decision import Decision, Outcome, RuleOutcome, RuleResult
from titlerules.engine.verdict import CODES, DECISION_WORDS

UNKNOWN, FAILED = CODES[RuleOutcome.UNKNOWN], CODES[RuleOutcome.FAILED]  # rule outcome codes

ExplainRows = Callable[[dict[int, list[str]]], dict[int, dict[str, RuleResult]]]
"""The explained results of some rules for some rows of a chunk: given the rule ids by row
index, the results by row index and rule id (a row left out: the engine could not explain
it, and the per-record path will say why)."""


def eligible_text(lang: str) -> str:
    """The explanation of a row without lines."""
    return DECISION_WORDS["en" if lang == "en" else "zh"][("applicant", Outcome.ELIGIBLE)]


def decision_explanation(decision: Decision, lang: str) -> str:
    """The explanation of a row decided on the per-record path: its blocking rules' failed
    and unknown results, one line each (as :meth:`RuleResult.line` words them), or the
    eligible line."""
    lines = [
        result.line(lang)
        for result in decision.rules
        if result.severity == "blocking"
        and result.outcome in (RuleOutcome.FAILED, RuleOutcome.UNKNOWN)
    ]
    return "\n".join(lines) if lines else eligible_text(lang)


# ---------------------------------------------------------------- the columnar path


class Explainer:
    """Builds ``missing`` and ``explanation`` for one compiled policy (explain mode)."""

    def __init__(
        self,
        columns: dict[str, CompiledRuleColumns],
        provenance: Provenance,
        schema: TableSchema,
        as_of: dt.date | None,
        worded: frozenset[str] = frozenset(),
    ) -> None:
        self.columns = columns
        # Rules with a message template: it may name values the rule does not read, so each
        # of their lines is the engine's for that row alone.
        self.worded = worded
        self.provenance = provenance
        self.schema = schema
        self.as_of = as_of
        self.blocking = [r for r, c in columns.items() if c.blocking]
        # The row's missing facts: per part name, the union of the blocking rules' parts
        # where the rule is unknown (columns ``__k<n>``).
        keys = dict.fromkeys(k for r in self.blocking for k in (columns[r].mask or Mask()).parts)
        self.keys = {key: f"__k{n}" for n, key in enumerate(keys)}
        self._table: Any = None  # the masks spelled so far: part columns, and "missing"
        self._group_by = {rule_id: self._group_keys(rule_id) for rule_id in self.blocking}

    def part_exprs(self, code: dict[str, Expr]) -> list[Expr]:
        """The row's missing facts, part by part (``__k<n>``, UInt64)."""
        pl = polars()
        out = []
        for key, name in self.keys.items():
            parts = []
            for rule_id in self.blocking:
                mask = self.columns[rule_id].mask
                if mask is not None and key in mask.parts:
                    unknown = (code[rule_id] == UNKNOWN).cast(pl.UInt64)
                    parts.append(mask.parts[key] * unknown)
            union = parts[0]
            for part in parts[1:]:
                union = union | part
            out.append(union.alias(name))
        return out

    def unexplained(self, code: dict[str, Expr]) -> Expr:
        """Rows with a blocking unknown rule whose mask is empty: no provenance here, so
        they are explained on the per-record path."""
        pl = polars()
        checks = []
        for rule_id in self.blocking:
            mask = self.columns[rule_id].mask or Mask()
            checks.append((code[rule_id] == UNKNOWN) & ~mask.nonzero())
        return pl.any_horizontal(*checks, pl.lit(False))

    def decode(self, frame: Any) -> Any:
        """``frame`` with ``missing``: the sorted paths of each row's mask.  Each distinct
        mask is spelled once and remembered (a table kept across chunks), joined back."""
        pl = polars()
        names = list(self.keys.values())
        if not names:
            return frame.with_columns(pl.lit([], dtype=pl.List(pl.String)).alias("missing"))
        keys = collect(frame.lazy().select(names))  # (an eager select of a wide frame is slow)
        distinct = keys.unique()
        table = self._table  # this call's copy (see PythonCall.apply)
        if table is not None:
            distinct = distinct.join(table.select(names), on=names, how="anti")
        if distinct.height:
            fresh = self._spell(distinct)
            too_big = table is None or table.height > 1_000_000
            table = self._table = fresh if too_big else pl.concat([table, fresh])
        assert table is not None
        decoded = collect(
            keys.lazy().join(table.lazy(), on=names, how="left", maintain_order="left").drop(names)
        )
        return frame.hstack(decoded.get_columns())

    def _spell(self, patterns: Any) -> Any:
        """Table rows (the part columns and ``missing``) for new distinct masks.  The lists
        are made from one flat column of paths (quicker than from Python lists)."""
        pl = polars()
        owners: list[int] = []
        paths: list[str] = []
        for index, values in enumerate(patterns.iter_rows()):
            for path in self.provenance.decode(dict(zip(self.keys, values, strict=True))):
                owners.append(index)
                paths.append(path)
        flat = pl.DataFrame(
            {"i": pl.Series(owners, dtype=pl.UInt32), "missing": pl.Series(paths, dtype=pl.String)}
        )
        every = pl.LazyFrame({"i": pl.int_range(patterns.height, dtype=pl.UInt32, eager=True)})
        lists = collect(
            every.join(
                flat.lazy().group_by("i").agg(pl.col("missing")),
                on="i",
                how="left",
                maintain_order="left",
            ).select(pl.col("missing").fill_null(pl.lit([], dtype=pl.List(pl.String))))
        )
        return patterns.hstack(lists.get_columns())

    def _group_keys(self, rule_id: str) -> list[Expr]:
        """What a rule's result depends on: the facts it reads (a list field's element
        facts through the list), the as-of date's column unless it is fixed, and which
        sub-records the row states at all (a sub-record the row leaves out is a missing
        fact of its own: ``applicant.unit_publicity``, not its fields); for a rule with a
        message template, the row itself."""
        pl = polars()
        if rule_id in self.worded:
            return [pl.col("__i").alias("__row")]
        columns: dict[str, None] = {}
        fields: dict[str, list[str]] = {}  # a list's element facts read, by list
        for fact in self.columns[rule_id].reads:
            if fact == "as_of":
                if self.as_of is None:
                    columns[AS_OF_COLUMN] = None
                continue
            name, _, field = fact.partition("[].")
            if self.schema.list_field(name) is not None:
                fields.setdefault(name, [])
                if field:
                    fields[name].append(field)
            elif self.schema.leaf(name) is not None:
                columns[name] = None
        keys = [pl.col(c) for c in columns]
        for name, read in fields.items():  # the elements' facts read, or only how many
            elements = pl.col(name)
            if read:
                struct = pl.struct([pl.element().struct.field(f) for f in sorted(set(read))])
                keys.append(elements.list.eval(struct).alias(f"__list:{name}"))
            else:
                keys.append(elements.list.len().alias(f"__list:{name}"))
        for n, (prefix, _model) in enumerate(self.schema.submodels):
            under = [c for c in self.schema.columns if prefix and c.startswith(prefix)]
            if under:
                present = pl.any_horizontal(*[pl.col(c).is_not_null() for c in under])
                keys.append(present.alias(f"__present{n}"))
        return keys

    def explanation(
        self, frame: Any, lang: str, explain_rows: ExplainRows, skip: Any = None
    ) -> tuple[Any, set[int]]:
        """The ``explanation`` column of a chunk (``frame``: the typed columns and the
        outcome codes), and the rows whose lines could not be made here (the engine raised
        an error explaining them: they go to the per-record path).  ``skip`` (a Boolean
        Series, or None) marks rows left to the per-record path: they get no lines here."""
        pl = polars()
        height = frame.height
        numbered = frame.lazy().with_row_index("__i")
        if skip is not None:
            numbered = numbered.with_columns(pl.Series("__skip", skip)).filter(~pl.col("__skip"))
        groups: list[tuple[str, list[list[int]]]] = []
        wanted: dict[int, list[str]] = {}  # each group's first row: the rules it explains
        queries = []
        for rule_id in self.blocking:
            code = pl.col(f"rule.{rule_id}")
            keys = [code, *self._group_by[rule_id]]
            queries.append(
                numbered.filter(code >= UNKNOWN)
                .group_by(keys, maintain_order=True)
                .agg(pl.col("__i"))
                .select("__i")
            )
        found_groups = collect_all(queries) if queries else []
        for rule_id, found in zip(self.blocking, found_groups, strict=True):
            members = found.get_column("__i").to_list()
            groups.append((rule_id, members))
            for rows in members:
                wanted.setdefault(rows[0], []).append(rule_id)
        results = explain_rows(wanted) if wanted else {}
        failing: set[int] = set()
        columns: list[Any] = []
        for rule_id, members in groups:
            if not members:
                continue
            texts: list[str | None] = []
            for rows in members:
                result = results.get(rows[0], {}).get(rule_id)
                if result is None:
                    failing.update(rows)
                    texts.append(None)
                else:
                    texts.append(result.line(lang))
            lines = (
                pl.DataFrame(
                    {
                        "__i": pl.Series(members, dtype=pl.List(pl.UInt32)),
                        "line": pl.Series(texts, dtype=pl.String),
                    }
                )
                .explode("__i")
                .sort("__i")
            )
            columns.append(_in_place(lines, height).alias(f"__l{len(columns)}"))
        if not columns:
            eligible = pl.repeat(eligible_text(lang), height, dtype=pl.String, eager=True)
            return eligible.alias("explanation"), failing
        joined = pl.DataFrame(columns).select(
            pl.concat_str(pl.all(), separator="\n", ignore_nulls=True)
        )
        text = joined.to_series()
        text = pl.select(
            pl.when(text == "").then(pl.lit(eligible_text(lang))).otherwise(text)
        ).to_series()
        return text.alias("explanation"), failing


def _in_place(found: Any, height: int) -> Any:
    """A rule's lines (row numbers ``__i``, lines) as a full column, null elsewhere."""
    pl = polars()
    where = pl.repeat(None, height, dtype=pl.UInt32, eager=True).scatter(
        found.get_column("__i"), pl.int_range(found.height, dtype=pl.UInt32, eager=True)
    )
    return found.to_series(1).gather(where)


__all__ = ["Explainer", "decision_explanation", "eligible_text"]
