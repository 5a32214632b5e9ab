"""batch layer: ``titlerules check POLICY FILE.csv|.jsonl|.parquet [--out RESULT] [--explain]``.

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


def _print_summary(args: argparse.Namespace, data: dict[str, Any], text: str, stream: Any) -> None:
    if getattr(args, "json", False):
        stream.write(json.dumps(data, ensure_ascii=False) + "\n")
    else:
        stream.write(text + "\n")
