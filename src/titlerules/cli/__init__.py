"""Command-line interface (user-facing layer).

Each sub-command lives in its own module under ``titlerules.cli`` and exposes
``register(subparsers)``, which adds its parser and sets ``func`` to a callable
``(args) -> int``.

Exit codes:

* 0 ran (whatever the decisions were);
* 1 findings: lint errors, an unformatted file, failed policy tests, replay differences;
* 2 bad usage or bad input: one message ``titlerules: error: ... [TRnnn]`` naming the file,
  line and column or the record path, with a hint and the error's code (``docs/errors.md``);
  no traceback unless ``--debug``;
* 3 an internal error (a bug in titlerules): one line asking to rerun with ``--debug``;
* 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable
from typing import Any

from titlerules._version import __version__
from titlerules.errors import TitleRulesError, UsageError

# Sub-command modules, in the order `--help` lists them.
COMMAND_MODULES = (
    "titlerules.cli.check_cmd",
    "titlerules.cli.lint_cmd",
    "titlerules.cli.test_cmd",
    "titlerules.cli.replay_cmd",
    "titlerules.cli.fmt_cmd",
    "titlerules.cli.convert_cmd",
    "titlerules.cli.policies_cmd",
    "titlerules.cli.doc_cmd",
    "titlerules.cli.clauses_cmd",
    "titlerules.cli.calendar_cmd",
    "titlerules.cli.audit_cmd",
    "titlerules.cli.plan_cmd",
    "titlerules.cli.validate_records_cmd",
    "titlerules.cli.demo_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="titlerules",
        description="Professional-title (职称) policy engine.",
    )
    parser.add_argument("--version", action="version", version=f"titlerules {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:  # a command whose module is not there yet
            if exc.name != name:
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage, 0 on --help/--version
        return int(exc.code or 0)
    func: Callable[[Any], int] | None = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        _refuse_nul(args)
        return func(args)
    except BrokenPipeError:  # output piped into a command that stopped reading
        sys.stderr.close()
        return 0
    except TitleRulesError as exc:
        if args.debug:
            raise
        text = _with_code(exc)
        if getattr(args, "redact", False):  # an error may name the file or echo a value
            from titlerules.redact import redact_error_text

            text = redact_error_text(text)
        print(f"titlerules: error: {text}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("titlerules: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: say so in one line, never a traceback by default
        if args.debug:
            raise
        detail = next(iter(str(exc).splitlines()), "")
        print(
            f"titlerules: internal error ({type(exc).__name__}: {detail}); "
            "rerun with --debug for the traceback and report it",
            file=sys.stderr,
        )
        return 3


def _refuse_nul(args: argparse.Namespace) -> None:
    """Refuse a NUL character in any argument, before a command reads it: no file name can
    hold one, and every open() of such a path raises a bare ValueError."""
    for name, value in vars(args).items():
        values = value if isinstance(value, (list, tuple)) else (value,)
        for item in values:
            if isinstance(item, str) and "\x00" in item:
                raise UsageError(
                    f"argument {name} {item!r} contains a NUL character",
                    hint="no file name holds a NUL (\\0) character; check how the path was built",
                )


def _with_code(exc: TitleRulesError) -> str:
    """The error's text with its code (catalogued in docs/errors.md) on the first line."""
    text = str(exc)
    if f"[{exc.code}]" in text:
        return text
    first, newline, rest = text.partition("\n")
    return f"{first} [{exc.code}]{newline}{rest}"


if __name__ == "__main__":
    sys.exit(main())
