"""batch layer: ``titlerules check POLICY FILE.csv|.jsonl|.parquet [--out RESULT] [--explain]``;
``--from-db URI --table T|--query SQL --out-table R`` (a database, :mod:`titlerules.batch.db`)
and ``--spark INPUT --out OUTPUT`` (Spark, :mod:`titlerules.spark`).

Called by the ``check`` command for tabular inputs.  Streams the file in chunks through
the columnar path; a progress line on a terminal (stderr), quiet otherwise.  With ``--out``
the result rows go to that file (``.jsonl`` or ``.parquet``) and the summary to stdout
(``--json``: as JSON); without it the result rows are printed as JSON Lines and the summary
goes to stderr.  ``--explain`` adds each row's missing facts and explanation (``--lang``).

Exit status: 0 when every row was decided, 2 when a row is an error row (its reason is in
the result) or the input cannot be read.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from titlerules.errors import UsageError


def run_tabular(args: argparse.Namespace, as_of: dt.date | None) -> int:
    from titlerules.atomic import refuse_inputs
    from titlerules.batch.io import DEFAULT_CHUNK_ROWS, Progress, is_tabular, run_file
    from titlerules.batch.runner import ColumnarPolicy
    from titlerules.engine.policy import load_policy

    if len(args.records) != 1 or not is_tabular(args.records[0]):
        raise UsageError(
            "a table of records is checked on its own: one .csv, .jsonl or .parquet file",
            hint="run 'titlerules check POLICY FILE.parquet --out RESULT.parquet'",
        )
    if getattr(args, "log", None):
        raise UsageError(
            "--log records single decisions; a table's results are its --out file",
            hint="drop --log, or check the records as YAML/JSON files",
        )
    source = Path(args.records[0])
    out = getattr(args, "out", None)
    chunk_rows = getattr(args, "chunk_rows", None) or DEFAULT_CHUNK_ROWS
    if chunk_rows < 1:
        raise UsageError("--chunk-rows must be at least 1")
    if out is not None:  # before any work: the results may not replace what is being read
        refuse_inputs(out, [source, args.policy])
    policy = load_policy(args.policy)
    columnar = ColumnarPolicy(policy, as_of=as_of)
    progress = Progress(sys.stderr)
    explained = {
        "explain": bool(getattr(args, "explain", False)),
        "lang": args.lang,
        "redact": bool(getattr(args, "redact", False)),
    }
    if out is not None:
        summary, _ = run_file(
            columnar, source, out, chunk_rows=chunk_rows, progress=progress, **explained
        )
        _print_summary(args, summary.to_dict(), summary.render(), sys.stdout)
    else:
        progress.enabled = False
        summary, table = run_file(columnar, source, None, chunk_rows=chunk_rows, **explained)
        sys.stdout.write(table.write_ndjson())
        _print_summary(args, summary.to_dict(), summary.render(), sys.stderr)
    if summary.errors:
        return 2
    fail_on = set(getattr(args, "fail_on", None) or ())
    return 1 if any(summary.outcomes.get(outcome) for outcome in fail_on) else 0


def run_elsewhere(args: argparse.Namespace, as_of: dt.date | None) -> int:
    """``--from-db URI --table T|--query SQL --out-table R``, or ``--spark INPUT --out OUT``."""
    from titlerules.batch.io import DEFAULT_CHUNK_ROWS, Progress
    from titlerules.batch.runner import ColumnarPolicy
    from titlerules.engine.policy import load_policy

    if args.records:
        raise UsageError(
            "records come from the database (or Spark) here, not from files",
            hint="drop the record files, or drop --from-db/--spark",
        )
    if args.from_db is not None and args.spark is not None:
        raise UsageError("give --from-db or --spark, not both")
    if getattr(args, "log", None):
        raise UsageError(
            "--log records single decisions; a table's results are its result table",
            hint="drop --log",
        )
    explain = bool(getattr(args, "explain", False))
    if args.spark is not None:
        return _run_spark(args, as_of, explain)
    if args.out is not None:
        raise UsageError("--from-db writes to --out-table, not --out", hint="use --out-table R")
    if args.out_table is None:
        raise UsageError("--from-db needs --out-table R (the result table)")
    if (args.table is None) == (args.query is None):
        raise UsageError("--from-db needs --table T or --query SQL (one of them)")
    chunk_rows = getattr(args, "chunk_rows", None) or DEFAULT_CHUNK_ROWS
    if chunk_rows < 1:
        raise UsageError("--chunk-rows must be at least 1")
    from titlerules.batch.db import run_database

    columnar = ColumnarPolicy(load_policy(args.policy), as_of=as_of)
    summary = run_database(
        columnar,
        args.from_db,
        table=args.table,
        query=args.query,
        out_table=args.out_table,
        key=args.key,
        chunk_rows=chunk_rows,
        progress=Progress(sys.stderr),
        explain=explain,
        lang=args.lang,
        redact=bool(getattr(args, "redact", False)),
    )
    _print_summary(args, summary.to_dict(), summary.render(), sys.stdout)
    if summary.errors:
        return 2
    fail_on = set(getattr(args, "fail_on", None) or ())
    return 1 if any(summary.outcomes.get(outcome) for outcome in fail_on) else 0


def _run_spark(args: argparse.Namespace, as_of: dt.date | None, explain: bool) -> int:
    import time

    from titlerules.engine.policy import load_policy

    for flag in ("table", "query", "out_table"):
        if getattr(args, flag) is not None:
            raise UsageError(f"--{flag.replace('_', '-')} goes with --from-db, not --spark")
    if args.out is None:
        raise UsageError("--spark needs --out RESULT.parquet (or .jsonl): a folder of parts")
    if getattr(args, "redact", False):
        raise UsageError("--redact is not offered with --spark", hint="drop --redact")
    from titlerules import spark as trspark

    policy = load_policy(args.policy)  # before Spark starts: a bad policy fails at once
    session = trspark.session()
    started = time.perf_counter()
    frame = trspark.read_table(session, args.spark)
    result = trspark.decide(
        policy, frame, as_of=as_of, key=args.key, explain=explain, lang=args.lang
    )
    trspark.write_table(result, args.out)
    written = trspark.read_result(session, args.out)
    counts = {
        str(row["outcome"]): int(row["count"])
        for row in written.groupBy("outcome").count().collect()
    }
    seconds = time.perf_counter() - started
    rows = sum(counts.values())
    data = {"rows": rows, "outcomes": dict(sorted(counts.items())), "seconds": round(seconds, 3)}
    text = ", ".join(f"{name} {count:,}" for name, count in sorted(counts.items()))
    _print_summary(
        args, data, f"{rows:,} rows in {seconds:.1f} s on Spark: {text or 'written'}", sys.stdout
    )
    if counts.get("error"):
        return 2
    fail_on = set(getattr(args, "fail_on", None) or ())
    return 1 if any(counts.get(outcome) for outcome in fail_on) else 0


def _print_summary(args: argparse.Namespace, data: dict[str, Any], text: str, stream: Any) -> None:
    if getattr(args, "json", False):
        stream.write(json.dumps(data, ensure_ascii=False) + "\n")
    else:
        stream.write(text + "\n")
