"""A Pygments lexer for the policy language (``.policy`` files), extra ``[lsp]``.

Registered through the ``pygments.lexers`` entry point with the aliases ``titlerules`` and
``policy``: ``pygmentize -l titlerules policies/eryuan-2024.policy`` highlights a policy,
and Jupyter, Sphinx and MkDocs highlight ```` ```titlerules ```` blocks once titlerules is
installed with Pygments.  The lexer reads the grammar's tokens (``grammar/policy.lark``):
declarations and the names they declare, clause paths after ``cite``, ``clause`` and
``consequence``, dates, durations, strings, comments and operators.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pygments.lexer import RegexLexer, bygroups, words
from pygments.token import (
    Comment,
    Keyword,
    Literal,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Whitespace,
)

__all__ = ["PolicyLexer"]

_IDENT = r"[^\W\d]\w*"
_CLAUSE = r'[^\s"{}#]+'
_WS = r"([ \t]+)"


class PolicyLexer(RegexLexer):
    """The titlerules policy language."""

    name = "titlerules policy"
    aliases: ClassVar[list[str]] = ["titlerules", "policy"]
    filenames: ClassVar[list[str]] = ["*.policy"]
    mimetypes: ClassVar[list[str]] = ["text/x-titlerules-policy"]
    url = "https://github.com/titlerules/titlerules"

    tokens: ClassVar[dict[str, Any]] = {
        "root": [
            (r"\n", Whitespace),
            (r"\s+", Whitespace),
            (r"#[^\n]*", Comment.Single),
            (r'"(\\.|[^"\\\n])*"', String.Double),
            # Headers and declarations, with the names they declare.
            (
                r"(policy|module)" + _WS + r"([a-z][\w/-]*)",
                bygroups(Keyword.Declaration, Whitespace, Name.Namespace),
            ),
            (
                r"(exclusion|requirement|procedure)" + _WS + f"({_IDENT})",
                bygroups(Keyword.Declaration, Whitespace, Name.Class),
            ),
            (
                r"(param)" + _WS + f"({_IDENT})" + r"([ \t]*)(:)([ \t]*)"
                rf"({_IDENT})(?:(\[)({_IDENT})(\]))?",
                bygroups(
                    Keyword.Declaration,
                    Whitespace,
                    Name.Constant,
                    Whitespace,
                    Punctuation,
                    Whitespace,
                    Keyword.Type,
                    Punctuation,
                    Keyword.Type,
                    Punctuation,
                ),
            ),
            (
                r"(let)" + _WS + f"({_IDENT})",
                bygroups(Keyword.Declaration, Whitespace, Name.Variable),
            ),
            (
                r"(def)" + _WS + f"({_IDENT})",
                bygroups(Keyword.Declaration, Whitespace, Name.Function),
            ),
            (
                r"(consequence)" + _WS + f"({_IDENT})" + _WS + f"({_CLAUSE})",
                bygroups(Keyword.Declaration, Whitespace, Name.Label, Whitespace, Name.Tag),
            ),
            (r"(consequence)" + _WS + f"({_IDENT})", bygroups(Keyword, Whitespace, Name.Label)),
            (
                r"(clause)" + _WS + f"({_CLAUSE})" + _WS + f"({_IDENT})",
                bygroups(Keyword.Declaration, Whitespace, Name.Tag, Whitespace, Keyword.Constant),
            ),
            (r"(cite)" + _WS + f"({_CLAUSE})", bygroups(Keyword, Whitespace, Name.Tag)),
            (r"(severity)" + _WS + f"({_IDENT})", bygroups(Keyword, Whitespace, Keyword.Constant)),
            (
                r"(issued)" + _WS + r"(\d{4}-\d{2}-\d{2})",
                bygroups(Keyword, Whitespace, Literal.Date),
            ),
            (words(("import", "extends", "override"), suffix=r"\b"), Keyword.Namespace),
            (
                words(
                    (
                        "title",
                        "en",
                        "jurisdiction",
                        "issuer",
                        "document",
                        "year",
                        "source",
                        "sha256",
                        "description",
                        "applies",
                        "when",
                        "require",
                        "unless",
                        "note",
                    ),
                    suffix=r"\b",
                ),
                Keyword,
            ),
            (words(("if", "then", "else", "and", "or", "not", "in"), suffix=r"\b"), Operator.Word),
            (words(("true", "false"), suffix=r"\b"), Keyword.Constant),
            # Literals: dates, durations, integers.
            (r"\d{4}-\d{2}-\d{2}", Literal.Date),
            (
                r"(\d+)([ \t]*)(working_days?|days?|months?|years?)\b",
                bygroups(Number.Integer, Whitespace, Keyword.Type),
            ),
            (r"\d+", Number.Integer),
            # Names: the record roots, calls, other names (enum terms such as 记过 too).
            (words(("applicant", "procedure"), suffix=r"\b"), Name.Builtin.Pseudo),
            (rf"{_IDENT}(?=[ \t]*\()", Name.Function),
            (_IDENT, Name),
            (r"->|==|!=|>=|<=|[-+*/%<>=]", Operator),
            (r"[{}()\[\],.:]", Punctuation),
        ]
    }
