"""Language layer: the parser builds the IR (compared as dataclasses) and reports syntax
errors in plain words with a location."""

from __future__ import annotations

import datetime as dt

import pytest

from titlerules.errors import PolicySyntaxError
from titlerules.lang import ir
from titlerules.lang.parser import parse

HEAD = 'policy p-1 { title "t" document "d" year 2024 source "s" sha256 "0" }\n'


def _items(body: str) -> tuple[ir.Item, ...]:
    return parse(HEAD + body).items


def test_header_fields() -> None:
    pf = parse(
        'policy eryuan-2024 {\n  title "洱源" en "Eryuan"\n  jurisdiction "云南"\n'
        '  issuer "人社局"\n  document "洱人社〔2024〕27号"\n  issued 2024-05-01\n'
        '  year 2024\n  source "000.txt" sha256 "ab"\n}\n'
    )
    assert pf.header == ir.Header(
        kind="policy",
        id="eryuan-2024",
        title="洱源",
        title_en="Eryuan",
        jurisdiction="云南",
        issuer="人社局",
        document="洱人社〔2024〕27号",
        issued=dt.date(2024, 5, 1),
        year=2024,
        source="000.txt",
        source_sha256="ab",
    )


def test_params_lets_defs() -> None:
    items = _items(
        "param cutoff: date = 2024-12-31\n"
        "param share: fraction = 2/3\n"
        "param levels: set[TitleLevel] = {副高级, 正高级}\n"
        "param lead: working_days = 30 working_days\n"
        "let age = years_between(applicant.person.birth_date, cutoff, floor)\n"
        "def on(s, d) = s.start <= d\n"
    )
    assert items == (
        ir.Param("cutoff", ir.TypeRef("date"), ir.Literal_(dt.date(2024, 12, 31))),
        ir.Param("share", ir.TypeRef("fraction"), ir.BinOp("/", ir.Literal_(2), ir.Literal_(3))),
        ir.Param(
            "levels",
            ir.TypeRef("set", "TitleLevel"),
            ir.SetLit((ir.Name("副高级"), ir.Name("正高级"))),
        ),
        ir.Param("lead", ir.TypeRef("working_days"), ir.DurationLit(30, "working_days")),
        ir.Let(
            "age",
            ir.Call(
                "years_between",
                (
                    ir.Attr(ir.Attr(ir.Name("applicant"), "person"), "birth_date"),
                    ir.Name("cutoff"),
                    ir.Name("floor"),
                ),
            ),
        ),
        ir.Def("on", ("s", "d"), ir.Compare("<=", ir.Attr(ir.Name("s"), "start"), ir.Name("d"))),
    )


def test_rule_with_exceptions_and_comments() -> None:
    (rule,) = _items(
        "# before the rule\n"
        'exclusion retired "退休" en "Retired" {\n'
        '  cite 一(一) "不得参加"  # the clause\n'
        "  when applicant.employment.retired\n"
        '  unless "延迟退休": applicant.employment.delayed_retirement.approved\n'
        "  unless a or b or c\n"
        "  severity advisory\n"
        "}\n"
    )
    assert isinstance(rule, ir.Rule)
    assert rule.kind == "exclusion"
    assert rule.citation == ir.Citation("一(一)", "不得参加")
    assert rule.unless[0].label == "延迟退休"
    assert rule.unless[1] == ir.Exception_(
        ir.BoolOp("or", (ir.Name("a"), ir.Name("b"), ir.Name("c")))
    )
    assert rule.severity == "advisory"
    assert rule.comments_at("before") == (ir.Comment(" before the rule"),)
    assert rule.comments_at("cite") == (ir.Comment(" the clause", trailing=True),)


def test_precedence_and_methods() -> None:
    (rule,) = _items(
        'requirement r "t" { cite 一 "q"\n'
        "  require not a and b or -c * 2 + d >= 3\n"
        "    and xs.where(x -> x.k in {A, B}).count() == 0\n}\n"
    )
    assert isinstance(rule, ir.Rule)
    count = ir.MethodCall(
        ir.MethodCall(
            ir.Name("xs"),
            "where",
            (
                ir.Lambda(
                    "x",
                    ir.Compare(
                        "in", ir.Attr(ir.Name("x"), "k"), ir.SetLit((ir.Name("A"), ir.Name("B")))
                    ),
                ),
            ),
        ),
        "count",
        (),
    )
    assert rule.require == (
        ir.BoolOp(
            "or",
            (
                ir.BoolOp("and", (ir.Not(ir.Name("a")), ir.Name("b"))),
                ir.BoolOp(
                    "and",
                    (
                        ir.Compare(
                            ">=",
                            ir.BinOp(
                                "+",
                                ir.BinOp("*", ir.Neg(ir.Name("c")), ir.Literal_(2)),
                                ir.Name("d"),
                            ),
                            ir.Literal_(3),
                        ),
                        ir.Compare("==", count, ir.Literal_(0)),
                    ),
                ),
            ),
        ),
    )


def test_spans_point_into_the_source() -> None:
    (param,) = _items("param x: int = 3\n")
    assert isinstance(param, ir.Param)
    assert (param.span.line, param.span.column) == (2, 1)
    assert (param.value.span.line, param.value.span.column) == (2, 16)


@pytest.mark.parametrize(
    ("body", "line", "column", "message", "hint_part"),
    [
        ('exclusion a "x" {\n  cite 一 "q"\n', 2, 17, "this '{' is never closed", "'}'"),
        ("param x: int = “3”\n", 2, 16, "unexpected character '“'", 'ASCII double quotes "..."'),
        (
            'exclusion a "x" { cite 一 "q" when a > }\n',
            2,
            39,
            "an operator with nothing after it",
            "complete the expression",
        ),
        ("param d: date = 2024-02-30\n", 2, 17, "invalid date '2024-02-30'", "real calendar date"),
        ('cite 一 "q"\n', 2, 1, "unexpected keyword 'cite'", "belongs inside a rule block"),
    ],
)
def test_syntax_errors_in_plain_words(
    body: str, line: int, column: int, message: str, hint_part: str
) -> None:
    with pytest.raises(PolicySyntaxError) as info:
        parse(HEAD + body, "bad.policy")
    error = info.value
    assert error.message == message
    assert error.location is not None
    assert (error.location.file, error.location.line, error.location.column) == (
        "bad.policy",
        line,
        column,
    )
    assert error.hint is not None and hint_part in error.hint
    assert str(error).startswith(f"bad.policy:{line}:{column}: error: {message}")
    assert "^" in str(error)


def test_a_rule_statement_given_twice_is_an_error() -> None:
    with pytest.raises(PolicySyntaxError) as info:
        parse(HEAD + 'exclusion a "x" { cite 一 "q" when a when b }\n')
    assert info.value.message == "rule 'a' has more than one 'when'"
