"""batch layer: the ``missing`` and ``explanation`` columns of an explained result table.

``missing`` is, per row, the sorted missing facts of the blocking rules that are unknown:
exactly ``Decision.missing_facts``.  The compiler gives every rule a mask of its missing
facts (:mod:`titlerules.batch.compiler.masks`); per row, the masks of the blocking rules that are
unknown are kept, the distinct combinations (a few thousand in a population) are spelled
once in Python, and joined back.

``explanation`` is one line per failed or unknown blocking rule, in rule order: what
happened (不符合 / 待查明), the rule's title, the clause and quote it cites, the facts the
rule reads as this row states them (``education[].level=本科,硕士``; record paths without
``applicant.``) and, for an unknown rule, its missing facts (a missing fact has no value: it
is listed there only, as the per-record engine lists only the facts it could read); an
eligible row gets one short line.  It is built with Polars expressions: each rule's facts
spelled on the rows where the rule has a line (enum members, booleans, whole numbers and
dates looked up in tables of their texts, a list field position by position), each line's
head (the same text on every row) written once, into the finished text; a rule with lines on
few rows of a chunk writes its heads with its facts (whole lines, one column fewer to join).
A rule whose facts are all booleans and enum members takes its whole line from a table of
every combination.
:func:`decision_explanation` writes the same lines from a per-record
:class:`~titlerules.engine.decision.Decision`, for the rows decided on the per-record path:
the facts of a rule with a columnar form spelled from the record model as its columnar line
spells them (:func:`record_fact`), those of any other rule as the engine traced them.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from titlerules.batch._polars import collect, collect_all, polars
from titlerules.batch.compiler.masks import Mask, Provenance, bit_numbers, missing_order_key
from titlerules.batch.compiler.values import CompiledRuleColumns, Expr
from titlerules.batch.schema import DECIMAL_SCALE, Leaf, TableSchema
from titlerules.engine.decision import Decision, Outcome, RuleOutcome, RuleResult
from titlerules.engine.runtime import jsonable
from titlerules.engine.verdict import CODES, DECISION_WORDS, RULE_WORDS
from titlerules.lang import ir

UNKNOWN, FAILED = CODES[RuleOutcome.UNKNOWN], CODES[RuleOutcome.FAILED]  # rule outcome codes
KEYED_LINES = 4096  # the largest table of a rule's whole lines (Explainer._keyed_lines)
SPARSE_LINES = 10  # a rule with lines on at most 1 row in this many: whole lines (prepare)

_WORDS = {
    "zh": {
        "failed": RULE_WORDS["zh"][RuleOutcome.FAILED],
        "unknown": RULE_WORDS["zh"][RuleOutcome.UNKNOWN],
        "eligible": DECISION_WORDS["zh"][("applicant", Outcome.ELIGIBLE)],
        "missing": "缺少",
        "blank": "未填",
        "none": "无",
        "yes": "是",
        "no": "否",
        "items": "项",
        "colon": "：",
        "sep": "；",
    },
    "en": {
        "failed": RULE_WORDS["en"][RuleOutcome.FAILED],
        "unknown": RULE_WORDS["en"][RuleOutcome.UNKNOWN],
        "eligible": DECISION_WORDS["en"][("applicant", Outcome.ELIGIBLE)],
        "missing": "missing",
        "blank": "(blank)",
        "none": "(none)",
        "yes": "yes",
        "no": "no",
        "items": "item(s)",
        "colon": ": ",
        "sep": "; ",
    },
}


def words(lang: str) -> dict[str, str]:
    return _WORDS.get(lang, _WORDS["zh"])


def rule_head(rule: ir.Rule, lang: str, outcome: str) -> str:
    """``不符合：<title>（<clause>：「<quote>」）`` (or the English).  The policy's document
    is the same on every line of a table: it is left out."""
    w = words(lang)
    title = rule.title if lang == "zh" or not rule.title_en else rule.title_en
    head = f"{w[outcome]}{w['colon']}{title}"
    if rule.citation is not None:
        clause, quote = rule.citation.clause, rule.citation.quote
        head += f"（{clause}：「{quote}」）" if lang == "zh" else f' ({clause}: "{quote}")'
    return head


def line_text(head: str, facts: Sequence[str], missing: Sequence[str], lang: str) -> str:
    """A line: its head, the facts stated (``path=value``) and the missing facts (paths as
    :func:`short` spells them)."""
    w = words(lang)
    line = head
    if facts:
        line += w["colon"] + w["sep"].join(facts)
    if missing:
        line += f"{w['sep']}{w['missing']} {', '.join(missing)}"
    return line


def short(path: str) -> str:
    """A record path as the explanation spells it (without ``applicant.``)."""
    return path[len("applicant.") :] if path.startswith("applicant.") else path


# ---------------------------------------------------------------- the columnar path


class Explainer:
    """Builds ``missing`` and ``explanation`` for one compiled policy (explain mode)."""

    def __init__(
        self,
        columns: dict[str, CompiledRuleColumns],
        rules: dict[str, ir.Rule],
        provenance: Provenance,
        schema: TableSchema,
        as_of: dt.date | None,
    ) -> None:
        self.columns = columns
        self.rules = rules
        self.provenance = provenance
        self.schema = schema
        self.as_of = as_of
        self.blocking = [r for r, c in columns.items() if c.blocking]
        # The row's missing facts: per part name, the union of the blocking rules' parts
        # where the rule is unknown (columns ``__k<n>``).
        keys = dict.fromkeys(k for r in self.blocking for k in (columns[r].mask or Mask()).parts)
        self.keys = {key: f"__k{n}" for n, key in enumerate(keys)}
        self._own = {  # each rule's own mask part columns (see own_parts), by part name
            rule_id: {key: f"__p{r}_{j}" for j, key in enumerate(mask.parts)}
            for r, rule_id in enumerate(self.blocking)
            for mask in [columns[rule_id].mask]
            if mask
        }
        pl = polars()
        self._own_masks = {  # the same masks, read from those columns
            rule_id: Mask(
                {key: pl.col(name) for key, name in names.items()},
                (columns[rule_id].mask or Mask()).bits,
            )
            for rule_id, names in self._own.items()
        }
        self._table: Any = None  # the masks spelled so far: part columns, and "missing"
        self._spellings: dict[str, dict[str, _Fact]] = {}  # by language
        self._keyed: dict[str, dict[int, Expr]] = {}  # whole lines by rule number, by language

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

    def own_parts(self) -> list[Expr]:
        """Each blocking rule's own mask, part by part (``__p<rule>_<part>``, UInt64), to
        spell its missing facts."""
        return [
            expr.alias(name)
            for rule_id, names in self._own.items()
            for key, expr in (self.columns[rule_id].mask or Mask()).parts.items()
            for name in [names[key]]
        ]

    def unexplained(self, code: dict[str, Expr]) -> Expr:
        """Rows with a blocking unknown rule whose mask is empty: no provenance here, so
        they are explained on the per-record path."""
        pl = polars()
        checks = []
        for rule_id in self.blocking:
            mask = self.columns[rule_id].mask or Mask()
            checks.append((code[rule_id] == UNKNOWN) & ~mask.nonzero())
        return pl.any_horizontal(*checks, pl.lit(False))

    def decode(self, frame: Any, lang: str) -> Any:
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

    def spellings(self, lang: str) -> dict[str, _Fact]:
        """Each fact the blocking rules read, as ``path=value`` text (built once per
        language, used for every chunk)."""
        if lang not in self._spellings:
            facts = _FactFormatter(self.schema, self.as_of, lang)
            reads = dict.fromkeys(f for r in self.blocking for f in self.columns[r].reads)
            self._spellings[lang] = {f: facts.fact(f, f"__f{n}") for n, f in enumerate(reads)}
        return self._spellings[lang]

    def prepare(self, frame: Any, code: dict[str, Expr], lang: str) -> Any:
        """``frame`` (with the columns of :meth:`own_parts`) with each blocking rule's line
        tails (``__l<n>``, null where the rule has no line): the facts it read and its missing
        facts, then a newline unless it is the row's last line.  Built on the rows that need
        one only (filtered first), then put in place; :meth:`explanation` puts the rule's
        head before each.  The rules of :meth:`_keyed_lines`, and the rules with lines on at
        most one row in :data:`SPARSE_LINES`, get whole lines (``__m<n>``) instead."""
        pl = polars()
        read = self.spellings(lang)
        lined = [  # the number (from 1) of the row's last line: 0 when it has none
            (code[rule_id] >= UNKNOWN).cast(pl.Int16) * (k + 1)
            for k, rule_id in enumerate(self.blocking)
        ]
        formatted = collect(
            frame.lazy().select(
                pl.int_range(pl.len(), dtype=pl.UInt32).alias("__i"),
                pl.max_horizontal(*lined).alias("__last"),
                *[code[r] for r in self.blocking],
                *[pl.col(name) for names in self._own.values() for name in names.values()],
                *[fact.source for fact in read.values() if fact.source is not None],
            )
        )
        sums = formatted.select([(code[r] >= UNKNOWN).sum() for r in self.blocking])
        counts = sums.row(0) if self.blocking else ()  # each rule's lines in this chunk
        keyed = self._keyed_lines(lang)  # (a rule without lines in this chunk has no column)
        lines = formatted.select(
            [line.alias(f"__m{k}") for k, line in keyed.items() if counts[k]]
        ).get_columns()
        queries = [
            self._tails(formatted, k, self._own_masks.get(rule_id), read, lang, whole)
            for k, (rule_id, count) in enumerate(zip(self.blocking, counts, strict=True))
            if k not in keyed and count
            for whole in [count * SPARSE_LINES <= frame.height]
        ]
        tails = [
            _in_place(found, frame.height).alias(found.columns[1]) for found in collect_all(queries)
        ]
        return frame.hstack([*tails, *lines])

    def _keyed_lines(self, lang: str) -> dict[int, Expr]:
        """Whole lines (``__m<n>``: head and tail) of the rules whose facts are all booleans
        or enum members and whose missing facts are a few record paths: each row's facts,
        missing paths, outcome and last-line flag packed into one number that picks its line
        from a table of every combination (at most :data:`KEYED_LINES`)."""
        if lang not in self._keyed:  # (built whole, then shared: chunks run on threads)
            lines = {
                k: self._keyed_line(k, rule_id, lang) for k, rule_id in enumerate(self.blocking)
            }
            self._keyed[lang] = {k: line for k, line in lines.items() if line is not None}
        return self._keyed[lang]

    def _keyed_line(self, k: int, rule_id: str, lang: str) -> Expr | None:
        pl = polars()
        facts = [self.spellings(lang)[f] for f in self.columns[rule_id].reads]
        if any(fact.codes is None for fact in facts):
            return None
        mask = self.columns[rule_id].mask or Mask()
        if any(not key.startswith("s") for key in mask.parts):
            return None
        by_index = self.provenance.static_paths()
        bits = sorted(  # (path, part column, bit), in the order the paths are listed
            (by_index[int(key[1:]) * 64 + bit], self._own[rule_id][key], 1 << bit)
            for key in mask.parts
            for bit in bit_numbers(mask.bits.get(key, 0))
        )
        size = 4 << len(bits)
        for fact in facts:
            size *= len(fact.texts)
        if size > KEYED_LINES:
            return None
        code = pl.col(f"rule.{rule_id}")
        key = (code == FAILED).cast(pl.UInt32) + 2 * (pl.col("__last") > k + 1).cast(pl.UInt32)
        scale = 4
        for _path, column, bit in bits:
            key = (
                key + ((pl.col(column) & pl.lit(bit, dtype=pl.UInt64)) != 0).cast(pl.UInt32) * scale
            )
            scale *= 2
        for fact in facts:
            assert fact.codes is not None
            key = key + fact.codes * scale
            scale *= len(fact.texts)
        rule = self.rules[rule_id]
        heads = (rule_head(rule, lang, "unknown"), rule_head(rule, lang, "failed"))
        table = []
        for number in range(size):
            failed, last, rest = number & 1, (number >> 1) & 1, number >> 2
            paths = [path for j, (path, _, _) in enumerate(bits) if (rest >> j) & 1]
            rest >>= len(bits)
            stated: list[str] = []
            for fact in facts:
                rest, which = divmod(rest, len(fact.texts))
                text = fact.texts[which]
                if text is not None:
                    stated.append(text)
            line = line_text(heads[failed], stated, [short(p) for p in paths], lang)
            table.append(line + ("\n" if last else ""))
        lines = pl.lit(pl.Series(table, dtype=pl.String))
        return lines.gather(pl.when(code >= UNKNOWN).then(key))

    def _tails(
        self,
        formatted: Any,
        k: int,
        mask: Mask | None,
        read: dict[str, _Fact],
        lang: str,
        whole: bool,
    ) -> Any:
        """The line tails (``__l<k>``) of the ``k``-th blocking rule, or its ``whole`` lines
        (``__m<k>``, heads first), on the rows where it failed or is unknown: a LazyFrame of
        their row numbers ``__i`` and lines.  The facts it read (``read``: each fact's
        spelling) are spelled on those rows only."""
        pl = polars()
        w = words(lang)
        rule_id = self.blocking[k]
        code = pl.col(f"rule.{rule_id}")
        pieces: list[Expr] = [self._heads(rule_id, lang).gather(code)] if whole else []
        reads = self.columns[rule_id].reads
        said: list[_Fact] = []  # the facts before: a fact after one stated follows a ；
        for fact in (read[f] for f in reads):  # a missing one is listed as missing instead
            if any(before.always for before in said):
                prefix = pl.lit(w["sep"])
            elif said:
                before = pl.any_horizontal([before.stated for before in said])
                prefix = pl.when(before).then(pl.lit(w["sep"])).otherwise(pl.lit(w["colon"]))
            else:
                prefix = pl.lit(w["colon"])
            pieces += [prefix if fact.always else pl.when(fact.stated).then(prefix), fact.text]
            said.append(fact)
        if mask:  # empty where the rule failed: every fact it needed is known
            missing = self.provenance.spell(mask, strip="applicant.")
            lead = pl.lit(f"{w['sep']}{w['missing']} ")
            pieces += [pl.when(missing.is_not_null()).then(lead), missing]
        pieces.append(pl.when(pl.col("__last") > k + 1).then(pl.lit("\n")))
        name = f"__m{k}" if whole else f"__l{k}"
        return (
            formatted.lazy()
            .filter(code >= UNKNOWN)
            .select(pl.col("__i"), pl.concat_str(pieces, ignore_nulls=True).alias(name))
        )

    def record_facts(
        self, record: BaseModel, lang: str
    ) -> Callable[[RuleResult], list[str] | None]:
        """The facts of a rule's line for ``record``, decided on the per-record path, as
        this rule's columnar line spells them (for :func:`decision_explanation`); None for a
        rule without a columnar form."""

        def facts(result: RuleResult) -> list[str] | None:
            columns = self.columns.get(result.id)
            if columns is None:
                return None
            spelled = (
                record_fact(record, name, self.schema, self.as_of, lang) for name in columns.reads
            )
            return [text for text in spelled if text is not None]

        return facts

    def _heads(self, rule_id: str, lang: str) -> Expr:
        """The rule's line heads, by outcome code (a literal to gather from)."""
        pl = polars()
        rule = self.rules[rule_id]
        heads: list[str | None] = [None] * 4
        heads[FAILED] = rule_head(rule, lang, "failed")
        heads[UNKNOWN] = rule_head(rule, lang, "unknown")
        return pl.lit(pl.Series(heads, dtype=pl.String))

    def explanation(self, lang: str, columns: Sequence[str]) -> Expr:
        """The explanation of each row of a frame from :meth:`prepare` (with ``columns``;
        see the module docstring): each line's head (what happened, the rule's title and
        citation; the same text for every row, picked by the outcome code) and its tail, or
        the whole line, written once.  Rules without lines in the frame are left out."""
        pl = polars()
        eligible = pl.lit(words(lang)["eligible"])
        if not self.blocking:
            return eligible
        lined = pl.max_horizontal([pl.col(f"rule.{rule_id}") for rule_id in self.blocking])
        pieces: list[Expr] = [pl.when(lined < UNKNOWN).then(eligible)]  # a row without lines
        present = set(columns)
        for k, rule_id in enumerate(self.blocking):
            if f"__m{k}" in present:  # a whole line
                pieces.append(pl.col(f"__m{k}"))
                continue
            if f"__l{k}" in present:
                code = pl.col(f"rule.{rule_id}")
                pieces += [self._heads(rule_id, lang).gather(code), pl.col(f"__l{k}")]
        return pl.concat_str(pieces, ignore_nulls=True)


def _in_place(found: Any, height: int) -> Any:
    """A rule's lines (row numbers ``__i``, lines) as a full column, null elsewhere."""
    pl = polars()
    where = pl.repeat(None, height, dtype=pl.UInt32, eager=True).scatter(
        found.get_column("__i"), pl.int_range(found.height, dtype=pl.UInt32, eager=True)
    )
    return found.to_series(1).gather(where)


@dataclass(frozen=True)
class _Fact:
    """How a chunk spells one fact: ``source``, the values it is spelled from (a column the
    chunk takes once, named; None: nothing to take), and ``text``, a row's ``path=value``
    from it (null where the value is missing), spelled on the rows that show it; ``stated``:
    the text is not null (``always``: on every row)."""

    source: Expr | None
    text: Expr
    stated: Expr
    always: bool = False
    codes: Expr | None = None  # a few-valued fact: each row's code (the last one: missing)
    texts: tuple[str | None, ...] = ()  # ... and each code's text (None: missing)


class _FactFormatter:
    """Fact columns as ``path=value`` text: Polars expressions, no Python per value.  Enum
    members, booleans, whole numbers and dates are looked up in tables of their texts; a
    list field's values are taken out of the list once per chunk."""

    def __init__(self, schema: TableSchema, as_of: dt.date | None, lang: str) -> None:
        self.schema = schema
        self.as_of = as_of
        self.lang = lang
        self.w = words(lang)
        self._lookups: dict[tuple[str, str], _Lookup] = {}  # by label and kind: they keep tables

    def fact(self, name: str, column: str) -> _Fact:
        pl = polars()
        label = f"{name}="
        if name == "as_of" and self.as_of is not None:
            text = f"{label}{self.as_of.isoformat()}"
            return _Fact(None, pl.lit(text), pl.lit(True), True, pl.lit(0), (text,))
        if "[]." in name:
            return self._element_fact(name, column)
        values = pl.col(column)
        if name == "as_of":
            source = pl.col("application.submitted_on")
            text = _looked_up(values, self.lookup(label, "date"))
        elif (leaf := self.schema.leaf(name)) is not None:
            source = pl.col(name)
            text = self.labelled(label, values, leaf)
            coded = self.coded(label, values, leaf)
            if coded is not None:
                return _Fact(source.alias(column), text, values.is_not_null(), False, *coded)
        elif self.schema.list_field(name) is not None:
            source = pl.col(name).list.len()
            text = _looked_up(values, self.lookup(label, "count"))
        else:
            return _Fact(None, pl.lit(None, dtype=pl.String), pl.lit(False))
        return _Fact(source.alias(column), text, values.is_not_null())

    def _element_fact(self, name: str, column: str) -> _Fact:
        """``list[].field=a,b,?`` (``?``: an element without the value)."""
        pl = polars()
        label = f"{name}="
        list_path, field = name.split("[].", 1)
        list_field = self.schema.list_field(list_path)
        leaf = next((x for x in list_field.leaves if x.name == field), None) if list_field else None
        if leaf is None:
            return _Fact(None, pl.lit(label + self.w["blank"]), pl.lit(True), True)
        values = pl.col(list_path).list.eval(pl.element().struct.field(field))
        column_values = pl.col(column)
        spelled = _ListTexts(lambda value: self.labelled("", value, leaf))
        joined = column_values.map_batches(spelled, return_dtype=pl.String)
        none = (
            pl.when(column_values.list.len() == 0)
            .then(pl.lit(self.w["none"]))
            .otherwise(pl.lit(""))
        )
        text = pl.concat_str([pl.lit(label), joined, none])
        text = pl.coalesce(text, pl.lit(label + self.w["blank"]))
        return _Fact(values.alias(column), text, pl.lit(True), True)

    def labelled(self, label: str, value: Expr, leaf: Leaf) -> Expr:
        """``label`` and a scalar value's text (null where the value is missing): booleans
        and enum members picked by their codes, whole numbers and dates looked up, other
        values spelled by :meth:`text`."""
        pl = polars()
        coded = self.coded(label, value, leaf)
        if coded is not None:
            codes, texts = coded
            return pl.lit(pl.Series(texts, dtype=pl.String)).gather(codes)
        if leaf.kind in ("date", "int"):
            return _looked_up(value, self.lookup(label, leaf.kind))
        return _labelled(label, self.text(value, leaf))

    def lookup(self, label: str, kind: str) -> _Lookup:
        """The table of texts of ``label`` + a date, whole number or list length (``count``),
        made once (it keeps its table)."""
        pl = polars()
        made = self._lookups.get((label, kind))
        if made is None:
            if kind == "date":
                made = _Lookup(label, pl.Date, *_DAYS, _iso_dates)
            elif kind == "int":
                made = _Lookup(label, pl.Int64, *_NUMBERS, _digits)
            else:
                made = _Lookup(label, pl.UInt32, *_NUMBERS, _counted(f" {self.w['items']}"))
            self._lookups[label, kind] = made
        return made

    def coded(
        self, label: str, value: Expr, leaf: Leaf
    ) -> tuple[Expr, tuple[str | None, ...]] | None:
        """A boolean or enum value as a small code (missing: the last code) and each code's
        ``label`` + text (None for the missing one); None for other kinds.  (Validated enum
        cells are members; other cells go to the per-record path.)"""
        pl = polars()
        if leaf.kind == "bool":
            texts = (label + self.w["no"], label + self.w["yes"], None)
            return value.cast(pl.UInt32).fill_null(2), texts
        if leaf.kind == "enum" and leaf.enum is not None:
            members = [str(m.value) for m in leaf.enum]
            codes = value.cast(pl.Enum(members), strict=False).to_physical().cast(pl.UInt32)
            terms = tuple(label + member_text(m, self.lang) for m in leaf.enum)
            return codes.fill_null(len(members)), (*terms, None)
        return None

    @staticmethod
    def text(value: Expr, leaf: Leaf) -> Expr:
        """A value that is not looked up, as the explanation spells it (null stays null):
        decimals without trailing zeros, anything else as Polars writes it."""
        pl = polars()
        if leaf.kind == "decimal":
            whole = (value // DECIMAL_SCALE).cast(pl.String)
            part = (value % DECIMAL_SCALE).cast(pl.String).str.zfill(6).str.strip_chars_end("0")
            return (
                pl.when(part == "")
                .then(whole)
                .otherwise(pl.concat_str([whole, part], separator="."))
            )
        return value.cast(pl.String)


def _labelled(label: str, text: Expr) -> Expr:
    """``label`` + ``text``; null where the value is missing."""
    pl = polars()
    return pl.concat_str([pl.lit(label), text])


def _looked_up(value: Expr, lookup: _Lookup) -> Expr:
    pl = polars()
    return value.map_batches(lookup, return_dtype=pl.String)


class _Lookup:
    """Whole numbers or dates as ``label`` + their text: the values from ``first`` to
    ``last`` (physical: days for dates) are looked up in a table of their texts, built on
    first use; a batch with any other value is spelled by ``spell`` itself."""

    def __init__(self, label: str, dtype: Any, first: int, last: int, spell: Any) -> None:
        self.label = label
        self.dtype = dtype
        self.first = first
        self.last = last
        self.spell = spell
        self._table: Any = None

    def table(self) -> Any:
        pl = polars()
        if self._table is None:
            values = pl.int_range(self.first, self.last + 1, eager=True).cast(self.dtype)
            self._table = (self.label + self.spell(values)).rename("")
        return self._table

    def __call__(self, values: Any) -> Any:
        pl = polars()
        key = values.to_physical().cast(pl.Int64)
        first, last = key.min(), key.max()
        if first is None or (first >= self.first and last <= self.last):
            return self.table().gather(key - self.first)
        return self.label + self.spell(values)


class _ListTexts:
    """The values of a list field (a List column) as ``a,b,?``, per row (null for a null
    list): the elements at each position spelled together, as scalar facts are (``element``:
    value expression -> text, null stays null), ``?`` for an element without the value."""

    def __init__(self, element: Any) -> None:
        self.element = element

    def __call__(self, lists: Any) -> Any:
        pl = polars()
        frame = pl.DataFrame({"lists": lists, "n": lists.list.len()})
        count = pl.col("n")
        positions = [
            pl.when(count > i).then(
                self.element(pl.col("lists").list.get(i, null_on_oob=True)).fill_null(pl.lit("?"))
            )
            for i in range(frame.get_column("n").max() or 0)
        ]
        joined = (
            pl.concat_str(positions, separator=",", ignore_nulls=True) if positions else pl.lit("")
        )
        return frame.select(pl.when(count.is_not_null()).then(joined)).to_series()


def _iso_dates(dates: Any) -> Any:
    return dates.dt.to_string("%Y-%m-%d")


def _digits(numbers: Any) -> Any:
    pl = polars()
    return numbers.cast(pl.String)


def _counted(suffix: str) -> Any:
    return lambda numbers: _digits(numbers) + suffix


_DAYS = (  # the dates looked up in a table: 1900-01-01 to 2099-12-31, as days since 1970
    (dt.date(1900, 1, 1) - dt.date(1970, 1, 1)).days,
    (dt.date(2099, 12, 31) - dt.date(1970, 1, 1)).days,
)
_NUMBERS = (0, 4095)  # the whole numbers looked up in a table (years, votes, list lengths)


# ---------------------------------------------------------------- the per-record path


def decision_explanation(
    decision: Decision,
    rules: dict[str, ir.Rule],
    lang: str,
    facts: Callable[[RuleResult], list[str] | None] | None = None,
) -> str:
    """The explanation lines of a per-record decision (the same items as the columnar
    path's: title, citation, the facts read with their values, the missing facts).  ``facts``
    gives a rule's facts as the columnar lines spell them (see
    :meth:`Explainer.record_facts`); where it gives None, the facts the engine traced."""
    w = words(lang)
    if decision.outcome is Outcome.ELIGIBLE:
        return w["eligible"]
    lines = []
    for result in decision.rules:
        if result.severity != "blocking":
            continue
        if result.outcome not in (RuleOutcome.FAILED, RuleOutcome.UNKNOWN):
            continue
        stated = facts(result) if facts is not None else None
        lines.append(_result_line(result, rules, lang, stated))
    return "\n".join(lines)


def _result_line(
    result: RuleResult, rules: dict[str, ir.Rule], lang: str, stated: list[str] | None
) -> str:
    w = words(lang)
    outcome = "failed" if result.outcome is RuleOutcome.FAILED else "unknown"
    if stated is None:
        stated = [f"{short(fact.path)}={_fact_text(fact.value, w)}" for fact in result.facts]
    ordered = sorted(result.missing, key=missing_order_key)
    missing = [short(m) for m in ordered] if outcome == "unknown" else []
    return line_text(rule_head(rules[result.id], lang, outcome), stated, missing, lang)


def _fact_text(value: Any, w: dict[str, str]) -> str:
    if value is True:
        return w["yes"]
    if value is False:
        return w["no"]
    value = jsonable(value)
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def record_fact(
    record: BaseModel, name: str, schema: TableSchema, as_of: dt.date | None, lang: str
) -> str | None:
    """A fact a rule reads (a name of ``CompiledRuleColumns.reads``) as ``record`` states
    it, spelled as :class:`_FactFormatter` spells a table row's (None: not stated)."""
    w = words(lang)
    label = f"{name}="
    if name == "as_of":
        date = as_of if as_of is not None else _read(record, "application.submitted_on")
        return None if date is None else label + date.isoformat()
    if "[]." in name:
        list_path, field = name.split("[].", 1)
        list_field = schema.list_field(list_path)
        leaf = next((x for x in list_field.leaves if x.name == field), None) if list_field else None
        items = _read(record, list_path)
        if leaf is None or items is None:
            return label + w["blank"]
        if not items:
            return label + w["none"]
        values = (_read(item, field) for item in items)
        return label + ",".join("?" if v is None else value_text(v, leaf, lang) for v in values)
    leaf = schema.leaf(name)
    if leaf is not None:
        value = _read(record, name)
        return None if value is None else label + value_text(value, leaf, lang)
    if schema.list_field(name) is not None:
        items = _read(record, name)
        return None if items is None else f"{label}{len(items)} {w['items']}"
    return None


def value_text(value: Any, leaf: Leaf, lang: str) -> str:
    """A record's value of ``leaf`` as a table row's is spelled (see :class:`_FactFormatter`)."""
    if leaf.kind == "bool":
        return words(lang)["yes" if value else "no"]
    if isinstance(value, enum.Enum):
        return member_text(value, lang)
    if isinstance(value, dt.date):
        return value.isoformat()
    if leaf.kind == "decimal":  # held scaled, as a table holds it
        whole, part = divmod(round(Decimal(value) * DECIMAL_SCALE), DECIMAL_SCALE)
        digits = str(part).zfill(6).rstrip("0")
        return f"{whole}.{digits}" if digits else str(whole)
    return str(value)


def member_text(member: Any, lang: str) -> str:
    """An enum member as the explanation spells it: its Chinese term, or its value."""
    if lang == "zh":
        return str(getattr(member, "zh", None) or member.value)
    return str(member.value)


def _read(value: Any, path: str) -> Any:
    for name in path.split("."):
        if value is None:
            return None
        value = getattr(value, name, None)
    return value


def rule_table(rules: Sequence[ir.Rule]) -> dict[str, ir.Rule]:
    return {rule.id: rule for rule in rules}


__all__ = [
    "Explainer",
    "decision_explanation",
    "record_fact",
    "rule_head",
    "rule_table",
    "words",
]
