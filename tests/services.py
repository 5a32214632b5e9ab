"""What the database and Spark tests need from the machine: an extra installed, a
PostgreSQL server (``TITLERULES_TEST_PG``, started by ``.ci/postgres.sh`` under ``make test``
and ``.ci/run``), a Java runtime.  Missing, a test is skipped on a developer's machine and
fails under CI (``CI`` set): CI must run them."""

from __future__ import annotations

import importlib
import os
import shutil
from functools import cache
from typing import Any

import pytest

# `make test` runs the big differential and property tests on a smaller budget (the same
# inputs every run); `make test-long` (TITLERULES_TEST_LONG=1) runs them on the full one.
LONG = os.environ.get("TITLERULES_TEST_LONG", "") not in ("", "0")


def budget(default: int, long: int) -> int:
    """The size of a big test's input: ``default`` under ``make test``, ``long`` under
    ``make test-long``."""
    return long if LONG else default


def missing(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} (CI runs this test: .ci/run installs and starts what it needs)")
    pytest.skip(what)


def need_module(name: str, extra: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        missing(f"{name} is not installed (pip install 'titlerules[{extra}]')")


def postgres_uri() -> str:
    uri = os.environ.get("TITLERULES_TEST_PG")
    if not uri:
        missing("no PostgreSQL server: TITLERULES_TEST_PG is not set (make test starts one)")
    assert uri is not None
    return uri


def need_java() -> None:
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        missing("no Java runtime (apt-get install default-jre-headless)")


@cache
def synthetic_records(rows: int, seed: int = 2024, missing: float = 0.05) -> list[dict[str, Any]]:
    """``rows`` synthetic applicants (generated once per test run: 10^5 take a while)."""
    from titlerules.synthetic import applicants

    return applicants(rows, seed=seed, missing=missing)


@cache
def synthetic_table(rows: int, seed: int = 2024, missing: float = 0.05) -> tuple[Any, Any]:
    """``rows`` synthetic applicants as a typed table (lists of structs), and the same with
    the lists as JSON text of text values (a JSON column); ordered by ``id``."""
    from titlerules.batch.schema import applicant_schema
    from titlerules.synthetic import typed_table

    typed = typed_table(synthetic_records(rows, seed, missing))
    lists = [f.path for f in applicant_schema().lists if f.path in typed.columns]
    as_json = typed.with_columns([json_text(name, typed.schema[name]) for name in lists])
    return typed, as_json


def json_text(name: str, dtype: Any) -> Any:
    """A list-of-structs column as JSON text whose values are all text (what an export of a
    JSON column holds)."""
    import polars as pl

    fields = {f.name: pl.String for f in dtype.inner.fields}
    encoded = pl.element().cast(pl.Struct(fields)).struct.json_encode()
    joined = pl.col(name).list.eval(encoded).list.join(",")
    return pl.concat_str([pl.lit("["), joined, pl.lit("]")]).alias(name)
