"""The YAML and JSON spellings: DSL -> YAML/JSON -> IR gives the same IR; errors name keys."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.test_lang_printer import COMMENT_SAMPLE, FULL_SAMPLE, expressions
from titlerules.errors import InputFileError, PolicySyntaxError
from titlerules.lang import ir
from titlerules.lang.parser import parse
from titlerules.lang.printer import format_policy
from titlerules.lang.yaml_io import (
    dump_json,
    dump_yaml,
    from_data,
    load_json,
    load_yaml,
    to_data,
)


@pytest.mark.parametrize("text", [FULL_SAMPLE, COMMENT_SAMPLE])
def test_dsl_yaml_json_roundtrip(text: str) -> None:
    pf = parse(text)
    assert load_yaml(dump_yaml(pf)) == pf
    assert load_json(dump_json(pf)) == pf
    assert from_data(to_data(pf)) == pf
    # and back to the same canonical DSL
    assert format_policy(load_yaml(dump_yaml(pf))) == format_policy(pf)


def test_to_data_shape() -> None:
    pf = parse(FULL_SAMPLE)
    data = to_data(pf)
    json.dumps(data)  # plain JSON-able data
    assert data["header"]["kind"] == "policy"
    assert data["header"]["id"] == "eryuan-2024"
    assert data["header"]["issued"] == "2024-05-01"
    assert data["header"]["comments"] == ["# 洱源县 2024"]
    kinds = [item["kind"] for item in data["items"]]
    assert kinds[:3] == ["import", "extends", "param"]
    assert {"let", "def", "exclusion", "procedure", "requirement"} <= set(kinds)
    param = data["items"][2]
    assert param == {
        "kind": "param",
        "name": "cutoff",
        "type": "date",
        "value": "2024-12-31",
        "comments": [{"trailing": "# 二(二)3"}],
    }
    rule = next(item for item in data["items"] if item["kind"] == "exclusion")
    assert rule["when"] == "applicant.sanctions.any(s -> s.kind >= 记过 and in_force(s, cutoff))"
    assert rule["cite"] == {
        "clause": "二(一)",
        "quote": "事业单位工作人员受到记过以上处分的，在受处分期间不得申报",
    }
    assert rule["unless"] == [
        {"if": "applicant.employment.delayed_retirement.approved", "label": "延迟退休"},
        "x in {a, b} and not y not in z",
    ]
    assert rule["severity"] == "advisory"
    assert rule["notes"] == ["第二条"]
    assert "severity" not in next(i for i in data["items"] if i.get("id") == "vote")
    override = [i for i in data["items"] if i.get("override")]
    assert [i["kind"] for i in override] == ["param", "requirement"]


def test_dump_yaml_is_readable() -> None:
    text = dump_yaml(parse(FULL_SAMPLE))
    assert "issued: 2024-05-01\n" in text  # a YAML date, unquoted
    assert "title: 洱源县2024年度专业技术职称评审" in text  # not \\u-escaped
    assert "\n  - kind: import\n" in text  # lists indented under their key
    assert "{" not in text.split("items:")[0]  # block style


def test_dump_json_keeps_chinese_and_iso_dates() -> None:
    text = dump_json(parse(FULL_SAMPLE))
    assert '"issued": "2024-05-01"' in text
    assert "洱源县" in text
    assert text.endswith("}\n")


HAND_WRITTEN_YAML = """\
header:
  kind: policy
  id: kunming-2020
  title: 昆明市2020年职称评审
  issued: "2020-06-01"
  year: 2020
items:
  - kind: param
    name: cutoff
    type: date
    value: 2020-12-31
  - kind: param
    name: min_years
    type: int
    value: 5
  - kind: param
    name: strict
    type: bool
    value: true
  - kind: def
    name: in_force
    params: [s, "on"]
    body: s.start <= on
  - kind: exclusion
    id: sanction
    title: 受处分期间不得申报
    cite: {clause: 二(一), quote: 受处分期间不得申报}
    when: applicant.sanctions.any(s -> in_force(s, cutoff))
    unless:
      - if: applicant.delayed
        label: 延迟退休
      - applicant.exempt
"""


def test_hand_written_yaml() -> None:
    pf = load_yaml(HAND_WRITTEN_YAML, "k.yaml")
    assert pf.path == "k.yaml"
    assert pf.header.issued == dt.date(2020, 6, 1)
    params = pf.params
    assert params[0].value == ir.Literal_(dt.date(2020, 12, 31))
    assert params[1].value == ir.Literal_(5)
    assert params[2].value == ir.Literal_(True)
    rule = pf.rules[0]
    assert rule.citation == ir.Citation("二(一)", "受处分期间不得申报")
    assert rule.unless[0].label == "延迟退休"
    assert rule.unless[1] == ir.Exception_(ir.Attr(ir.Name("applicant"), "exempt"))
    # YAML's own date type is accepted for the header too
    assert load_yaml(HAND_WRITTEN_YAML.replace('"2020-06-01"', "2020-06-01")) == pf


def _error(text: str, loader: Any = load_yaml) -> PolicySyntaxError:
    with pytest.raises(PolicySyntaxError) as info:
        loader(text, "p.yaml")
    return info.value


def test_expression_error_names_the_key_and_column() -> None:
    text = HAND_WRITTEN_YAML.replace(
        "when: applicant.sanctions.any(s -> in_force(s, cutoff))", "when: applicant.x +* y"
    )
    error = _error(text)
    rendered = str(error)
    assert rendered.startswith("p.yaml: items[4].when: unexpected token '*' at column 14")
    assert "   | applicant.x +* y\n   |              ^" in rendered
    assert "hint: expected" in rendered
    assert error.location is not None and error.location.record_path == "items[4].when"


def test_expression_error_in_a_list() -> None:
    text = HAND_WRITTEN_YAML.replace("- applicant.exempt", "- applicant.exempt and")
    assert str(_error(text)).startswith(
        "p.yaml: items[4].unless[1]: unexpected end of expression at column 21"
    )


def test_comment_inside_an_expression_is_refused() -> None:
    text = HAND_WRITTEN_YAML.replace("body: s.start <= on", 'body: "s.start <= on  # why"')
    assert "items[3].body: a comment is not allowed" in str(_error(text))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("items:\n", "items:\n  - [1]\n"), "items[0]: expected a mapping, found a list"),
        (("title: 昆明市2020年职称评审", "title: 2020"), "header.title: expected a string"),
        (("year: 2020", "year: '2020'"), "header.year: expected a whole number"),
        (('issued: "2020-06-01"', "issued: 2020-13-01"), "header.issued: expected a date"),
        (("id: kunming-2020", "id: Kunming 2020"), "header.id: 'Kunming 2020' is not a valid"),
        (("kind: policy", "kind: poliy"), "header.kind: expected policy or module"),
        (("    type: int\n", "    type: [int]\n"), "items[1].type: expected a string"),
        (("    type: int\n", "    type: int[\n"), "items[1].type: 'int[' is not a type"),
        (("    value: 5\n", "    value: 5.5\n"), "items[1].value: expected an expression"),
        (("kind: def", "kind: define"), "items[3].kind: unknown item kind 'define'"),
        (('params: [s, "on"]', "params: [s, on]"), "items[3].params[1]: expected a string"),
        (('params: [s, "on"]', "params: [s, s]"), "items[3].params: 'in_force' names"),
        (("    when:", "    wehn:"), "items[4].wehn: unknown key 'wehn'"),
        (("clause: 二(一)", "clause: 二 (一)"), "items[4].cite.clause: '二 (一)' is not a valid"),
        (("cite: {clause: 二(一), ", "cite: {"), "items[4].cite: missing key 'clause'"),
        (("    unless:\n", "    severity: fatal\n    unless:\n"), "items[4].severity: expected"),
        (("      - applicant.exempt", "      - {label: x}"), "items[4].unless[1]: missing key"),
        (("id: sanction", "id: 2sanction"), "items[4].id: '2sanction' is not a valid name"),
    ],
)
def test_wrong_types_name_the_key_path(change: tuple[str, str], expected: str) -> None:
    old, new = change
    assert old in HAND_WRITTEN_YAML
    rendered = str(_error(HAND_WRITTEN_YAML.replace(old, new, 1)))
    assert rendered.startswith(f"p.yaml: {expected}"), rendered


def test_hints() -> None:
    text = HAND_WRITTEN_YAML.replace('params: [s, "on"]', "params: [s, on]")
    assert "YAML reads yes/no/on/off" in str(_error(text))
    text = HAND_WRITTEN_YAML.replace("    when:", "    wehn:")
    assert "did you mean 'when'?" in str(_error(text))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ([], ": expected a mapping, found a list"),
        ({"items": []}, ": missing key 'header'"),
        ({"header": {"kind": "policy", "id": "x"}, "extra": 1}, "extra: unknown key"),
        ({"header": {"kind": "policy", "id": "x", "title_en": "x"}}, "header: 'title_en' is"),
        ({"header": {"kind": "policy", "id": "x", "source": "a.txt"}}, "header: 'source' and"),
        ({"header": {"kind": "module", "id": "x"}, "trailing_comments": ["a\nb"]}, "one line"),
        (
            {
                "header": {"kind": "policy", "id": "x"},
                "items": [{"kind": "requirement", "id": "r", "title": "t", "comments": {"x": []}}],
            },
            "items[0].comments.x: 'x' is not a valid comment slot",
        ),
    ],
)
def test_from_data_errors(data: Any, expected: str) -> None:
    with pytest.raises(PolicySyntaxError) as info:
        from_data(data, "d.json")
    assert expected in str(info.value)


def test_malformed_yaml_and_json_are_input_errors() -> None:
    with pytest.raises(InputFileError) as info:
        load_yaml("header: [\n", "bad.yaml")
    assert str(info.value).startswith("bad.yaml:")
    with pytest.raises(InputFileError) as info:
        load_json('{"header": ', "bad.json")
    assert str(info.value).startswith("bad.json:1:")


def test_yaml_tags_are_not_executed() -> None:
    with pytest.raises(InputFileError):
        load_yaml("!!python/object/apply:os.system ['true']\n")


def test_comments_without_hash_are_accepted() -> None:
    data = {"header": {"kind": "policy", "id": "x", "comments": ["plain", {"trailing": "#t"}]}}
    assert from_data(data).header.comments == (ir.Comment(" plain"), ir.Comment("t", True))


@given(st.lists(expressions, min_size=1, max_size=3))
@settings(max_examples=100, derandomize=True)
def test_generated_expressions_roundtrip_through_yaml_and_json(exprs: list[ir.Expr]) -> None:
    items: list[ir.Item] = [ir.Let(f"v{i}", e) for i, e in enumerate(exprs)]
    items.append(
        ir.Rule(
            "exclusion",
            "r",
            "t",
            when=exprs[0],
            require=tuple(exprs),
            unless=(ir.Exception_(exprs[-1], '例外: "x"\n'), ir.Exception_(exprs[0])),
        )
    )
    pf = ir.PolicyFile(ir.Header("policy", "x", issued=dt.date(2024, 1, 2)), tuple(items))
    assert load_yaml(dump_yaml(pf)) == pf
    assert load_json(dump_json(pf)) == pf


@given(st.text(max_size=30))
@settings(max_examples=200, derandomize=True)
def test_strings_survive_yaml(text: str) -> None:
    pf = ir.PolicyFile(
        ir.Header("policy", "x", title=text, description=text),
        (ir.Rule("requirement", "r", text, notes=(text,), citation=ir.Citation("一", text)),),
    )
    assert load_yaml(dump_yaml(pf)) == pf
    assert load_json(dump_json(pf)) == pf


def test_yaml_is_safe_load_only() -> None:
    # An unknown tag is refused by the safe loader, never constructed.
    assert yaml.safe_load("a: 1") == {"a": 1}
    with pytest.raises(InputFileError):
        load_yaml("header: !!python/name:os.system\n")


# ---------------------------------------------------------------- where a YAML node is

PLACED = """header:
  kind: policy
  id: placed
  title: t
  document: d
  year: 2024
items:
  - kind: param
    name: cutoff
    type: date
    value: 2024-12-31
  - kind: requirement
    id: basic
    title: 基本
    cite: {clause: 一, quote: q}
    require:
      - not applicant.employment.is_civil_servent
      - "applicant.employment.retierd == false"
      - |
        applicant.education.any(e ->
            e.levle == 本科)
      - >
        applicant.employment.current_post_strt
        <= cutoff
"""


def _placed(text: str, d: Any) -> str:
    """The text a diagnostic's span covers in ``text`` (on its first line)."""
    line = text.split("\n")[d.span.line - 1]
    end = d.span.end_column - 1 if d.span.end_line == d.span.line else len(line)
    return line[d.span.column - 1 : end]


def test_checker_diagnostics_of_a_yaml_policy_point_into_the_yaml_file(tmp_path: Path) -> None:
    """Expressions are parsed from YAML strings; their spans are placed where the strings
    stand in the file: exactly for plain, quoted and literal (``|``) strings, at the
    string's start for a folded one (``>``)."""
    from titlerules.engine.policy import lint_policy

    path = tmp_path / "placed.yaml"
    path.write_text(PLACED, encoding="utf-8")
    _resolved, diagnostics = lint_policy(path)
    unknown = {d.message.split("'")[1]: d for d in diagnostics if d.code == "TR311"}
    assert set(unknown) == {
        "applicant.employment.is_civil_servent",
        "applicant.employment.retierd",
        "e.levle",
        "applicant.employment.current_post_strt",
    }
    for name in ("applicant.employment.is_civil_servent", "applicant.employment.retierd"):
        assert _placed(PLACED, unknown[name]) == name
    levle = unknown["e.levle"]
    assert (levle.span.line, _placed(PLACED, levle)) == (21, "e.levle")
    folded = unknown["applicant.employment.current_post_strt"]
    assert (folded.span.line, folded.span.column) == (22, 9)  # the '>' that opens it
    rendered = levle.render(PLACED)
    assert "21 |             e.levle == 本科)" in rendered


def test_yaml_rules_and_items_carry_the_line_they_start_on() -> None:
    pf = load_yaml(PLACED, "placed.yaml")
    assert (pf.header.span.line, pf.header.span.column) == (2, 3)
    assert (pf.params[0].span.line, pf.params[0].span.column) == (8, 5)
    assert (pf.rules[0].span.line, pf.rules[0].span.column) == (12, 5)
    assert pf.rules[0].citation is not None and pf.rules[0].citation.span.line == 15


def test_json_policies_place_their_expressions_too() -> None:
    pf = load_json(dump_json(load_yaml(PLACED)), "placed.json")
    text = dump_json(load_yaml(PLACED))
    first = pf.rules[0].require[0]
    line = text.split("\n")[first.span.line - 1]
    assert line[first.span.column - 1 :].startswith("not applicant.employment.is_civil_servent")
