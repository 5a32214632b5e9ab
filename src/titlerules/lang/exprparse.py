"""Language layer: parse one expression on its own (as written in YAML and JSON policies).

Uses the same grammar as ``.policy`` files, started at ``expr``, and the same transformer,
so an expression means exactly what it means inside a ``.policy`` file.  Comments are not
allowed inside an expression string: they would be silently dropped.
"""

from __future__ import annotations

from functools import cache

from lark import Lark, Token
from lark.exceptions import UnexpectedInput, VisitError

from titlerules.errors import PolicySyntaxError
from titlerules.lang import ir
from titlerules.lang import parser as _parser
from titlerules.lang.diagnostics import Diagnostic

MAX_EXPR_CHARS = 100_000


@cache
def _lark() -> Lark:
    return Lark(
        _parser.grammar_text(),
        parser="lalr",
        lexer="contextual",
        start="expr",
        propagate_positions=True,
        maybe_placeholders=True,
        lexer_callbacks={"COMMENT": _parser.collect_comment},
    )


def expr_diagnostic(text: str) -> Diagnostic | None:
    """Parse ``text`` as an expression; the first problem with it, or None when it is fine."""
    try:
        parse_expr(text)
    except PolicySyntaxError as exc:
        found = getattr(exc, "diagnostics", ())
        return found[0] if found else None
    return None


def parse_expr(text: str) -> ir.Expr:
    """Parse a lone expression such as ``applicant.sanctions.any(s -> s.kind >= 记过)``.

    Raises :class:`PolicySyntaxError`; its ``diagnostics`` hold one diagnostic whose span
    is relative to ``text`` (line 1 is the first line of the expression).
    """
    if len(text) > MAX_EXPR_CHARS:
        raise _error(
            Diagnostic(
                "TR301",
                "error",
                f"expression is longer than {MAX_EXPR_CHARS} characters",
                ir.Span(1, 1, 1, 2),
                hint="split it into named 'let' or 'def' items",
            ),
            text,
        )
    comments: list[Token] = []
    collecting = _parser.COMMENTS.set(comments)
    try:
        tree = _lark().parse(text)
        if comments:
            token = comments[0]
            span = ir.Span(
                token.line or 1,
                token.column or 1,
                token.end_line or 1,
                token.end_column or 2,
            )
            raise _error(
                Diagnostic(
                    "TR301",
                    "error",
                    "a comment is not allowed inside an expression",
                    span,
                    hint="put it under the item's 'comments' key",
                ),
                text,
            )
        result = _parser._Builder([]).transform(tree)
    except UnexpectedInput as exc:
        raise _from(_parser._syntax_error(exc, text, None), text) from None
    except VisitError as exc:
        if isinstance(exc.orig_exc, _parser._BuildError):
            raise _from(_parser._build_error(exc.orig_exc, text, None), text) from None
        raise
    finally:
        _parser.COMMENTS.reset(collecting)
    return result  # type: ignore[no-any-return]


def _from(error: PolicySyntaxError, text: str) -> PolicySyntaxError:
    found = getattr(error, "diagnostics", ())
    if not found:  # pragma: no cover - the parser always attaches one
        return error
    diagnostic: Diagnostic = found[0]
    if diagnostic.message == "unexpected end of file":
        diagnostic = Diagnostic(
            diagnostic.code,
            diagnostic.level,
            "unexpected end of expression",
            diagnostic.span,
            diagnostic.file,
            diagnostic.hint,
        )
    return _error(diagnostic, text)


def _error(diagnostic: Diagnostic, text: str) -> PolicySyntaxError:
    error = PolicySyntaxError(
        diagnostic.message, location=diagnostic.location, hint=diagnostic.hint
    )
    error.rendered = diagnostic.render(text)
    error.diagnostics = (diagnostic,)
    return error
