"""Wrong argument types at the public API are titlerules errors naming the argument.

Every public function and method is called once per parameter with each of ``None``, a
whole number, a list and a bare object in that parameter's place (the other arguments
valid).  A value the function takes (``None`` where a parameter is optional) may succeed;
every failure must be an :class:`ArgumentTypeError` (TR001, also a ``TypeError``) naming
the function's argument, never Python's own ``TypeError`` or ``AttributeError`` from
somewhere inside.  A text or path holding a NUL character is refused the same way.
"""

from __future__ import annotations

import datetime as dt
import inspect
import pickle
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import titlerules
import titlerules.batch as batch
import titlerules.calendar as cal
from titlerules.errors import ArgumentTypeError, TitleRulesError

from .conftest import EXAMPLES

polars = pytest.importorskip("polars")

POLICY = titlerules.load_policy("eryuan-2024")
APPLICANT = next(iter(sorted((EXAMPLES / "eryuan-2024" / "applicants").glob("*.yaml"))))
PROCEDURE = EXAMPLES / "eryuan-2024" / "procedure.yaml"
HISTORICAL = EXAMPLES / "xianning-2024" / "historical-titles.csv"
OVERRIDES = EXAMPLES / "calendar" / "overrides-2026.yaml"
DAY = dt.date(2024, 7, 12)
RECORD: dict[str, Any] = {"applicant": {}}
BAD_VALUES = [None, 5, [1, 2], object()]


def _decision() -> Any:
    return POLICY.evaluate(RECORD)


def _columnar() -> Any:
    return batch.ColumnarPolicy(POLICY)


def _frame() -> Any:
    return polars.DataFrame({"applicant.employment.is_civil_servant": ["false"]})


# (name, function, valid arguments by name); a value of None in the table stands for
# a function's own default being left out.
PUBLIC: list[tuple[str, Callable[..., Any], dict[str, Any]]] = [
    ("load_policy", titlerules.load_policy, {"id_or_path": "eryuan-2024", "calendar": None}),
    ("lint", titlerules.lint, {"path": "eryuan-2024"}),
    ("parse", titlerules.parse, {"text": "module m {}\n", "path": "x.policy"}),
    ("format", titlerules.format, {"policy": titlerules.parse("module m {}\n")}),
    ("audit", titlerules.audit, {"policy": POLICY, "procedure": PROCEDURE, "as_of": DAY}),
    ("audit_set", titlerules.audit_set, {"policy": POLICY, "sources": [APPLICANT]}),
    ("plan", titlerules.plan, {"policy": POLICY, "meeting": DAY, "base": None}),
    ("validate_records", titlerules.validate_records, {"path": HISTORICAL, "today": DAY}),
    ("Policy.evaluate", POLICY.evaluate, {"record": RECORD, "as_of": DAY, "explain": True}),
    ("Policy.evaluate_many", POLICY.evaluate_many, {"records": [RECORD], "as_of": DAY}),
    ("Decision.explain", _decision().explain, {"lang": "en"}),
    ("calendar.is_working_day", cal.is_working_day, {"day": DAY}),
    ("calendar.working_days_between", cal.working_days_between, {"start": DAY, "end": DAY}),
    ("calendar.add_working_days", cal.add_working_days, {"day": DAY, "n": 3}),
    (
        "calendar.latest_start_n_working_days_before",
        cal.latest_start_n_working_days_before,
        {"day": DAY, "n": 3, "on_working_day": True},
    ),
    (
        "calendar.deadline_within_working_days",
        cal.deadline_within_working_days,
        {"start": DAY, "n": 3},
    ),
    ("calendar.holiday_name", cal.holiday_name, {"day": DAY}),
    ("calendar.working_day_index", cal.working_day_index, {"day": DAY}),
    ("calendar.count_working_days", cal.count_working_days, {"start": DAY, "end": DAY}),
    ("calendar.shift_working_days", cal.shift_working_days, {"day": DAY, "n": 2}),
    ("calendar.window_working_days", cal.window_working_days, {"start": DAY, "end": DAY}),
    ("calendar.is_provisional_year", cal.is_provisional_year, {"year": 2024}),
    (
        "calendar.retirement",
        cal.retirement,
        {
            "birth": dt.date(1970, 1, 1),
            "gender": "male",
            "category": None,
            "senior_professional": False,
        },
    ),
    (
        "calendar.retirement_age",
        cal.retirement_age,
        {"birth": dt.date(1970, 1, 1), "gender": "male"},
    ),
    (
        "calendar.retirement_date",
        cal.retirement_date,
        {"birth": dt.date(1970, 1, 1), "gender": "male"},
    ),
    ("calendar.sanction_kind", cal.sanction_kind, {"kind": "警告"}),
    ("calendar.sanction_rule", cal.sanction_rule, {"kind": "警告", "system": "institution"}),
    (
        "calendar.sanction_effect_months",
        cal.sanction_effect_months,
        {"kind": "警告", "overrides": None},
    ),
    ("calendar.sanction_end", cal.sanction_end, {"start": DAY, "kind": "警告"}),
    ("calendar.load_overrides", cal.load_overrides, {"path": OVERRIDES}),
    (
        "calendar.parse_overrides",
        cal.parse_overrides,
        {
            "data": {"year": 2026, "source": "通知", "holidays": [], "workdays": []},
            "file": "x.yaml",
        },
    ),
    ("Calendar", cal.Calendar, {"overrides": (), "strict": False, "language": "zh_CN"}),
    ("Calendar.from_overrides", cal.Calendar.from_overrides, {"paths": [OVERRIDES]}),
    (
        "batch.evaluate_table",
        batch.evaluate_table,
        {"policy": POLICY, "frame": _frame(), "as_of": DAY},
    ),
    ("batch.validate_table", batch.validate_table, {"frame": _frame(), "schema": None}),
    ("batch.ColumnarPolicy", batch.ColumnarPolicy, {"policy": POLICY, "as_of": DAY}),
    (
        "ColumnarPolicy.evaluate",
        _columnar().evaluate,
        {"table": _frame(), "explain": True, "lang": "en"},
    ),
    (
        "batch.read_chunks",
        batch.read_chunks,
        {"path": HISTORICAL, "schema": batch.applicant_schema()},
    ),
    ("batch.run_file", batch.run_file, {"columnar": _columnar(), "source": HISTORICAL}),
]

# Parameters whose annotation is ``object``: any value is taken, and a wrong one is a
# titlerules error about its content (an override document that is not a mapping).
TAKES_ANY = {("calendar.parse_overrides", "data")}


def _call(function: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    result = function(**kwargs)
    if isinstance(result, Iterator):
        result = list(result)
    return result


def _cases() -> Iterator[Any]:
    for name, function, valid in PUBLIC:
        for parameter in inspect.signature(function).parameters.values():
            if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                continue
            for index, bad in enumerate(BAD_VALUES):
                yield pytest.param(
                    name,
                    function,
                    valid,
                    parameter.name,
                    bad,
                    id=f"{name}-{parameter.name}-{index}",
                )


def test_the_valid_calls_succeed() -> None:
    for _name, function, valid in PUBLIC:
        _call(function, {k: v for k, v in valid.items() if v is not None})


def test_every_public_parameter_is_in_the_table() -> None:
    """Parameters are tested by name: the table names every one a function has."""
    for name, function, valid in PUBLIC:
        names = {
            p.name
            for p in inspect.signature(function).parameters.values()
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        }
        assert set(valid) <= names, name


@pytest.mark.parametrize(("name", "function", "valid", "argument", "bad"), list(_cases()))
def test_wrong_types_are_our_errors_naming_the_argument(
    name: str, function: Callable[..., Any], valid: dict[str, Any], argument: str, bad: object
) -> None:
    kwargs = {k: v for k, v in valid.items() if v is not None}
    kwargs[argument] = bad
    try:
        _call(function, kwargs)
    except ArgumentTypeError as error:
        assert error.code == "TR001"
        assert isinstance(error, TypeError)
        assert pickle.loads(pickle.dumps(error)).message == error.message
        if not isinstance(bad, list):  # a list's elements may be refused by their own name
            assert f"argument '{argument}': must be" in str(error), str(error)
    except TitleRulesError as error:
        # A value of a type the parameter takes (a number, a list, None) may be wrong in
        # what it holds; a bare object is of no type any parameter takes.
        assert type(bad) is not object or (name, argument) in TAKES_ANY, repr(error)
    else:
        assert type(bad) is not object or (name, argument) in TAKES_ANY, f"took {bad!r}"


@pytest.mark.parametrize(
    ("function", "kwargs", "argument"),
    [
        (titlerules.load_policy, {"id_or_path": "a\0b"}, "id_or_path"),
        (titlerules.load_policy, {"id_or_path": Path("a\0b.policy")}, "id_or_path"),
        (titlerules.lint, {"path": "x\0.policy"}, "path"),
        (titlerules.validate_records, {"path": "h\0.csv"}, "path"),
        (titlerules.audit, {"policy": POLICY, "procedure": "p\0.yaml"}, "procedure"),
        (titlerules.audit_set, {"policy": POLICY, "sources": "dir\0"}, "sources"),
        (cal.load_overrides, {"path": "o\0.yaml"}, "path"),
        (batch.run_file, {"columnar": None, "source": "t\0.csv"}, "source"),
    ],
)
def test_a_nul_in_a_path_is_our_error(
    function: Callable[..., Any], kwargs: dict[str, Any], argument: str
) -> None:
    if "columnar" in kwargs:
        kwargs["columnar"] = _columnar()
    with pytest.raises(ArgumentTypeError, match=f"argument '{argument}': holds a NUL"):
        function(**kwargs)
