"""``titlerules convert FILE --to dsl|yaml|json [-o OUT]``: write a policy in another spelling.

DSL, YAML and JSON spell the same policy, so nothing is lost, comments included.  Without
``-o`` the result goes to standard output; with ``-o`` and no ``--to`` the spelling follows
OUT's extension.

Exit codes: 0 converted, 2 bad usage, an unreadable file or a syntax error.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from titlerules.atomic import write_atomic
from titlerules.errors import UsageError
from titlerules.lang.convert import SPELLINGS, dump, load_policy_file, spelling_of


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "convert",
        help="convert a policy between DSL, YAML and JSON",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", metavar="FILE", help=".policy, .yaml or .json file")
    parser.add_argument("--to", choices=SPELLINGS, help="output spelling")
    parser.add_argument("-o", "--output", metavar="OUT", help="write here instead of stdout")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Errors are raised: the command line reports them in its one format (exit 2)."""
    to: str | None = args.to
    if to is None:
        if args.output is None:
            raise UsageError(
                "no output spelling", hint="give --to dsl, yaml or json, or -o OUT.yaml"
            )
        to = spelling_of(args.output)
    text = dump(load_policy_file(args.file), to)
    if args.output is None:
        sys.stdout.write(text)
        return 0
    write_atomic(args.output, text.encode("utf-8"), inputs=[args.file])
    return 0
