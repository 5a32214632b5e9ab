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
import contextlib
import gc
import importlib
import os
import re
import sys
from collections.abc import Callable, Iterator
from typing import Any, NoReturn

from titlerules._version import __version__
from titlerules.cli.output import report_error, report_internal
from titlerules.errors import TitleRulesError, UsageError

# Each sub-command's module, in the order `--help` lists them: a command line naming one
# loads only that module (a quick start); help, a mistyped command or none loads them all.
# tests/test_startup.py holds this table to what the modules register.
COMMANDS: dict[str, str] = {
    "check": "titlerules.cli.check_cmd",
    "lint": "titlerules.cli.lint_cmd",
    "test": "titlerules.cli.test_cmd",
    "replay": "titlerules.cli.replay_cmd",
    "fmt": "titlerules.cli.fmt_cmd",
    "convert": "titlerules.cli.convert_cmd",
    "policies": "titlerules.cli.policies_cmd",
    "doc": "titlerules.cli.doc_cmd",
    "compare": "titlerules.cli.doc_cmd",
    "clauses": "titlerules.cli.clauses_cmd",
    "calendar": "titlerules.cli.calendar_cmd",
    "audit": "titlerules.cli.audit_cmd",
    "audit-set": "titlerules.cli.audit_cmd",
    "plan": "titlerules.cli.plan_cmd",
    "validate-records": "titlerules.cli.validate_records_cmd",
    "demo": "titlerules.cli.demo_cmd",
    "lsp": "titlerules.cli.lsp_cmd",
}

# The sub-command modules, each once, in the same order.
COMMAND_MODULES = tuple(dict.fromkeys(COMMANDS.values()))


class _Parser(argparse.ArgumentParser):
    """Bad usage is one of our errors (TR001), reported like every other error; help is
    plain text (the commands' descriptions are their module docstrings, written for Sphinx)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        for key in ("description", "epilog"):
            if isinstance(kwargs.get(key), str):
                kwargs[key] = plain_text(kwargs[key])
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise UsageError(message, hint=f"run '{self.prog} --help'")

    def format_help(self) -> str:
        return plain_text(super().format_help())

    def format_usage(self) -> str:
        return plain_text(super().format_usage())


# ``code`` and :role:`~module.name` markup, shown as the plain words they mark.
_LITERAL = re.compile(r"``([^`]+?)``")
_ROLE = re.compile(r":\w+:`~?(?:[\w.]*\.)?([^`]+?)`")


def plain_text(text: str) -> str:
    """Help text without reStructuredText markup."""
    return _ROLE.sub(r"\1", _LITERAL.sub(r"\1", text))


def build_parser(words: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser of every sub-command; given the command line (``words``), only of the
    sub-command it names (nothing for ``--version``)."""
    parser = _Parser(
        prog="titlerules",
        description="Professional-title (职称) policy engine.",
    )
    parser.add_argument("--version", action="version", version=f"titlerules {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    subparsers = parser.add_subparsers(
        dest="command", metavar="COMMAND", help="run 'titlerules COMMAND --help' for its options"
    )
    for name in _modules_for(words):
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:  # a command whose module is not there yet
            if exc.name != name:
                raise
            continue
        module.register(subparsers)
    return parser


def _modules_for(words: list[str] | None) -> tuple[str, ...]:
    if words is None:
        return COMMAND_MODULES
    for word in words:
        if word in ("-h", "--help"):
            return COMMAND_MODULES
        if word == "--version":
            return ()
        if word.startswith("-"):
            continue  # --debug
        module = COMMANDS.get(word)
        return (module,) if module is not None else COMMAND_MODULES
    return COMMAND_MODULES


def json_requested(args: argparse.Namespace | list[str]) -> bool:
    """Whether the command was asked for JSON: then its errors are JSON on stdout too."""
    if isinstance(args, list):
        pairs = zip(args, [*args[1:], ""], strict=True)
        return any(
            a in ("--json", "--jsonl", "--format=json") or (a, b) == ("--format", "json")
            for a, b in pairs
        )
    if getattr(args, "format", None) == "json":
        return True
    return bool(getattr(args, "json", False) or getattr(args, "jsonl", False))


# Whether main() runs as the process's command (the command line from sys.argv): then a
# command's start-up may leave what it made to live to the end (see start_up).
_PROCESS_COMMAND = False


@contextlib.contextmanager
def start_up() -> Iterator[None]:
    """The start-up of a command that runs as the process (modules imported, a policy
    loaded): objects that live as long as the process.  The cycle collector does not run
    while they are made, and they move to its permanent generation afterwards, so neither a
    later collection nor the one at exit goes through them again.  Called from Python
    (``main([...])``), a command changes nothing of the collector."""
    if not _PROCESS_COMMAND or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def main(argv: list[str] | None = None) -> int:
    global _PROCESS_COMMAND
    _PROCESS_COMMAND = argv is None
    if _PROCESS_COMMAND:
        # The command validates titlerules' own records: pydantic's plugins (found by reading
        # every installed package's metadata, a tenth of a one-record check) are not looked
        # for, unless PYDANTIC_DISABLE_PLUGINS is set (to "" for all of them).
        os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(words)
    try:
        args = parser.parse_args(words)
    except SystemExit as exc:  # --help/--version
        return int(exc.code or 0)
    except UsageError as exc:
        if "--debug" in words:
            raise
        report_error(exc, json_output=json_requested(words), lines="--jsonl" in words)
        return 2
    func: Callable[[Any], int] | None = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
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
        # An error may name the file or echo a value: masked with --redact.
        report_error(
            exc,
            json_output=json_requested(args),
            redact=bool(getattr(args, "redact", False)),
            lines=bool(getattr(args, "jsonl", False)),
        )
        return 2
    except KeyboardInterrupt:
        print("titlerules: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: say so in one line, never a traceback by default
        if args.debug:
            raise
        report_internal(
            exc, json_output=json_requested(args), lines=bool(getattr(args, "jsonl", False))
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


if __name__ == "__main__":
    sys.exit(main())
