"""``titlerules check POLICY RECORD...``: evaluate records and explain each decision.

``--json`` prints a list with one entry per record, whatever their number (``--jsonl``: one
JSON object a line); each entry names its ``file`` and ``record_path``.  A table of records
(``.csv``, ``.jsonl``, ``.parquet``) is decided column-wise in chunks, one result row per
input row (``--out RESULT.jsonl|.parquet``; see docs/performance.md).

Exit 0 whatever the outcomes, unless ``--fail-on OUTCOME`` is given: then 1 when a decision
has that outcome.  Exit 2 when a policy or a record cannot be read, a record cannot be
evaluated, or a folder holds no record (every other record is still decided, and each error
is reported on standard error naming its file and record path).  A record whose year of
application is not the policy's is decided with a warning.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from titlerules.cli import start_up
from titlerules.errors import TitleRulesError, UsageError

if TYPE_CHECKING:
    from titlerules.engine.decision import Decision
    from titlerules.facts import RecordResult


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "check", help="evaluate records against a policy", description=__doc__
    )
    parser.add_argument("policy", help="bundled policy id or policy file")
    parser.add_argument(
        "records",
        nargs="*",
        metavar="RECORD",
        help="record files or folders (none with --from-db or --spark)",
    )
    shape = parser.add_mutually_exclusive_group()
    shape.add_argument(
        "--json", action="store_true", help="a JSON list, one entry per record (text on stderr)"
    )
    shape.add_argument("--jsonl", action="store_true", help="one JSON object per record a line")
    parser.add_argument(
        "--fail-on",
        action="append",
        choices=("ineligible", "undetermined"),
        metavar="OUTCOME",
        help="exit 1 when a decision is ineligible or undetermined (may be given twice)",
    )
    parser.add_argument(
        "--lang",
        choices=("zh", "en"),
        default="zh",
        help="language of the text: zh (default) or en",
    )
    parser.add_argument("--as-of", help="evaluation date YYYY-MM-DD (default: the record's)")
    parser.add_argument("--verbose", "-v", action="store_true", help="list every rule")
    parser.add_argument(
        "--redact", action="store_true", help="mask names and ID numbers in the output"
    )
    parser.add_argument(
        "--log", metavar="FILE", help="append each decision to a decision log (JSON Lines)"
    )
    parser.add_argument(
        "--log-unredacted",
        action="store_true",
        help="keep names and ID numbers in the --log file (masked by default)",
    )
    parser.add_argument(
        "--out",
        metavar="RESULT",
        help="tables (.csv/.jsonl/.parquet): write one result row per input row to "
        "RESULT.jsonl or RESULT.parquet",
    )
    parser.add_argument(
        "--chunk-rows", type=int, metavar="N", help="tables: rows per chunk (default 100000)"
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="tables: add each row's missing facts and explanation (in --lang) to the results "
        "(record files are always explained)",
    )
    where = parser.add_argument_group("tables in a database or on Spark (docs/scale.md)")
    where.add_argument(
        "--from-db",
        metavar="URI",
        help="read the applicants from a database: duckdb:///FILE.duckdb, "
        "duckdb:////ABSOLUTE.duckdb, postgresql://user@host/db",
    )
    where.add_argument("--table", metavar="T", help="--from-db: the applicants' table")
    where.add_argument(
        "--query", metavar="SQL", help="--from-db: a SELECT giving the applicants (joins)"
    )
    where.add_argument(
        "--out-table", metavar="R", help="--from-db: the result table (replaced when it exists)"
    )
    where.add_argument(
        "--key",
        metavar="COLUMN",
        help="--from-db/--spark: a column carried over to the results (an applicant number)",
    )
    where.add_argument(
        "--spark",
        metavar="INPUT",
        help="decide a .parquet or .csv table on Spark; results to --out RESULT.parquet|.jsonl",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    as_of = _date(args.as_of) if args.as_of else None
    if args.from_db is not None or args.spark is not None:
        from titlerules.batch.command import run_elsewhere

        return run_elsewhere(args, as_of)  # a database table, or a table on Spark
    for flag in ("table", "query", "out_table", "key"):
        if getattr(args, flag) is not None:
            raise UsageError(
                f"--{flag.replace('_', '-')} goes with --from-db (or --spark for --key)",
                hint="add --from-db URI",
            )
    if not args.records:
        raise UsageError(
            "name the records to check", hint="titlerules check POLICY RECORD... (or --from-db)"
        )
    if args.out is not None or any(_is_table(name) for name in args.records):
        from titlerules.batch.command import run_tabular

        return run_tabular(args, as_of)  # tables of records: the columnar batch path
    if args.log:  # the log is appended to: appending to a record file would corrupt it
        from titlerules.atomic import refuse_inputs

        refuse_inputs(args.log, [args.policy, *args.records])
    with start_up():
        # What every check of record files uses; the decision log, redaction and the
        # tables' batch path are imported by the options that use them (a quick start).
        from titlerules.cli.records import no_records
        from titlerules.engine.policy import load_policy
        from titlerules.facts import Applicant, Procedure, RecordResult, load_batch
        from titlerules.report.explanation import explain

        policy = load_policy(args.policy)
    log = None
    if args.log:
        from titlerules.decision_log import DecisionLog

        # Written and flushed one decision at a time: nothing logged is lost if a later
        # record fails.
        log = DecisionLog(args.log, redact=not args.log_unredacted)
    out = _Output(args)
    failed = False
    for name in args.records:
        results = load_batch(Path(name))
        if not results:  # an empty folder, or one without a record file: never a silent 0
            failed = True
            out.error(RecordResult(name, ""), no_records(name))
        for result in results:
            where = f"{result.file}: {result.record_path}" if result.file else result.record_path
            if result.error is not None:
                failed = True
                out.error(result, result.error)
                continue
            record = result.record
            if not isinstance(record, (Applicant, Procedure)):
                kind = type(record).__name__
                out.skipped(result, f"a {kind} is not evaluated by a policy")
                continue
            try:
                decision = policy.evaluate(record, as_of=as_of)
            except TitleRulesError as error:  # this record's error; the others are decided
                failed = True
                out.error(result, error)
                continue
            if log is not None:
                log.write(policy, record, decision, source=where)
            if args.redact:
                from titlerules.redact import redact_decision

                decision = redact_decision(decision)
            warnings = _year_warnings(policy.header.year, record)
            for warning in warnings:
                out.warn(result, warning)
            out.decision(
                result, decision, explain(decision, args.lang, verbose=args.verbose), warnings
            )
    if log is not None:
        log.close()
    out.finish()
    if log is not None:  # the hash an office publishes: replay --head checks the log to it
        print(
            f"decision log {_shown(args, args.log)}: {log.written} entr"
            f"{'y' if log.written == 1 else 'ies'} appended; head {log.head}",
            file=sys.stderr,
        )
    if failed:
        return 2
    if out.decided == 0:  # only records no policy evaluates
        from titlerules.cli.output import warn

        warn("no record was decided", hint="name applicant or procedure records")
    fail_on = set(args.fail_on or ())
    return 1 if fail_on & out.outcomes else 0


class _Output:
    """The decisions and errors of one run, in record order: the explained text (errors on
    stderr in the one error format), a JSON list or JSON Lines."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.entries: list[dict[str, Any]] = []
        self.texts: list[str] = []
        self.outcomes: set[str] = set()
        self.decided = 0

    def _place(self, result: RecordResult) -> dict[str, Any]:
        return {"file": _shown(self.args, result.file), "record_path": result.record_path}

    def _emit(self, entry: dict[str, Any]) -> None:
        if self.args.jsonl:  # one line per record, as it is decided
            print(json.dumps(entry, ensure_ascii=False), flush=True)
        else:
            self.entries.append(entry)

    def decision(
        self, result: RecordResult, decision: Decision, text: str, warnings: list[str]
    ) -> None:
        self.decided += 1
        self.outcomes.add(decision.outcome.value)
        if self.args.json or self.args.jsonl:  # (text output serializes no decision)
            entry = {**self._place(result), **decision.model_dump(mode="json")}
            if warnings:
                entry["warnings"] = warnings
            self._emit(entry)
        self.texts.append(text)

    def skipped(self, result: RecordResult, reason: str) -> None:
        self._emit({**self._place(result), "skipped": reason})
        where = f"{result.file}: {result.record_path}" if result.file else result.record_path
        self.texts.append(f"{_shown(self.args, where)}: skipped: {reason}")

    def error(self, result: RecordResult, error: TitleRulesError) -> None:
        """A record's error in its place among the decisions, naming the record (file and
        record path) before the error's own location (a rule's, for an evaluation error)."""
        from titlerules.cli.output import error_json
        from titlerules.cli.records import record_error_text

        redact = bool(self.args.redact)
        self._emit({**self._place(result), "error": error_json(error, redact=redact)})
        print(record_error_text(result, error, redact=redact), file=sys.stderr)

    def warn(self, result: RecordResult, message: str) -> None:
        from titlerules.cli.output import warn

        where = f"{result.file}: {result.record_path}" if result.file else result.record_path
        warn(f"{_shown(self.args, where)}: {message}")

    def finish(self) -> None:
        if self.args.json:
            print(json.dumps(self.entries, ensure_ascii=False, indent=2))
        elif not self.args.jsonl and self.texts:
            print("\n\n".join(self.texts))


def _year_warnings(policy_year: int | None, record: Any) -> list[str]:
    """A record for another year than the policy's is still decided, with a warning."""
    application = getattr(record, "application", None)
    if policy_year is None or application is None:
        return []
    year = application.year
    said = "application.year"
    if year is None and application.submitted_on is not None:
        year, said = application.submitted_on.year, "application.submitted_on"
    if year is None or year == policy_year:
        return []
    return [f"{said} is {year}, but the policy is for {policy_year}: check the policy"]


def _shown(args: argparse.Namespace, text: Any) -> Any:
    """``text`` (an error, a file's name: either may hold an ID number or echo a name) as it
    may be shown: masked with ``--redact``."""
    if not (args.redact and isinstance(text, str)):
        return text
    from titlerules.redact import redact_error_text

    return redact_error_text(text)


def _is_table(name: str) -> bool:
    return Path(name).suffix.lower() in (".csv", ".jsonl", ".ndjson", ".parquet")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"invalid date '{text}'", hint="write YYYY-MM-DD") from None
