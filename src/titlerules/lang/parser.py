"""Language layer: parse ``.policy`` text into the IR.

The grammar is ``grammar/policy.lark`` (LALR, contextual lexer).  A Lark ``Transformer``
builds the IR bottom-up; comments are collected by a lexer callback and attached to the
node they stand before (or after, on the same line), so formatting and conversion keep them.
Syntax errors become :class:`~titlerules.errors.PolicySyntaxError` with line, column, the
source line, a caret and a hint in plain words.
"""

from __future__ import annotations

import datetime as dt
import re
from contextvars import ContextVar
from functools import cache
from typing import Any, NamedTuple

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import (
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
    VisitError,
)
from lark.tree import Meta

from titlerules.argcheck import checked
from titlerules.errors import Location, PolicySyntaxError
from titlerules.lang import ir
from titlerules.lang.diagnostics import Diagnostic, did_you_mean
from titlerules.resources import grammar_dir

MAX_SOURCE_CHARS = 2_000_000
#: Deepest nesting of the parse tree (each operator of a chain such as ``a and b and c`` counts
#: one level).  Far above any notice; it keeps every later pass clear of Python's recursion limit.
MAX_NESTING_DEPTH = 100
#: Longest integer literal (digits).  Larger numbers are no date, count or ratio in a notice.
MAX_NUMBER_DIGITS = 18


#: The comments of the parse under way, in this thread (or task): each parse sets a list
#: of its own, so parses on several threads at once never share one.
COMMENTS: ContextVar[list[Token] | None] = ContextVar("titlerules_comments", default=None)


def collect_comment(token: Token) -> Token:
    """The grammars' lexer callback: keep a comment in the parse's own list."""
    comments = COMMENTS.get()
    if comments is not None:
        comments.append(token)
    return token


@cache
def _lark() -> Lark:
    return Lark(
        grammar_text(),
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=True,
        lexer_callbacks={"COMMENT": collect_comment},
    )


def grammar_text() -> str:
    """The grammar source (for tools such as ``hypothesis.extra.lark``)."""
    return (grammar_dir() / "policy.lark").read_text(encoding="utf-8")


@checked
def parse(text: str, path: str | None = None) -> ir.PolicyFile:
    """Parse policy text into a :class:`~titlerules.lang.ir.PolicyFile`.

    Raises :class:`PolicySyntaxError` whose ``diagnostics`` hold the error with its span.
    """
    if len(text) > MAX_SOURCE_CHARS:
        raise PolicySyntaxError(
            f"policy file is longer than {MAX_SOURCE_CHARS} characters",
            location=Location(file=path, line=1, column=1),
            hint="split it into modules under policies/common/ and import them",
            code="TR303",
        )
    comments: list[Token] = []
    collecting = COMMENTS.set(comments)
    try:
        tree = _lark().parse(text)
        result = _Builder(comments).transform(tree)
    except UnexpectedInput as exc:
        raise _syntax_error(exc, text, path) from None
    except VisitError as exc:
        if isinstance(exc.orig_exc, _BuildError):
            raise _build_error(exc.orig_exc, text, path) from None
        raise
    finally:
        COMMENTS.reset(collecting)
    assert isinstance(result, ir.PolicyFile)
    return ir.PolicyFile(
        header=result.header,
        items=result.items,
        trailing_comments=result.trailing_comments,
        path=path,
    )


# ---------------------------------------------------------------- syntax errors

_TOKEN_WORDS = {
    "NAME": "a name",
    "STRING": 'a quoted string ("...")',
    "INT": "a number",
    "DATE": "a date (YYYY-MM-DD)",
    "CLAUSE": "a clause path such as 二(一)",
    "RULE_KIND": "exclusion, requirement or procedure",
    "SEVERITY": "blocking or advisory",
    "POLICY_ID": "a policy id such as eryuan-2024",
    "MODULE_PATH": "a module path such as common/base",
    "UNIT": "a unit (working_days, days, months, years)",
    "COMP_OP": "a comparison (==, !=, <, <=, >, >=)",
    "ADD_OP": "'+' or '-'",
    "MUL_OP": "'*', '/' or '%'",
    "CLAUSE_KIND": "not_checkable, exhortation, definition or heading",
    "RBRACE": "'}'",
    "LBRACE": "'{'",
    "RPAR": "')'",
    "LPAR": "'('",
    "COLON": "':'",
    "COMMA": "','",
    "EQUAL": "'='",
    "$END": "the end of the file",
}


def _describe_expected(expected: set[str]) -> str:
    words: list[str] = []
    for name in sorted(expected):
        if name.startswith("__ANON"):
            continue
        word = _TOKEN_WORDS.get(name)
        if word is None:
            terminal = next((t for t in _lark().terminals if t.name == name), None)
            pattern = getattr(getattr(terminal, "pattern", None), "value", None)
            # A literal is shown as written; a grammar-internal name never is.
            word = (
                f"'{pattern}'"
                if isinstance(pattern, str)
                and terminal is not None
                and (type(terminal.pattern).__name__ == "PatternStr")
                else "a token"
            )
        words.append(word)
    unique = list(dict.fromkeys(words))
    if len(unique) > 6:
        unique = [*unique[:6], "..."]
    return ", ".join(unique)


def _syntax_error(exc: UnexpectedInput, text: str, path: str | None) -> PolicySyntaxError:
    line = getattr(exc, "line", 0) or 0
    column = getattr(exc, "column", 0) or 0
    hint: str | None = None
    if isinstance(exc, UnexpectedCharacters):
        position = exc.pos_in_stream or 0
        char = text[position] if position < len(text) else ""
        message = f"unexpected character {char!r}"
        hint = _character_hint(char)
        end_column = column + 1
    elif isinstance(exc, UnexpectedEOF):
        lines = text.splitlines() or [""]
        line, column = len(lines), len(lines[-1]) + 1
        message = "unexpected end of file"
        hint = f"expected {_describe_expected(set(exc.expected))}; is a '}}' missing?"
        end_column = column + 1
    elif isinstance(exc, UnexpectedToken):
        token = exc.token
        text_of_token = str(token)
        if token.type == "$END":
            lines = text.splitlines() or [""]
            line, column = len(lines), len(lines[-1]) + 1
            message = "unexpected end of file"
            end_column = column + 1
            hint = f"expected {_describe_expected(set(exc.expected))}"
        elif token.type in _CATCH_ALL and not (
            text_of_token[0].isalnum() or text_of_token[0] in '_"'
        ):
            # The fallback lexer matched punctuation the grammar has no place for.
            char = text_of_token[0]
            message = f"unexpected character {char!r}"
            hint = _character_hint(char)
            end_column = column + 1
        else:
            message = f"unexpected {_token_word(token)} {text_of_token!r}"
            end_column = column + max(len(text_of_token), 1)
            hint = f"expected {_describe_expected(set(exc.expected))}"
        if text_of_token in _RULE_STATEMENT_WORDS:
            hint = f"'{token}' belongs inside a rule block {{ ... }}"
    else:  # pragma: no cover - lark has no other UnexpectedInput subclasses
        message = "syntax error"
        end_column = column + 1
    span = ir.Span(line, column, line, end_column)
    if message == "unexpected end of file":
        unclosed = _unclosed_brace(text)
        if unclosed is not None:  # reported where the block opens, not where the file ends
            span = ir.Span(unclosed[0], unclosed[1], unclosed[0], unclosed[1] + 1)
            message = "this '{' is never closed"
            hint = f"add the '}}' that ends this block (the file ends at line {line})"
    elif isinstance(exc, UnexpectedToken) and str(exc.token) in _ITEM_WORDS:
        # A new item where a block's statements go: the block before it was left open.
        unclosed = _unclosed_brace(text[: exc.token.start_pos or 0])
        if unclosed is not None:
            span = ir.Span(unclosed[0], unclosed[1], unclosed[0], unclosed[1] + 1)
            message = "this '{' is never closed"
            hint = (
                f"add the '}}' that ends this block before line {line} "
                f"('{exc.token}' starts a new item)"
            )
    if message.startswith("unexpected") and not _keyboard_slip(message):
        known = _known_mistake(exc)
        if known is not None:
            message, hint = known
        elif isinstance(exc, UnexpectedToken):
            hint = _keyword_hint(str(exc.token)) or hint
    diagnostic = Diagnostic("TR301", "error", message, span, file=path, hint=hint)
    return _error_from(diagnostic, text)


# Common mistakes, each with examples that fail the same way (lark's ``match_examples``: an
# error is matched to an example when the parser stops in the same state on the same kind of
# token).  The examples follow a policy header; each table entry is (message, hint, examples).
_EXAMPLE_HEADER = 'policy x-2024 {\n  title "t"\n}\n'
_MISTAKES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "'=' is not a comparison",
        "write '==' to compare two values ('=' only gives a param, let or def its value)",
        (
            'requirement r "t" {\n  require a = 1\n}\n',
            'requirement r "t" {\n  require a.b = 1\n}\n',
            'exclusion r "t" {\n  when a.b.c = x\n}\n',
            'requirement r "t" {\n  require f(a) = 1\n}\n',
        ),
    ),
    (
        "an operator with nothing after it",
        "complete the expression after the operator, or remove the operator",
        (
            'requirement r "t" {\n  require a >\n}\n',
            'requirement r "t" {\n  require a +\n}\n',
            'requirement r "t" {\n  require a *\n}\n',
            'requirement r "t" {\n  require a and\n}\n',
            'requirement r "t" {\n  require a or\n}\n',
            'requirement r "t" {\n  require not\n}\n',
            'requirement r "t" {\n  require a in\n}\n',
            'requirement r "t" {\n  require a + * 1\n}\n',
            'requirement r "t" {\n  require a > > 1\n}\n',
        ),
    ),
    (
        "a param needs a type",
        "write 'param NAME: TYPE = VALUE', e.g. param min_years: int = 5",
        ("param x = 1\n",),
    ),
    (
        "a rule needs a name and a quoted title",
        'write e.g. requirement service_years "任现职满5年" { ... }',
        (
            "requirement {\n}\n",
            'requirement "t" {\n}\n',
            "requirement r {\n}\n",
            "exclusion {\n}\n",
            'exclusion "t" {\n}\n',
            "exclusion r {\n}\n",
        ),
    ),
    (
        "a citation needs the clause path and the quoted text",
        'write cite 二(一) "the sentence of the notice, word for word"',
        (
            'requirement r "t" {\n  cite "q"\n}\n',
            'requirement r "t" {\n  cite 一\n  require a\n}\n',
            'requirement r "t" {\n  cite 一\n}\n',
        ),
    ),
)


def _known_mistake(exc: UnexpectedInput) -> tuple[str, str] | None:
    """The plain-word message and hint of a mistake in the table above, if it is one.

    As lark's ``match_examples``, except that the parser's state is compared without the depth
    of its stack: that depth counts the items and statements before the error, which differ
    from file to file."""
    where = _parser_position(exc)
    if where is None:
        return None
    for index, position, accepts in _example_errors():
        if position == where and (accepts is None or accepts == _accepts(exc)):
            message, hint, _ = _MISTAKES[index]
            return message, hint
    return None


def _parser_position(exc: UnexpectedInput) -> object:
    """Where the parser stopped: its state, in the parse table it was using.  The table is
    part of it: state numbers of another parser (the expression parser of the YAML and JSON
    spellings) mean other things, and their numbering changes from process to process."""
    state = getattr(exc, "state", None)
    position = getattr(state, "position", None)
    if position is None:
        return None
    table = getattr(getattr(state, "parse_conf", None), "parse_table", None)
    return (id(table), position)


def _accepts(exc: UnexpectedInput) -> frozenset[str] | None:
    accepts = getattr(exc, "accepts", None) or getattr(exc, "allowed", None)
    return frozenset(accepts) if accepts else None


@cache
def _example_errors() -> tuple[tuple[int, object, frozenset[str] | None], ...]:
    """Where each example of the mistake table stops the parser (computed once)."""
    found: list[tuple[int, object, frozenset[str] | None]] = []
    for index, (_message, _hint, examples) in enumerate(_MISTAKES):
        for example in examples:
            try:
                _lark().parse(_EXAMPLE_HEADER + example)
            except UnexpectedInput as error:
                found.append((index, _parser_position(error), _accepts(error)))
            else:  # pragma: no cover - the table's examples are all mistakes
                raise AssertionError(f"example parses: {example!r}")
    return tuple(found)


@cache
def _keywords() -> tuple[str, ...]:
    """Every keyword of the language (the words the grammar spells out)."""
    words: set[str] = set()
    for terminal in _lark().terminals:
        pattern = terminal.pattern
        if type(pattern).__name__ == "PatternStr" and str(pattern.value).isalpha():
            words.add(str(pattern.value))
    for name in ("RULE_KIND", "SEVERITY", "CLAUSE_KIND"):
        terminal = next(t for t in _lark().terminals if t.name == name)
        words.update(re.findall(r"[a-z_]+", str(terminal.pattern.value)))
    return tuple(sorted(words))


def _keyword_hint(word: str) -> str | None:
    """``did you mean 'requirement'?`` for a misspelt keyword (``requirment``)."""
    if not word.isidentifier() or word in _keywords():
        return None
    return did_you_mean(word, _keywords())


def _unclosed_brace(text: str) -> tuple[int, int] | None:
    """Line and column of the last '{' left open (strings and comments skipped)."""
    stack: list[tuple[int, int]] = []
    line, column, index = 1, 1, 0
    in_string = in_comment = False
    while index < len(text):
        char = text[index]
        if in_comment:
            in_comment = char != "\n"
        elif in_string:
            if char == "\\":
                index += 1
                column += 1
            elif char in '"\n':
                in_string = False
        elif char == "#":
            in_comment = True
        elif char == '"':
            in_string = True
        elif char == "{":
            stack.append((line, column))
        elif char == "}" and stack:
            stack.pop()
        if char == "\n":
            line, column = line + 1, 1
        else:
            column += 1
        index += 1
    return stack[-1] if stack else None


# Terminals that match almost any text: when one of them is where it cannot be, what the
# author wrote is stray punctuation, not a token.
_CATCH_ALL = frozenset({"CLAUSE", "MODULE_PATH", "POLICY_ID"})


# What a Chinese keyboard types in place of the ASCII character the language needs.
_FULL_WIDTH = {
    "，": "a full-width comma '，': write ',' between arguments and set items",
    "、": "an enumeration comma '、': write ',' between arguments and set items",
    "：": "a full-width colon '：': write ':' (param x: int, unless \"...\": ...)",
    "；": "a full-width semicolon '；': remove it; statements need no separator",
    "＝": "a full-width equals sign '＝': write '==' to compare, '=' to give a value",
    "（": "a full-width parenthesis '（': write ( ) in expressions (clause paths may keep （）)",
    "）": "a full-width parenthesis '）': write ( ) in expressions (clause paths may keep （）)",
    "“": "a Chinese quotation mark '“': write ASCII double quotes \"...\" around strings",
    "”": "a Chinese quotation mark '”': write ASCII double quotes \"...\" around strings",
    "‘": "a Chinese quotation mark '‘': write ASCII double quotes \"...\" around strings",
    "’": "a Chinese quotation mark '’': write ASCII double quotes \"...\" around strings",
    "\u3000": "a full-width space (U+3000): write an ASCII space",
    "＞": "a full-width '＞': write '>'",
    "＜": "a full-width '＜': write '<'",
    "！": "a full-width '！': write '!=' to say 'is not'",
    "＋": "a full-width '＋': write '+'",
    "－": "a full-width '－': write '-'",
}


def _keyboard_slip(message: str) -> bool:
    return any(message == f"unexpected character {char!r}" for char in (*_FULL_WIDTH, "'"))


def _character_hint(char: str) -> str:
    if char in _FULL_WIDTH:
        return _FULL_WIDTH[char]
    if char == "'":
        return 'strings use double quotes: "..."'
    return "remove it, or quote it inside a string"


# Words that start an item of the file (never a statement inside a block).
_ITEM_WORDS = frozenset(
    {"exclusion", "requirement", "procedure", "param", "let", "def", "import", "extends", "clause"}
    | {"override", "policy", "module"}
)

_RULE_STATEMENT_WORDS = {"cite", "when", "require", "unless", "applies", "severity"}


def _token_word(token: Token) -> str:
    if token.type.startswith("__ANON") or not token.type.isupper():
        return "token"
    if token.type == str(token).upper():
        return "keyword"
    return {
        "NAME": "name",
        "STRING": "string",
        "INT": "number",
        "DATE": "date",
    }.get(token.type, "token")


class _BuildError(Exception):
    def __init__(
        self, message: str, meta: Meta | Token, hint: str | None = None, code: str = "TR301"
    ) -> None:
        super().__init__(message)
        self.message = message
        self.span = _span_of(meta)
        self.hint = hint
        self.code = code


def _build_error(exc: _BuildError, text: str, path: str | None) -> PolicySyntaxError:
    diagnostic = Diagnostic(exc.code, "error", exc.message, exc.span, file=path, hint=exc.hint)
    return _error_from(diagnostic, text)


def _error_from(diagnostic: Diagnostic, text: str) -> PolicySyntaxError:
    error = PolicySyntaxError(
        diagnostic.message,
        location=diagnostic.location,
        hint=diagnostic.hint,
        code=diagnostic.code,
    )
    error.rendered = diagnostic.render(text)
    error.diagnostics = (diagnostic,)
    return error


# ---------------------------------------------------------------- tree -> IR


def _span_of(meta: Meta | Token) -> ir.Span:
    if isinstance(meta, Token):
        return ir.Span(meta.line or 0, meta.column or 0, meta.end_line or 0, meta.end_column or 0)
    if getattr(meta, "empty", True):
        return ir.NO_SPAN
    return ir.Span(meta.line, meta.column, meta.end_line, meta.end_column)


_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def unquote(token: str) -> str:
    body = token[1:-1]
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), body)


def _date(token: Token) -> dt.date:
    try:
        return dt.date.fromisoformat(str(token))
    except ValueError:
        raise _BuildError(
            f"invalid date '{token}'", token, hint="write a real calendar date as YYYY-MM-DD"
        ) from None


def _int(token: Token) -> int:
    digits = str(token)
    if len(digits) > MAX_NUMBER_DIGITS:
        raise _BuildError(
            f"number with {len(digits)} digits is too large",
            token,
            hint=f"numbers in a policy have at most {MAX_NUMBER_DIGITS} digits",
            code="TR305",
        )
    return int(digits)


def _check_depth(tree: Tree[Token]) -> None:
    """Raise (as the transformer would) when ``tree`` nests deeper than MAX_NESTING_DEPTH;
    iterative, so that the check itself cannot overflow the stack."""
    stack: list[tuple[Tree[Token], int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_NESTING_DEPTH:
            error = _BuildError(
                f"expression nested too deeply (more than {MAX_NESTING_DEPTH} levels)",
                node.meta,
                hint="split it into named 'let' or 'def' items, or use 'in {...}' "
                "instead of a long chain of 'or'",
                code="TR304",
            )
            raise VisitError(str(node.data), node, error)  # type: ignore[no-untyped-call]
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tree))


@v_args(meta=True)
class _Builder(Transformer[Token, Any]):
    """Turns the Lark tree into IR nodes; no Lark type survives."""

    def __init__(self, comments: list[Token]) -> None:
        super().__init__()
        self._comments = sorted(comments, key=lambda t: (t.line or 0, t.column or 0))
        self._claimed: set[int] = set()

    def transform(self, tree: Tree[Token]) -> Any:
        _check_depth(tree)
        return super().transform(tree)

    # ------------------------------------------------ comments
    def _take_comments(self, first_line: int, last_line: int) -> list[Token]:
        taken = []
        for index, token in enumerate(self._comments):
            if index in self._claimed:
                continue
            if first_line <= (token.line or 0) <= last_line:
                self._claimed.add(index)
                taken.append(token)
        return taken

    @staticmethod
    def _comment(token: Token, trailing: bool = False) -> ir.Comment:
        return ir.Comment(str(token)[1:].rstrip(), trailing)

    # ------------------------------------------------ file
    def start(self, meta: Meta, children: list[Any]) -> ir.PolicyFile:
        header, *items = children
        placed: list[Any] = []
        previous_end = header.span.end_line
        for item in items:
            leading = [
                self._comment(tok)
                for tok in self._take_comments(previous_end + 1, item.span.line - 1)
            ]
            trailing_tokens = [
                tok
                for tok in self._take_comments(item.span.end_line, item.span.end_line)
                if (tok.column or 0) >= item.span.end_column
            ]
            # A comment inside a multi-line item that nothing finer claimed stays with the
            # item, above it, rather than drifting to the end of the file.
            inside = self._take_comments(item.span.line, item.span.end_line)
            leading += [self._comment(tok) for tok in inside]
            own = [*leading, *(self._comment(t, trailing=True) for t in trailing_tokens)]
            if own:
                item = _with_comments(item, tuple(own))
            placed.append(item)
            previous_end = item.span.end_line
        rest = [
            self._comment(tok)
            for index, tok in enumerate(self._comments)
            if index not in self._claimed
        ]
        self._claimed.update(range(len(self._comments)))
        return ir.PolicyFile(header=header, items=tuple(placed), trailing_comments=tuple(rest))

    def _header(self, kind: str, meta: Meta, children: list[Any]) -> ir.Header:
        ident, *fields = children
        values: dict[str, Any] = {}
        for name, value in fields:
            if name in values:
                raise _BuildError(
                    f"header field '{name}' is given twice",
                    meta,
                    hint="keep one of them; a header names each field once",
                )
            values[name] = value
        if "title" in values:
            values["title"], values["title_en"] = values["title"]
        if "source" in values:
            values["source"], values["source_sha256"] = values["source"]
        span = _span_of(meta)
        # The header is first in the file: comments above it belong to it.
        inner = [self._comment(t) for t in self._take_comments(1, span.end_line)]
        return ir.Header(
            kind=kind,  # type: ignore[arg-type]
            id=str(ident),
            comments=tuple(inner),
            span=span,
            **values,
        )

    def policy_header(self, meta: Meta, children: list[Any]) -> ir.Header:
        return self._header("policy", meta, children)

    def module_header(self, meta: Meta, children: list[Any]) -> ir.Header:
        return self._header("module", meta, children)

    def title_field(self, meta: Meta, children: list[Any]) -> tuple[str, Any]:
        zh = unquote(children[0])
        en = unquote(children[1]) if len(children) > 1 and children[1] is not None else None
        return ("title", (zh, en))

    def jurisdiction_field(self, meta: Meta, c: list[Any]) -> tuple[str, Any]:
        return ("jurisdiction", unquote(c[0]))

    def issuer_field(self, meta: Meta, c: list[Any]) -> tuple[str, Any]:
        return ("issuer", unquote(c[0]))

    def document_field(self, meta: Meta, c: list[Any]) -> tuple[str, Any]:
        return ("document", unquote(c[0]))

    def description_field(self, meta: Meta, c: list[Any]) -> tuple[str, Any]:
        return ("description", unquote(c[0]))

    def issued_field(self, meta: Meta, c: list[Any]) -> tuple[str, Any]:
        return ("issued", _date(c[0]))

    def year_field(self, meta: Meta, c: list[Any]) -> tuple[str, Any]:
        return ("year", _int(c[0]))

    def source_field(self, meta: Meta, c: list[Any]) -> tuple[str, Any]:
        return ("source", (unquote(c[0]), unquote(c[1])))

    # ------------------------------------------------ items
    def import_stmt(self, meta: Meta, c: list[Any]) -> ir.Import:
        return ir.Import(unquote(c[0]), span=_span_of(meta))

    def extends_stmt(self, meta: Meta, c: list[Any]) -> ir.Extends:
        return ir.Extends(unquote(c[0]), span=_span_of(meta))

    def type_expr(self, meta: Meta, c: list[Any]) -> ir.TypeRef:
        arg = str(c[1]) if len(c) > 1 and c[1] is not None else None
        return ir.TypeRef(str(c[0]), arg, span=_span_of(meta))

    def param_decl(self, meta: Meta, c: list[Any]) -> ir.Param:
        return ir.Param(str(c[0]), c[1], c[2], span=_span_of(meta))

    def name_label(self, meta: Meta, c: list[Any]) -> _NameLabel:
        en = unquote(c[1]) if len(c) > 1 and c[1] is not None else None
        return _NameLabel(unquote(c[0]), en)

    def let_decl(self, meta: Meta, c: list[Any]) -> ir.Let:
        words = c[1] if isinstance(c[1], _NameLabel) else _NameLabel(None, None)
        return ir.Let(str(c[0]), c[2], span=_span_of(meta), label=words.zh, label_en=words.en)

    def def_decl(self, meta: Meta, c: list[Any]) -> ir.Def:
        name, *rest = c
        body = rest[-1]
        words = rest[-2] if isinstance(rest[-2], _NameLabel) else _NameLabel(None, None)
        params = tuple(str(p) for p in rest[:-2] if p is not None)
        if len(set(params)) != len(params):
            raise _BuildError(
                f"'{name}' names a parameter twice",
                meta,
                hint="give each parameter of a def its own name",
            )
        return ir.Def(
            str(name), params, body, span=_span_of(meta), label=words.zh, label_en=words.en
        )

    def consequence_decl(self, meta: Meta, c: list[Any]) -> ir.Consequence:
        span = _span_of(meta)
        gloss = unquote(c[3]) if len(c) > 3 and c[3] is not None else None
        citation = ir.Citation(str(c[1]), unquote(c[2]), span=span)
        return ir.Consequence(str(c[0]), citation, gloss, span=span)

    def clause_decl(self, meta: Meta, c: list[Any]) -> ir.ClauseNote:
        kind = str(c[1])
        return ir.ClauseNote(str(c[0]), kind, unquote(c[2]), span=_span_of(meta))  # type: ignore[arg-type]

    def override_decl(self, meta: Meta, c: list[Any]) -> ir.Param | ir.Rule:
        item = c[0]
        span = _span_of(meta)
        if isinstance(item, ir.Param):
            return ir.Param(item.name, item.type, item.value, True, item.comments, span)
        assert isinstance(item, ir.Rule)
        return _replace_rule(item, override=True, span=span)

    def rule_decl(self, meta: Meta, c: list[Any]) -> ir.Rule:
        kind, ident, title = str(c[0]), str(c[1]), unquote(c[2])
        rest = c[3:]
        title_en = None
        if rest and isinstance(rest[0], Token) and rest[0].type == "STRING":
            title_en = unquote(rest[0])
            rest = rest[1:]
        elif rest and rest[0] is None:
            rest = rest[1:]
        fields: dict[str, Any] = {"require": [], "unless": [], "notes": [], "messages": []}
        slots: list[tuple[str, ir.Span]] = []
        for stmt_name, value, stmt_span in rest:
            if stmt_name in ("require", "unless", "notes", "messages"):
                word = {"notes": "note", "messages": "message"}.get(stmt_name, stmt_name)
                slot = f"{word}[{len(fields[stmt_name])}]"
                fields[stmt_name].append(value)
            else:
                if stmt_name in fields:
                    raise _BuildError(
                        f"rule '{ident}' has more than one '{_STMT_WORD[stmt_name]}'",
                        _token_meta(stmt_span),
                        hint=_DUPLICATE_HINTS[stmt_name],
                    )
                fields[stmt_name] = value
                slot = _STMT_WORD[stmt_name]
            slots.append((slot, stmt_span))
        span = _span_of(meta)
        comments = self._rule_comments(span, slots)
        return ir.Rule(
            kind=kind,  # type: ignore[arg-type]
            id=ident,
            title=title,
            title_en=title_en,
            citation=fields.get("citation"),
            applies=fields.get("applies"),
            when=fields.get("when"),
            require=tuple(fields["require"]),
            unless=tuple(fields["unless"]),
            severity=fields.get("severity", "blocking"),
            notes=tuple(fields["notes"]),
            consequence=fields.get("consequence"),
            comments=comments,
            span=span,
            messages=tuple(fields["messages"]),
        )

    def _rule_comments(
        self, span: ir.Span, slots: list[tuple[str, ir.Span]]
    ) -> tuple[tuple[str, tuple[ir.Comment, ...]], ...]:
        result: dict[str, list[ir.Comment]] = {}
        # Same-line comment after the rule's opening line belongs to the header slot.
        previous_end = span.line
        header_trailing = self._take_comments(span.line, span.line)
        if header_trailing:
            result["header"] = [self._comment(t, trailing=True) for t in header_trailing]
        for slot, stmt_span in slots:
            # Comments above a statement, and inside a statement written over several lines,
            # stand before it; a comment on its last line stands after it.
            leading = self._take_comments(previous_end + 1, stmt_span.end_line - 1)
            trailing = [
                tok
                for tok in self._take_comments(stmt_span.end_line, stmt_span.end_line)
                if (tok.line or 0) > span.line or stmt_span.line > span.line
            ]
            entries = [self._comment(t) for t in leading]
            entries += [self._comment(t, trailing=True) for t in trailing]
            if entries:
                result[slot] = entries
            previous_end = stmt_span.end_line
        tail = self._take_comments(previous_end + 1, span.end_line)
        if tail:
            result["end"] = [self._comment(t) for t in tail]
        # Canonical slot order (the order the formatter prints statements in), so the IR does
        # not depend on the order the author wrote the statements in.
        ordered = sorted(result.items(), key=lambda item: _slot_key(item[0]))
        return tuple((k, tuple(v)) for k, v in ordered)

    # ------------------------------------------------ rule statements
    def cite_stmt(self, meta: Meta, c: list[Any]) -> tuple[str, Any, ir.Span]:
        span = _span_of(meta)
        return ("citation", ir.Citation(str(c[0]), unquote(c[1]), span=span), span)

    def applies_stmt(self, meta: Meta, c: list[Any]) -> tuple[str, Any, ir.Span]:
        return ("applies", c[0], _span_of(meta))

    def when_stmt(self, meta: Meta, c: list[Any]) -> tuple[str, Any, ir.Span]:
        return ("when", c[0], _span_of(meta))

    def require_stmt(self, meta: Meta, c: list[Any]) -> tuple[str, Any, ir.Span]:
        return ("require", c[0], _span_of(meta))

    def unless_stmt(self, meta: Meta, c: list[Any]) -> tuple[str, Any, ir.Span]:
        span = _span_of(meta)
        # The label's strings are tokens; the condition (even a string literal) is IR.
        labels = [unquote(t) for t in c[:-1] if isinstance(t, Token)]
        label = labels[0] if labels else None
        label_en = labels[1] if len(labels) > 1 else None
        exception = ir.Exception_(c[-1], label, span=span, label_en=label_en)
        return ("unless", exception, span)

    def message_stmt(self, meta: Meta, c: list[Any]) -> tuple[str, Any, ir.Span]:
        when = None
        if c and not isinstance(c[0], Token):  # message when COND: "..."
            when, c = c[0], c[1:]
        en = unquote(c[1]) if len(c) > 1 and c[1] is not None else None
        span = _span_of(meta)
        return ("messages", ir.Message(unquote(c[0]), en, when, span), span)

    def severity_stmt(self, meta: Meta, c: list[Any]) -> tuple[str, Any, ir.Span]:
        return ("severity", str(c[0]), _span_of(meta))

    def note_stmt(self, meta: Meta, c: list[Any]) -> tuple[str, Any, ir.Span]:
        return ("notes", unquote(c[0]), _span_of(meta))

    def consequence_stmt(self, meta: Meta, c: list[Any]) -> tuple[str, Any, ir.Span]:
        return ("consequence", str(c[0]), _span_of(meta))

    # ------------------------------------------------ expressions
    def int_lit(self, meta: Meta, c: list[Any]) -> ir.Literal_:
        return ir.Literal_(_int(c[0]), span=_span_of(meta))

    def date_lit(self, meta: Meta, c: list[Any]) -> ir.Literal_:
        return ir.Literal_(_date(c[0]), span=_span_of(meta))

    def duration_lit(self, meta: Meta, c: list[Any]) -> ir.DurationLit:
        unit = str(c[1])
        if not unit.endswith("s"):
            unit += "s"
        return ir.DurationLit(_int(c[0]), unit, span=_span_of(meta))

    def string_lit(self, meta: Meta, c: list[Any]) -> ir.Literal_:
        return ir.Literal_(unquote(c[0]), span=_span_of(meta))

    def true_lit(self, meta: Meta, c: list[Any]) -> ir.Literal_:
        return ir.Literal_(True, span=_span_of(meta))

    def false_lit(self, meta: Meta, c: list[Any]) -> ir.Literal_:
        return ir.Literal_(False, span=_span_of(meta))

    def name(self, meta: Meta, c: list[Any]) -> ir.Name:
        return ir.Name(str(c[0]), span=_span_of(meta))

    def attr(self, meta: Meta, c: list[Any]) -> ir.Attr:
        return ir.Attr(c[0], str(c[1]), span=_span_of(meta))

    def call(self, meta: Meta, c: list[Any]) -> ir.Call:
        return ir.Call(str(c[0]), tuple(a for a in c[1:] if a is not None), span=_span_of(meta))

    def method_call(self, meta: Meta, c: list[Any]) -> ir.MethodCall:
        args = tuple(a for a in c[2:] if a is not None)
        return ir.MethodCall(c[0], str(c[1]), args, span=_span_of(meta))

    def lambda_(self, meta: Meta, c: list[Any]) -> ir.Lambda:
        return ir.Lambda(str(c[0]), c[1], span=_span_of(meta))

    def set_lit(self, meta: Meta, c: list[Any]) -> ir.SetLit:
        return ir.SetLit(tuple(a for a in c if a is not None), span=_span_of(meta))

    def binop(self, meta: Meta, c: list[Any]) -> ir.BinOp:
        return ir.BinOp(str(c[1]), c[0], c[2], span=_span_of(meta))

    def compare(self, meta: Meta, c: list[Any]) -> ir.Compare:
        return ir.Compare(str(c[1]), c[0], c[2], span=_span_of(meta))

    def member(self, meta: Meta, c: list[Any]) -> ir.Compare:
        return ir.Compare("in", c[0], c[1], span=_span_of(meta))

    def not_member(self, meta: Meta, c: list[Any]) -> ir.Compare:
        return ir.Compare("not in", c[0], c[1], span=_span_of(meta))

    def _bool(self, op: str, meta: Meta, c: list[Any]) -> ir.BoolOp:
        # and/or are associative: flatten nested chains, so the IR has one canonical shape.
        operands: list[Any] = []
        for child in c:
            if isinstance(child, ir.BoolOp) and child.op == op:
                operands.extend(child.operands)
            else:
                operands.append(child)
        return ir.BoolOp(op, tuple(operands), span=_span_of(meta))  # type: ignore[arg-type]

    def or_(self, meta: Meta, c: list[Any]) -> ir.BoolOp:
        return self._bool("or", meta, c)

    def and_(self, meta: Meta, c: list[Any]) -> ir.BoolOp:
        return self._bool("and", meta, c)

    def not_(self, meta: Meta, c: list[Any]) -> ir.Not:
        return ir.Not(c[0], span=_span_of(meta))

    def neg(self, meta: Meta, c: list[Any]) -> ir.Neg:
        return ir.Neg(c[0], span=_span_of(meta))

    def if_then_else(self, meta: Meta, c: list[Any]) -> ir.IfThenElse:
        return ir.IfThenElse(c[0], c[1], c[2], span=_span_of(meta))


_DUPLICATE_HINTS = {
    "citation": "cite one clause per rule; split the rule if it encodes two clauses",
    "applies": "combine the conditions with 'and' / 'or'",
    "when": "combine the conditions with 'and' / 'or'",
    "severity": "a rule has one severity: blocking or advisory",
    "consequence": "a rule names one consequence; declare a consequence that covers both",
}

_STMT_WORD = {
    "citation": "cite",
    "applies": "applies",
    "when": "when",
    "severity": "severity",
    "consequence": "consequence",
}


_SLOT_ORDER = (
    "header",
    "cite",
    "applies",
    "when",
    "require",
    "unless",
    "severity",
    "note",
    "consequence",
    "message",
    "end",
)


def _slot_key(slot: str) -> tuple[int, int]:
    base, _, index = slot.partition("[")
    return _SLOT_ORDER.index(base), int(index.rstrip("]") or 0)


class _NameLabel(NamedTuple):
    """A let's or def's label, as the grammar's ``name_label`` gives it."""

    zh: str | None
    en: str | None


def _token_meta(span: ir.Span) -> Token:
    token = Token("X", "", line=span.line, column=span.column)
    token.end_line = span.end_line
    token.end_column = span.end_column
    return token


def _replace_rule(rule: ir.Rule, **changes: Any) -> ir.Rule:
    import dataclasses

    return dataclasses.replace(rule, **changes)


def _with_comments(item: Any, comments: tuple[ir.Comment, ...]) -> Any:
    import dataclasses

    if isinstance(item, ir.Rule):
        merged = dict(item.comments)
        merged["before"] = comments
        return dataclasses.replace(item, comments=tuple(merged.items()))
    return dataclasses.replace(item, comments=(*item.comments, *comments))
