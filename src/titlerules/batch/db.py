"""batch layer: tables of applicants read from a SQL database, results written back.

::

    from titlerules import batch, load_policy

    columnar = batch.ColumnarPolicy(load_policy("eryuan-2024"))
    summary = batch.run_database(
        columnar, "duckdb:////data/office.duckdb", table="applicants", out_table="decisions"
    )

The database is named by a URI in SQLAlchemy's style: ``duckdb:///relative.duckdb``,
``duckdb:////absolute.duckdb``, ``duckdb:///:memory:`` (DuckDB, embedded: the default), or
``postgresql://user@host:port/db`` (a PostgreSQL server, read and written through ADBC's
libpq driver).  A DuckDB connection object may be given instead of a URI.

Rows are read as Arrow record batches (DuckDB's and ADBC's own readers), ``chunk_rows`` at a
time, and each chunk goes through the columnar path exactly as a chunk of a file does
(:func:`titlerules.batch.io.evaluate_chunk`): one result row per input row, the same error
rows, the same decisions.  The input's columns are named by record path, as in a Parquet
file (``"person.birth_date"``; lists of records as JSON/JSONB text, DuckDB lists of structs
or PostgreSQL JSON); ``key`` names a column that is not a record path (an applicant number)
to carry over to the result table beside ``row``; a table read whole is read in that
column's order.  Facts kept in child tables are joined in by the ``query``
(examples/database/).

The result table is written in one transaction: it replaces a table of that name when the
run succeeds, and nothing changes when it fails.  ``failed``, ``unknown`` and ``missing`` are
lists of text (``VARCHAR[]`` / ``text[]``), the rule columns text.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from titlerules.argcheck import checked
from titlerules.batch._polars import polars
from titlerules.batch.arrow import decide_frame, plain_batch, result_arrow
from titlerules.batch.io import Progress, Summary
from titlerules.batch.runner import ColumnarPolicy, unreadable_rows
from titlerules.errors import InputFileError, OutputFileError, TitleRulesError, UsageError

DEFAULT_CHUNK_ROWS = 100_000
_DB_HINT = "install the database extra: pip install 'titlerules[db]'"


@dataclass(frozen=True)
class DatabaseURI:
    """A parsed database URI: ``kind`` (``duckdb`` or ``postgresql``), ``target`` (a DuckDB
    file or ``:memory:``; a libpq URI) and ``shown`` (the URI without its password)."""

    kind: str
    target: str
    shown: str


def parse_uri(uri: str) -> DatabaseURI:
    """Read a database URI in SQLAlchemy's style (see the module docstring)."""
    parts = urlsplit(uri)
    scheme = parts.scheme.lower().split("+")[0]
    if scheme == "duckdb":
        if parts.netloc:
            raise UsageError(
                f"{uri}: a DuckDB URI names a file after three slashes",
                hint="write duckdb:///relative.duckdb, duckdb:////absolute.duckdb "
                "or duckdb:///:memory:",
            )
        path = parts.path[1:] if parts.path.startswith("/") else parts.path
        return DatabaseURI("duckdb", path or ":memory:", uri)
    if scheme in ("postgresql", "postgres"):
        netloc = parts.netloc
        shown = uri
        if parts.password is not None:
            user = parts.username or ""
            host = netloc.rsplit("@", 1)[1]
            shown = urlunsplit(("postgresql", f"{user}:***@{host}", *parts[2:]))
        target = urlunsplit(("postgresql", netloc, *parts[2:]))
        return DatabaseURI("postgresql", target, shown)
    raise UsageError(
        f"{uri!r} is not a database URI titlerules reads",
        hint="use duckdb:///FILE.duckdb (embedded) or postgresql://user@host/db",
    )


def quote_name(name: str) -> str:
    """A table name (``table`` or ``schema.table``) quoted for SQL."""
    parts = _name_parts(name)
    return ".".join('"' + part.replace('"', '""') + '"' for part in parts)


def _name_parts(name: str) -> list[str]:
    parts = name.split(".")
    if not name or len(parts) > 2 or not all(parts):
        raise UsageError(
            f"{name!r} is not a table name",
            hint="name a table as TABLE or SCHEMA.TABLE",
        )
    return parts


# ---------------------------------------------------------------- the databases


class Database:
    """A connection to read record batches from and write a result table into."""

    shown: str

    def batches(self, sql: str, chunk_rows: int) -> Iterator[Any]:
        """The rows of ``sql`` as ``pyarrow.RecordBatch`` objects."""
        raise NotImplementedError

    def writer(self, table: str) -> TableWriter:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def read_error(self, exc: BaseException, what: str) -> TitleRulesError:
        return InputFileError(
            f"{self.shown}: cannot read {what}: {_reason(exc)}",
            hint="check the table or query and the connection (the database's own message "
            "is above)",
        )


class TableWriter:
    """Result chunks appended to a new table in one transaction: :meth:`commit` puts it in
    place of any table of that name, :meth:`discard` leaves the database as it was."""

    def write(self, arrow: Any) -> None:
        raise NotImplementedError

    def commit(self) -> None:
        raise NotImplementedError

    def discard(self) -> None:
        raise NotImplementedError


def _duckdb() -> Any:
    try:
        import duckdb
    except ImportError:
        raise TitleRulesError(
            "reading DuckDB databases needs the duckdb package, which is not installed",
            hint=_DB_HINT,
            code="TR500",
        ) from None
    return duckdb


class DuckDB(Database):
    def __init__(self, target: str | Any, shown: str) -> None:
        duckdb = _duckdb()
        self.shown = shown
        self._owned = isinstance(target, str)
        if isinstance(target, str):
            if target != ":memory:" and not Path(target).parent.is_dir():
                raise InputFileError(
                    f"{shown}: the folder of {target} does not exist",
                    hint="duckdb:///relative.duckdb counts from the current folder, "
                    "duckdb:////absolute.duckdb from the root",
                )
            try:
                self.connection = duckdb.connect(target)
            except duckdb.Error as exc:
                raise InputFileError(
                    f"{shown}: cannot open the database: {_reason(exc)}",
                    hint="check the file: another program may hold it open for writing",
                ) from None
        else:
            self.connection = target

    def batches(self, sql: str, chunk_rows: int) -> Iterator[Any]:
        duckdb = _duckdb()
        cursor = self.connection.cursor()  # its own connection: the writer uses another
        try:
            relation = cursor.sql(sql)
            if relation is None:
                raise UsageError(f"{sql!r} returns no rows", hint="give a SELECT query")
            reader = getattr(relation, "to_arrow_reader", None) or relation.fetch_arrow_reader
            yield from reader(chunk_rows)
        except duckdb.Error as exc:
            raise self.read_error(exc, repr(sql)) from None
        finally:
            cursor.close()

    def writer(self, table: str) -> TableWriter:
        return _DuckDBWriter(self.connection.cursor(), table)

    def close(self) -> None:
        if self._owned:
            self.connection.close()


class _DuckDBWriter(TableWriter):
    def __init__(self, cursor: Any, table: str) -> None:
        self.cursor = cursor
        self.table = table
        self.quoted = quote_name(table)
        self.view = f"__titlerules_chunk_{uuid.uuid4().hex}"
        self.created = False
        self._run("BEGIN TRANSACTION")

    def _run(self, sql: str) -> None:
        duckdb = _duckdb()
        try:
            self.cursor.execute(sql)
        except duckdb.Error as exc:
            raise OutputFileError(
                f"cannot write table {self.table}: {_reason(exc)}",
                hint="check that the database is writable and the name is free for a table",
            ) from None

    def write(self, arrow: Any) -> None:
        self.cursor.register(self.view, arrow)
        try:
            if not self.created:
                self._run(f"DROP TABLE IF EXISTS {self.quoted}")
                self._run(f"CREATE TABLE {self.quoted} AS SELECT * FROM {self.view}")
                self.created = True
            else:
                self._run(f"INSERT INTO {self.quoted} SELECT * FROM {self.view}")
        finally:
            self.cursor.unregister(self.view)

    def commit(self) -> None:
        self._run("COMMIT")
        self.cursor.close()

    def discard(self) -> None:
        try:
            self.cursor.execute("ROLLBACK")
        except Exception:  # the transaction may be gone with the error that ended it
            pass
        self.cursor.close()


def _adbc_postgresql() -> Any:
    try:
        import adbc_driver_postgresql.dbapi as dbapi
    except ImportError:
        raise TitleRulesError(
            "reading PostgreSQL needs the ADBC PostgreSQL driver, which is not installed",
            hint=_DB_HINT,
            code="TR500",
        ) from None
    return dbapi


class PostgreSQL(Database):
    def __init__(self, target: str, shown: str) -> None:
        self.dbapi = _adbc_postgresql()
        self.target = target
        self.shown = shown
        self.connection = self._connect()

    def _connect(self) -> Any:
        try:
            return self.dbapi.connect(self.target)
        except self.dbapi.Error as exc:
            raise InputFileError(
                f"{self.shown}: cannot connect: {_reason(exc)}",
                hint="check the server, the user and the database name in the URI",
            ) from None

    def batches(self, sql: str, chunk_rows: int) -> Iterator[Any]:
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql)
            reader = cursor.fetch_record_batch()
            yield from _rebatched(reader, chunk_rows)
        except self.dbapi.Error as exc:
            raise self.read_error(exc, repr(sql)) from None
        finally:
            cursor.close()
            self.connection.rollback()  # a read-only transaction: nothing to keep

    def writer(self, table: str) -> TableWriter:
        return _PostgreSQLWriter(self, table)

    def close(self) -> None:
        self.connection.close()


class _PostgreSQLWriter(TableWriter):
    def __init__(self, database: PostgreSQL, table: str) -> None:
        self.database = database
        self.connection = database._connect()  # its own transaction, beside the reader's
        self.cursor = self.connection.cursor()
        self.table = table
        parts = _name_parts(table)
        self.schema: str | None = parts[0] if len(parts) == 2 else None
        self.name = parts[-1]
        self.created = False

    def write(self, arrow: Any) -> None:
        try:
            if not self.created:
                self.cursor.execute(f"DROP TABLE IF EXISTS {quote_name(self.table)}")
            self.cursor.adbc_ingest(
                self.name,
                arrow,
                mode="append" if self.created else "create",
                db_schema_name=self.schema,
            )
            self.created = True
        except self.database.dbapi.Error as exc:
            raise OutputFileError(
                f"{self.database.shown}: cannot write table {self.table}: {_reason(exc)}",
                hint="check that the user may create tables there",
            ) from None

    def commit(self) -> None:
        try:
            self.connection.commit()
        finally:
            self.connection.close()

    def discard(self) -> None:
        try:
            self.connection.rollback()
        except Exception:  # the connection may be gone with the error that ended the run
            pass
        self.connection.close()


def connect(source: str | Any) -> Database:
    """A :class:`Database` for a URI, or for a DuckDB connection object."""
    if not isinstance(source, str):
        if type(source).__module__.split(".")[0] in ("duckdb", "_duckdb"):
            return DuckDB(source, "<duckdb connection>")
        raise UsageError(
            f"cannot read records from a {type(source).__name__}",
            hint="give a database URI (duckdb:///FILE.duckdb, postgresql://user@host/db) "
            "or a DuckDB connection",
        )
    uri = parse_uri(source)
    if uri.kind == "duckdb":
        return DuckDB(uri.target, uri.shown)
    return PostgreSQL(uri.target, uri.shown)


def _rebatched(reader: Any, rows: int) -> Iterator[Any]:
    """Record batches of ``rows`` rows (the last shorter) from batches of any size."""
    import pyarrow as pa

    pending: list[Any] = []
    count = 0
    for batch in reader:
        pending.append(batch)
        count += batch.num_rows
        while count >= rows:
            table = pa.Table.from_batches(pending)
            head = table.slice(0, rows).combine_chunks()
            yield from head.to_batches() or [pa.RecordBatch.from_pylist([], head.schema)]
            rest = table.slice(rows)
            pending, count = rest.to_batches(), rest.num_rows
    if count:
        yield from pa.Table.from_batches(pending).combine_chunks().to_batches()


def _reason(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


# ---------------------------------------------------------------- a table decided


@checked
def run_database(
    columnar: ColumnarPolicy,
    source: str | Any,
    *,
    table: str | None = None,
    query: str | None = None,
    out_table: str,
    key: str | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: Progress | None = None,
    explain: bool = False,
    lang: str = "zh",
    redact: bool = False,
) -> Summary:
    """Decide every row of ``table`` (or of ``query``) in the database ``source`` (a URI or
    a DuckDB connection) and write the result rows to ``out_table`` (see the module
    docstring); the summary of the run."""
    if (table is None) == (query is None):
        raise UsageError(
            "name the applicants' table or give a query, not both",
            hint="--table T, or --query 'SELECT ...' to join child tables",
        )
    if chunk_rows < 1:
        raise UsageError(f"chunk_rows must be at least 1, not {chunk_rows}")
    out_parts = [p.lower() for p in _name_parts(out_table)]
    if table is not None:
        if [p.lower() for p in _name_parts(table)] == out_parts:
            raise UsageError(
                f"the results would replace the table being read ({table})",
                hint="name another --out-table",
            )
        sql = f"SELECT * FROM {quote_name(table)}"
        if key is not None:
            sql += f" ORDER BY {_quoted_column(key)}"
    else:
        assert query is not None
        sql = query.strip().rstrip(";")
    pl = polars()
    summary = Summary(per_record_rules=dict(columnar.fallback_rules))
    started = time.perf_counter()
    database = connect(source)
    writer: TableWriter | None = None
    try:
        writer = database.writer(out_table)
        key_type: Any = None
        for batch in database.batches(sql, chunk_rows):
            raw = plain_batch(batch)
            if key is not None and key in raw.columns:
                key_type = raw.schema[key]
            result = decide_frame(
                columnar, raw, summary.rows + 1, key=key, explain=explain, lang=lang
            )
            summary.rows += result.height
            for outcome, count in result.group_by("outcome").len().iter_rows():
                summary.outcomes[outcome] = summary.outcomes.get(outcome, 0) + int(count)
            summary.per_record_rows += columnar.last_per_record_rows
            if redact:
                from titlerules.redact import redact_table

                result = redact_table(result)
            writer.write(result_arrow(result))
            if progress is not None:
                progress.update(summary.rows, None)
        if summary.rows == 0:  # no rows: still a table with the result columns
            empty = unreadable_rows([], columnar.rule_ids, explain)
            if key is not None and columnar.schema.leaf(key) is None:
                empty = empty.insert_column(1, pl.Series(key, [], dtype=key_type or pl.String))
            writer.write(result_arrow(empty))
        writer.commit()
    except BaseException:
        if writer is not None:
            writer.discard()  # a failure part-way never leaves a partial result table
        raise
    finally:
        database.close()
        if progress is not None:
            progress.close()
    summary.seconds = time.perf_counter() - started
    return summary


def _quoted_column(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


__all__ = [
    "Database",
    "DatabaseURI",
    "connect",
    "parse_uri",
    "run_database",
]
