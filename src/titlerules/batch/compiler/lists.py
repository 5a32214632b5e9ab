"""batch layer: list methods of the columnar compiler (``any``, ``all``, ``count``, ``where``,
``sum``, ``min``, ``max``).

A method whose body reads only its element runs inside ``list.eval``/``list.agg``; one whose
body reads more (the record, an outer element, a Python built-in) runs over an exploded
table (one row per element, with the columns the body needs) aggregated by row and joined
back.  Kleene logic throughout: ``any`` is true if an element says so, else unknown if an
element is unknown, else false; a list that is unknown makes the result unknown.

With explanations on, the result's mask is the list's own (where the list is unknown) with
the union of its elements' (the elements that are unknown), as the per-record engine
reports them; ``min``/``max`` of an empty list is unknown for that reason.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from titlerules.batch._polars import polars
from titlerules.batch.compiler.core import CompilerCore
from titlerules.batch.compiler.masks import Mask, relative
from titlerules.batch.compiler.values import (
    FLAG_PREFIX,
    UNRANKED,
    Dur,
    Expr,
    Frame,
    Lst,
    NotColumnar,
    Number,
    Rec,
    Scalar,
    Stage,
    Value,
    _NeedsFrame,
    _ranks,
    _when_known,
    first_reason,
    run_stages,
)
from titlerules.core import nodes as n
from titlerules.engine.runtime import empty_list_reason


def _aligned(grouped: Any, row_id: str, height: int) -> list[Any]:
    """The aggregated columns of ``grouped`` (one row per row number that had elements)
    as full columns of the frame, null for the other rows."""
    pl = polars()
    where = pl.repeat(None, height, dtype=pl.UInt32, eager=True)
    if grouped.height:
        where = where.scatter(
            grouped.get_column(row_id), pl.int_range(grouped.height, dtype=pl.UInt32, eager=True)
        )
    return [column.gather(where) for column in grouped.drop(row_id).get_columns()]


def _bits_of(mask: Mask, key: str) -> dict[str, int]:
    return {key: mask.bits[key]} if key in mask.bits else {}


def _list_known(obj: Lst) -> Expr:
    known = obj.expr.is_not_null()
    if obj.known is not None:
        known = known & obj.known.fill_null(False)
    return known


class ListMethods(CompilerCore):
    """List methods (see the module docstring)."""

    def _setmethod(self, e: n.SetMethod) -> Value:
        raise NotColumnar("set methods")

    def _listmethod(self, e: n.ListMethod) -> Value:
        pl = polars()
        obj = self.expr(e.obj)
        if not isinstance(obj, Lst):
            raise NotColumnar("a list method on something that is not a list of records")
        if e.body is None:  # .count()
            count = obj.expr.list.len().cast(pl.Int64)
            return self._masked(Number(_when_known(obj, count)), self._mask(obj))
        lam = e
        try:
            return self._list_in_element(e.method, obj, lam)
        except _NeedsFrame:
            if self._frame.element:
                raise
        return self._list_exploded(e.method, obj, lam)

    def _element(self, obj: Lst, struct: Expr, tag: str) -> Rec:
        if self.explain and obj.bits is None:
            raise NotColumnar("a list whose elements' indices are not known")
        return Rec(obj.field.model, struct=struct, list_path=obj.field.path, tag=tag)

    # ------------------------------------------------ inside list.eval
    def _list_in_element(self, method: str, obj: Lst, lam: n.ListMethod) -> Value:
        pl = polars()
        frame = self._frame
        child = Frame(row_id="", parent=frame, element=True)
        tag = self._new_name("t")
        self._frame = child
        self._scope.append({lam.var: (self._element(obj, pl.element(), tag), child)})
        try:
            body = self.expr(lam.body)  # type: ignore[arg-type]
        finally:
            self._scope.pop()
            self._frame = frame
        xs = obj.expr
        # List operations are computed into columns before any when/then reads them (a
        # when/then evaluates its branches on the rows it picks: a list operation on a
        # gathered list column is very slow).
        col = self._bind
        # The union of the elements' missing facts (zero where an element is known): an
        # element's flags become its bit.
        elements = Mask()
        body_mask = self._mask(body)
        for key, part in body_mask.parts.items():
            absolute = relative(key, tag)
            if absolute is not None:
                assert obj.bits is not None
                flags = xs.list.eval(part.cast(pl.UInt64))
                union_part = col((flags * obj.bits).list.sum())
                elements = elements | Mask({absolute: union_part.fill_null(0)})
            else:
                union_part = col(xs.list.agg(part.bitwise_or())).fill_null(0)
                elements = elements | Mask({key: union_part}, _bits_of(body_mask, key))
        # An unknown list is the answer as it is: its elements are never looked at.
        elements = elements.where(_list_known(obj)) if elements else elements
        own = self._mask(obj)
        if method in ("any", "all"):
            b = self._bool_expr(body)
            kleene = b.any(ignore_nulls=False) if method == "any" else b.all(ignore_nulls=False)
            result = _when_known(obj, col(xs.list.agg(kleene)))
            if not self.explain:
                return Scalar("bool", result)
            result = self._bind(result)
            return Scalar("bool", result, mask=(own | elements).where(result.is_null()))
        if method in ("count", "where"):
            b = self._bool_expr(body)
            unknown_any = col(xs.list.agg(b.is_null().any()))
            if method == "count":
                kept = col(xs.list.agg(b.fill_null(False).cast(pl.Int64).sum()))
                out = Number(_when_known(obj, pl.when(~unknown_any).then(kept)))
                return self._masked(out, own | elements)
            keep = b.fill_null(False)
            filtered = col(xs.list.eval(pl.element().filter(keep)))
            known = ~unknown_any if obj.known is None else obj.known & ~unknown_any
            bits = None
            if obj.bits is not None:  # the kept elements' own bits (their original indices)
                kept = obj.bits * xs.list.eval(keep.cast(pl.UInt64))
                bits = col(kept.list.eval(pl.element().filter(pl.element() != 0)))
            out_list = Lst(filtered, obj.field, known, bits=bits)
            return self._masked(out_list, own | elements)
        out_value = self._aggregate_element(method, obj, body)
        if not self.explain:
            return out_value
        mask = own | elements
        if method in ("min", "max"):
            mask = mask | self._empty_reason(method, obj)
        return self._masked(out_value, mask)

    def _empty_reason(self, method: str, obj: Lst) -> Mask:
        """``min``/``max`` of a known, empty list: unknown for that reason (the list named
        as the per-record path names it, :func:`~titlerules.engine.compiler.empty_list_reason`)."""
        empty = _list_known(obj) & (obj.expr.list.len() == 0)
        reason = empty_list_reason(method, f"applicant.{obj.field.path}")
        return self.provenance.bit(reason).where(empty.fill_null(False))

    def _aggregate_element(self, method: str, obj: Lst, body: Value) -> Value:
        pl = polars()
        xs = obj.expr
        col = self._bind  # list operations into columns before a when/then reads them
        if isinstance(body, (Number, Dur)):
            number = body.amount if isinstance(body, Dur) else body
            if not isinstance(number.den, int):
                raise NotColumnar("a sum of fractions with varying denominators")
            values = number.num
            unknown_any = col(xs.list.agg(values.is_null().any()))
            if method == "sum":
                total = col(xs.list.agg(values.sum()))
                out = Number(_when_known(obj, pl.when(~unknown_any).then(total)), number.den)
            else:
                agg = col(xs.list.agg(values.min() if method == "min" else values.max()))
                out = Number(_when_known(obj, pl.when(~unknown_any).then(agg)), number.den)
            return Dur(out, body.unit) if isinstance(body, Dur) else out
        if isinstance(body, Scalar) and body.kind == "date" and method in ("min", "max"):
            unknown_any = col(xs.list.agg(body.expr.is_null().any()))
            agg = col(xs.list.agg(body.expr.min() if method == "min" else body.expr.max()))
            return Scalar("date", _when_known(obj, pl.when(~unknown_any).then(agg)))
        if isinstance(body, Scalar) and body.kind == "enum" and method in ("min", "max"):
            rank = _ranks(body)
            unknown_any = col(xs.list.agg(body.expr.is_null().any()))
            assert body.enum is not None
            by_rank = {getattr(m, "rank", None): str(m.value) for m in body.enum}
            if len(by_rank) == len(body.enum) and None not in by_rank:
                # Ranks name their members: the best rank is the answer, found natively.
                best_rank = col(xs.list.agg(rank.min() if method == "min" else rank.max()))
                agg = best_rank.replace_strict(by_rank, default=None, return_dtype=pl.String)
            else:
                best = rank.min() if method == "min" else rank.max()
                agg = col(xs.list.agg(body.expr.filter(rank == best).first()))
            # Python's min/max cannot order an unranked term against another: that row
            # raises on the per-record path, and is decided there.
            unranked = rank.is_null() & body.expr.is_not_null()
            self._flag(col(xs.list.agg(unranked.any())) & (xs.list.len() >= 2), UNRANKED)
            return Scalar("enum", _when_known(obj, pl.when(~unknown_any).then(agg)), body.enum)
        raise NotColumnar(f"{method}() of these values")

    def _quantify(self, obj: Lst, found: Expr, unknown_any: Expr, decisive: bool) -> Expr:
        pl = polars()
        result = (
            pl.when(found.fill_null(False))
            .then(pl.lit(decisive))
            .when(unknown_any.fill_null(False))
            .then(pl.lit(None, dtype=pl.Boolean))
            .otherwise(pl.lit(not decisive))
        )
        return _when_known(obj, result)

    # ------------------------------------------------ over an exploded table
    def _list_exploded(self, method: str, obj: Lst, lam: n.ListMethod) -> Value:
        pl = polars()
        parent = self._frame
        x = self._new_name("x")
        child = Frame(row_id=self._new_name("r"), parent=parent)
        bit = child.row_id + "_b"  # explaining: each element's own bit, beside it
        self._frame = child
        self._scope.append({lam.var: (self._element(obj, pl.col(x), child.row_id), child)})
        try:
            # The body is computed into columns of the exploded table first: aggregations
            # then only read columns (a Python built-in inside an aggregation would run
            # once per group).
            body = self._bind_value(self.expr(lam.body))  # type: ignore[arg-type]
        finally:
            self._scope.pop()
            self._frame = parent
        out = self._new_name("v")
        aggs: list[Expr] = []
        result_exprs: list[Expr] = []
        if method in ("any", "all", "count", "where"):
            b = self._bool_expr(body)
            aggs.append(b.is_null().any().alias(out + "_u"))
            result_exprs.append(b)
            if method in ("any", "all"):
                hit = b.fill_null(False) if method == "any" else (~b).fill_null(False)
                aggs.append(hit.any().alias(out + "_t"))
            elif method == "count":
                aggs.append(b.fill_null(False).cast(pl.Int64).sum().alias(out + "_t"))
            else:
                aggs.append(pl.col(x).filter(b.fill_null(False)).alias(out + "_t"))
                if obj.bits is not None:
                    aggs.append(pl.col(bit).filter(b.fill_null(False)).alias(out + "_b"))
            number: Number | None = None
        else:
            number, values = self._aggregated_values(method, body, child)
            aggs.append(values.is_null().any().alias(out + "_u"))
            if method == "sum":
                aggs.append(values.sum().alias(out + "_t"))
            elif isinstance(body, Scalar) and body.kind == "enum":
                rank = _ranks(body)
                best = rank.min() if method == "min" else rank.max()
                aggs.append(values.filter(rank == best).first().alias(out + "_t"))
                result_exprs.append(rank)
            else:
                aggs.append((values.min() if method == "min" else values.max()).alias(out + "_t"))
            result_exprs.append(values)
        if child.flags:
            aggs.append(pl.any_horizontal(*child.flags).any().alias(out + "_f"))
        mask_columns: dict[str, list[str]] = {}
        body_mask = self._mask(body)
        for index, (key, part) in enumerate(body_mask.parts.items()):
            name = f"{out}_m{index}"
            absolute = relative(key, child.row_id)
            if absolute is not None:  # an element's flags become its bit
                aggs.append((part * pl.col(bit)).sum().alias(name))
            else:
                absolute = key
                aggs.append(part.bitwise_or().alias(name))
            mask_columns.setdefault(absolute, []).append(name)
            result_exprs.append(part)
        produced = {x, bit, child.row_id} | {o for stage in child.stages for o in stage.outputs}
        needed: set[str] = set()
        for expr in [*result_exprs, *child.flags]:
            needed |= set(expr.meta.root_names())
        for stage in child.stages:
            needed |= stage.inputs
        needed -= produced
        list_expr = obj.expr
        known = obj.known
        bits = obj.bits if self.explain else None
        needed_inputs = needed | set(list_expr.meta.root_names())
        for extra in (known, bits):
            if extra is not None:
                needed_inputs |= set(extra.meta.root_names())
        row_id = parent.row_id
        child_stages = list(child.stages)
        needed_sorted = sorted(needed - {row_id})
        k = self._new_name("k")

        def query(frame: Any) -> Any:
            columns = [pl.col(row_id), *[pl.col(c) for c in needed_sorted], list_expr.alias(x)]
            if known is not None:
                columns.append(known.alias(k))
            if bits is not None:
                columns.append(bits.alias(bit))
            sub = frame.lazy().select(columns)  # (an eager select of a wide frame is slow)
            if known is not None:  # an unknown list has no elements to run the body on
                sub = sub.filter(pl.col(k).fill_null(False)).drop(k)
            sub = sub.explode([x, bit] if bits is not None else [x])
            sub = sub.filter(pl.col(x).is_not_null())
            sub = run_stages(sub.with_row_index(child.row_id), child_stages)
            return sub.group_by(row_id).agg(aggs)

        def join(frame: Any, grouped: Any) -> Any:
            return frame.hstack(_aligned(grouped, row_id, frame.height))

        outputs = {out + "_u", out + "_t", out + "_f", out + "_b"}
        outputs |= {name for names in mask_columns.values() for name in names}
        parent.stages.append(Stage(needed_inputs | {row_id}, outputs, query=query, join=join))
        if child.flags:
            self._flag(pl.col(out + "_f"), first_reason(child.flags))
        elements = Mask()
        for key, names in mask_columns.items():
            for name in names:
                elements = elements | Mask(
                    {key: pl.col(name).fill_null(0)}, _bits_of(body_mask, key)
                )
        elements = elements.where(_list_known(obj)) if elements else elements
        own = self._mask(obj)
        value = self._exploded_result(method, obj, body, number, out)
        if isinstance(value, Lst) and bits is not None:
            empty = bits.list.slice(0, 0)
            value = dataclasses.replace(
                value, bits=self._bind(pl.coalesce(pl.col(out + "_b"), empty))
            )
        if not self.explain:
            return value
        if method in ("any", "all"):
            bound = self._bind(self._bool_expr(value))
            return Scalar("bool", bound, mask=(own | elements).where(bound.is_null()))
        mask = own | elements
        if method in ("min", "max"):
            mask = mask | self._empty_reason(method, obj)
        return self._masked(value, mask)

    def _aggregated_values(
        self, method: str, body: Value, child: Frame
    ) -> tuple[Number | None, Expr]:
        number: Number | None = None
        if isinstance(body, (Number, Dur)):
            number = body.amount if isinstance(body, Dur) else body
            if not isinstance(number.den, int):
                raise NotColumnar("a sum of fractions with varying denominators")
            return number, number.num
        if isinstance(body, Scalar) and body.kind == "date" and method in ("min", "max"):
            return None, body.expr
        if isinstance(body, Scalar) and body.kind == "enum" and method in ("min", "max"):
            rank = _ranks(body)
            # An unranked term cannot be ordered (the per-record path raises, or not):
            # decide such rows there.
            unranked = rank.is_null() & body.expr.is_not_null()
            child.flags.append(unranked.alias(FLAG_PREFIX + UNRANKED))
            return None, body.expr
        raise NotColumnar(f"{method}() of these values")

    def _exploded_result(
        self, method: str, obj: Lst, body: Value, number: Number | None, out: str
    ) -> Value:
        pl = polars()
        unknown_any = pl.col(out + "_u").fill_null(False)
        total = pl.col(out + "_t")
        if method in ("any", "all"):
            return Scalar(
                "bool", self._quantify(obj, total.fill_null(False), unknown_any, method == "any")
            )
        if method == "count":
            return Number(_when_known(obj, pl.when(~unknown_any).then(total.fill_null(0))))
        if method == "where":
            empty = obj.expr.list.slice(0, 0)
            kept = self._bind(pl.coalesce(total, empty))
            known = ~unknown_any if obj.known is None else obj.known & ~unknown_any
            return Lst(kept, obj.field, known)
        if method == "sum":
            assert number is not None
            value = Number(
                _when_known(obj, pl.when(~unknown_any).then(total.fill_null(0))), number.den
            )
        elif number is not None:
            value = Number(_when_known(obj, pl.when(~unknown_any).then(total)), number.den)
        else:
            assert isinstance(body, Scalar)
            return Scalar(body.kind, _when_known(obj, pl.when(~unknown_any).then(total)), body.enum)
        return Dur(value, body.unit) if isinstance(body, Dur) else value


__all__ = ["ListMethods"]
