"""docs/records.md keeps up with the record models.

Every field of every record model (and of the models nested in it) appears in the page's field
tree for its record, as a line ``<indent><name>: <type>  # <中文标签> | <English label>`` under
its parent, with the field's two labels as the model writes them; the trees name no field the
models lack; the trees are exactly what ``titlerules.facts.records_doc`` generates; and every
vocabulary of ``ENUMS`` has a row, with all its members, in the vocabularies section.
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from titlerules.facts import (
    ENUMS,
    Applicant,
    FactModel,
    HistoricalTitleRecord,
    PostTable,
    Procedure,
)
from titlerules.facts.labels import field_labels
from titlerules.facts.records_doc import main as records_doc_main
from titlerules.facts.records_doc import render_page

DOC = Path(__file__).resolve().parent.parent / "docs" / "records.md"

# The record models whose field trees the page documents, by their top-level key.
RECORDS: dict[str, type[FactModel]] = {
    "applicant": Applicant,
    "procedure": Procedure,
    "historical_title_record": HistoricalTitleRecord,
    "post_table": PostTable,
}

_TREE_LINE = re.compile(
    r"^(?P<indent>(?:  )*)(?P<name>[a-z_][a-z0-9_]*): (?P<type>[^#]*?)\s+"
    r"# (?P<zh>[^|]+?) \| (?P<en>.+)$"
)
_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class Node:
    """One line of a documented field tree and the lines nested under it."""

    name: str
    zh: str
    en: str
    line: int
    children: dict[str, Node] = field(default_factory=dict)


def _page() -> str:
    return DOC.read_text(encoding="utf-8")


def _text_blocks(page: str) -> list[tuple[int, list[str]]]:
    """The ```text blocks of the page: (line number of the first line, lines)."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] | None = None
    start = 0
    for number, line in enumerate(page.splitlines(), start=1):
        if current is None:
            if line.strip() == "```text":
                current, start = [], number + 1
        elif line.strip() == "```":
            blocks.append((start, current))
            current = None
        else:
            current.append(line)
    return blocks


def _tree(key: str) -> Node:
    """The documented field tree whose first line is ``<key>:``."""
    for start, lines in _text_blocks(_page()):
        if lines and lines[0].startswith(f"{key}:"):
            root = Node(key, "", "", start)
            stack: list[Node] = [root]
            for offset, line in enumerate(lines[1:], start=1):
                match = _TREE_LINE.match(line)
                assert match is not None, (
                    f"docs/records.md:{start + offset}: not a field line: {line!r}"
                )
                depth = len(match["indent"]) // 2
                assert 1 <= depth <= len(stack), (
                    f"docs/records.md:{start + offset}: indented too deep: {line!r}"
                )
                del stack[depth:]
                node = Node(match["name"], match["zh"].strip(), match["en"].strip(), start + offset)
                parent = stack[-1]
                assert node.name not in parent.children, (
                    f"docs/records.md:{node.line}: {node.name} listed twice under {parent.name}"
                )
                parent.children[node.name] = node
                stack.append(node)
            return root
    raise AssertionError(f"docs/records.md has no ```text block starting with '{key}:'")


def _nested_model(annotation: object) -> type[FactModel] | None:
    """The record model inside a field's annotation (``X | None``, ``list[X]``), if any."""
    if isinstance(annotation, type) and issubclass(annotation, FactModel):
        return annotation
    for argument in typing.get_args(annotation):
        model = _nested_model(argument)
        if model is not None:
            return model
    return None


def _problems(model: type[FactModel], node: Node, path: str) -> list[str]:
    problems: list[str] = []
    for name, info in model.model_fields.items():
        where = f"{path}.{name}"
        label = field_labels(info)
        if not _CJK.search(label.zh):
            problems.append(f"{where}: the model gives no Chinese label")
        child = node.children.get(name)
        if child is None:
            problems.append(f"{where}: missing from docs/records.md (under '{node.name}:')")
            continue
        if (child.zh, child.en) != (label.zh, label.en):
            problems.append(
                f"{where}: docs/records.md:{child.line} says '# {child.zh} | {child.en}', "
                f"the model '{label.zh} | {label.en}'"
            )
        nested = _nested_model(info.annotation)
        if nested is not None:
            problems.extend(_problems(nested, child, where))
        elif child.children:
            problems.append(f"docs/records.md:{child.line}: {where} has no nested fields")
    for name, child in node.children.items():
        if name not in model.model_fields:
            problems.append(
                f"docs/records.md:{child.line}: {path}.{name} is not a field of {model.__name__}"
            )
    return problems


@pytest.mark.parametrize("key", list(RECORDS))
def test_every_field_is_documented_under_its_record(key: str) -> None:
    assert _problems(RECORDS[key], _tree(key), key) == []


def test_the_field_trees_are_generated_from_the_models() -> None:
    page = _page()
    assert render_page(page) == page, (
        "docs/records.md is not current: run python -m titlerules.facts.records_doc docs/records.md"
    )


def test_the_generator_rewrites_a_stale_tree_and_check_reports_it(tmp_path: Path) -> None:
    stale = _page().replace("# 是否已办理离退休手续 | retirement formalities completed", "# 退休")
    assert stale != _page()
    page = tmp_path / "records.md"
    page.write_text(stale, encoding="utf-8")
    assert records_doc_main(["--check", str(page)]) == 1
    assert records_doc_main([str(page)]) == 0
    assert page.read_text(encoding="utf-8") == _page()
    assert records_doc_main(["--check", str(page)]) == 0


def test_a_page_without_a_records_tree_is_refused() -> None:
    with pytest.raises(ValueError, match="post_table"):
        render_page(_page().replace("```text\npost_table:", "```text\npost_tables:"))


def test_every_vocabulary_is_documented() -> None:
    page = _page()
    match = re.search(r"^## Vocabularies\n(?P<body>.*?)(?=^## )", page, re.S | re.M)
    assert match is not None, "docs/records.md has no '## Vocabularies' section"
    rows = {
        row["name"]: row["members"]
        for row in re.finditer(
            r"^\| `(?P<name>\w+)`(?: \(ordered\))? \| (?P<members>.*) \|$", match["body"], re.M
        )
    }
    problems: list[str] = []
    for name, vocabulary in ENUMS.items():
        if name not in rows:
            problems.append(f"{name}: no row in the vocabularies section")
            continue
        for member in vocabulary:
            if f"`{member.value}` = {member.zh}" not in rows[name]:
                problems.append(f"{name}.{member.name}: '`{member.value}` = {member.zh}' missing")
    problems.extend(f"{name}: documented but not in ENUMS" for name in rows if name not in ENUMS)
    assert problems == []
