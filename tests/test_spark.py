"""Spark: a DataFrame of applicants decided on the executors by the columnar path, in local
mode (``local[2]``).  The differential test: random records with missing facts (2,000
under ``make test``, 100,000 under ``make test-long``), explained: Spark's result rows are
the columnar path's, and both are the per-record decisions.  Needs the ``[spark]`` extra
and a Java runtime (``.ci/run`` installs one); under CI a missing one fails the tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pl = pytest.importorskip("polars")

from tests.services import budget, need_java, need_module, synthetic_table  # noqa: E402
from titlerules.batch import ColumnarPolicy  # noqa: E402
from titlerules.batch.schema import applicant_schema, row_record  # noqa: E402
from titlerules.cli import main  # noqa: E402
from titlerules.engine.policy import load_policy  # noqa: E402
from titlerules.errors import TitleRulesError, UsageError  # noqa: E402

BIG = budget(2_000, 100_000)


@pytest.fixture(scope="module")
def spark() -> Any:
    """One local Spark session for the module (starting one takes seconds)."""
    need_module("pyspark", "spark")
    need_java()
    from titlerules import spark as trspark

    session = trspark.local_session("local[2]")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _collected(frame: Any) -> Any:
    return pl.from_arrow(frame.toArrow())


def _as_text(table: Any) -> Any:
    enums = [n for n, t in table.schema.items() if isinstance(t, pl.Enum)]
    return table.with_columns([pl.col(n).cast(pl.String) for n in enums])


def test_spark_columnar_and_per_record_decide_random_records_alike(spark: Any) -> None:
    """The differential test: ``BIG`` random records (lists as lists of structs, 5% of the
    facts missing; 10^5 under ``make test-long``), explained on Spark and on the columnar
    path: the same rows, the same explanations; each row's outcome, failed and unknown
    rules, rule outcomes and missing facts are ``Policy.evaluate``'s."""
    from titlerules import spark as trspark

    policy = load_policy("eryuan-2024")
    columnar = ColumnarPolicy(policy)
    typed, _ = synthetic_table(BIG)
    frame = spark.createDataFrame(typed.to_arrow()).repartition(4)
    result = trspark.decide(policy, frame, key="id", explain=True, lang="zh")
    assert result.columns[:3] == ["id", "outcome", "failed"]
    got = _collected(result).sort("id")
    assert got.height == BIG
    # Both outcomes of the random population are among the rows, whatever its size.
    assert set(got.get_column("outcome")) >= {"ineligible", "undetermined"}
    want = _as_text(columnar.evaluate(typed, explain=True)).drop("row").sort("id")
    assert got.columns == want.columns
    for name in want.columns:
        assert got.get_column(name).to_list() == want.get_column(name).to_list(), name
    # ... and the per-record path's decisions, row by row (each row read back into the
    # record it states, as the per-record path reads a table).
    schema = applicant_schema()
    with_missing = 0
    for row, raw in zip(got.iter_rows(named=True), typed.iter_rows(named=True), strict=True):
        assert row["id"] == raw["id"]
        decision = policy.evaluate(row_record(raw, schema), explain=False)
        assert row["outcome"] == decision.outcome.value, row["id"]
        assert row["failed"] == [r.id for r in decision.failed]
        assert row["unknown"] == [r.id for r in decision.unknown]
        assert row["missing"] == decision.missing_facts, row["id"]
        rules = {k[5:]: v for k, v in row.items() if k.startswith("rule.")}
        assert rules == {r.id: r.outcome.value for r in decision.rules}
        assert row["explanation"]
        with_missing += bool(decision.missing_facts)
    assert with_missing > BIG // 10


def test_the_command_decides_a_parquet_and_a_csv_table_on_spark(
    spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = load_policy("eryuan-2024")
    typed, as_json = synthetic_table(3_000, seed=8, missing=0.1)
    source = tmp_path / "applicants.parquet"
    typed.write_parquet(source)
    out = tmp_path / "decisions.parquet"
    argv = ["check", "eryuan-2024", "--spark", str(source), "--out", str(out), "--json"]
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["rows"] == 3_000
    got = pl.read_parquet(out / "*.parquet").sort("id")
    want = _as_text(ColumnarPolicy(policy).evaluate(typed)).drop("row").sort("id")
    assert got.equals(want)
    assert summary["outcomes"] == dict(sorted(want.group_by("outcome").len().iter_rows()))
    # CSV: text cells, lists as JSON text; written again over the same folder.
    csv = tmp_path / "applicants.csv"
    as_json.with_columns(pl.col(pl.Boolean).cast(pl.String)).write_csv(csv)
    assert main(["check", "eryuan-2024", "--spark", str(csv), "--out", str(out)]) == 0
    again = pl.read_parquet(out / "*.parquet").sort("id")
    assert again.get_column("outcome").to_list() == want.get_column("outcome").to_list()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no leftovers


def test_a_key_column_is_carried_and_bad_calls_are_refused(spark: Any) -> None:
    from titlerules import spark as trspark

    policy = load_policy("eryuan-2024")
    _, as_json = synthetic_table(500, seed=2)
    frame = as_json.with_columns(pl.int_range(pl.len(), dtype=pl.Int32).alias("applicant_no"))
    result = trspark.decide(policy, spark.createDataFrame(frame.to_arrow()), key="applicant_no")
    assert result.columns[:2] == ["applicant_no", "id"]
    assert dict(result.dtypes)["applicant_no"] == "int"
    got = _collected(result).sort("applicant_no")
    want = ColumnarPolicy(policy).evaluate(frame.drop("applicant_no"))
    assert got.get_column("outcome").to_list() == want.get_column("outcome").to_list()
    with pytest.raises(UsageError, match="no column 'nope'"):
        trspark.decide(policy, spark.createDataFrame(frame.to_arrow()), key="nope")
    with pytest.raises(UsageError, match=r"pyspark\.sql\.DataFrame"):
        trspark.decide(policy, frame)
    with pytest.raises(TitleRulesError, match="no such file"):
        trspark.read_table(spark, "/no/such/applicants.parquet")
    with pytest.raises(UsageError, match=r"\.parquet or \.jsonl"):
        trspark.write_table(result, "/tmp/out.csv")
