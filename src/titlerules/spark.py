"""Deciding a Spark DataFrame of applicants with the columnar path, on the executors.

::

    from pyspark.sql import SparkSession
    import titlerules
    from titlerules import spark as trspark

    session = SparkSession.builder.getOrCreate()
    applicants = session.read.parquet("hdfs:///audit/applicants/")
    decisions = trspark.decide(titlerules.load_policy("eryuan-2024"), applicants, key="id")
    decisions.write.parquet("hdfs:///audit/decisions/")

The DataFrame's columns are named by record path, as a Parquet file's are (typed columns,
text, lists of structs or JSON text).  Each Arrow batch Spark hands a Python worker
(``mapInArrow``) is decided by :class:`~titlerules.batch.ColumnarPolicy` exactly as a chunk of
a file is (:func:`titlerules.batch.arrow.decide_frame`): the same decisions as
``Policy.evaluate``, rows the columnar form cannot decide going to the per-record path on the
executor.  The policy (its resolved source, compiled on the executor once per Python worker)
and its working-day calendar are shipped once, as a broadcast variable.

The result has the columnar path's result columns but ``row`` (a Spark DataFrame has no row
order): ``key`` first when it names a column that is not a record path (carried over with its
type), then ``id``, ``outcome``, ``failed``, ``unknown``, ``error``, one ``rule.<id>`` column
per rule (text) and, with ``explain``, ``missing`` and ``explanation``.  Progress is Spark's:
its UI and logs.  Needs the ``[spark]`` extra (pyspark) and a Java runtime.
"""

from __future__ import annotations

import os
import pickle
import shutil
import sys
import threading
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from titlerules.batch.arrow import decide_frame, plain_batch, result_arrow
from titlerules.batch.runner import ColumnarPolicy
from titlerules.engine.policy import Policy
from titlerules.errors import InputFileError, OutputFileError, TitleRulesError, UsageError

_SPARK_HINT = "install the Spark extra: pip install 'titlerules[spark]' (and a Java runtime)"


def _pyspark_sql() -> Any:
    try:
        import pyspark.sql as sql
    except ImportError:
        raise TitleRulesError(
            "deciding Spark DataFrames needs pyspark, which is not installed",
            hint=_SPARK_HINT,
            code="TR500",
        ) from None
    return sql


class ExecutorPolicies:
    """The compiled policies of one Python worker, by what was shipped: each is compiled
    once per worker process, however many batches and tasks it decides (a cache)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._compiled: dict[tuple[str, Any], ColumnarPolicy] = {}

    def get(self, run: str, payload: Any, as_of: Any) -> ColumnarPolicy:
        """The policy ``run`` names (its content hash and its calendar's), compiled from
        the broadcast ``payload`` the first time."""
        with self._lock:
            key = (run, as_of)
            found = self._compiled.get(key)
            if found is None:
                resolved, diagnostics, calendar = pickle.loads(payload.value)
                found = ColumnarPolicy(Policy(resolved, diagnostics, calendar), as_of=as_of)
                if len(self._compiled) >= 8:  # the oldest run's policy goes
                    del self._compiled[next(iter(self._compiled))]
                self._compiled[key] = found
            return found


EXECUTOR_POLICIES = ExecutorPolicies()


def result_schema(columnar: ColumnarPolicy, frame: Any, *, key: str | None, explain: bool) -> Any:
    """The Spark schema of :func:`decide`'s result."""
    from pyspark.sql import types as T

    text = T.StringType()
    texts = T.ArrayType(T.StringType(), containsNull=True)
    fields = []
    if carried(columnar, key):
        assert key is not None
        fields.append(T.StructField(key, frame.schema[key].dataType, True))
    fields += [
        T.StructField("id", text, True),
        T.StructField("outcome", text, True),
        T.StructField("failed", texts, True),
        T.StructField("unknown", texts, True),
        T.StructField("error", text, True),
        *[T.StructField(f"rule.{rule_id}", text, True) for rule_id in columnar.rule_ids],
    ]
    if explain:
        fields += [T.StructField("missing", texts, True), T.StructField("explanation", text, True)]
    return T.StructType(fields)


def carried(columnar: ColumnarPolicy, key: str | None) -> bool:
    """Whether ``key`` is carried over as a column of its own (it is not a record path)."""
    return key is not None and columnar.schema.leaf(key) is None


def decide(
    policy: Policy,
    frame: Any,
    *,
    as_of: Any = None,
    key: str | None = None,
    explain: bool = False,
    lang: str = "zh",
) -> Any:
    """Decide every row of a Spark DataFrame of applicants (see the module docstring);
    a DataFrame of results, one row per input row."""
    sql = _pyspark_sql()
    if not isinstance(policy, Policy):
        raise UsageError(
            f"argument 'policy' must be a Policy, not {type(policy).__name__}",
            hint="load it with titlerules.load_policy(...)",
        )
    if not isinstance(frame, sql.DataFrame):
        raise UsageError(
            f"argument 'frame' must be a pyspark.sql.DataFrame, not {type(frame).__name__}",
            hint="read the applicants with spark.read.parquet(...) or spark.table(...)",
        )
    if lang not in ("zh", "en"):
        raise UsageError(f"lang must be zh or en, not {lang!r}")
    columnar = ColumnarPolicy(policy, as_of=as_of)  # on the driver: a bad policy fails here
    if key is not None and key not in frame.columns:
        raise UsageError(
            f"the DataFrame has no column {key!r} (the key)",
            hint=f"the columns are: {', '.join(frame.columns)}",
        )
    schema = result_schema(columnar, frame, key=key, explain=explain)
    payload = pickle.dumps((policy.resolved, policy.diagnostics, policy.calendar), protocol=5)
    shipped = frame.sparkSession.sparkContext.broadcast(payload)
    names = tuple(frame.columns)
    calendar = policy.calendar
    # What the compiled policy depends on: a worker compiles each such policy once, however
    # many runs ship it.
    run = f"{policy.sha256}|{calendar.data_version}|{calendar.strict}|{calendar.language}"
    decider = _Decider(run, shipped, as_of, key, explain, lang, _arrow_schema(schema), names)
    # Spark resolves the input's columns by name, and a record path's dots would be read as
    # fields of a struct: the columns travel as c0, c1 ... and get their names back in Arrow.
    plain = frame.toDF(*[f"c{i}" for i in range(len(names))])
    with _quiet():
        return plain.mapInArrow(decider, schema)


@contextmanager
def _quiet() -> Iterator[None]:
    """PySpark's warning about the installed pandas (its pandas API is not used here)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas")
        yield


class _Decider:
    """What ``mapInArrow`` runs on the executors (pickled by reference to this class, with
    its settings): every Arrow batch through the columnar path."""

    def __init__(
        self,
        run: str,
        shipped: Any,
        as_of: Any,
        key: str | None,
        explain: bool,
        lang: str,
        arrow_schema: Any,
        names: tuple[str, ...],
    ) -> None:
        self.run = run
        self.shipped = shipped
        self.as_of = as_of
        self.key = key
        self.explain = explain
        self.lang = lang
        self.arrow_schema = arrow_schema
        self.names = names

    def __call__(self, batches: Iterator[Any]) -> Iterator[Any]:
        columnar = EXECUTOR_POLICIES.get(self.run, self.shipped, self.as_of)
        names = self.arrow_schema.names
        for batch in batches:
            raw = plain_batch(batch.rename_columns(list(self.names)))
            result = decide_frame(
                columnar, raw, 1, key=self.key, explain=self.explain, lang=self.lang
            )
            arrow = result_arrow(result.drop("row")).select(names)
            yield from arrow.cast(self.arrow_schema).to_batches()


def _arrow_schema(schema: Any) -> Any:
    import pyarrow as pa
    from pyspark.sql.pandas.types import to_arrow_type

    return pa.schema([pa.field(f.name, to_arrow_type(f.dataType)) for f in schema.fields])


# ---------------------------------------------------------------- files


def read_table(session: Any, path: str) -> Any:
    """A Parquet or CSV table (a file or a folder of parts) as a Spark DataFrame: Parquet
    typed as written, CSV as text with a header of record paths."""
    suffix = Path(path.rstrip("/")).suffix.lower()
    local = "://" not in path
    if local and not Path(path).exists():
        raise InputFileError(f"{path}: no such file or folder")
    try:
        if suffix == ".csv":
            return (
                session.read.option("header", True)
                .option("inferSchema", False)
                .option("escape", '"')  # a quote inside a cell is doubled (RFC 4180)
                .option("multiLine", False)
                .csv(path)
            )
        if suffix == ".parquet" or (local and Path(path).is_dir()):
            return session.read.parquet(path)
    except Exception as exc:  # Spark's AnalysisException and its kin
        raise InputFileError(f"{path}: Spark cannot read it: {_first_line(exc)}") from None
    raise UsageError(
        f"{path}: Spark reads tables of records from .parquet or .csv",
        hint="name a .parquet or .csv file or folder",
    )


def session(master: str | None = None) -> Any:
    """The Spark session for ``titlerules check --spark``: the active one, if any; under
    ``spark-submit`` (a cluster), the one it configures; otherwise a local one on every core
    (:func:`local_session`, ``local[*]``, with Spark's UI for progress)."""
    sql = _pyspark_sql()
    active = sql.SparkSession.getActiveSession()
    if active is not None and master is None:
        return active
    if os.environ.get("SPARK_ENV_LOADED") and master is None:  # set by spark-submit
        return sql.SparkSession.builder.appName("titlerules check").getOrCreate()
    return local_session(master or "local[*]", **{"spark.ui.enabled": "true"})


def local_session(master: str = "local[2]", **conf: str) -> Any:
    """A local Spark session whose Python workers run this interpreter and see its
    ``PYTHONPATH`` (tests, benchmarks, a laptop)."""
    sql = _pyspark_sql()
    # The workers' interpreter: PySpark reads it from the environment when it starts them.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = (
        sql.SparkSession.builder.master(master)
        .appName("titlerules")
        .config("spark.pyspark.python", sys.executable)
        .config("spark.pyspark.driver.python", sys.executable)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        # The columnar path decides a batch in a handful of queries: larger batches than
        # Spark's 10,000 rows spread their fixed cost (docs/scale.md); an explained batch
        # is ~2 kB a row in the JVM, which local mode runs in the driver's heap.
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "20000")
        .config("spark.driver.memory", "2g")
    )
    if os.environ.get("PYTHONPATH"):
        builder = builder.config("spark.executorEnv.PYTHONPATH", os.environ["PYTHONPATH"])
    for name, value in conf.items():
        builder = builder.config(name, value)
    with _quiet():
        return builder.getOrCreate()


def read_result(session: Any, path: str) -> Any:
    """A result folder :func:`write_table` wrote, as a DataFrame."""
    if path.rstrip("/").lower().endswith(".jsonl"):
        return session.read.json(path)
    return session.read.parquet(path)


def write_table(frame: Any, out: str) -> None:
    """The results written as Parquet (``.parquet``) or JSON Lines (``.jsonl``) parts in
    the folder ``out``; a local folder is put in place only when every part is written."""
    suffix = Path(out.rstrip("/")).suffix.lower()
    if suffix not in (".parquet", ".jsonl"):
        raise UsageError(
            f"{out}: Spark writes results as .parquet or .jsonl folders",
            hint="name the output RESULT.parquet or RESULT.jsonl",
        )
    local = "://" not in out
    target = out
    if local:
        parent = Path(out).resolve().parent
        if not parent.is_dir():
            raise OutputFileError(f"{out}: the folder {parent} does not exist")
        target = str(parent / f".{Path(out).name}.{uuid.uuid4().hex}.tmp")
    writer = frame.write.mode("overwrite")
    try:
        if suffix == ".parquet":
            writer.parquet(target)
        else:
            writer.json(target)
    except BaseException:
        if local:
            shutil.rmtree(target, ignore_errors=True)
        raise
    if local:
        old = None
        if os.path.lexists(out):
            old = f"{target}.old"
            os.replace(out, old)
        os.replace(target, out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


__all__ = [
    "ExecutorPolicies",
    "decide",
    "local_session",
    "read_result",
    "read_table",
    "result_schema",
    "session",
    "write_table",
]
