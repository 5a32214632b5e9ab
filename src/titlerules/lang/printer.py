"""Language layer: print the IR back as canonical ``.policy`` text (the formatter).

``format_policy`` is the inverse of :func:`titlerules.lang.parser.parse` up to layout:
``parse(format_policy(pf)) == pf`` for every parsed file (spans aside), and formatting a
formatted file changes nothing.  The canonical layout:

* the header block first, its fields in a fixed order; comments found anywhere in the
  header are printed above it (the parser attaches all of them to the header anyway);
* two-space indentation, one blank line between items, except that consecutive one-line
  imports, extends, params, lets and defs stay together as a group;
* rule statements in a fixed order: ``cite``, ``applies``, ``when``, ``require``...,
  ``unless``..., ``severity`` (only when not ``blocking``), ``note``..., ``consequence``,
  ``message``... (in order: the first whose ``when`` holds words a failure);
* leading comments on their own lines above what they belong to, trailing comments two
  spaces after it; comments the parser could not place are printed at the end of the file;
* expressions with the fewest parentheses the precedence allows, and a long ``and`` /
  ``or`` chain broken into one operand per line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from titlerules.lang import ir

INDENT = "  "
MAX_WIDTH = 100

# Binding strength of each expression form; a higher number binds tighter.
_IF, _OR, _AND, _NOT, _COMPARE, _SUM, _PRODUCT, _UNARY, _POSTFIX, _ATOM = range(10)

_SINGULAR_UNITS = {
    "working_days": "working_day",
    "days": "day",
    "months": "month",
    "years": "year",
}


# ---------------------------------------------------------------- strings


def quote(text: str) -> str:
    """Quote a string the way the grammar reads it (inverse of ``parser.unquote``)."""
    escaped = (
        text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    )
    return f'"{escaped}"'


# ---------------------------------------------------------------- expressions


def format_expr(expr: ir.Expr | ir.Lambda) -> str:
    """One-line DSL text of an expression, with minimal parentheses."""
    return _expr(expr)


def _precedence(expr: ir.Expr | ir.Lambda) -> int:
    if isinstance(expr, ir.IfThenElse | ir.Lambda):
        return _IF
    if isinstance(expr, ir.BoolOp):
        return _OR if expr.op == "or" else _AND
    if isinstance(expr, ir.Not):
        return _NOT
    if isinstance(expr, ir.Compare):
        return _COMPARE
    if isinstance(expr, ir.BinOp):
        return _SUM if expr.op in ("+", "-") else _PRODUCT
    if isinstance(expr, ir.Neg):
        return _UNARY
    if isinstance(expr, ir.Attr | ir.MethodCall):
        return _POSTFIX
    if isinstance(expr, ir.Literal_) and isinstance(expr.value, int) and expr.value < 0:
        return _UNARY  # prints as '-5', which reads back as a negation
    return _ATOM


def _at(expr: ir.Expr | ir.Lambda, level: int) -> str:
    """``expr`` as an operand that must bind at least as tightly as ``level``."""
    text = _expr(expr)
    return f"({text})" if _precedence(expr) < level else text


def _literal(value: int | bool | str | dt.date) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return quote(value)
    return value.isoformat()


def _args(args: Iterable[ir.Expr | ir.Lambda]) -> str:
    return ", ".join(_expr(a) for a in args)


def _expr(expr: ir.Expr | ir.Lambda) -> str:
    if isinstance(expr, ir.Literal_):
        return _literal(expr.value)
    if isinstance(expr, ir.DurationLit):
        unit = _SINGULAR_UNITS.get(expr.unit, expr.unit) if expr.amount == 1 else expr.unit
        return f"{expr.amount} {unit}"
    if isinstance(expr, ir.Name):
        return expr.id
    if isinstance(expr, ir.Attr):
        return f"{_at(expr.obj, _POSTFIX)}.{expr.name}"
    if isinstance(expr, ir.MethodCall):
        return f"{_at(expr.obj, _POSTFIX)}.{expr.method}({_args(expr.args)})"
    if isinstance(expr, ir.Call):
        return f"{expr.func}({_args(expr.args)})"
    if isinstance(expr, ir.Lambda):
        return f"{expr.param} -> {_expr(expr.body)}"
    if isinstance(expr, ir.SetLit):
        return "{" + _args(expr.items) + "}"
    if isinstance(expr, ir.BinOp):
        level = _SUM if expr.op in ("+", "-") else _PRODUCT
        left, right = _at(expr.left, level), _at(expr.right, level + 1)
        if expr.op == "/" and _is_int(expr.left) and _is_int(expr.right):
            return f"{left}/{right}"  # a ratio such as 2/3 reads best unspaced
        return f"{left} {expr.op} {right}"
    if isinstance(expr, ir.Compare):
        return f"{_at(expr.left, _SUM)} {expr.op} {_at(expr.right, _SUM)}"
    if isinstance(expr, ir.BoolOp):
        level = _OR if expr.op == "or" else _AND
        return f" {expr.op} ".join(_at(o, level + 1) for o in expr.operands)
    if isinstance(expr, ir.Not):
        return f"not {_at(expr.operand, _NOT)}"
    if isinstance(expr, ir.Neg):
        return f"-{_at(expr.operand, _UNARY)}"
    if isinstance(expr, ir.IfThenElse):
        # The grammar needs no parentheses around a nested if in the condition or the
        # then-branch, but they are much easier to read with them.
        return f"if {_at(expr.cond, _OR)} then {_at(expr.then, _OR)} else {_expr(expr.else_)}"
    raise TypeError(f"not an expression node: {expr!r}")


def _is_int(expr: ir.Expr) -> bool:
    return (
        isinstance(expr, ir.Literal_)
        and isinstance(expr.value, int)
        and not isinstance(expr.value, bool)
        and expr.value >= 0
    )


def _layout_expr(expr: ir.Expr, indent: str, prefix_width: int) -> list[str]:
    """An expression as one or more lines; the first line follows ``prefix_width`` columns.

    Continuation lines carry their own indentation; the first line carries none.
    """
    text = _expr(expr)
    if prefix_width + len(text) <= MAX_WIDTH or not isinstance(expr, ir.BoolOp):
        return [text]
    level = _OR if expr.op == "or" else _AND
    deeper = indent + INDENT * 2
    lines: list[str] = []
    for index, operand in enumerate(expr.operands):
        lead = "" if index == 0 else f"{expr.op} "
        width = prefix_width if index == 0 else len(deeper) + len(lead)
        if _precedence(operand) <= level and isinstance(operand, ir.BoolOp):
            # A parenthesised chain of the other operator: break it inside its parentheses.
            inner = _layout_expr(operand, deeper, width + 1)
            inner[0] = "(" + inner[0]
            inner[-1] = inner[-1] + ")"
        else:
            inner = [_at(operand, level + 1)]
        if index == 0:
            lines.extend(inner)
        else:
            lines.append(f"{deeper}{lead}{inner[0]}")
            lines.extend(inner[1:])
    return lines


# ---------------------------------------------------------------- comments


def _comment(comment: ir.Comment) -> str:
    return f"#{comment.text}"


def _leading(comments: Sequence[ir.Comment], indent: str) -> list[str]:
    return [f"{indent}{_comment(c)}" for c in comments if not c.trailing]


def _with_trailing(lines: list[str], comments: Sequence[ir.Comment]) -> list[str]:
    trailing = [c for c in comments if c.trailing]
    if trailing:
        lines[-1] += "  " + "  ".join(_comment(c) for c in trailing)
    return lines


# ---------------------------------------------------------------- declarations


def _statement(indent: str, keyword: str, expr: ir.Expr) -> list[str]:
    prefix = f"{indent}{keyword} "
    body = _layout_expr(expr, indent, len(prefix))
    return [prefix + body[0], *body[1:]]


def _header(header: ir.Header) -> list[str]:
    lines = _leading([ir.Comment(c.text) for c in header.comments], "")
    fields: list[str] = []
    if header.title is not None:
        en = f" en {quote(header.title_en)}" if header.title_en is not None else ""
        fields.append(f"title {quote(header.title)}{en}")
    if header.jurisdiction is not None:
        fields.append(f"jurisdiction {quote(header.jurisdiction)}")
    if header.issuer is not None:
        fields.append(f"issuer {quote(header.issuer)}")
    if header.document is not None:
        fields.append(f"document {quote(header.document)}")
    if header.issued is not None:
        fields.append(f"issued {header.issued.isoformat()}")
    if header.year is not None:
        fields.append(f"year {header.year}")
    if header.source is not None:
        fields.append(f"source {quote(header.source)} sha256 {quote(header.source_sha256 or '')}")
    if header.description is not None:
        fields.append(f"description {quote(header.description)}")
    if not fields:
        return [*lines, f"{header.kind} {header.id} {{}}"]
    return [
        *lines,
        f"{header.kind} {header.id} {{",
        *(INDENT + f for f in fields),
        "}",
    ]


def _simple_item(
    item: ir.Import | ir.Extends | ir.Param | ir.Let | ir.Def | ir.Consequence | ir.ClauseNote,
) -> list[str]:
    if isinstance(item, ir.Consequence):
        en = f" en {quote(item.gloss)}" if item.gloss is not None else ""
        cite = item.citation
        lines = [f"consequence {item.name} {cite.clause} {quote(cite.quote)}{en}"]
    elif isinstance(item, ir.ClauseNote):
        lines = [f"clause {item.clause} {item.kind} {quote(item.reason)}"]
    elif isinstance(item, ir.Import):
        lines = [f"import {quote(item.path)}"]
    elif isinstance(item, ir.Extends):
        lines = [f"extends {quote(item.path)}"]
    elif isinstance(item, ir.Param):
        override = "override " if item.override else ""
        lines = _statement("", f"{override}param {item.name}: {item.type} =", item.value)
    elif isinstance(item, ir.Let):
        lines = _statement("", f"let {item.name}{_name_label(item)} =", item.value)
    else:
        head = f"def {item.name}({', '.join(item.params)}){_name_label(item)} ="
        lines = _statement("", head, item.body)
    return [*_leading(item.comments, ""), *_with_trailing(lines, item.comments)]


def _words(zh: str | None, en: str | None) -> str:
    """``"中文" en "English"`` (a label or title in both languages), or ``""``."""
    if zh is None:
        return ""
    return quote(zh) + (f" en {quote(en)}" if en is not None else "")


def _name_label(item: ir.Let | ir.Def) -> str:
    words = _words(item.label, item.label_en)
    return f" {words}" if words else ""


def _rule(rule: ir.Rule) -> list[str]:
    before = rule.comments_at("before")
    override = "override " if rule.override else ""
    en = f" en {quote(rule.title_en)}" if rule.title_en is not None else ""
    opening = f"{override}{rule.kind} {rule.id} {quote(rule.title)}{en} {{"

    body: list[str] = []

    def add(slot: str, lines: list[str]) -> None:
        comments = rule.comments_at(slot)
        body.extend(_leading(comments, INDENT))
        body.extend(_with_trailing(lines, comments))

    if rule.citation is not None:
        cite = rule.citation
        add("cite", [f"{INDENT}cite {cite.clause} {quote(cite.quote)}"])
    if rule.applies is not None:
        add("applies", _statement(INDENT, "applies", rule.applies))
    if rule.when is not None:
        add("when", _statement(INDENT, "when", rule.when))
    for index, condition in enumerate(rule.require):
        add(f"require[{index}]", _statement(INDENT, "require", condition))
    for index, exception in enumerate(rule.unless):
        words = _words(exception.label, exception.label_en)
        label = f"{words}: " if words else ""
        add(f"unless[{index}]", _statement(INDENT, f"unless {label}".rstrip(), exception.condition))
    if rule.severity != "blocking" or rule.comments_at("severity"):
        add("severity", [f"{INDENT}severity {rule.severity}"])
    for index, note in enumerate(rule.notes):
        add(f"note[{index}]", [f"{INDENT}note {quote(note)}"])
    if rule.consequence is not None:
        add("consequence", [f"{INDENT}consequence {rule.consequence}"])
    for index, message in enumerate(rule.messages):
        words = _words(message.text, message.text_en)
        if message.when is None:
            add(f"message[{index}]", [f"{INDENT}message {words}"])
        else:
            lines = _statement(INDENT, "message when", message.when)
            add(f"message[{index}]", [*lines[:-1], f"{lines[-1]}: {words}"])
    body.extend(_leading(rule.comments_at("end"), INDENT))

    header_comments = rule.comments_at("header")
    lines = _leading(before, "")
    if not body and not header_comments:
        lines.append(opening + "}")
    else:
        lines.extend(_with_trailing([opening], header_comments))
        lines.extend(body)
        lines.append("}")
    return _with_trailing(lines, before)


def _group(item: ir.Item) -> str | None:
    """Items of the same group sit together without blank lines (rules never do)."""
    if isinstance(item, ir.Rule):
        return None
    return type(item).__name__


def format_policy(pf: ir.PolicyFile) -> str:
    """Canonical DSL text of a policy file, ending with a newline."""
    lines = _header(pf.header)
    previous: tuple[str | None, int] = ("header", 0)
    for item in pf.items:
        item_lines = _rule(item) if isinstance(item, ir.Rule) else _simple_item(item)
        group = _group(item)
        code_lines = [line for line in item_lines if not line.lstrip().startswith("#")]
        if not (group is not None and group == previous[0] and previous[1] == 1 == len(code_lines)):
            lines.append("")
        lines.extend(item_lines)
        previous = (group, len(code_lines))
    if pf.trailing_comments:
        lines.append("")
        lines.extend(_comment(ir.Comment(c.text)) for c in pf.trailing_comments)
    return "\n".join(lines) + "\n"
