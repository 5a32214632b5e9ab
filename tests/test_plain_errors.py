"""Errors in plain words: no grammar-internal name, common mistakes recognised from an example
table, an unclosed brace reported where it opens, did-you-mean for keywords and enum terms,
and a hint for each full-width character a Chinese keyboard types."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from titlerules.engine.policy import lint_policy
from titlerules.errors import PolicySyntaxError
from titlerules.lang import parser
from titlerules.lang.parser import parse

# A header of several fields and an item before the rule: the parser's stack is deeper here
# than in the table's own examples, which must not stop a match.
HEAD = (
    "policy x-2024 {\n"
    '  title "t" document "d" year 2024 source "x.txt" sha256 "0"\n'
    "}\n"
    "param n: int = 3\n"
)


def _error(body: str) -> PolicySyntaxError:
    with pytest.raises(PolicySyntaxError) as info:
        parse(HEAD + body, "bad.policy")
    return info.value


def _internal_names() -> set[str]:
    """Names that exist only in the grammar: terminals and rules written with an underscore."""
    lark = parser._lark()
    names = {t.name for t in lark.terminals}
    names |= {str(r.origin.name) for r in lark.rules}
    return {n for n in names if "_" in n or n.isupper()} | {n.lower() for n in names if "_" in n}


BROKEN = [
    'exclusion a "x" {\n  cite 一 "q"\n  when a = 1\n}\n',
    'exclusion a "x" {\n  cite 一 "q"\n  when a >\n}\n',
    'exclusion a "x" {\n  cite 一 "q"\n  when a.b c\n}\n',
    'exclusion a "x" {\n  cite 一 "q"\n  when (a\n}\n',
    'exclusion a "x" {\n  cite 一 "q"\n  when f(a b)\n}\n',
    'exclusion a "x" {\n  cite 一 "q"\n  when a + * 2\n}\n',
    'exclusion a "x" {\n  cite 一 "q"\n  when {1 2}\n}\n',
    'clause 一 nonsense "r"\n',
    "param x: = 1\n",
    "def f(a b) = 1\n",
    "let = 1\n",
    'exclusion a "x" en {\n}\n',
    'exclusion a "x" {\n  severity high\n}\n',
]


@pytest.mark.parametrize("body", BROKEN)
def test_no_grammar_internal_name_reaches_the_author(body: str) -> None:
    error = _error(body)
    shown = f"{error.message}\n{error.hint}"
    leaked = {
        n for n in _internal_names() if re.search(rf"(?<![\w']){re.escape(n)}(?![\w'])", shown)
    }
    assert not leaked, shown


def test_every_terminal_has_a_plain_description() -> None:
    for terminal in parser._lark().terminals:
        described = parser._describe_expected({terminal.name})
        lowered = terminal.name.lower() if "_" in terminal.name else None
        assert terminal.name not in described and (lowered is None or lowered not in described), (
            terminal.name,
            described,
        )


@pytest.mark.parametrize(
    ("index", "example"),
    [(i, example) for i, entry in enumerate(parser._MISTAKES) for example in entry[2]],
)
def test_each_example_of_the_mistake_table_is_named(index: int, example: str) -> None:
    message, hint, _ = parser._MISTAKES[index]
    error = _error(example)
    assert (error.message, error.hint) == (message, hint)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('requirement r "t" {\n  cite 一 "q"\n  require applicant.age = 3\n}\n', "'=' is not a"),
        ('requirement r "t" {\n  cite 一 "q"\n  require 1 >\n}\n', "an operator with nothing"),
        ("param x = 1\n", "a param needs a type"),
        ('requirement "t" {\n}\n', "a rule needs a name and a quoted title"),
        ('requirement r "t" {\n  cite "q"\n}\n', "a citation needs the clause path"),
    ],
)
def test_mistakes_in_a_real_file_are_named(body: str, message: str) -> None:
    assert _error(body).message.startswith(message)


def test_missing_brace_is_reported_at_the_brace_left_open() -> None:
    body = (
        'requirement r "t" {\n'  # line 5: never closed
        '  cite 一 "q {"\n'  # braces in strings and comments do not count
        "  # }\n"
        "  require {1, 2} == {1, 2}\n"
        'exclusion s "u" {\n'
        '  cite 一 "q"\n'
        "  when false\n"
        "}\n"
    )
    error = _error(body)
    assert error.message == "this '{' is never closed"
    assert error.location is not None
    assert (error.location.line, error.location.column) == (5, 19)
    assert "add the '}'" in (error.hint or "")


@pytest.mark.parametrize(
    ("word", "keyword"),
    [("requirment", "requirement"), ("exlusion", "exclusion"), ("reqire", "require")],
)
def test_did_you_mean_for_keywords(word: str, keyword: str) -> None:
    body = f'{word} r "t" {{\n}}\n' if word != "reqire" else f'exclusion r "t" {{\n  {word} a\n}}\n'
    assert _error(body).hint == f"did you mean '{keyword}'?"


def test_did_you_mean_for_enum_terms(tmp_path: Path) -> None:
    path = tmp_path / "p.policy"
    path.write_text(
        HEAD + 'exclusion r "t" {\n  cite 一 "q"\n'
        "  when applicant.employment.employer_kind == 灵活就业者\n}\n",
        encoding="utf-8",
    )
    _, diagnostics = lint_policy(path)
    (unknown,) = [d for d in diagnostics if d.code == "TR310"]
    assert unknown.message == "unknown name '灵活就业者'"
    assert unknown.hint == "did you mean '灵活就业'?"


FULL_WIDTH = ["，", "：", "；", "＝", "（", "）", "“", "”", "、", "\u3000"]


@pytest.mark.parametrize("char", FULL_WIDTH)
def test_each_full_width_character_has_its_hint(char: str) -> None:
    error = _error(f'exclusion r "t" {{\n  cite 一 "q"\n  when f(1 {char} 2)\n}}\n')
    assert error.message == f"unexpected character {char!r}"
    hint = error.hint or ""
    assert (char in hint) or ("U+3000" in hint and char == "\u3000"), hint
    assert hint.startswith(("a full-width", "a Chinese", "an enumeration")), hint
