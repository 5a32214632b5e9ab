"""The policy language's words for explanations: English exception labels, labelled lets and
defs, and rule message templates — parsed, printed, spelled in YAML and JSON, and checked."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from titlerules.engine.policy import lint_policy
from titlerules.errors import PolicySyntaxError
from titlerules.lang.messages import fill, placeholders
from titlerules.lang.parser import parse
from titlerules.lang.printer import format_policy
from titlerules.lang.yaml_io import from_data, load_yaml, to_data

SOURCE = """policy x-2024 {
  title "t"
}

param cutoff: date = 2024-12-31

let first_day "首日" en "the first day" = coalesce(applicant.application.meeting_date, cutoff)
let plain = 2

def shifted(d) "顺延日" en "the day after" = d + 1 day
def only_zh() "仅中文" = 3
def bare(x, y) = x

requirement r "t" en "T" {
  require first_day <= cutoff
  unless "例外" en "an exception": plain == 1
  unless "仅中文": plain == 2
  unless "s" == "s"
  message "首日 {left}，截至 {cutoff:%Y-%m}" en "first day {left}, to {cutoff:%Y-%m}"
}
"""


def test_the_labels_and_the_message_are_parsed() -> None:
    pf = parse(SOURCE)
    lets = {i.name: i for i in pf.items if type(i).__name__ == "Let"}
    defs = {i.name: i for i in pf.items if type(i).__name__ == "Def"}
    assert (lets["first_day"].label, lets["first_day"].label_en) == ("首日", "the first day")
    assert (lets["plain"].label, lets["plain"].label_en) == (None, None)
    assert (defs["shifted"].label, defs["shifted"].label_en) == ("顺延日", "the day after")
    assert defs["shifted"].params == ("d",)
    assert (defs["only_zh"].label, defs["only_zh"].label_en) == ("仅中文", None)
    assert defs["bare"].label is None and defs["bare"].params == ("x", "y")
    (rule,) = pf.rules
    assert [(u.label, u.label_en) for u in rule.unless] == [
        ("例外", "an exception"),
        ("仅中文", None),
        (None, None),
    ]
    (message,) = rule.messages
    assert message.text == "首日 {left}，截至 {cutoff:%Y-%m}"
    assert message.text_en == "first day {left}, to {cutoff:%Y-%m}"
    assert message.when is None
    assert message.span.line == 19


def test_fmt_yaml_and_json_keep_every_word() -> None:
    pf = parse(SOURCE)
    text = format_policy(pf)
    assert 'unless "例外" en "an exception": plain == 1' in text
    assert 'let first_day "首日" en "the first day" = ' in text
    assert 'def shifted(d) "顺延日" en "the day after" = d + 1 day' in text
    assert parse(text) == pf
    assert format_policy(parse(text)) == text
    data = to_data(pf)
    assert from_data(data) == pf
    (rule,) = [i for i in data["items"] if i["kind"] == "requirement"]
    assert rule["unless"][0] == {"if": "plain == 1", "label": "例外", "label_en": "an exception"}
    assert rule["message_en"] == "first day {left}, to {cutoff:%Y-%m}"


def test_yaml_refuses_english_without_chinese() -> None:
    bad = """header: {kind: policy, id: x-2024, title: t}
items:
  - {kind: let, name: a, label_en: the a, value: "1"}
"""
    with pytest.raises(PolicySyntaxError, match="'label_en' is given without 'label'"):
        load_yaml(bad)


def test_placeholders_and_fill() -> None:
    template = "{a} and {b:%Y} {{literal}} {applicant.person.gender}"
    assert placeholders(template) == [("a", None), ("b", "%Y"), ("applicant.person.gender", None)]
    assert fill(template, lambda name, spec: name.upper()) == (
        "A and B {literal} APPLICANT.PERSON.GENDER"
    )
    assert placeholders("a { b") == [("{", None)]


_RULE = """param limit: int = 3
let count_all = applicant.titles.count()
requirement r "t" en "T" {{
  cite 一 "q"
  require count_all <= limit
  {statement}
}}
"""


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ('message "{left} {count_all} {limit}" en "{right}"', []),
        ('message "{applicant.person.birth_date}" en "{applicant.person.birth_date}"', []),
        (
            'message "{countall}" en "x"',
            [
                (
                    "TR328",
                    "error",
                    "rule 'r': the message names {countall}, which is no value of the rule",
                    "did you mean 'count_all'?",
                )
            ],
        ),
        (
            'message "{applicant.person.birthday}" en "x"',
            [
                (
                    "TR328",
                    "error",
                    "rule 'r': the message names {applicant.person.birthday}, which is not a "
                    "record field (unknown field 'applicant.person.birthday')",
                    None,
                )
            ],
        ),
        (
            'message "a { b" en "x"',
            [("TR328", "error", "rule 'r': the message has a lone '{'", None)],
        ),
        (
            'message "{left}"',
            [("TR329", "warning", "rule 'r': the message has no English", None)],
        ),
        (
            'unless "例外": count_all == 0',
            [
                (
                    "TR329",
                    "warning",
                    "rule 'r': the exception label '例外' has no English",
                    'write: unless "例外" en "<English>": ...',
                )
            ],
        ),
    ],
)
def test_the_checker_checks_messages_and_english(
    write_policy: Callable[[str, str], Path],
    statement: str,
    expected: list[tuple[str, str, str, str | None]],
) -> None:
    diagnostics = lint_policy(write_policy(_RULE.format(statement=statement), "w.policy"))[1]
    found = [(d.code, d.level, d.message) for d in diagnostics]
    assert found == [e[:3] for e in expected]
    for diagnostic, (*_, hint) in zip(diagnostics, expected, strict=True):
        assert diagnostic.span.line == 9  # the statement's own line (3 header lines)
        if hint is not None:
            assert diagnostic.hint == hint


def test_a_message_naming_a_parameter_uses_it(write_policy: Callable[[str, str], Path]) -> None:
    body = """param shown: int = 3
requirement r "t" en "T" {
  cite 一 "q"
  require applicant.titles.count() <= 3
  message "{shown}" en "{shown}"
}
"""
    assert lint_policy(write_policy(body, "p.policy"))[1] == []


CASES = """policy x-2024 {
  title "t"
}

param cutoff: date = 2024-12-31

requirement r "t" en "T" {
  cite 一 "q"
  require applicant.titles.count() >= 2
  # one title
  message when applicant.titles.count() == 1: "仅 {left} 项" en "only {left}"
  message when applicant.titles.count() == 0
      and cutoff > 2024-01-01: "没有职称" en "no title"
  message "{left} 项" en "{left}"
}
"""


def test_messages_by_case_are_parsed_printed_and_spelled_in_yaml() -> None:
    pf = parse(CASES)
    (rule,) = pf.rules
    assert [m.text for m in rule.messages] == ["仅 {left} 项", "没有职称", "{left} 项"]
    assert [m.when is None for m in rule.messages] == [False, False, True]
    assert [m.span.line for m in rule.messages] == [11, 12, 14]
    text = format_policy(pf)
    assert 'message when applicant.titles.count() == 1: "仅 {left} 项" en "only {left}"' in text
    assert "  # one title\n  message when" in text
    assert parse(text) == pf
    assert format_policy(parse(text)) == text
    data = to_data(pf)
    (item,) = [i for i in data["items"] if i["kind"] == "requirement"]
    assert item["messages"][0] == {
        "when": "applicant.titles.count() == 1",
        "message": "仅 {left} 项",
        "message_en": "only {left}",
    }
    assert item["messages"][2] == {"message": "{left} 项", "message_en": "{left}"}
    assert "message" not in item
    assert from_data(data) == pf


def test_a_message_in_yaml_is_one_or_a_list_not_both() -> None:
    base = """header: {kind: policy, id: x-2024, title: t}
items:
  - kind: requirement
    id: r
    title: t
    cite: {clause: 一, quote: q}
    require: ["applicant.titles.count() >= 2"]
"""
    one = load_yaml(base + '    message: "{left}"\n    message_en: "{left}"\n')
    (rule,) = one.rules
    assert [(m.text, m.text_en, m.when) for m in rule.messages] == [("{left}", "{left}", None)]
    with pytest.raises(PolicySyntaxError, match="give 'message' or 'messages', not both"):
        load_yaml(base + '    message: "a"\n    messages: [{message: "b"}]\n')
    case = '    messages: [{when: "applicant.titles.count() == 1", message: "b"}]\n'
    listed = load_yaml(base + case)
    (rule,) = listed.rules
    assert rule.messages[0].text == "b" and rule.messages[0].when is not None


@pytest.mark.parametrize(
    ("statements", "expected"),
    [
        (
            'message "{left}" en "{left}"\n  message when count_all == 1: "一项" en "one"',
            [
                (
                    "TR345",
                    "error",
                    "rule 'r': a message without 'when' words every failure, so the messages "
                    "after it are never used",
                )
            ],
        ),
        (
            'message when count_all: "x" en "x"',
            [("TR312", "error", "a condition must be true or false, but this is int")],
        ),
        (
            'message when count_all == 1: "{countall}" en "x"',
            [
                (
                    "TR328",
                    "error",
                    "rule 'r': the message names {countall}, which is no value of the rule",
                )
            ],
        ),
        (
            'message when count_all == 1: "一项"',
            [("TR329", "warning", "rule 'r': the message has no English")],
        ),
    ],
)
def test_the_checker_checks_messages_by_case(
    write_policy: Callable[[str, str], Path],
    statements: str,
    expected: list[tuple[str, str, str]],
) -> None:
    diagnostics = lint_policy(write_policy(_RULE.format(statement=statements), "w.policy"))[1]
    assert [(d.code, d.level, d.message) for d in diagnostics] == expected


def test_a_failure_is_worded_by_the_first_message_whose_when_holds(
    make_policy: Callable[[str], Any],
) -> None:
    from titlerules.report.explanation import rule_lines

    policy = make_policy(CASES.split("\n", 3)[3])
    record: dict[str, Any] = {"applicant": {"titles": []}}

    def because(titles: list[dict[str, Any]]) -> str:
        record["applicant"]["titles"] = titles
        (result,) = policy.evaluate(record).rules
        return "\n".join(rule_lines(result, "zh"))

    title = {"series": "工程技术", "level": "助理级", "obtained_on": "2020-01-01"}
    assert "因为：没有职称" in because([])
    assert "因为：仅 1 项" in because([title])
    assert "因为：" not in because([title, title])  # passed: no message
