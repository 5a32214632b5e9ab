"""facts layer: pydantic record models, pure, no DSL knowledge.

The field trees of ``docs/records.md``, generated from the record models: one ```text block
per record, a line per field ``<indent><name>: <type>  # <中文标签> | <English label>``,
nested fields indented under the field that holds them.

``python -m titlerules.facts.records_doc docs/records.md`` rewrites the trees in place;
``--check`` exits 1 if the page is not current (``tests/test_records_doc.py`` checks it).
"""

from __future__ import annotations

import argparse
import re
import sys
import types
import typing
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Union

from annotated_types import Ge
from pydantic.fields import FieldInfo

from titlerules.facts.base import FactModel
from titlerules.facts.enums import ZhEnum
from titlerules.facts.labels import ROOTS, field_labels

__all__ = ["field_tree", "main", "render_page"]

_SCALARS: dict[object, str] = {
    str: "text",
    bool: "bool",
    date: "date",
    Decimal: "decimal",
    Fraction: "fraction",
}


def _is_year(metadata: Sequence[object]) -> bool:
    return any(isinstance(item, Ge) and item.ge == 1949 for item in metadata) or any(
        isinstance(item, FieldInfo) and _is_year(item.metadata) for item in metadata
    )


def _type_name(annotation: object, metadata: Sequence[object] = ()) -> str:
    """``text``, ``year``, ``Gender``, ``list[TitleHeld]``, ``set[NoticeContent]`` ..."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *extra = typing.get_args(annotation)
        return _type_name(base, [*metadata, *extra])
    if origin in (Union, types.UnionType):
        names = [_type_name(arg, metadata) for arg in typing.get_args(annotation)]
        kept = [name for name in names if name != "None"]
        return kept[0] + "?" if len(kept) < len(names) else " | ".join(kept)
    if origin is list:
        return f"list[{_type_name(typing.get_args(annotation)[0])}]"
    if origin is frozenset:
        return f"set[{_type_name(typing.get_args(annotation)[0])}]"
    if annotation is type(None):
        return "None"
    if annotation is int:
        return "year" if _is_year(metadata) else "int"
    if annotation in _SCALARS:
        return _SCALARS[annotation]
    if isinstance(annotation, type) and issubclass(annotation, FactModel | ZhEnum):
        return annotation.__name__
    raise TypeError(f"no documented name for the type {annotation!r}")


def _nested(annotation: object) -> type[FactModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, FactModel):
        return annotation
    for argument in typing.get_args(annotation):
        model = _nested(argument)
        if model is not None:
            return model
    return None


def _lines(model: type[FactModel], depth: int) -> list[str]:
    lines: list[str] = []
    for name, info in model.model_fields.items():
        label = field_labels(info)
        kind = _type_name(info.annotation, info.metadata)
        lines.append(f"{'  ' * depth}{name}: {kind}  # {label.zh} | {label.en}")
        nested = _nested(info.annotation)
        if nested is not None:
            lines.extend(_lines(nested, depth + 1))
    return lines


def field_tree(key: str) -> list[str]:
    """The documented field tree of the record ``key`` (``applicant``, ``procedure``,
    ``historical_title_record``, ``post_table``), line by line."""
    model = ROOTS[key]
    summary = (model.__doc__ or "").strip().splitlines()[0]
    return [f"{key}:  # {summary}", *_lines(model, 1)]


_BLOCK = re.compile(r"^```text\n(?P<body>(?P<key>[a-z_]+):.*?\n)^```$", re.M | re.S)


def render_page(page: str) -> str:
    """``page`` with each record's ```text field tree replaced by the generated one.

    Raises ``ValueError`` if the page lacks the tree of a record."""
    seen: set[str] = set()

    def replace(match: re.Match[str]) -> str:
        key = match["key"]
        if key not in ROOTS:
            return match[0]
        seen.add(key)
        return "```text\n" + "\n".join(field_tree(key)) + "\n```"

    result = _BLOCK.sub(replace, page)
    missing = [key for key in ROOTS if key not in seen]
    if missing:
        raise ValueError(f"no ```text block starting with '{missing[0]}:'")
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m titlerules.facts.records_doc",
        description="Rewrite the field trees of docs/records.md from the record models.",
    )
    parser.add_argument("page", type=Path, help="the page, docs/records.md")
    parser.add_argument("--check", action="store_true", help="exit 1 if the page is not current")
    args = parser.parse_args(argv)
    page = args.page.read_text(encoding="utf-8")
    current = render_page(page)
    if args.check:
        if current != page:
            print(f"{args.page}: the field trees are not current; run {parser.prog} {args.page}")
            return 1
        return 0
    if current != page:
        args.page.write_text(current, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
