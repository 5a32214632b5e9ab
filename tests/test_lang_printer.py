"""The formatter: ``parse(format_policy(pf)) == pf``, idempotence, minimal parentheses."""

from __future__ import annotations

import datetime as dt
import string
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark
from lark import Lark

from titlerules.errors import PolicySyntaxError
from titlerules.lang import ir
from titlerules.lang.exprparse import parse_expr
from titlerules.lang.parser import grammar_text, parse
from titlerules.lang.printer import MAX_WIDTH, format_expr, format_policy, quote

from .services import budget

# Every kind of item, statement and expression node, written the way a clerk might.
FULL_SAMPLE = """\
# 洱源县 2024
policy eryuan-2024 {
  description "县级评审"
  title "洱源县2024年度专业技术职称评审" en "Eryuan 2024"
  jurisdiction "云南省大理州洱源县"
  issuer "洱源县人力资源和社会保障局"
  document "洱人社〔2024〕27号"
  issued 2024-05-01
  year 2024
  source "000_2a8c394c015eda13.txt" sha256 "abc123"
}
import "common/exclusions"
extends "common/base"
param cutoff: date = 2024-12-31     # 二(二)3
param share: fraction = 2/3
param levels: set[Level] = {副高级, 正高级}
param lead: working_days = 30 working_days
param one: days = 1 day
let age = years_between(applicant.person.birth_date, cutoff, floor)
let empty = {}
let quoted = "say \\"hi\\"\\n\\tand \\\\ more # not a comment"
def in_force(s, on) = s.start <= on and (not known(s.end) or on <= s.end)
def nothing() = true
exclusion sanction "受记过以上处分期间不得申报" en "Under sanction" {
  note "第二条"
  severity advisory
  unless "延迟退休": applicant.employment.delayed_retirement.approved
  unless x in {a, b} and not y not in z
  when applicant.sanctions.any(s -> s.kind >= 记过 and in_force(s, cutoff))
  applies applicant.employment.employer_kind == public_institution or false
  cite 二(一) "事业单位工作人员受到记过以上处分的，在受处分期间不得申报"
}
procedure p "公示" {
  cite 一（二） "q"
  require working_days_between(procedure.notice.published_on, meeting.start) - 1 working_day >= lead
  require if a then -b * 3 / 2 + c.d.count() else procedure.reviews.where(r -> r.n < 3).count() == 0
  require (a - (b - c)) / (d / e) * -(-f) != (if p then 1 else 2) - 2024-01-01.year
  require not (a or b) and (c or d) and not not e
}
requirement empty "" {}
override param share: fraction = 1/2
override requirement vote "三分之二" {
  require unit_debrief.yes >= share * unit_debrief.attendees
  severity blocking
}
"""

CANONICAL_SAMPLE = """\
# header comment
policy kunming-2020 {
  title "昆明" en "Kunming"
  year 2020
}

# imports
import "common/base"  # shared
import "common/exclusions"

param cutoff: date = 2020-12-31  # 二(二)3
param share: fraction = 2/3

let age = years_between(applicant.person.birth_date, cutoff, floor)

# a rule
exclusion sanction "受处分期间" {  # header
  # the clause
  cite 二(一) "受处分期间不得申报"
  when applicant.sanctions.any(s -> s.kind >= 记过)  # 记过以上
  unless "延迟退休": a.b
  severity blocking  # stated in the notice
  # closing remark
}

requirement r "空" {}

# end of file
"""

COMMENT_SAMPLE = """\
# above the header
policy x {  # on the header line
  title "a"  # after a field
  # inside the header
}  # after the header
# before an import
import "a"  # after an import
let v = 1 +  # inside an expression
  2
exclusion r "t" {  # rule header
  # before cite
  cite 一 "q"  # after cite
  applies a
  # before when
  when a
    and b  # after when
  require c  # after require 0
  # before require 1
  require d
  unless e  # after unless
  severity advisory  # after severity
  note "n"  # after note
  # before the closing brace
}  # after the closing brace
procedure p "t" { require a }  # one-line rule
# at the end
"""


def roundtrip(text: str) -> ir.PolicyFile:
    pf = parse(text)
    out = format_policy(pf)
    again = parse(out)
    assert again == pf
    assert format_policy(again) == out
    return pf


@pytest.mark.parametrize("text", [FULL_SAMPLE, CANONICAL_SAMPLE, COMMENT_SAMPLE])
def test_samples_roundtrip(text: str) -> None:
    roundtrip(text)


def test_canonical_sample_is_a_fixed_point() -> None:
    assert format_policy(parse(CANONICAL_SAMPLE)) == CANONICAL_SAMPLE


def test_full_sample_layout() -> None:
    out = format_policy(parse(FULL_SAMPLE))
    assert out.startswith(
        "# 洱源县 2024\n"
        "policy eryuan-2024 {\n"
        '  title "洱源县2024年度专业技术职称评审" en "Eryuan 2024"\n'
        '  jurisdiction "云南省大理州洱源县"\n'
    )
    assert '  description "县级评审"\n}\n' in out
    # one-line items of one kind stay together, different kinds are separated
    assert 'import "common/exclusions"\n\nextends "common/base"\n\nparam cutoff' in out
    assert "param share: fraction = 2/3\nparam levels: set[Level] = {副高级, 正高级}\n" in out
    assert "param one: days = 1 day\n" in out
    assert 'let quoted = "say \\"hi\\"\\n\\tand \\\\ more # not a comment"\n' in out
    assert "def nothing() = true\n\nexclusion" in out
    # statements in canonical order
    rule = out[out.index("exclusion sanction") : out.index("procedure p")]
    order = ["cite", "applies", "when", 'unless "延迟退休"', "unless x", "severity", "note"]
    positions = [rule.index(f"\n  {word}") for word in order]
    assert positions == sorted(positions)
    assert 'requirement empty "" {}\n' in out
    # the default severity is not printed
    assert "severity blocking" not in out
    assert "override requirement vote" in out
    assert "override param share: fraction = 1/2" in out


def test_comment_placement() -> None:
    pf = roundtrip(COMMENT_SAMPLE)
    out = format_policy(pf)
    assert out.startswith(
        "# above the header\n# on the header line\n# after a field\n"
        "# inside the header\n# after the header\npolicy x {\n"
    )
    assert '# before an import\nimport "a"  # after an import\n' in out
    assert 'exclusion r "t" {  # rule header\n  # before cite\n  cite 一 "q"  # after cite\n' in out
    assert "  when a and b  # after when\n" in out
    assert "  # before require 1\n  require d\n" in out
    assert "  severity advisory  # after severity\n" in out
    assert "  # before the closing brace\n  # after the closing brace\n}\n" in out
    assert 'procedure p "t" {  # one-line rule\n  require a\n}\n' in out
    # a comment inside a multi-line item stays with that item, above it
    assert "# inside an expression\nlet v = 1 + 2\n" in out
    assert out.endswith("}\n\n# at the end\n")
    assert pf.trailing_comments == (ir.Comment(" at the end"),)


def test_rule_statement_order_with_comments_keeps_its_ir() -> None:
    # Statements already in canonical order: the comment slots are in canonical order too.
    roundtrip('policy x {}\nexclusion r "t" {\n  cite 一 "q"  # c\n  when a  # w\n}\n')


def test_rule_comment_slots_follow_canonical_statement_order() -> None:
    roundtrip('policy x {}\nexclusion r "t" {\n  when a  # w\n  cite 一 "q"  # c\n}\n')


def test_severity_comment_keeps_a_blocking_severity() -> None:
    text = 'policy x {}\n\nrequirement r "t" {\n  require a\n  severity blocking  # why\n}\n'
    assert format_policy(roundtrip(text)) == text


def test_header_without_fields_and_module_header() -> None:
    assert format_policy(parse("policy x {}")) == "policy x {}\n"
    text = 'module common/base {\n  description "共用"\n}\n\nlet a = 1\n'
    assert format_policy(roundtrip(text)) == text


# ---------------------------------------------------------------- expressions

N = ir.Name
L = ir.Literal_


def _n(name: str) -> ir.Name:
    return ir.Name(name)


@pytest.mark.parametrize(
    ("expr", "text"),
    [
        (ir.BinOp("-", _n("a"), ir.BinOp("-", _n("b"), _n("c"))), "a - (b - c)"),
        (ir.BinOp("-", ir.BinOp("-", _n("a"), _n("b")), _n("c")), "a - b - c"),
        (ir.BinOp("+", _n("a"), ir.BinOp("+", _n("b"), _n("c"))), "a + (b + c)"),
        (ir.BinOp("/", _n("a"), ir.BinOp("*", _n("b"), _n("c"))), "a / (b * c)"),
        (ir.BinOp("*", ir.BinOp("+", _n("a"), _n("b")), _n("c")), "(a + b) * c"),
        (ir.BinOp("+", _n("a"), ir.BinOp("*", _n("b"), _n("c"))), "a + b * c"),
        (ir.BinOp("/", L(2), L(3)), "2/3"),
        (ir.BinOp("/", _n("a"), ir.BinOp("/", L(2), L(3))), "a / (2/3)"),
        (ir.Neg(ir.Neg(_n("a"))), "--a"),
        (ir.BinOp("-", _n("a"), ir.Neg(_n("b"))), "a - -b"),
        (ir.Neg(ir.Attr(_n("a"), "x")), "-a.x"),
        (ir.Attr(ir.Neg(_n("a")), "x"), "(-a).x"),
        (ir.Neg(ir.BinOp("+", _n("a"), _n("b"))), "-(a + b)"),
        (ir.Not(ir.Compare("==", _n("a"), _n("b"))), "not a == b"),
        (ir.Compare("==", ir.Not(_n("a")), _n("b")), "(not a) == b"),
        (ir.Compare("in", _n("x"), ir.SetLit((_n("a"), _n("b")))), "x in {a, b}"),
        (ir.Compare("not in", _n("x"), _n("y")), "x not in y"),
        (ir.Not(ir.Compare("in", _n("x"), _n("y"))), "not x in y"),
        (ir.Compare("<", ir.Compare("<", _n("a"), _n("b")), _n("c")), "(a < b) < c"),
        (ir.Not(ir.BoolOp("or", (_n("a"), _n("b")))), "not (a or b)"),
        (
            ir.BoolOp("and", (ir.BoolOp("or", (_n("a"), _n("b"))), _n("c"))),
            "(a or b) and c",
        ),
        (
            ir.BoolOp("or", (ir.BoolOp("and", (_n("a"), _n("b"))), _n("c"))),
            "a and b or c",
        ),
        (
            ir.BoolOp("or", (_n("a"), ir.IfThenElse(_n("c"), _n("d"), _n("e")))),
            "a or (if c then d else e)",
        ),
        (
            ir.IfThenElse(_n("c"), _n("d"), ir.IfThenElse(_n("e"), _n("f"), _n("g"))),
            "if c then d else if e then f else g",
        ),
        (
            ir.IfThenElse(ir.IfThenElse(_n("a"), _n("b"), _n("c")), _n("d"), _n("e")),
            "if (if a then b else c) then d else e",
        ),
        (ir.DurationLit(1, "working_days"), "1 working_day"),
        (ir.DurationLit(2, "months"), "2 months"),
        (ir.Attr(ir.DurationLit(3, "days"), "n"), "3 days.n"),
        (L(dt.date(2024, 2, 29)), "2024-02-29"),
        (L(True), "true"),
        (L('a"b\\c\nd\te'), '"a\\"b\\\\c\\nd\\te"'),
        (ir.Call("f", ()), "f()"),
        (ir.SetLit(()), "{}"),
        (
            ir.MethodCall(
                _n("xs"), "any", (ir.Lambda("s", ir.Compare(">=", _n("s"), _n("记过"))),)
            ),
            "xs.any(s -> s >= 记过)",
        ),
        (
            ir.MethodCall(
                ir.BinOp("+", _n("a"), _n("b")),
                "f",
                (ir.Lambda("s", ir.IfThenElse(_n("s"), L(1), L(2))), _n("y")),
            ),
            "(a + b).f(s -> if s then 1 else 2, y)",
        ),
    ],
)
def test_format_expr(expr: ir.Expr, text: str) -> None:
    assert format_expr(expr) == text
    assert parse_expr(text) == expr


def test_long_boolean_chains_break_across_lines() -> None:
    parts = [f"applicant.service.years_in_post_{i} >= minimum_{i}" for i in range(5)]
    inner = " or ".join(f"applicant.flag_{i}" for i in range(8))
    condition = f"{' and '.join(parts)} and ({inner})"
    text = f'policy x {{}}\nrequirement r "t" {{\n  require {condition}\n}}\n'
    pf = roundtrip(text)
    out = format_policy(pf)
    lines = out.splitlines()
    assert all(len(line) <= MAX_WIDTH for line in lines)
    assert "  require applicant.service.years_in_post_0 >= minimum_0" in lines
    assert "      and applicant.service.years_in_post_1 >= minimum_1" in lines
    assert any(line.startswith("      and (applicant.flag_0") for line in lines)
    assert any(line.startswith("          or applicant.flag_") for line in lines)
    assert out.count("  require ") == 1


@given(st.text(max_size=20))
@settings(max_examples=200, derandomize=True)
def test_quote_is_inverse_of_unquote(text: str) -> None:
    assert parse_expr(quote(text)) == ir.Literal_(text)


# ---------------------------------------------------------------- hypothesis: IR -> text -> IR

NAMES = ["a", "b", "x", "s", "applicant", "cutoff", "记过", "副高级", "in_force", "n_1"]
names = st.sampled_from(NAMES)
UNITS = ["working_days", "days", "months", "years"]


def _flatten(op: str, operands: list[ir.Expr]) -> ir.BoolOp:
    # The parser flattens a chain of one operator; generate only that canonical shape.
    flat: list[ir.Expr] = []
    for operand in operands:
        if isinstance(operand, ir.BoolOp) and operand.op == op:
            flat.extend(operand.operands)
        else:
            flat.append(operand)
    return ir.BoolOp("and" if op == "and" else "or", tuple(flat))


leaves: st.SearchStrategy[ir.Expr] = st.one_of(
    st.builds(ir.Name, names),
    st.builds(ir.Literal_, st.integers(min_value=0, max_value=10**9)),
    st.builds(ir.Literal_, st.dates()),
    st.builds(ir.Literal_, st.booleans()),
    st.builds(ir.Literal_, st.text(alphabet='ab"\\\n\t #记', max_size=5)),
    st.builds(ir.DurationLit, st.integers(min_value=0, max_value=400), st.sampled_from(UNITS)),
)


def _extend(children: st.SearchStrategy[ir.Expr]) -> st.SearchStrategy[ir.Expr]:
    args = st.lists(children, max_size=3).map(tuple)
    lambda_or_expr = st.one_of(children, st.builds(ir.Lambda, names, children))
    return st.one_of(
        st.builds(ir.Attr, children, names),
        st.builds(ir.Call, names, args),
        st.builds(ir.MethodCall, children, names, st.lists(lambda_or_expr, max_size=2).map(tuple)),
        st.builds(ir.SetLit, args),
        st.builds(ir.BinOp, st.sampled_from(["+", "-", "*", "/"]), children, children),
        st.builds(
            ir.Compare,
            st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "in", "not in"]),
            children,
            children,
        ),
        st.builds(
            _flatten, st.sampled_from(["and", "or"]), st.lists(children, min_size=2, max_size=4)
        ),
        st.builds(ir.Not, children),
        st.builds(ir.Neg, children),
        st.builds(ir.IfThenElse, children, children, children),
    )


expressions: st.SearchStrategy[ir.Expr] = st.recursive(leaves, _extend, max_leaves=12)


@given(expressions)
@settings(max_examples=300, derandomize=True)
def test_format_expr_roundtrip(expr: ir.Expr) -> None:
    text = format_expr(expr)
    assert parse_expr(text) == expr


@given(st.lists(expressions, min_size=1, max_size=4))
@settings(max_examples=100, derandomize=True)
def test_format_policy_roundtrip_generated_items(exprs: list[ir.Expr]) -> None:
    items: list[ir.Item] = [ir.Let(f"v{i}", e) for i, e in enumerate(exprs)]
    items.append(
        ir.Rule(
            "requirement",
            "r",
            "t",
            require=tuple(exprs),
            unless=(ir.Exception_(exprs[0], "例外"),),
            comments=(("require[0]", (ir.Comment(" c", trailing=True),)),),
        )
    )
    pf = ir.PolicyFile(ir.Header("policy", "x"), tuple(items))
    out = format_policy(pf)
    assert parse(out) == pf
    assert format_policy(parse(out)) == out


# ---------------------------------------------------------------- hypothesis: grammar -> text

SEPARATED_NAMES = ["a", "b", "x", "applicant", "记过", "副高级", "n_1"]


def _explicit(grammar: Lark, comment: st.SearchStrategy[str]) -> dict[str, Any]:
    """A strategy for every terminal, each token padded with spaces so none run together."""
    regex_terminals: dict[str, st.SearchStrategy[str]] = {
        "WS": st.just(" "),
        "COMMENT": comment,
        "NAME": st.sampled_from(SEPARATED_NAMES),
        "INT": st.integers(min_value=0, max_value=10**6).map(str),
        "DATE": st.dates().map(dt.date.isoformat),
        "UNIT": st.sampled_from(["working_day", "working_days", "day", "days", "month", "years"]),
        "STRING": st.one_of(
            st.text(alphabet=string.ascii_letters + '"\\\n\t #记', max_size=6).map(quote),
            st.just('"\\q"'),
        ),
        "COMP_OP": st.sampled_from(["==", "!=", "<", "<=", ">", ">="]),
        "ADD_OP": st.sampled_from(["+", "-"]),
        "MUL_OP": st.sampled_from(["*", "/"]),
        "RULE_KIND": st.sampled_from(["exclusion", "requirement", "procedure"]),
        "SEVERITY": st.sampled_from(["blocking", "advisory"]),
        "CLAUSE_KIND": st.sampled_from(["not_checkable", "exhortation", "definition", "heading"]),
        "CLAUSE": st.sampled_from(["一", "二(一)", "一（二）", "附件4", "3.2"]),
        "POLICY_ID": st.sampled_from(["eryuan-2024", "x"]),
        "MODULE_PATH": st.sampled_from(["common/base", "m"]),
    }
    explicit: dict[str, st.SearchStrategy[str]] = {}
    for terminal in grammar.terminals:
        if type(terminal.pattern).__name__ == "PatternStr":
            explicit[terminal.name] = st.just(f" {terminal.pattern.value} ")
        else:
            explicit[terminal.name] = regex_terminals[terminal.name].map(lambda s: f" {s} ")
    return explicit


_EXPR_GRAMMAR = Lark(grammar_text(), parser="lalr", start="expr")
_FILE_GRAMMAR = Lark(grammar_text(), parser="lalr", start="start")
_RULE_GRAMMAR = Lark(grammar_text(), parser="lalr", start="rule_decl")
_COMMENTS = st.sampled_from(["# c\n", "#\n", "# 注释 #2\n"])


_EXPRESSION_RULES = {
    "if_expr",
    "or_expr",
    "and_expr",
    "not_expr",
    "comparison",
    "sum",
    "product",
    "unary",
    "postfix",
    "atom",
    "lambda_or_expr",
}


def _shallow(strategy: st.SearchStrategy[str], bias: int = 6) -> st.SearchStrategy[str]:
    """Make ``from_lark`` prefer the shortest expansions of the expression rules.

    ``from_lark`` picks a rule's expansions uniformly; the expression grammar has a
    recursive alternative at every precedence level, so uniform choices make trees that
    grow without bound and almost every draw overruns.  Weighting the shortest expansions
    keeps the trees finite while every expansion stays reachable.
    """
    inner: Any = getattr(strategy, "wrapped_strategy", strategy)
    table: dict[str, Any] = inner.nonterminal_strategies
    for name, choice in list(table.items()):
        if name not in _EXPRESSION_RULES and not name.startswith(("__postfix_", "__atom_")):
            continue
        expansions = list(choice.elements)  # sorted shortest first by from_lark
        shortest = [e for e in expansions if len(e) == len(expansions[0])]
        table[name] = st.sampled_from(shortest * bias + expansions)
    return strategy


grammar_expressions = _shallow(
    from_lark(_EXPR_GRAMMAR, start="expr", explicit=_explicit(_EXPR_GRAMMAR, st.just(" ")))
)
grammar_files = _shallow(
    from_lark(_FILE_GRAMMAR, start="start", explicit=_explicit(_FILE_GRAMMAR, _COMMENTS))
)
grammar_rules = _shallow(
    from_lark(_RULE_GRAMMAR, start="rule_decl", explicit=_explicit(_RULE_GRAMMAR, _COMMENTS))
)


@given(grammar_expressions)
@settings(
    max_examples=budget(100, 300),  # 300 under make test-long
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
def test_grammar_expressions_parse_and_print_back(text: str) -> None:
    expr = parse_expr(text)
    printed = format_expr(expr)
    assert parse_expr(printed) == expr
    assert format_expr(parse_expr(printed)) == printed
    # the same expression inside a file means the same thing
    let = parse(f"policy x {{}}\nlet v = {text}\n").items[0]
    assert isinstance(let, ir.Let) and let.value == expr


def _check_formats_back(text: str) -> None:
    try:
        pf = parse(text)
    except PolicySyntaxError as exc:
        # The grammar allows a field, statement or def parameter twice; the parser rejects
        # that in words.
        assume("twice" not in str(exc) and "more than one" not in str(exc))
        raise
    out = format_policy(pf)
    again = parse(out)
    assert again == pf
    assert format_policy(again) == out


_GRAMMAR_SETTINGS = settings(
    max_examples=200,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@given(grammar_files)
@_GRAMMAR_SETTINGS
def test_grammar_files_parse_and_format_idempotently(text: str) -> None:
    _check_formats_back(text)


@given(grammar_rules)
@_GRAMMAR_SETTINGS
def test_grammar_rules_parse_and_format_idempotently(text: str) -> None:
    _check_formats_back(f"policy x {{}}\n{text}")
