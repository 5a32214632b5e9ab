"""Inputs the readers once let through as a foreign exception, now our own errors.

* YAML and JSON policies with CR-only line endings or U+0085/U+2028/U+2029: the text is cut
  into lines the way YAML numbers them, so spans land where they do with ``\\n``.
* A whole number of 5,000 digits in a YAML or JSON policy: TR002 at its place, not Python's
  ValueError about integer string conversion.
* A JSON Lines row nested 200,000 deep, a CSV list cell nested as deep, a ``"\\ud800"``
  escape in a row: that row's error; the other rows are decided.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from titlerules.cli import main
from titlerules.errors import InputFileError, PolicySyntaxError
from titlerules.lang import ir
from titlerules.lang.convert import load_policy_file
from titlerules.lang.yaml_io import dump_json, dump_yaml, from_data, load_json, load_yaml, to_data
from titlerules.resources import policies_dir
from titlerules.synthetic import applicants, flat_rows, spelled

pl = pytest.importorskip("polars")

DEEP = 200_000


def _spans(node: Any) -> list[ir.Span]:
    found: list[ir.Span] = []
    stack = [node]
    while stack:
        value = stack.pop()
        if isinstance(value, tuple):
            stack.extend(value)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            for f in dataclasses.fields(value):
                item = getattr(value, f.name)
                if isinstance(item, ir.Span):
                    found.append(item)
                else:
                    stack.append(item)
    return found


def _short_strings(value: Any) -> bool:
    if isinstance(value, dict):
        return all(_short_strings(v) for v in value.values())
    if isinstance(value, list):
        return all(_short_strings(v) for v in value)
    return not isinstance(value, str) or (len(value) < 60 and "\n" not in value)


@pytest.fixture(scope="module")
def policy_yaml() -> str:
    """The bundled policy in YAML, without the items whose strings YAML writes on several
    lines: it keeps U+2028/U+2029 inside such a string, where the DSL refuses them."""
    data = to_data(load_policy_file(policies_dir() / "eryuan-2024.policy"))
    data["items"] = [i for i in data["items"] if _short_strings(i)]
    assert len(data["items"]) > 20
    return dump_yaml(from_data(data))


@pytest.mark.parametrize("spelling", ["yaml", "json"])
@pytest.mark.parametrize("newline", ["\r", "\x85", "\u2028", "\u2029"])
def test_policy_line_endings_place_spans_as_newlines_do(
    policy_yaml: str, spelling: str, newline: str
) -> None:
    text = policy_yaml if spelling == "yaml" else dump_json(load_yaml(policy_yaml))
    load = load_yaml if spelling == "yaml" else load_json
    reference = load(text, "p")
    other = text.replace("\n", newline)
    if spelling == "json" and newline != "\r":
        # JSON knows no such whitespace: a plain JSON error at the first one.
        with pytest.raises(InputFileError, match="not valid JSON") as caught:
            load(other, "p")
        assert caught.value.location is not None and caught.value.location.line == 1
        return
    read = load(other, "p")  # was an IndexError: a span placed past the last line
    assert read.items == reference.items
    assert _spans(read.items) == _spans(reference.items)
    assert sum(1 for span in _spans(read.items) if span.line) > 100


def test_line_separator_in_a_literal_block_is_our_error() -> None:
    text = (
        "header: {kind: policy, id: a}\nitems:\n- kind: let\n  name: x\n"
        "  value: |\n    1\u2028    + 2\n"
    )
    with pytest.raises(PolicySyntaxError, match="unexpected character") as caught:
        load_yaml(text.replace("\n", "\r"), "p.yaml")
    assert caught.value.location is not None
    assert caught.value.location.record_path == "items[0].value"


def test_policy_json_strings_may_hold_line_separators(policy_yaml: str) -> None:
    text = dump_json(load_yaml(policy_yaml))
    before = load_json(text)
    moved = load_json(text.replace('"title": "', '"title": "a\u2028b\u2029c\x85', 1))
    assert moved.header.title == "a\u2028b\u2029c\x85" + (before.header.title or "")
    # Lines are numbered as YAML counts them (the JSON is placed by reading it as YAML):
    # the three separators are three line breaks, and every span after them moves by 3.
    shifted = [
        dataclasses.replace(s, line=s.line - 3, end_line=s.end_line - 3) if s.line else s
        for s in _spans(moved.items)
    ]
    assert shifted == _spans(before.items)


@pytest.mark.parametrize(
    ("number", "line"),
    [("9" * 5000, 1), ("0x" + "f" * 5000, 1), ("-1_" + "0" * 5000, 1)],
)
def test_long_whole_number_in_yaml_policy_is_tr002(number: str, line: int) -> None:
    text = f"header: {{kind: policy, id: a, year: {number}}}\n"
    with pytest.raises(InputFileError, match="longer than 1,000 digits") as caught:
        load_yaml(text, "p.yaml")
    assert caught.value.code == "TR002"
    assert caught.value.location is not None
    assert (caught.value.location.line, caught.value.location.column) == (line, 37)


def test_long_whole_number_in_json_policy_is_tr002() -> None:
    text = '{"header": {"kind": "policy",\n "id": "a", "year": ' + "9" * 5000 + "}}"
    with pytest.raises(InputFileError, match="5,000 digits") as caught:
        load_json(text, "p.json")
    assert caught.value.code == "TR002"
    assert caught.value.location is not None
    assert (caught.value.location.line, caught.value.location.column) == (2, 21)


def test_deeply_nested_json_policy_is_tr002() -> None:
    with pytest.raises(InputFileError, match="nested too deeply"):
        load_json('{"header": ' + "[" * DEEP + "]" * DEEP + "}", "p.json")


def _check(tmp_path: Path, source: Path, status: int = 2) -> list[dict[str, Any]]:
    """The result rows of ``check``; ``status`` 2: some row is an error."""
    out = tmp_path / "out.jsonl"
    assert main(["check", "eryuan-2024", str(source), "--out", str(out)]) == status
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def _records() -> list[dict[str, Any]]:
    return spelled(applicants(3, seed=2))


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ('{"id": "X", "person": ' + "[" * DEEP + "]" * DEEP + "}", "nested too deeply"),
        ('{"id": "X", "remark": "\\ud800"}', "half of a surrogate pair"),
        ('{"id": "\\udc00"}', "half of a surrogate pair"),
    ],
    ids=["nested", "high-surrogate", "low-surrogate"],
)
def test_jsonl_row_is_that_rows_error(tmp_path: Path, bad_line: str, message: str) -> None:
    records = _records()
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    lines.insert(1, bad_line)
    source = tmp_path / "applicants.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = _check(tmp_path, source)
    assert [row["row"] for row in rows] == [1, 2, 3, 4]
    assert rows[1]["outcome"] == "error" and message in rows[1]["error"]
    others = [rows[0], *rows[2:]]
    assert [row["id"] for row in others] == [r["id"] for r in records]
    assert all(row["outcome"] != "error" for row in others)


def test_valid_surrogate_pair_in_jsonl_is_read(tmp_path: Path) -> None:
    records = _records()
    records[1]["person"]["name"] = "\U0002000b"  # 𠀋, written as the pair \ud840\udc0b
    source = tmp_path / "applicants.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    assert "\\ud840\\udc0b" in source.read_text(encoding="utf-8")
    rows = _check(tmp_path, source, status=0)
    assert [row["id"] for row in rows] == [r["id"] for r in records]
    assert all(row["outcome"] != "error" for row in rows)


def test_csv_list_cell_nested_deeply_is_that_rows_error(tmp_path: Path) -> None:
    records = _records()
    columns = flat_rows(records)
    assert "assessments" in columns
    columns["assessments"][1] = "[" * DEEP + "]" * DEEP
    source = tmp_path / "applicants.csv"
    pl.DataFrame(columns, schema={name: pl.String for name in columns}).write_csv(source)
    rows = _check(tmp_path, source)
    assert [row["id"] for row in rows] == [r["id"] for r in records]
    assert rows[1]["outcome"] == "error" and "assessments" in rows[1]["error"]
    assert rows[0]["outcome"] != "error" and rows[2]["outcome"] != "error"
