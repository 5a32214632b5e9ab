"""Language layer: the YAML and JSON spellings of the policy IR.

Both spellings share one plain-data shape (:func:`to_data` / :func:`from_data`)::

    header: {kind: policy, id: eryuan-2024, title: ..., issued: 2024-05-01, ...}
    items:
      - {kind: import, path: common/base}
      - {kind: param, name: cutoff, type: date, value: "2024-12-31"}
      - kind: exclusion
        id: sanction_in_force
        title: 受记过以上处分期间不得申报
        cite: {clause: 二(一), quote: ...}
        when: "applicant.sanctions.any(s -> s.kind >= 记过)"
        unless: [{if: "...", label: 延迟退休, label_en: delayed retirement}, "plain condition"]
        message: "...{left}..."
        message_en: "...{left}..."
        # or, worded by case: messages: [{when: "...", message: "...", message_en: "..."}, ...]
    trailing_comments: ["# ..."]

Expressions are DSL strings, printed by :func:`titlerules.lang.printer.format_expr` and read
back with the same grammar, so they mean the same in every spelling.  Comments of the DSL
are kept under ``comments`` keys, so DSL -> YAML -> DSL loses nothing.  Any mistake in the
data is a :class:`PolicySyntaxError` naming the key path (``items[3].when``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections.abc import Callable, Mapping
from typing import Any, Literal, NoReturn, TypeVar, cast

import yaml

from titlerules.errors import InputFileError, Location, PolicySyntaxError
from titlerules.lang import ir
from titlerules.lang.diagnostics import Diagnostic, did_you_mean
from titlerules.lang.printer import format_expr
from titlerules.readers import check_yaml_text, json_error, yaml_error
from titlerules.uniquekeys import DuplicateKeyError, UniqueKeyLoader, loads_json

MAX_SOURCE_CHARS = 2_000_000

_HEADER_STRING_FIELDS = (
    "title",
    "title_en",
    "jurisdiction",
    "issuer",
    "document",
    "source",
    "source_sha256",
    "description",
)
_HEADER_KEYS = ("kind", "id", *_HEADER_STRING_FIELDS, "issued", "year", "comments")

# The token shapes of the grammar, so that whatever is read can also be printed as DSL.
_NAME = re.compile(r"[^\W\d]\w*")
_POLICY_ID = re.compile(r"[a-z][a-z0-9_]*(-[a-z0-9_]+)*")
_MODULE_PATH = re.compile(r"[a-z][a-z0-9_-]*(/[a-z0-9_-]+)*")
_CLAUSE = re.compile(r'[^\s"{}#]+')
_SLOT = re.compile(
    r"header|before|cite|applies|when|severity|consequence|message|end"
    r"|(require|unless|note|message)\[\d+\]"
)

_ITEM_KEYS: dict[str, tuple[str, ...]] = {
    "import": ("kind", "path", "comments"),
    "extends": ("kind", "path", "comments"),
    "param": ("kind", "name", "type", "value", "override", "comments"),
    "let": ("kind", "name", "label", "label_en", "value", "comments"),
    "def": ("kind", "name", "params", "label", "label_en", "body", "comments"),
    "consequence": ("kind", "name", "cite", "gloss", "comments"),
    "clause": ("kind", "clause", "reason_kind", "reason", "comments"),
}
_RULE_KEYS = (
    "kind",
    "id",
    "title",
    "title_en",
    "override",
    "cite",
    "applies",
    "when",
    "require",
    "unless",
    "severity",
    "notes",
    "consequence",
    "message",
    "message_en",
    "messages",
    "comments",
)

T = TypeVar("T")

#: The line breaks YAML counts in its marks (``\r\n`` is one): a text with CR-only line
#: endings or U+0085/U+2028/U+2029 must be cut into the same lines as the marks number,
#: or a mark points past the last line.
_YAML_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


# ---------------------------------------------------------------- IR -> data


def _comments_data(comments: tuple[ir.Comment, ...]) -> list[Any]:
    return [{"trailing": f"#{c.text}"} if c.trailing else f"#{c.text}" for c in comments]


def to_data(pf: ir.PolicyFile) -> dict[str, Any]:
    """The policy as plain JSON-able data (dates as ISO strings, expressions as DSL)."""
    header = pf.header
    head: dict[str, Any] = {"kind": header.kind, "id": header.id}
    for name in ("title", "title_en", "jurisdiction", "issuer", "document"):
        value = getattr(header, name)
        if value is not None:
            head[name] = value
    if header.issued is not None:
        head["issued"] = header.issued.isoformat()
    if header.year is not None:
        head["year"] = header.year
    for name in ("source", "source_sha256", "description"):
        value = getattr(header, name)
        if value is not None:
            head[name] = value
    if header.comments:
        head["comments"] = _comments_data(header.comments)
    data: dict[str, Any] = {"header": head, "items": [_item_data(i) for i in pf.items]}
    if pf.trailing_comments:
        data["trailing_comments"] = _comments_data(pf.trailing_comments)
    return data


def _item_data(item: ir.Item) -> dict[str, Any]:
    if isinstance(item, ir.Rule):
        return _rule_data(item)
    out: dict[str, Any]
    if isinstance(item, ir.Import | ir.Extends):
        out = {"kind": "import" if isinstance(item, ir.Import) else "extends", "path": item.path}
    elif isinstance(item, ir.Param):
        out = {
            "kind": "param",
            "name": item.name,
            "type": str(item.type),
            "value": format_expr(item.value),
        }
        if item.override:
            out["override"] = True
    elif isinstance(item, ir.Let):
        out = {"kind": "let", "name": item.name, **_label_data(item)}
        out["value"] = format_expr(item.value)
    elif isinstance(item, ir.Consequence):
        cite = {"clause": item.citation.clause, "quote": item.citation.quote}
        out = {"kind": "consequence", "name": item.name, "cite": cite}
        if item.gloss is not None:
            out["gloss"] = item.gloss
    elif isinstance(item, ir.ClauseNote):
        out = {
            "kind": "clause",
            "clause": item.clause,
            "reason_kind": item.kind,
            "reason": item.reason,
        }
    else:
        out = {
            "kind": "def",
            "name": item.name,
            "params": list(item.params),
            **_label_data(item),
            "body": format_expr(item.body),
        }
    if item.comments:
        out["comments"] = _comments_data(item.comments)
    return out


def _label_data(item: ir.Let | ir.Def | ir.Exception_) -> dict[str, str]:
    out: dict[str, str] = {}
    if item.label is not None:
        out["label"] = item.label
    if item.label_en is not None:
        out["label_en"] = item.label_en
    return out


def _rule_data(rule: ir.Rule) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": rule.kind, "id": rule.id, "title": rule.title}
    if rule.title_en is not None:
        out["title_en"] = rule.title_en
    if rule.override:
        out["override"] = True
    if rule.citation is not None:
        out["cite"] = {"clause": rule.citation.clause, "quote": rule.citation.quote}
    if rule.applies is not None:
        out["applies"] = format_expr(rule.applies)
    if rule.when is not None:
        out["when"] = format_expr(rule.when)
    if rule.require:
        out["require"] = [format_expr(r) for r in rule.require]
    if rule.unless:
        out["unless"] = [
            format_expr(u.condition)
            if u.label is None
            else {"if": format_expr(u.condition), **_label_data(u)}
            for u in rule.unless
        ]
    if rule.severity != "blocking":
        out["severity"] = rule.severity
    if rule.notes:
        out["notes"] = list(rule.notes)
    if rule.consequence is not None:
        out["consequence"] = rule.consequence
    if len(rule.messages) == 1 and rule.messages[0].when is None:  # (one: as it always was)
        out["message"] = rule.messages[0].text
        if rule.messages[0].text_en is not None:
            out["message_en"] = rule.messages[0].text_en
    elif rule.messages:
        out["messages"] = [_message_data(m) for m in rule.messages]
    if rule.comments:
        out["comments"] = {slot: _comments_data(c) for slot, c in rule.comments}
    return out


def _message_data(message: ir.Message) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if message.when is not None:
        out["when"] = format_expr(message.when)
    out["message"] = message.text
    if message.text_en is not None:
        out["message_en"] = message.text_en
    return out


# ---------------------------------------------------------------- data -> IR


class _Reader:
    """Walks plain data, checking types; every error names the key path it is about.  With
    the text the data was read from (``places``: its nodes by key path), the IR's spans are
    placed in that text."""

    def __init__(
        self, path: str | None, places: _Places | None = None, text: str | None = None
    ) -> None:
        self.path = path
        self.places = places
        self.lines = _YAML_LINE_BREAK.split(text) if text is not None else []

    def span(self, where: str) -> ir.Span:
        """Where the node at key path ``where`` stands in the text (NO_SPAN: unknown)."""
        node = self.places.get(where) if self.places is not None else None
        return ir.NO_SPAN if node is None else _node_span(node)

    def placed(self, expr: ir.Expr, text: str, where: str) -> ir.Expr:
        """``expr``, parsed from ``text`` (the string at ``where``), with its spans moved
        from the string into the file; as parsed when there is no file text."""
        if self.places is None:
            return expr
        node = self.places.get(where)
        if not isinstance(node, yaml.ScalarNode):
            return cast(ir.Expr, _respanned(expr, lambda span: ir.NO_SPAN))
        return cast(ir.Expr, _respanned(expr, _mover(node, text, self.lines)))

    def fail(self, where: str, message: str, hint: str | None = None) -> NoReturn:
        raise PolicySyntaxError(
            message,
            location=Location(file=self.path or "<policy>", record_path=where),
            hint=hint or "docs/formats.md shows the YAML and JSON spelling of a policy",
        )

    def mapping(
        self,
        value: object,
        where: str,
        allowed: tuple[str, ...] | None,
        required: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        """A mapping with string keys; ``allowed=None`` accepts any key."""
        if not isinstance(value, Mapping):
            self.fail(where, f"expected a mapping, found {_kind_of(value)}")
        for key in value:
            if not isinstance(key, str):
                self.fail(where, f"keys must be strings, found {_kind_of(key)} {key!r}")
            if allowed is not None and key not in allowed:
                self.fail(
                    _join(where, key),
                    f"unknown key '{key}'",
                    did_you_mean(key, allowed) or f"allowed keys: {', '.join(allowed)}",
                )
        for key in required:
            if key not in value:
                self.fail(where, f"missing key '{key}'")
        return dict(value)

    def list(self, value: object, where: str) -> list[Any]:
        if not isinstance(value, list):
            self.fail(where, f"expected a list, found {_kind_of(value)}")
        return value

    def string(self, value: object, where: str, shape: re.Pattern[str] | None = None) -> str:
        if not isinstance(value, str):
            hint = None
            if isinstance(value, bool):
                hint = "quote it: YAML reads yes/no/on/off/true/false unquoted as booleans"
            elif isinstance(value, int | float | dt.date):
                hint = f"quote it: '{value}'"
            self.fail(where, f"expected a string, found {_kind_of(value)}", hint)
        if shape is not None and not shape.fullmatch(value):
            self.fail(where, f"{value!r} is not a valid {_SHAPE_WORDS[shape.pattern]}")
        return value

    def optional(
        self, data: dict[str, Any], key: str, where: str, read: Callable[[object, str], T]
    ) -> T | None:
        value = data.get(key)
        return None if value is None else read(value, _join(where, key))

    def boolean(self, value: object, where: str) -> bool:
        if not isinstance(value, bool):
            self.fail(where, f"expected true or false, found {_kind_of(value)}")
        return value

    def expr(self, value: object, where: str) -> ir.Expr:
        # A YAML author may write a bare number, boolean or date: they are expressions too.
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, int):
            text = str(value)
        elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            text = value.isoformat()
        elif isinstance(value, str):
            text = value
        else:
            self.fail(where, f"expected an expression (a string), found {_kind_of(value)}")
        try:
            from titlerules.lang.exprparse import parse_expr  # the grammar, when first used

            return self.placed(parse_expr(text), text, where)
        except PolicySyntaxError as exc:
            found = getattr(exc, "diagnostics", ())
            if not found:  # pragma: no cover - parse_expr always attaches one
                raise
            diagnostic = found[0]
            span = diagnostic.span
            message = f"{diagnostic.message} at column {span.column}"
            location = Location(file=self.path or "<policy>", record_path=where)
            error = PolicySyntaxError(message, location=location, hint=diagnostic.hint)
            error.rendered = f"{location}: {message}\n{_excerpt(text, span)}" + (
                f"\n   hint: {diagnostic.hint}" if diagnostic.hint else ""
            )
            error.diagnostics = found
            raise error from None

    def date(self, value: object, where: str) -> dt.date:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        self.fail(where, f"expected a date (YYYY-MM-DD), found {_kind_of(value)} {value!r}")

    def integer(self, value: object, where: str) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            self.fail(where, f"expected a whole number, found {_kind_of(value)}")
        return value

    def comments(self, value: object, where: str) -> tuple[ir.Comment, ...]:
        out: list[ir.Comment] = []
        for index, entry in enumerate(self.list(value, where)):
            at = f"{where}[{index}]"
            trailing = False
            if isinstance(entry, Mapping):
                entry = self.mapping(entry, at, ("trailing",), ("trailing",))["trailing"]
                at = _join(at, "trailing")
                trailing = True
            text = self.string(entry, at)
            if "\n" in text or "\r" in text:
                self.fail(at, "a comment is one line", "split it into several comments")
            out.append(ir.Comment(text[1:] if text.startswith("#") else f" {text}", trailing))
        return tuple(out)


_SHAPE_WORDS = {
    _NAME.pattern: "name (letters, digits and _, not starting with a digit)",
    _POLICY_ID.pattern: "policy id such as eryuan-2024",
    _MODULE_PATH.pattern: "module path such as common/base",
    _CLAUSE.pattern: "clause path such as 二(一) (no spaces, quotes, braces or #)",
    _SLOT.pattern: "comment slot (header, before, cite, applies, when, require[0], ...)",
}


def _kind_of(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, dt.date):
        return "a date"
    return type(value).__name__


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _excerpt(text: str, span: ir.Span) -> str:
    lines = text.splitlines() or [""]
    line = lines[min(max(span.line, 1), len(lines)) - 1]
    start = max(span.column - 1, 0)
    width = span.end_column - span.column if span.end_line == span.line else 1
    return f"   | {line}\n   | {' ' * start}{'^' * max(width, 1)}"


# ---------------------------------------------------------------- where nodes stand

_Places = dict[str, yaml.Node]


def _places(root: yaml.Node | None) -> _Places:
    """The nodes of a composed YAML (or JSON) text by key path, spelled as the reader's
    error messages spell them (``items[3].require[0]``)."""
    places: _Places = {}
    stack: list[tuple[yaml.Node, str]] = [(root, "")] if root is not None else []
    while stack:
        node, where = stack.pop()
        places[where] = node
        if isinstance(node, yaml.MappingNode):
            stack.extend(
                (value, _join(where, key.value))
                for key, value in node.value
                if isinstance(key, yaml.ScalarNode)
            )
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, f"{where}[{i}]") for i, item in enumerate(node.value))
    return places


def _mover(node: yaml.ScalarNode, text: str, lines: list[str]) -> Callable[[ir.Span], ir.Span]:
    """Moves a span of ``text`` (the expression read from ``node``) to where it stands in
    the file: exactly when the text stands there as it is (a plain or quoted string on one
    line; a literal ``|`` block), else to the whole string (folded, escaped)."""
    start, end = node.start_mark, node.end_mark
    if node.style in (None, "'", '"') and start.line == end.line and "\n" not in text:
        line, column = start.line + 1, start.column + (node.style is not None)
        if lines[start.line][column:].startswith(text):
            return lambda s: ir.Span(line, column + s.column, line, column + s.end_column)
    if node.style == "|":
        first = start.line + 1  # the block's first line (0-based), after the '|'
        own = text.split("\n")
        body = [(i, t) for i, t in enumerate(own) if t.strip() and first + i < len(lines)]
        indent = len(lines[first + body[0][0]]) - len(body[0][1]) if body else -1
        if indent >= 0 and all(lines[first + i][indent:] == t for i, t in body):
            return lambda s: ir.Span(
                first + s.line, indent + s.column, first + s.end_line, indent + s.end_column
            )
    whole = _node_span(node)
    return lambda s: whole


def _node_span(node: yaml.Node) -> ir.Span:
    start, end = node.start_mark, node.end_mark
    return ir.Span(start.line + 1, start.column + 1, end.line + 1, end.column + 1)


def _respanned(node: Any, move: Callable[[ir.Span], ir.Span]) -> Any:
    """An expression (or any IR node below it) with every span that is set moved."""
    if isinstance(node, tuple):
        return tuple(_respanned(n, move) for n in node)
    if not dataclasses.is_dataclass(node) or isinstance(node, (type, ir.Span)):
        return node
    changes = {}
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        if f.name == "span":
            changes[f.name] = move(value) if value.line else value
        else:
            moved = _respanned(value, move)
            if moved is not value:
                changes[f.name] = moved
    return dataclasses.replace(node, **changes)


def from_data(data: object, path: str | None = None) -> ir.PolicyFile:
    """Build the IR from plain data (as :func:`to_data` writes it, or as read from YAML)."""
    return _from_data(_Reader(path), data)


def _from_data(read: _Reader, data: object) -> ir.PolicyFile:
    path = read.path
    top = read.mapping(data, "", ("header", "items", "trailing_comments"), ("header",))
    header = _header(read, top["header"])
    items_data = read.list(top.get("items") or [], "items")
    items = tuple(_item(read, entry, f"items[{i}]") for i, entry in enumerate(items_data))
    trailing = read.optional(top, "trailing_comments", "", read.comments) or ()
    return ir.PolicyFile(header=header, items=items, trailing_comments=trailing, path=path)


def _header(read: _Reader, value: object) -> ir.Header:
    where = "header"
    data = read.mapping(value, where, _HEADER_KEYS, ("kind", "id"))
    kind = read.string(data["kind"], "header.kind")
    if kind not in ("policy", "module"):
        read.fail("header.kind", f"expected policy or module, found {kind!r}")
    ident = read.string(data["id"], "header.id", _POLICY_ID if kind == "policy" else _MODULE_PATH)
    strings = {
        name: read.optional(data, name, where, read.string) for name in _HEADER_STRING_FIELDS
    }
    if strings["title_en"] is not None and strings["title"] is None:
        read.fail(where, "'title_en' is given without 'title'")
    if (strings["source"] is None) != (strings["source_sha256"] is None):
        read.fail(where, "'source' and 'source_sha256' go together", "give both or neither")
    return ir.Header(
        kind=cast(Literal["policy", "module"], kind),
        id=ident,
        title=strings["title"],
        title_en=strings["title_en"],
        jurisdiction=strings["jurisdiction"],
        issuer=strings["issuer"],
        document=strings["document"],
        issued=read.optional(data, "issued", where, read.date),
        year=read.optional(data, "year", where, read.integer),
        source=strings["source"],
        source_sha256=strings["source_sha256"],
        description=strings["description"],
        comments=read.optional(data, "comments", where, read.comments) or (),
        span=read.span(where),
    )


def _item(read: _Reader, value: object, where: str) -> ir.Item:
    if not isinstance(value, Mapping):
        read.fail(where, f"expected a mapping, found {_kind_of(value)}")
    kind = read.string(value.get("kind"), _join(where, "kind"))
    if kind in ir.RULE_KINDS:
        return _rule(read, value, where)
    if kind not in _ITEM_KEYS:
        kinds = [*_ITEM_KEYS, *ir.RULE_KINDS]
        read.fail(
            _join(where, "kind"),
            f"unknown item kind {kind!r}",
            did_you_mean(kind, kinds) or f"one of: {', '.join(kinds)}",
        )
    keys = _ITEM_KEYS[kind]
    data = read.mapping(value, where, keys, tuple(k for k in keys if k not in _OPTIONAL_KEYS))
    comments = read.optional(data, "comments", where, read.comments) or ()
    span = read.span(where)
    if kind in ("import", "extends"):
        module = read.string(data["path"], _join(where, "path"))
        cls = ir.Import if kind == "import" else ir.Extends
        return cls(module, comments, span)
    if kind == "clause":
        reason_kind = read.string(data["reason_kind"], _join(where, "reason_kind"))
        if reason_kind not in ir.CLAUSE_KINDS:
            read.fail(
                _join(where, "reason_kind"),
                f"unknown clause kind {reason_kind!r}",
                did_you_mean(reason_kind, ir.CLAUSE_KINDS)
                or f"one of: {', '.join(ir.CLAUSE_KINDS)}",
            )
        return ir.ClauseNote(
            read.string(data["clause"], _join(where, "clause"), _CLAUSE),
            reason_kind,
            read.string(data["reason"], _join(where, "reason")),
            comments,
            span,
        )
    if kind == "consequence":
        return ir.Consequence(
            read.string(data["name"], _join(where, "name"), _NAME),
            _citation(read, data["cite"], _join(where, "cite")),
            read.optional(data, "gloss", where, read.string),
            comments,
            span,
        )
    name = read.string(data["name"], _join(where, "name"), _NAME)
    if kind == "param":
        return ir.Param(
            name,
            _type(read, data["type"], _join(where, "type")),
            read.expr(data["value"], _join(where, "value")),
            read.optional(data, "override", where, read.boolean) or False,
            comments,
            span,
        )
    label, label_en = _labels(read, data, where)
    if kind == "let":
        value = read.expr(data["value"], _join(where, "value"))
        return ir.Let(name, value, comments, span, label, label_en)
    params_where = _join(where, "params")
    params = tuple(
        read.string(p, f"{params_where}[{i}]", _NAME)
        for i, p in enumerate(read.list(data["params"], params_where))
    )
    if len(set(params)) != len(params):
        read.fail(params_where, f"'{name}' names a parameter twice")
    body = read.expr(data["body"], _join(where, "body"))
    return ir.Def(name, params, body, comments, span, label, label_en)


def _labels(read: _Reader, data: dict[str, Any], where: str) -> tuple[str | None, str | None]:
    """A let's, def's or exception's ``label`` and ``label_en`` (English only with Chinese)."""
    label = read.optional(data, "label", where, read.string)
    label_en = read.optional(data, "label_en", where, read.string)
    if label_en is not None and label is None:
        read.fail(where, "'label_en' is given without 'label'")
    return label, label_en


_OPTIONAL_KEYS = frozenset({"comments", "override", "gloss", "label", "label_en"})
_TYPE = re.compile(r"\s*([^\W\d]\w*)\s*(?:\[\s*([^\W\d]\w*)\s*\])?\s*")


def _type(read: _Reader, value: object, where: str) -> ir.TypeRef:
    text = read.string(value, where)
    match = _TYPE.fullmatch(text)
    if match is None:
        read.fail(where, f"{text!r} is not a type", "write a type such as date, int or set[Level]")
    return ir.TypeRef(match.group(1), match.group(2))


def _rule(read: _Reader, value: Mapping[str, Any], where: str) -> ir.Rule:
    data = read.mapping(value, where, _RULE_KEYS, ("kind", "id", "title"))
    citation = None
    if data.get("cite") is not None:
        citation = _citation(read, data["cite"], _join(where, "cite"))
    require_where = _join(where, "require")
    require = tuple(
        read.expr(r, f"{require_where}[{i}]")
        for i, r in enumerate(read.list(data.get("require") or [], require_where))
    )
    unless_where = _join(where, "unless")
    unless = tuple(
        _exception(read, u, f"{unless_where}[{i}]")
        for i, u in enumerate(read.list(data.get("unless") or [], unless_where))
    )
    severity = read.optional(data, "severity", where, read.string) or "blocking"
    if severity not in ("blocking", "advisory"):
        read.fail(_join(where, "severity"), f"expected blocking or advisory, found {severity!r}")
    notes_where = _join(where, "notes")
    notes = tuple(
        read.string(n, f"{notes_where}[{i}]")
        for i, n in enumerate(read.list(data.get("notes") or [], notes_where))
    )
    messages = _messages(read, data, where)
    comments_where = _join(where, "comments")
    slots = read.mapping(data.get("comments") or {}, comments_where, None)
    comments = tuple(
        (
            read.string(slot, _join(comments_where, slot), _SLOT),
            read.comments(entries, _join(comments_where, slot)),
        )
        for slot, entries in slots.items()
    )
    # (a message's comments were kept under "message" before a rule could have several)
    comments = tuple(("message[0]" if slot == "message" else slot, c) for slot, c in comments)
    return ir.Rule(
        kind=cast(ir.RuleKind, data["kind"]),  # checked by the caller
        id=read.string(data["id"], _join(where, "id"), _NAME),
        title=read.string(data["title"], _join(where, "title")),
        title_en=read.optional(data, "title_en", where, read.string),
        citation=citation,
        applies=read.optional(data, "applies", where, read.expr),
        when=read.optional(data, "when", where, read.expr),
        require=require,
        unless=unless,
        severity=cast(ir.Severity, severity),
        notes=notes,
        consequence=read.optional(data, "consequence", where, _name_reader(read)),
        messages=messages,
        override=read.optional(data, "override", where, read.boolean) or False,
        comments=comments,
        span=read.span(where),
    )


def _messages(read: _Reader, data: dict[str, Any], where: str) -> tuple[ir.Message, ...]:
    """A rule's messages: ``message`` (and ``message_en``), one that words every failure, or
    ``messages``, a list of ``{when, message, message_en}`` (the first whose ``when`` holds
    words a failure)."""

    def one(item: dict[str, Any], at: str, when: ir.Expr | None) -> ir.Message:
        text = read.optional(item, "message", at, read.string)
        text_en = read.optional(item, "message_en", at, read.string)
        if text_en is not None and text is None:
            read.fail(at, "'message_en' is given without 'message'")
        if text is None:
            read.fail(at, "a message needs its template: 'message'")
        return ir.Message(text, text_en, when, read.span(_join(at, "message")))

    if "messages" in data:
        if "message" in data or "message_en" in data:
            read.fail(where, "give 'message' or 'messages', not both")
        listed = _join(where, "messages")
        out = []
        for index, item in enumerate(read.list(data["messages"], listed)):
            at = f"{listed}[{index}]"
            entry = read.mapping(item, at, ("when", "message", "message_en"), ("message",))
            out.append(one(entry, at, read.optional(entry, "when", at, read.expr)))
        return tuple(out)
    if "message" not in data and "message_en" not in data:
        return ()
    return (one(data, where, None),)


def _citation(read: _Reader, value: object, where: str) -> ir.Citation:
    cite = read.mapping(value, where, ("clause", "quote"), ("clause", "quote"))
    return ir.Citation(
        read.string(cite["clause"], _join(where, "clause"), _CLAUSE),
        read.string(cite["quote"], _join(where, "quote")),
        read.span(where),
    )


def _name_reader(read: _Reader) -> Callable[[object, str], str]:
    return lambda value, where: read.string(value, where, _NAME)


def _exception(read: _Reader, value: object, where: str) -> ir.Exception_:
    if isinstance(value, Mapping):
        data = read.mapping(value, where, ("if", "label", "label_en"), ("if",))
        label, label_en = _labels(read, data, where)
        return ir.Exception_(
            read.expr(data["if"], _join(where, "if")), label, read.span(where), label_en
        )
    return ir.Exception_(read.expr(value, where), span=read.span(where))


# ---------------------------------------------------------------- YAML and JSON text


class _Dumper(yaml.SafeDumper):
    """Block style, lists indented under their key, multi-line strings as literal blocks."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value and "\t" not in value and not value.endswith((" ", "\n")):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str_representer)


def dump_yaml(pf: ir.PolicyFile) -> str:
    """The policy in its YAML spelling."""
    data = to_data(pf)
    if pf.header.issued is not None:
        data["header"]["issued"] = pf.header.issued  # a YAML date, written unquoted
    return yaml.dump(
        data,
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=100,
    )


class _Loader(UniqueKeyLoader):
    """The safe loader, except that a date-like scalar that is no real date (2024-02-30)
    stays a string, so the policy reader can say where it is instead of PyYAML failing,
    and a key given twice (``when:`` twice in a rule) is refused."""


def _timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> object:
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def load_yaml(text: str, path: str | None = None) -> ir.PolicyFile:
    """Read the YAML spelling of a policy (the safe loader only; no tags, no code)."""
    _check_size(text, path)
    loader: _Loader | None = None
    try:
        loader = _Loader(text)  # a SafeLoader subclass: safe
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except (DuplicateKeyError, RecursionError) as exc:
        raise yaml_error(exc, path, label="not valid YAML") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        column = mark.column + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        wide = _full_width_colon(text)
        if wide is not None:  # the likely cause, named at its own place
            wide_line, wide_column, key = wide
            raise _not_parsed(
                f"not valid YAML: a full-width colon '：' after the key '{key}'",
                text,
                path,
                wide_line,
                wide_column,
                "YAML needs the ASCII colon ':' (and a space) after a key; '：' (U+FF1A) "
                "is what a Chinese keyboard types",
            ) from None
        raise _not_parsed(
            f"not valid YAML: {problem}",
            text,
            path,
            line,
            column,
            "check the indentation and quote expressions that contain ': ' or '#'",
        ) from None
    except ValueError as exc:  # a lone surrogate, a value no constructor takes
        raise yaml_error(
            exc,
            path,
            label="not valid YAML",
            hint="check the indentation and quote expressions that contain ': ' or '#'",
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
    check_yaml_text(text, data, path, label="not valid YAML")
    return _from_data(_Reader(path, _places(root), text), data)


def _not_parsed(
    message: str, text: str, path: str | None, line: int | None, column: int | None, hint: str
) -> InputFileError:
    """A YAML or JSON policy that does not parse: the place, its source line with a caret,
    and the hint, as a syntax error in the DSL is shown."""
    error = InputFileError(
        message, location=Location(file=path, line=line, column=column), hint=hint
    )
    if line is not None and column is not None:
        span = ir.Span(line, column, line, column + 1)
        error.rendered = Diagnostic("TR002", "error", message, span, path, hint).render(text)
    return error


# A key followed by a full-width colon (``title： 示例``), at the start of a line or a list item.
_WIDE_COLON_KEY = re.compile(r"^(\s*(?:-\s+)?)([A-Za-z_][A-Za-z0-9_-]*)\s*：")


def _full_width_colon(text: str) -> tuple[int, int, str] | None:
    """The first line, column and key of a key written with a full-width colon, if any."""
    for number, line in enumerate(text.splitlines(), start=1):
        match = _WIDE_COLON_KEY.match(line)
        if match is not None:
            return number, match.end() - 1 + 1, match.group(2)
    return None


def dump_json(pf: ir.PolicyFile) -> str:
    """The policy as JSON (UTF-8 text, not ASCII-escaped)."""
    return json.dumps(to_data(pf), ensure_ascii=False, indent=2) + "\n"


def load_json(text: str, path: str | None = None) -> ir.PolicyFile:
    """Read the JSON spelling of a policy."""
    _check_size(text, path)
    try:
        data = loads_json(text)
    except json.JSONDecodeError as exc:
        raise _not_parsed(
            f"not valid JSON: {exc.msg}",
            text,
            path,
            exc.lineno,
            exc.colno,
            "a JSON policy is what 'titlerules convert --to json' writes",
        ) from None
    except ValueError as exc:  # a key twice, a number too long, too deep, a lone surrogate
        raise json_error(
            exc,
            text,
            path,
            label="not valid JSON",
            hint="a JSON policy is what 'titlerules convert --to json' writes",
        ) from None
    return _from_data(_Reader(path, _json_places(text), text), data)


def _json_places(text: str) -> _Places:
    """The nodes of a JSON text by key path (JSON is read as YAML for this; none where
    that reading fails, and then no span is given)."""
    loader: _Loader | None = None
    try:
        loader = _Loader(text)
        return _places(loader.get_single_node())
    except (yaml.YAMLError, RecursionError):
        return {}
    finally:
        if loader is not None:
            loader.dispose()


def _check_size(text: str, path: str | None) -> None:
    if len(text) > MAX_SOURCE_CHARS:
        raise InputFileError(
            f"policy file is longer than {MAX_SOURCE_CHARS} characters",
            location=Location(file=path),
            hint="split it into modules and import them",
        )
