"""batch layer: comparisons of a date-valued step function with a constant, folded.

``years_between(applicant.employment.current_post_start, 2024-12-31, floor) >= 5`` needs no
calendar arithmetic per row: with one date constant, whole years (or months) are a
monotone step function of the other date, so the comparison holds exactly on one side of
one date.  That date is found once, by bisection over the engine's own
:func:`~titlerules.engine.runtime.between`, so the folded comparison decides every row as
the per-record path does (a missing date stays unknown).
"""

from __future__ import annotations

import datetime as dt
import itertools
from fractions import Fraction
from functools import cache
from typing import Any

from titlerules.batch._polars import polars
from titlerules.batch.compiler.values import Const, DateStep, Expr, Number, Value, pl_when_known

_FIRST_DAY = dt.date.min.toordinal()
_LAST_DAY = dt.date.max.toordinal()
# Points the declared direction is checked at: the ends of the range and dates around now.
_CHECKS = (_FIRST_DAY, 693_596, 719_163, 730_120, 738_000, 767_010, 3_000_000, _LAST_DAY)


def _is_one(den: Any) -> bool:
    return isinstance(den, int) and den == 1


def fold_step(op: str, a: Value, b: Value) -> tuple[Expr, Expr | None] | None:
    """``f(date) op k`` for a whole-number step ``f`` of one date column (``a.step``) and a
    constant ``k``, as a comparison of the date with one date, and the rows whose date the
    engine cannot count (it raises there: they go to the per-record path), if any; None
    when it does not fold."""
    pl = polars()
    if not isinstance(a, Number) or a.step is None or not _is_one(a.den):
        return None
    if not isinstance(b, Const):
        return None
    k = b.value
    if isinstance(k, bool) or not isinstance(k, (int, Fraction)):
        return None
    step = a.step
    try:
        low, high = _counted(step.fn)
        if not _monotone(step.fn, step.increasing, low, high):
            return None
        folded = _fold(op, step, k, low, high)
    except Exception:  # the engine cannot count some date inside the range: no folding
        return None
    if folded is None:
        return None
    outside = None
    if low != _FIRST_DAY or high != _LAST_DAY:
        first, last = dt.date.fromordinal(low), dt.date.fromordinal(high)
        outside = (step.date < pl.lit(first)) | (step.date > pl.lit(last))
    return folded, outside


def _fold(op: str, step: DateStep, k: int | Fraction, low: int, high: int) -> Expr | None:
    pl = polars()
    ceil_k = -((-k.numerator) // k.denominator)
    floor_k = k.numerator // k.denominator

    def at_least(n: int) -> Expr:  # f(date) >= n
        threshold = _search(step.fn, step.increasing, n, low, high)
        if threshold is None:  # never
            return pl_when_known(step.date, pl.lit(False))
        if threshold is True:  # always
            return pl_when_known(step.date, pl.lit(True))
        return step.date >= threshold if step.increasing else step.date <= threshold

    if op == ">=":
        return at_least(ceil_k)
    if op == ">":
        return at_least(floor_k + 1)
    if op == "<":
        return ~at_least(ceil_k)
    if op == "<=":
        return ~at_least(floor_k + 1)
    if op in ("==", "!="):
        if k.denominator != 1:
            equal = pl_when_known(step.date, pl.lit(False))
        else:
            equal = at_least(int(k)) & ~at_least(int(k) + 1)
        return equal if op == "==" else ~equal
    return None


def _counts(fn: Any, ordinal: int) -> bool:
    try:
        fn(dt.date.fromordinal(ordinal))
    except (ValueError, OverflowError, ArithmeticError):
        return False
    return True


def _first(below: int, above: int, holds: Any) -> int:
    """The first ordinal in ``below + 1 .. above`` where ``holds`` (false at ``below``, true
    at ``above``), by bisection."""
    while above - below > 1:
        middle = (below + above) // 2
        if holds(middle):
            above = middle
        else:
            below = middle
    return above


@cache
def _counted(fn: Any) -> tuple[int, int]:
    """The range of dates (ordinals) the engine counts for: where it raises is at the ends
    of the calendar (a date it would compute falls before year 1 or after 9999)."""
    low, high = _FIRST_DAY, _LAST_DAY
    middle = dt.date(2000, 1, 1).toordinal()
    if not _counts(fn, middle):
        raise ValueError("cannot count the dates around 2000")
    if not _counts(fn, low):
        low = _first(low, middle, lambda ordinal: _counts(fn, ordinal))
    if not _counts(fn, high):
        high = _first(middle, high, lambda ordinal: not _counts(fn, ordinal)) - 1
    return low, high


def _monotone(fn: Any, increasing: bool, low: int, high: int) -> bool:
    """A cheap check of the direction the step function is declared to go in."""
    points = sorted({low, high, *[p for p in _CHECKS if low <= p <= high]})
    values = [fn(dt.date.fromordinal(p)) for p in points]
    pairs = list(itertools.pairwise(values))
    return all((a <= b) if increasing else (a >= b) for a, b in pairs)


@cache
def _search(fn: Any, increasing: bool, n: int, low: int, high: int) -> dt.date | bool | None:
    """The first date on which ``fn(date) >= n`` (increasing), or the last (decreasing),
    within ``low..high``; True when it holds on all of them, None when on none."""

    def holds(ordinal: int) -> bool:
        return bool(fn(dt.date.fromordinal(ordinal)) >= n)

    if increasing:  # holds from some date on
        if not holds(high):
            return None
        if holds(low):
            return True
        return dt.date.fromordinal(_first(low, high, holds))
    if not holds(low):  # holds up to some date: the day before it first fails
        return None
    if holds(high):
        return True
    return dt.date.fromordinal(_first(low, high, lambda ordinal: not holds(ordinal)) - 1)


__all__ = ["fold_step"]
