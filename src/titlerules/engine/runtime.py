"""Engine layer: runtime values and the built-in functions the compiled closures call.

Values are plain Python: ``bool``, ``int``, ``Fraction`` (never float), ``date``, ``str``,
enum members, ``frozenset``, :class:`Duration`, :class:`Seq` (a list read from a record,
with the record path of each element) and :class:`Unknown` — a missing fact, carrying the
record paths that would decide it.  Kleene logic: ``False and unknown`` is False, ``True or
unknown`` is True, and anything else touching an unknown is unknown.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from titlerules import calendar as cal
from titlerules.errors import TitleRulesError

if TYPE_CHECKING:
    from titlerules.core.trace import Segment, Trace


class Unknown:
    """A value that depends on facts the record does not state (``paths``)."""

    __slots__ = ("paths",)

    def __init__(self, paths: frozenset[str]) -> None:
        self.paths = paths

    def __repr__(self) -> str:
        return f"Unknown({sorted(self.paths)})"

    def __or__(self, other: Unknown) -> Unknown:
        return Unknown(self.paths | other.paths)


def unknown(*paths: str) -> Unknown:
    return Unknown(frozenset(paths))


@dataclass(frozen=True, slots=True, order=True)
class Duration:
    """An amount of working days, calendar days, months or years."""

    amount: int | Fraction
    unit: str

    def __str__(self) -> str:
        return f"{self.amount} {self.unit}"


class Seq:
    """A list read from a record: its items and the record path of each.

    The paths of a list read straight from a record (:meth:`of`) are spelled only when
    asked for: most evaluations never need them.
    """

    __slots__ = ("_base", "_paths", "items")

    def __init__(self, items: tuple[Any, ...], paths: tuple[str, ...] | None = None) -> None:
        self.items = items
        self._paths = paths
        self._base = "(list)"

    @staticmethod
    def of(items: list[Any] | tuple[Any, ...], path: str) -> Seq:
        seq = Seq(tuple(items))
        seq._base = path
        return seq

    @property
    def paths(self) -> tuple[str, ...]:
        if self._paths is None:
            base = self._base
            self._paths = tuple(f"{base}[{i}]" for i in range(len(self.items)))
        return self._paths

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Seq):
            return NotImplemented
        return self.items == other.items and self.paths == other.paths

    def __hash__(self) -> int:
        return hash((self.items, self.paths))

    def __repr__(self) -> str:
        return f"Seq(items={self.items!r}, paths={self.paths!r})"


class ElementPath:
    """The record path of the list element a variable is bound to, spelled on demand."""

    __slots__ = ("index", "seq")

    def __init__(self, seq: Seq) -> None:
        self.seq = seq
        self.index = 0

    def __str__(self) -> str:
        return self.seq.paths[self.index]


# Values a record read wraps: lists become Seq (with element paths), sets frozensets.
WRAPPED = (list, tuple, set, frozenset)

_NO_YEARS: frozenset[int] = frozenset()

# "No variable of that name was bound" (a lambda or def parameter shadowing nothing).
ABSENT = object()


def finish_read(value: Any, full: str, env: Env) -> Any:
    """A value read at record path ``full``: lists become :class:`Seq`, sets frozensets;
    the read is traced when the evaluation explains itself."""
    if isinstance(value, (list, tuple)):
        value = Seq.of(value, full)
    elif isinstance(value, (set, frozenset)):
        value = frozenset(value)
    if env.trace is not None and not isinstance(value, BaseModel):
        env.trace.append((full, value))
    return value


def unbind(
    variables: dict[str, Any], var_paths: dict[str, Any], var: str, saved: Any, saved_path: Any
) -> None:
    """Put back what a lambda's variable shadowed (or remove it) after a list method."""
    if saved is ABSENT:
        variables.pop(var, None)
    else:
        variables[var] = saved
    if saved_path is None:
        var_paths.pop(var, None)
    else:
        var_paths[var] = saved_path


def var_path(env: Env, var: str) -> str:
    """The record path of the value bound to ``var``."""
    path = env.var_paths.get(var, var)
    return path if type(path) is str else str(path)


class Env:
    """One evaluation: the records, the as-of date, bound variables and the trace."""

    __slots__ = (
        "_made",
        "as_of",
        "calendar",
        "let_reads",
        "lets",
        "provisional_years",
        "roots",
        "trace",
        "var_paths",
        "vars",
    )

    def __init__(
        self,
        roots: dict[str, Any],
        as_of: dt.date | None,
        calendar: cal.Calendar,
        trace: Trace | None = None,
    ) -> None:
        self.roots = roots
        self.as_of = as_of
        self.calendar = calendar
        self.trace = trace
        self.provisional_years: set[int] | frozenset[int] = _NO_YEARS
        # vars, var_paths, lets and let_reads are made on first use (__getattr__): most
        # evaluations need none of them.
        self._made = False

    if TYPE_CHECKING:
        vars: dict[str, Any]
        var_paths: dict[str, str | ElementPath]
        lets: dict[str, Any]
        let_reads: dict[str, Segment]

    def __getattr__(self, name: str) -> Any:
        # Called only for a slot not yet set: make the empty container, keep it.
        factory = _LAZY_PARTS.get(name)
        if factory is None:
            raise AttributeError(name)
        value = factory()
        object.__setattr__(self, name, value)
        self._made = True
        return value

    def reuse(self, root: str, record: Any, as_of: dt.date | None) -> None:
        """Ready the environment for the next record of a run: everything an earlier
        record left (its record, derived values, bound variables, trace, years) is gone."""
        roots = self.roots
        if len(roots) != 1 or root not in roots:
            roots.clear()
        roots[root] = record
        self.as_of = as_of
        self.trace = None
        self.provisional_years = _NO_YEARS
        if self._made:
            self.vars, self.var_paths, self.lets, self.let_reads = {}, {}, {}, {}

    def note_years(self, years: Iterable[int]) -> None:
        """Record calendar years a working-day answer depended on (provisional ones)."""
        if type(self.provisional_years) is frozenset:
            self.provisional_years = set(years)
        else:
            self.provisional_years.update(years)  # type: ignore[union-attr]

    def read(self, path: str, value: Any) -> None:
        if self.trace is not None:
            self.trace.append((path, value))


_LAZY_PARTS: Mapping[str, Callable[[], Any]] = MappingProxyType(
    {"vars": dict, "var_paths": dict, "lets": dict, "let_reads": dict}
)

Fn = Callable[[Env], Any]


def rank(value: Any) -> Any:
    """Order key: enum members compare by their rank, everything else by value."""
    if isinstance(value, enum.Enum):
        return getattr(value, "rank", value.value)
    if isinstance(value, Duration):
        return value.amount
    return value


def compare(op: str, left: Any, right: Any) -> Any:
    if type(left) is Unknown:
        return left | right if type(right) is Unknown else left
    if type(right) is Unknown:
        return right
    if op == "==":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if op == "in":
        return bool(left in _members(right))
    if op == "not in":
        return bool(left not in _members(right))
    a, b = rank(left), rank(right)
    if a is None or b is None:  # an unranked term (e.g. 不确定) is neither above nor below
        return False
    if op == "<":
        return bool(a < b)
    if op == "<=":
        return bool(a <= b)
    if op == ">":
        return bool(a > b)
    return bool(a >= b)


_ORDER_TESTS: Mapping[str, Callable[[Any, Any], bool]] = MappingProxyType(
    {
        "<": lambda a, b: bool(a < b),
        "<=": lambda a, b: bool(a <= b),
        ">": lambda a, b: bool(a > b),
        ">=": lambda a, b: bool(a >= b),
    }
)
SIMPLE_ORDERED = frozenset({int, dt.date})


def comparator(op: str) -> Callable[[Any, Any], bool]:
    """``compare(op, a, b)`` for known (not unknown) operands, with ``op`` resolved once."""
    if op == "==":
        return lambda a, b: bool(a == b)
    if op == "!=":
        return lambda a, b: bool(a != b)
    if op == "in":
        return lambda a, b: bool(a in _members(b))
    if op == "not in":
        return lambda a, b: bool(a not in _members(b))
    test = _ORDER_TESTS[op]

    def ordered(a: Any, b: Any) -> bool:
        if type(a) is type(b) and type(a) in SIMPLE_ORDERED:
            return test(a, b)
        ra, rb = rank(a), rank(b)
        if ra is None or rb is None:  # an unranked term is neither above nor below
            return False
        return test(ra, rb)

    return ordered


def _members(container: Any) -> Any:
    return container.items if isinstance(container, Seq) else container


def arithmetic(op: str, left: Any, right: Any, env: Env) -> Any:
    if type(left) is Unknown:
        return left | right if type(right) is Unknown else left
    if type(right) is Unknown:
        return right
    if isinstance(left, dt.date) and isinstance(right, Duration):
        amount = right.amount if op == "+" else -right.amount
        return shift_date(left, Duration(amount, right.unit), env)
    if isinstance(left, Duration) and isinstance(right, Duration):
        if op == "+":
            return Duration(left.amount + right.amount, left.unit)
        if op == "-":
            return Duration(left.amount - right.amount, left.unit)
        return Fraction(left.amount) / Fraction(right.amount)
    if isinstance(left, Duration):
        amount = left.amount * right if op == "*" else Fraction(left.amount) / right
        return Duration(_normal(amount), left.unit)
    if isinstance(right, Duration):
        return Duration(_normal(left * right.amount), right.unit)
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if right == 0:
        return unknown("division by zero")
    if op == "%":
        return left % right
    return _normal(Fraction(left) / Fraction(right))


def _normal(value: Any) -> Any:
    if isinstance(value, Fraction) and value.denominator == 1:
        return int(value)
    return value


def note_years(env: Env, *dates: dt.date) -> None:
    """Record the calendar years a working-day answer depended on, if provisional."""
    years = sorted({d.year for d in dates})
    if not years:
        return
    for year in range(years[0], years[-1] + 1):
        if env.calendar.is_provisional_year(year):
            env.note_years((year,))


def shift_date(start: dt.date, by: Duration, env: Env) -> Any:
    amount = by.amount
    if isinstance(amount, Fraction):
        return unknown(f"a fractional {by.unit} shift")
    if by.unit == "working_days":
        result = env.calendar.add_working_days(start, amount)
        note_years(env, start, result)
        return result
    if by.unit == "days":
        return start + dt.timedelta(days=amount)
    if by.unit == "months":
        return add_months(start, amount)
    return add_months(start, 12 * amount)


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _month_length(year: int, month: int) -> int:
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return _MONTH_DAYS[month - 1]


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus whole months, the day clamped to the month's end (as ``relativedelta``)."""
    year, month0 = divmod(day.month - 1 + months, 12)
    year += day.year
    month = month0 + 1
    length = _month_length(year, month)
    return dt.date(year, month, day.day if day.day <= length else length)


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from start to end, truncated towards zero with month-end clamping:
    the total months of ``relativedelta(end, start)``, in closed form."""
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if end >= start:
        if add_months(start, months) > end:
            months -= 1
    elif add_months(start, months) < end:
        months += 1
    return months


def whole_years(start: dt.date, end: dt.date) -> int | Fraction:
    """``between(start, end, "years", "floor")``, for the generated code's common case."""
    if end >= start:
        years = end.year - start.year
        day = start.day
        if day == 29 and start.month == 2 and _month_length(end.year, 2) == 28:
            day = 28
        if (end.month, end.day) < (start.month, day):
            years -= 1
        return years
    return between(start, end, "years", "floor")


def between(start: dt.date, end: dt.date, unit: str, rounding: str) -> int | Fraction:
    """Whole (floor), rounded-up (ceil) or exact years / months from start to end."""
    if unit == "years" and rounding == "floor" and end >= start:
        # Whole years: the anniversary in end's year (29 February falls on the 28th in a
        # common year) has passed or not; the same answer as the general path, sooner.
        return whole_years(start, end)
    months = months_between(start, end)
    whole = months // 12 if unit == "years" else months
    anchor = add_months(start, whole * 12 if unit == "years" else whole)
    remainder_days = (end - anchor).days
    if rounding == "floor" or (rounding == "ceil" and remainder_days == 0):
        return whole
    if rounding == "ceil":
        return whole + 1
    span_days = (add_months(anchor, 12 if unit == "years" else 1) - anchor).days
    exact: int | Fraction = _normal(whole + Fraction(remainder_days, span_days))
    return exact


def builtin_working_days_between(env: Env, a: dt.date, b: dt.date) -> Duration:
    note_years(env, a, b)
    return Duration(env.calendar.working_days_between(a, b), "working_days")


def builtin_is_working_day(env: Env, d: dt.date) -> bool:
    note_years(env, d)
    return env.calendar.is_working_day(d)


def builtin_add_working_days(env: Env, d: dt.date, n: Any) -> Any:
    amount = n.amount if isinstance(n, Duration) else n
    return shift_date(d, Duration(amount, "working_days"), env)


def builtin_days_between(env: Env, a: dt.date, b: dt.date) -> Duration:
    return Duration((b - a).days, "days")


def builtin_years_between(env: Env, a: dt.date, b: dt.date, rounding: str) -> Any:
    return between(a, b, "years", rounding)


def builtin_months_between(env: Env, a: dt.date, b: dt.date, rounding: str) -> Any:
    return between(a, b, "months", rounding)


def _term(value: Any) -> str:
    return str(value.value if isinstance(value, enum.Enum) else value)


def builtin_retirement_date(
    env: Env, birth: Any, gender: Any, category: Any, senior_professional: Any
) -> Any:
    """Called with unknown arguments too: a man's retirement age depends on neither his
    identity (干部/工人) nor on 组通字〔2015〕14号; a woman covered by that notice
    (``senior_professional``) retires at 60 whatever her identity."""
    for value in (birth, gender):
        if type(value) is Unknown:
            return value
    senior = False
    if _term(gender) == "male":
        category = None
    else:
        if type(senior_professional) is Unknown:
            return senior_professional
        senior = bool(senior_professional)
        if type(category) is Unknown:
            if not senior:
                return category
            category = None
    try:
        if type(birth) is not dt.date:  # a datetime, or a value no date: the checked call
            return cal.retirement_date(
                birth,
                _term(gender),
                None if category is None else _term(category),
                senior_professional=senior,
            )
        return cal.known_retirement_date(
            birth, _term(gender), None if category is None else _term(category), senior
        )
    except TitleRulesError as exc:
        return unknown(f"retirement date ({exc.message})")


def builtin_sanction_end(
    env: Env, start: Any, system: Any, severity: Any, party_severity: Any
) -> Any:
    """End of the default 处分期 of a sanction in its ``system``'s table; 9999-12-31 for a
    sanction with no period (开除, 开除党籍).  Called with unknown arguments too: a party
    sanction reads ``party_severity`` (a bare 警告 under 党纪处分 is the party warning),
    any other system ``severity``."""
    for value in (start, system):
        if type(value) is Unknown:
            return value
    if _term(system) == "party":
        if type(party_severity) is not Unknown:
            kind = party_severity
        elif type(severity) is not Unknown and _term(severity) == "warning":
            kind = "警告"
        else:
            return party_severity
    else:
        if type(severity) is Unknown:
            return severity
        kind = severity
    term = getattr(kind, "zh", None) or _term(kind)
    try:
        end = cal.sanction_end(start, term, _term(system))
    except TitleRulesError as exc:
        return unknown(f"the default period of '{term}' ({exc.message})")
    return end if end is not None else dt.date.max


def builtin_date(env: Env, y: int, m: int, d: int) -> Any:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return unknown(f"date({y}, {m}, {d}) is not a real date")


def builtin_year(env: Env, d: dt.date) -> int:
    return d.year


def builtin_month(env: Env, d: dt.date) -> int:
    return d.month


def builtin_start_of_month(env: Env, d: dt.date) -> dt.date:
    return d.replace(day=1)


def builtin_end_of_month(env: Env, d: dt.date) -> dt.date:
    return d.replace(day=_month_length(d.year, d.month))


def builtin_end_of_year(env: Env, d: dt.date) -> dt.date:
    return dt.date(d.year, 12, 31)


def builtin_min(env: Env, a: Any, b: Any) -> Any:
    return a if rank(a) <= rank(b) else b


def builtin_max(env: Env, a: Any, b: Any) -> Any:
    return a if rank(a) >= rank(b) else b


def jsonable(value: Any) -> Any:
    """A JSON-friendly rendering of a runtime value (for decisions and logs)."""
    if isinstance(value, enum.Enum):  # before str: vocabularies are StrEnums
        return getattr(value, "zh", None) or value.value
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Duration):
        return str(value)
    if isinstance(value, Seq):
        return f"{len(value.items)} item(s)"
    if isinstance(value, (set, frozenset)):
        return sorted(jsonable(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return str(value)


# ---------------------------------------------------------------- list methods


def empty_list_reason(method: str, path: str) -> str:
    """The missing fact of a ``min``/``max`` of an empty list: the list, by its record path
    (``applicant.titles: empty, no min``); the columnar path spells it the same way."""
    return f"{path}: empty, no {method}"


def list_elements(seq: Any) -> Seq:
    """The elements a list method runs over, in order: a set's in a stable order, whatever
    the hashing."""
    if isinstance(seq, (set, frozenset)):
        return Seq.of(sorted(seq, key=lambda v: (str(rank(v)), str(v))), "(set)")
    if not isinstance(seq, Seq):
        return Seq.of(list(seq), "(list)")
    return seq


def list_result(
    method: str, values: list[Any], seq: Seq, env: Env, path: Callable[[Env], Any]
) -> Any:
    """The value of ``where``, ``count``, ``sum``, ``min`` or ``max`` from its body's value
    for every element of ``seq`` (the closures' and the generated code's; ``any`` and
    ``all``, Kleene, have loops of their own): unknown when an element's value is; ``path``
    gives the record path an empty ``min``/``max`` names."""
    missing = [r for r in values if type(r) is Unknown]
    if missing:
        return Unknown(frozenset().union(*(m.paths for m in missing)))
    if method == "count":
        return sum(1 for r in values if r)
    if method == "where":
        kept = [i for i, r in enumerate(values) if r]
        paths = seq.paths
        return Seq(tuple(seq.items[i] for i in kept), tuple(paths[i] for i in kept))
    if method == "sum":
        if not values:
            return 0
        total: Any = values[0]
        for value in values[1:]:
            total = arithmetic("+", total, value, env)
        return total
    if not values:
        return unknown(empty_list_reason(method, str(path(env) or "(list)")))
    return (min if method == "min" else max)(values, key=rank)
