"""``titlerules lsp``: the language server for policy files, over standard input and output.

An editor starts it and speaks the Language Server Protocol with it: diagnostics as you
type (the checks of ``titlerules lint``), hover, go to definition and references, the
outline, completion, formatting (``titlerules fmt``) and quick fixes.  It needs the
``lsp`` extra: ``pip install 'titlerules[lsp]'``.  See docs/editors.md.
"""

from __future__ import annotations

import argparse
from typing import Any

from titlerules.errors import TitleRulesError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "lsp",
        help="the language server for editors (stdio; extra [lsp])",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--stdio",
        action="store_true",
        help="talk over standard input and output (the default and only transport)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        from titlerules.lsp.server import main
    except ImportError as exc:
        if str(exc.name).split(".")[0] not in ("pygls", "lsprotocol"):
            raise
        raise TitleRulesError(
            "the language server needs pygls and lsprotocol, which are not installed",
            hint="install the editor extra: pip install 'titlerules[lsp]'",
            code="TR600",
        ) from None
    main()
    return 0
