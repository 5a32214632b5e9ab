"""Batch layer: applicants read from a database (DuckDB embedded, a real PostgreSQL server),
results written back: the same result rows as the files path, one per input row, written in
one transaction.  The PostgreSQL tests use the server ``make test`` / ``.ci/run`` start
(``TITLERULES_TEST_PG``); under CI they fail when it is missing."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

pl = pytest.importorskip("polars")

from tests.services import budget, need_module, postgres_uri, synthetic_table  # noqa: E402
from titlerules.batch import ColumnarPolicy  # noqa: E402
from titlerules.batch.db import parse_uri, quote_name, run_database  # noqa: E402
from titlerules.batch.io import run_file  # noqa: E402
from titlerules.cli import main  # noqa: E402
from titlerules.engine.policy import load_policy  # noqa: E402
from titlerules.errors import OutputFileError, TitleRulesError, UsageError  # noqa: E402
from titlerules.synthetic import applicants, flat_rows, spelled  # noqa: E402

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "database"
BIG = budget(10_000, 100_000)  # rows of the big-table tests (100,000: make test-long)


@pytest.fixture(scope="module")
def duckdb() -> Any:
    return need_module("duckdb", "db")


@pytest.fixture(scope="module")
def columnar() -> ColumnarPolicy:
    return ColumnarPolicy(load_policy("eryuan-2024"))


def _as_text(table: Any) -> Any:
    """A result table as a database holds it (rule outcomes as text)."""
    enums = [n for n, t in table.schema.items() if isinstance(t, pl.Enum)]
    return table.with_columns([pl.col(n).cast(pl.String) for n in enums])


def _files_path(columnar: ColumnarPolicy, frame: Any, tmp_path: Path, **kwargs: Any) -> Any:
    """The files path's result table for ``frame`` written as a Parquet file."""
    source = tmp_path / "applicants.parquet"
    frame.write_parquet(source)
    _summary, result = run_file(columnar, source, **kwargs)
    return _as_text(result)


def _assert_same(got: Any, want: Any) -> None:
    assert got.columns == want.columns
    assert got.height == want.height
    for name in want.columns:
        left, right = got.get_column(name).to_list(), want.get_column(name).to_list()
        assert left == right, (
            name,
            [(a, b) for a, b in zip(left, right, strict=True) if a != b][:3],
        )


def _duckdb_table(con: Any, name: str, frame: Any) -> None:
    con.register("__frame", frame.to_arrow())
    con.execute(f"CREATE OR REPLACE TABLE {quote_name(name)} AS SELECT * FROM __frame")
    con.unregister("__frame")


def _read_duckdb(con: Any, name: str) -> Any:
    return pl.from_arrow(con.sql(f"SELECT * FROM {quote_name(name)} ORDER BY row").to_arrow_table())


# ---------------------------------------------------------------- URIs


@pytest.mark.parametrize(
    ("uri", "kind", "target"),
    [
        ("duckdb:///relative.duckdb", "duckdb", "relative.duckdb"),
        ("duckdb:////data/absolute.duckdb", "duckdb", "/data/absolute.duckdb"),
        ("duckdb:///:memory:", "duckdb", ":memory:"),
        ("duckdb://", "duckdb", ":memory:"),
        (
            "postgresql://clerk@db.example/office",
            "postgresql",
            "postgresql://clerk@db.example/office",
        ),
        ("postgres://clerk@db:5433/office", "postgresql", "postgresql://clerk@db:5433/office"),
    ],
)
def test_uris_are_read_in_sqlalchemy_style(uri: str, kind: str, target: str) -> None:
    parsed = parse_uri(uri)
    assert (parsed.kind, parsed.target) == (kind, target)


def test_a_password_is_not_shown_and_other_schemes_are_refused() -> None:
    parsed = parse_uri("postgresql://clerk:secret@db/office")
    assert "secret" not in parsed.shown and "secret" in parsed.target
    with pytest.raises(UsageError, match="not a database URI"):
        parse_uri("mysql://clerk@db/office")
    with pytest.raises(UsageError, match="three slashes"):
        parse_uri("duckdb://host/file.duckdb")


# ---------------------------------------------------------------- DuckDB


def test_a_big_duckdb_table_decides_as_the_files_path(
    duckdb: Any, columnar: ColumnarPolicy, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The issue's command on a file named by an absolute path: ``BIG`` result rows, the
    files path's decisions (lists of records as DuckDB lists of structs)."""
    typed, _ = synthetic_table(BIG)
    path = tmp_path / "a.duckdb"
    with duckdb.connect(str(path)) as con:
        _duckdb_table(con, "applicants", typed)
    uri = f"duckdb:///{path}"
    assert uri.startswith("duckdb:////")
    argv = ["check", "eryuan-2024", "--from-db", uri, "--table", "applicants"]
    assert main([*argv, "--out-table", "decisions", "--key", "id", "--json"]) == 0
    assert f'"rows": {BIG}' in capsys.readouterr().out
    with duckdb.connect(str(path)) as con:
        got = _read_duckdb(con, "decisions")
    assert got.height == BIG
    want = _files_path(columnar, typed, tmp_path)
    _assert_same(got, want)
    assert set(got.get_column("outcome").unique()) >= {"ineligible", "undetermined"}


def test_json_columns_messy_spellings_and_error_rows_are_the_files_paths(
    duckdb: Any, columnar: ColumnarPolicy, tmp_path: Path
) -> None:
    """A table created by the example DDL (lists of records in JSON columns; the facts as
    text), filled with
    odd spellings and values that are not records: the same rows, errors included, with
    explanations, as the same table read from a file."""
    records = spelled(applicants(400, seed=9, missing=0.1, messy=True), messy=True)
    columns = flat_rows(records)
    text = pl.DataFrame(columns, schema={name: pl.String for name in columns})
    con = duckdb.connect()
    ddl = (EXAMPLES / "duckdb.sql").read_text(encoding="utf-8")
    # As exported by hand: every fact as text (a typed column would refuse 1978年1月23日).
    con.execute(re.sub(r'" (BOOLEAN|DATE|INTEGER)', '" VARCHAR', ddl))
    known = {row[0] for row in con.execute("DESCRIBE applicants").fetchall()}
    assert set(text.columns) <= known, set(text.columns) - known
    con.register("__frame", text.to_arrow())
    names = ", ".join(f'"{n}"' for n in text.columns)
    con.execute(f"INSERT INTO applicants ({names}) SELECT {names} FROM __frame")
    json_columns = {r[0] for r in con.execute("DESCRIBE applicants").fetchall() if r[1] == "JSON"}
    assert "sanctions" in json_columns
    query = f"SELECT {names} FROM applicants"  # (DuckDB keeps the order rows were inserted in)
    summary = run_database(
        columnar, con, query=query, out_table="decisions", explain=True, lang="en", chunk_rows=150
    )
    got = _read_duckdb(con, "decisions")
    want = _files_path(columnar, text, tmp_path, explain=True, lang="en", chunk_rows=150)
    _assert_same(got, want)
    assert summary.rows == 400 and summary.errors > 0
    assert got.filter(pl.col("outcome") == "error").get_column("error").null_count() == 0


def test_child_tables_joined_by_applicant_key_decide_as_nested_lists(
    duckdb: Any, columnar: ColumnarPolicy, tmp_path: Path
) -> None:
    """examples/database/duckdb-children.sql: sanctions, assessments and titles in child
    tables, gathered per applicant by the example query: the decisions of the same
    applicants with the lists nested."""
    typed, _ = synthetic_table(2_000, seed=31, missing=0.1)
    con = duckdb.connect()
    schema = (EXAMPLES / "duckdb-children.sql").read_text(encoding="utf-8")
    ddl, query = schema.split("\n-- query:\n")
    con.execute(ddl)
    children = {"sanctions": "sanctions", "assessments": "assessments", "titles": "titles"}
    flat = typed.drop(list(children))
    parent_names = [row[0] for row in con.execute("DESCRIBE applicant").fetchall()]
    _duckdb_table(con, "__flat", flat)
    kept = [n for n in parent_names if n in flat.columns]
    cols = ", ".join(f'"{n}"' for n in kept)
    con.execute(f"INSERT INTO applicant ({cols}) SELECT {cols} FROM __flat")
    for column, table in children.items():
        child_names = [row[0] for row in con.execute(f"DESCRIBE {table}").fetchall()]
        exploded = (
            typed.select("id", column)
            .explode(column)
            .drop_nulls(column)
            .with_row_index("seq")
            .unnest(column)
            .rename({"id": "applicant_id"})
        )
        _duckdb_table(con, f"__{table}", exploded)
        cols = ", ".join(f'"{n}"' for n in child_names if n in exploded.columns)
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM __{table}")
    run_database(columnar, con, query=query, out_table="decisions", explain=True)
    got = _read_duckdb(con, "decisions")
    # An applicant without child rows states an empty list, as the query writes it.
    nested = typed.with_columns(
        [pl.col(c).fill_null(pl.lit([], dtype=typed.schema[c])) for c in children]
    )
    want = _files_path(columnar, nested, tmp_path, explain=True)
    _assert_same(got, want)


def test_the_key_column_is_carried_over_with_its_type_in_key_order(
    duckdb: Any, columnar: ColumnarPolicy
) -> None:
    _, as_json = synthetic_table(300, seed=4)
    frame = as_json.with_columns(
        (pl.int_range(pl.len(), dtype=pl.Int32) * -1 + 1000).alias("applicant_no")
    )
    con = duckdb.connect()
    _duckdb_table(con, "people", frame)
    run_database(columnar, con, table="people", out_table="out", key="applicant_no")
    got = _read_duckdb(con, "out")
    assert got.columns[:3] == ["row", "applicant_no", "id"]
    assert got.schema["applicant_no"] == pl.Int32
    assert got.get_column("applicant_no").to_list() == sorted(range(701, 1001))
    want = columnar.evaluate(frame.drop("applicant_no").reverse())
    assert got.get_column("outcome").to_list() == want.get_column("outcome").to_list()


def test_a_run_that_fails_part_way_leaves_the_result_table_as_it_was(
    duckdb: Any, columnar: ColumnarPolicy, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, as_json = synthetic_table(300, seed=4)
    con = duckdb.connect()
    _duckdb_table(con, "people", as_json)
    con.execute("CREATE TABLE decisions AS SELECT 'before' AS note")
    import titlerules.batch.db as db

    calls = {"n": 0}
    real = db.decide_frame

    def failing(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OutputFileError("the disk is full")
        return real(*args, **kwargs)

    monkeypatch.setattr(db, "decide_frame", failing)
    with pytest.raises(OutputFileError, match="disk is full"):
        run_database(columnar, con, table="people", out_table="decisions", chunk_rows=100)
    assert con.execute("SELECT * FROM decisions").fetchall() == [("before",)]


def test_bad_requests_are_refused_naming_what_to_do(
    duckdb: Any, columnar: ColumnarPolicy, tmp_path: Path
) -> None:
    con = duckdb.connect()
    con.execute('CREATE TABLE people ("id" VARCHAR)')
    con.execute("INSERT INTO people VALUES ('A1')")
    with pytest.raises(UsageError, match="replace the table being read"):
        run_database(columnar, con, table="people", out_table="PEOPLE")
    with pytest.raises(TitleRulesError, match="nope"):
        run_database(columnar, con, table="people", out_table="out", key="nope")
    with pytest.raises(UsageError, match="no column 'nope'"):
        run_database(columnar, con, query="SELECT * FROM people", out_table="out", key="nope")
    with pytest.raises(TitleRulesError, match="cannot read") as raised:
        run_database(columnar, con, table="missing_table", out_table="out")
    assert raised.value.hint
    with pytest.raises(UsageError, match="not both"):
        run_database(columnar, con, table="people", query="SELECT 1", out_table="out")
    missing = f"duckdb:///{tmp_path}/no/such/folder/a.duckdb"
    argv = ["check", "eryuan-2024", "--from-db", missing, "--table", "t", "--out-table", "r"]
    assert main(argv) == 2
    assert main(["check", "eryuan-2024", "--from-db", "duckdb://", "--table", "t"]) == 2
    assert main(["check", "eryuan-2024", "--table", "t"]) == 2


def test_an_empty_table_gives_an_empty_result_table_with_the_columns(
    duckdb: Any, columnar: ColumnarPolicy
) -> None:
    con = duckdb.connect()
    con.execute('CREATE TABLE people ("id" VARCHAR, "person.birth_date" DATE)')
    summary = run_database(columnar, con, table="people", out_table="out")
    got = _read_duckdb(con, "out")
    assert summary.rows == 0 and got.height == 0
    assert {"row", "id", "outcome", "failed"} <= set(got.columns)


# ---------------------------------------------------------------- PostgreSQL


@pytest.fixture(scope="module")
def postgres() -> Any:
    need_module("adbc_driver_postgresql", "db")
    import adbc_driver_postgresql.dbapi as dbapi

    uri = postgres_uri()
    with dbapi.connect(uri) as con:
        yield uri, con


def _postgres_table(con: Any, name: str, frame: Any, json_columns: list[str]) -> None:
    """``frame`` as a table made by the example DDL (JSONB lists): loaded through a staging
    table (ADBC's COPY), cast on the way in."""
    with con.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {quote_name(name)}")
        cur.execute("DROP TABLE IF EXISTS staging")
        ddl = (EXAMPLES / "postgresql.sql").read_text(encoding="utf-8")
        cur.execute(re.sub(r"\bapplicants\b", name, ddl, count=1))
        cur.adbc_ingest("staging", frame.to_arrow(compat_level=pl.CompatLevel.oldest()))
        cur.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            f"WHERE table_name = '{name}'"
        )
        types = dict(cur.fetchall())
        names = [n for n in frame.columns if n in types]
        assert set(frame.columns) == set(names), set(frame.columns) - set(names)
        select = ", ".join(
            f'"{n}"::jsonb' if n in json_columns else f'"{n}"::{_pg_type(types[n])}' for n in names
        )
        quoted = ", ".join(f'"{n}"' for n in names)
        cur.execute(f"INSERT INTO {quote_name(name)} ({quoted}) SELECT {select} FROM staging")
        cur.execute("DROP TABLE staging")
    con.commit()


def _pg_type(data_type: str) -> str:
    return {"character varying": "varchar", "USER-DEFINED": "text"}.get(data_type, data_type)


def test_a_big_postgresql_table_decides_as_the_files_path(
    postgres: Any, columnar: ColumnarPolicy, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same on the PostgreSQL server the test set-up started: a table made by
    examples/database/postgresql.sql, lists of records in JSONB columns."""
    uri, con = postgres
    _, as_json = synthetic_table(BIG)
    lists = [n for n in as_json.columns if as_json.schema[n] == pl.String and n in _LISTS]
    _postgres_table(con, "applicants", as_json, lists)
    argv = ["check", "eryuan-2024", "--from-db", uri, "--table", "applicants"]
    assert main([*argv, "--out-table", "decisions", "--key", "id", "--json"]) == 0
    assert f'"rows": {BIG}' in capsys.readouterr().out
    with con.cursor() as cur:
        cur.execute("SELECT * FROM decisions ORDER BY row")
        got = pl.from_arrow(cur.fetch_arrow_table())
    con.commit()
    assert got.height == BIG
    _assert_same(got, _files_path(columnar, as_json, tmp_path))


def test_postgresql_messy_rows_explained_and_a_failed_run_changes_nothing(
    postgres: Any, columnar: ColumnarPolicy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uri, con = postgres
    records = spelled(applicants(300, seed=12, missing=0.1, messy=True), messy=True)
    columns = flat_rows(records)
    text = pl.DataFrame(columns, schema={name: pl.String for name in columns})
    with con.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS messy")
        cur.adbc_ingest("messy", text.to_arrow(compat_level=pl.CompatLevel.oldest()))
    con.commit()
    summary = run_database(
        columnar,
        uri,
        query='SELECT * FROM messy ORDER BY "id"',
        out_table="public.messy_out",
        explain=True,
        chunk_rows=70,
    )
    with con.cursor() as cur:
        cur.execute("SELECT * FROM messy_out ORDER BY row")
        got = pl.from_arrow(cur.fetch_arrow_table())
    con.commit()
    want = _files_path(
        columnar, text.sort("id", nulls_last=True), tmp_path, explain=True, chunk_rows=70
    )
    _assert_same(got, want)
    assert summary.errors > 0

    import titlerules.batch.db as db

    real = db.decide_frame
    calls = {"n": 0}

    def failing(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OutputFileError("the server went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(db, "decide_frame", failing)
    with pytest.raises(OutputFileError):
        run_database(columnar, uri, table="messy", out_table="messy_out", chunk_rows=70)
    with con.cursor() as cur:
        cur.execute("SELECT count(*) FROM messy_out")
        assert cur.fetchone() == (300,)
    con.commit()


def test_a_server_that_cannot_be_reached_is_a_clear_error(columnar: ColumnarPolicy) -> None:
    need_module("adbc_driver_postgresql", "db")
    with pytest.raises(TitleRulesError, match="cannot connect") as raised:
        run_database(
            columnar,
            "postgresql://nobody:pw@127.0.0.1:1/none",
            table="applicants",
            out_table="decisions",
        )
    assert "pw" not in str(raised.value)


_LISTS = {
    "titles",
    "other_applications",
    "failed_applications",
    "service",
    "assessments",
    "education",
    "continuing_education",
    "sanctions",
    "investigations",
    "credit_records",
    "ability_tests",
    "achievements",
}
