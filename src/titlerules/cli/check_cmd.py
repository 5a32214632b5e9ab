"""``titlerules check POLICY RECORD...``: evaluate records and explain each decision.

A table of records (``.csv``, ``.jsonl``, ``.parquet``) is decided column-wise in chunks,
one result row per input row (``--out RESULT.jsonl|.parquet``; see docs/performance.md).

Exit 0 whatever the outcomes; 2 when a policy or a record cannot be read, or a record cannot
be evaluated (every other record is still decided, and each error is printed in the record's
place, naming its file and record path).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from titlerules.errors import TitleRulesError, UsageError

if TYPE_CHECKING:
    from titlerules.facts import RecordResult


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "check", help="evaluate records against a policy", description=__doc__
    )
    parser.add_argument("policy", help="bundled policy id or policy file")
    parser.add_argument("records", nargs="+", metavar="RECORD", help="record files or folders")
    parser.add_argument("--json", action="store_true", help="decisions as JSON")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
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
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from titlerules.atomic import refuse_inputs
    from titlerules.decision_log import DecisionLog
    from titlerules.engine.explain import explain
    from titlerules.engine.policy import load_policy
    from titlerules.facts import Applicant, Procedure, load_batch
    from titlerules.redact import redact_decision

    as_of = _date(args.as_of) if args.as_of else None
    if args.out is not None or any(_is_table(name) for name in args.records):
        from titlerules.batch.command import run_tabular

        return run_tabular(args, as_of)  # tables of records: the columnar batch path
    if args.log:  # the log is appended to: appending to a record file would corrupt it
        refuse_inputs(args.log, [args.policy, *args.records])
    policy = load_policy(args.policy)
    # Written and flushed one decision at a time: nothing logged is lost if a later record fails.
    log = DecisionLog(args.log, redact=not args.log_unredacted) if args.log else None
    payloads: list[dict[str, Any]] = []
    texts: list[str] = []
    failed = False
    for name in args.records:
        for result in load_batch(Path(name)):
            where = f"{result.file}: {result.record_path}" if result.file else result.record_path
            if result.error is not None:
                failed = True
                _add_error(args, result, result.error, payloads, texts)
                continue
            record = result.record
            if not isinstance(record, (Applicant, Procedure)):
                kind = type(record).__name__
                payloads.append(
                    {
                        "file": _shown(args, result.file),
                        "record_path": result.record_path,
                        "error": f"a {kind} is not evaluated by a policy",
                    }
                )
                texts.append(
                    f"{_shown(args, where)}: skipped: a {kind} is not evaluated by a policy"
                )
                continue
            try:
                decision = policy.evaluate(record, as_of=as_of)
            except TitleRulesError as error:  # this record's error; the others are decided
                failed = True
                _add_error(args, result, error, payloads, texts)
                continue
            if log is not None:
                log.write(policy, record, decision, source=where)
            if args.redact:
                decision = redact_decision(decision)
            payloads.append(decision.model_dump(mode="json"))
            texts.append(explain(decision, args.lang, verbose=args.verbose))
    if log is not None:
        log.close()
    if args.json:
        payload: Any = payloads[0] if len(payloads) == 1 else payloads
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        print("\n\n".join(texts))
    if log is not None:  # the hash an office publishes: replay --head checks the log to it
        print(
            f"decision log {_shown(args, args.log)}: {log.written} entr"
            f"{'y' if log.written == 1 else 'ies'} appended; head {log.head}",
            file=sys.stderr,
        )
    return 2 if failed else 0


def _add_error(
    args: argparse.Namespace,
    result: RecordResult,
    error: TitleRulesError,
    payloads: list[dict[str, Any]],
    texts: list[str],
) -> None:
    """A record's error in its place among the decisions, naming the record (file and
    record path) before the error's own location (a rule's, for an evaluation error)."""
    from titlerules.cli import _with_code

    shown = _shown(args, str(error))
    where = f"{result.file}: {result.record_path}" if result.file else result.record_path
    payloads.append(
        {
            "file": _shown(args, result.file),
            "record_path": result.record_path,
            "error": shown,
            "code": error.code,
        }
    )
    texts.append(f"{_shown(args, where)}: error: {_shown(args, _with_code(error))}")


def _shown(args: argparse.Namespace, text: Any) -> Any:
    """``text`` (an error, a file's name: either may hold an ID number or echo a name) as it
    may be shown: masked with ``--redact``."""
    from titlerules.redact import redact_error_text

    return redact_error_text(text) if args.redact and isinstance(text, str) else text


def _is_table(name: str) -> bool:
    return Path(name).suffix.lower() in (".csv", ".jsonl", ".ndjson", ".parquet")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"invalid date '{text}'", hint="write YYYY-MM-DD") from None
